from django.apps import AppConfig


class MobilityConfig(AppConfig):
    name = "dangjian.mobility"
    label = "mobility"
    verbose_name = "流动党员与失联党员"

    def ready(self) -> None:
        from dangjian.mobility import conditions

        conditions.register()
