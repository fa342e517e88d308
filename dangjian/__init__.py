"""dangjian — 智慧党建平台."""

from dangjian.celery import app as celery_app

__all__ = ["celery_app"]
