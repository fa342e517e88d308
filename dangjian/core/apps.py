from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from dangjian.core import (
            checks,  # registers the var/ permission check
            warnings,  # noqa: F401  core's own events and kinds
        )

        # Each app's events.py declares the events it publishes and its warnings.py the
        # kinds of warning it raises; then subscribers.py subscribes (core.events: the
        # names must be declared first) and tasks.py registers its jobs (core.jobs).
        for module in ("events", "warnings", "subscribers", "tasks"):  # all apps' X, then Y
            autodiscover_modules(module)
        autodiscover_modules("menu")  # each app's entries of the main menu (core.menu)
        connection_created.connect(checks.private_sqlite, dispatch_uid="dangjian.private_sqlite")
