from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        # Each app's tasks.py registers its jobs (core.jobs) when imported.
        autodiscover_modules("tasks")
