"""The Celery application (production: Redis broker, workers and beat).

In the embedded default no broker is configured and tasks run inline
(``CELERY_TASK_ALWAYS_EAGER``); periodic jobs then run from ``dangjian run_jobs --due``
(cron or a systemd timer every few minutes). With a broker, ``celery -A dangjian beat``
fires the same jobs registered through :mod:`dangjian.core.jobs`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

app = Celery("dangjian")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_finalize.connect
def _schedule_periodic_jobs(sender: Celery, **_) -> None:
    """Give beat one entry per job registered with ``@jobs.periodic``."""
    from dangjian.core import jobs

    sender.conf.beat_schedule = jobs.beat_schedule()
