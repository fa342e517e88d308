from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "dangjian.transfers"
    verbose_name = "组织关系转接"

    def ready(self) -> None:
        from dangjian.transfers import workflow  # noqa: F401  declares the case workflow
