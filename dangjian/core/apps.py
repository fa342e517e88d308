from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from dangjian.core import checks  # registers the var/ permission check

        # Each app's tasks.py registers its jobs (core.jobs) when imported.
        autodiscover_modules("tasks")
        connection_created.connect(checks.private_sqlite, dispatch_uid="dangjian.private_sqlite")
