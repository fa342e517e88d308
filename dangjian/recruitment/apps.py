from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    label = "recruitment"
    verbose_name = "发展党员"

    def ready(self) -> None:
        from dangjian.recruitment import metrics, workflow  # noqa: F401  declares the workflow

        metrics.register()
