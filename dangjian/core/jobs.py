"""Tasks and periodic jobs: Celery in production, inline in the embedded default.

Two kinds of work leave the request:

- ``@jobs.task`` — a Celery task. ``fn.delay(...)`` queues it on the broker in
  production and runs it at once, in the caller's process, when no broker is configured
  (``CELERY_TASK_ALWAYS_EAGER``). Same code either way.
- ``@jobs.periodic("0 9 20 * *", name="orglife.theme_day_warnings")`` — a job fired on a
  cron schedule (Asia/Shanghai). The function is called as ``fn(at=slot)`` where ``slot``
  is the scheduled moment it runs for, so "the warnings of 20 November" mean the same
  whether they run at 09:00 or are caught up at 11:00.

Every run is recorded in :class:`~dangjian.core.models.JobRun`. A slot is due while it has
no finished run: a run killed midway (SIGKILL, a deploy, a power cut) leaves its slot
due, and the next ``dangjian run_jobs --due`` runs it again. Jobs must therefore be
idempotent — typically through ``notify.send(..., dedupe_key=...)`` or unique rows.

Only the latest slot of each job is caught up: after a week's outage the daily job runs
once for today, not seven times (every job here is "bring things up to date").
"""

import datetime as dt
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from celery import shared_task
from celery.schedules import crontab
from django.db import transaction
from django.utils import timezone

from dangjian.core.calendar import TZ
from dangjian.core.locks import serialize

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 400  # a yearly job's previous slot is at most a year (and a day) back


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    cron: str
    func: Callable[..., object]
    schedule: crontab

    def latest_slot(self, now: dt.datetime) -> dt.datetime | None:
        """The most recent scheduled moment at or before ``now``."""
        local = now.astimezone(TZ)
        times = sorted((h, m) for h in self.schedule.hour for m in self.schedule.minute)
        day = local.date()
        for _ in range(LOOKBACK_DAYS):
            if self._day_matches(day):
                for h, m in reversed(times):
                    slot = dt.datetime.combine(day, dt.time(h, m), TZ)
                    if slot <= local:
                        return slot
            day -= dt.timedelta(days=1)
        return None

    def _day_matches(self, day: dt.date) -> bool:
        return (
            day.month in self.schedule.month_of_year
            and day.day in self.schedule.day_of_month
            and (day.isoweekday() % 7) in self.schedule.day_of_week  # cron: 0 = Sunday
        )


_REGISTRY: dict[str, PeriodicJob] = {}


def task(fn: Callable) -> Callable:
    """A Celery task (``fn.delay``); inline when no broker is configured."""
    return shared_task(fn)


def periodic(cron: str, *, name: str) -> Callable[[Callable], Callable]:
    """Register ``fn(at=...)`` to run on ``cron`` ("minute hour day month weekday")."""

    def register(fn: Callable) -> Callable:
        if name in _REGISTRY and _REGISTRY[name].func is not fn:
            raise ValueError(f"periodic job {name!r} registered twice")
        _REGISTRY[name] = PeriodicJob(name, cron, fn, crontab.from_string(cron))
        return fn

    return register


def registered() -> list[PeriodicJob]:
    return sorted(_REGISTRY.values(), key=lambda job: job.name)


def get(name: str) -> PeriodicJob:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"没有名为 {name} 的定时任务") from None


def is_done(name: str, slot: dt.datetime) -> bool:
    from dangjian.core.models import JobRun

    return JobRun.objects.filter(name=name, slot=slot, status=JobRun.Status.DONE).exists()


def _claim(job: PeriodicJob, slot: dt.datetime, force: bool):
    """Record the start of a run, unless the slot is finished (or another run holds it)."""
    from dangjian.core.models import JobRun

    with transaction.atomic():
        serialize(f"job:{job.name}")
        if not force and is_done(job.name, slot):
            return None
        return JobRun.objects.create(
            name=job.name, slot=slot, status=JobRun.Status.RUNNING, started_at=timezone.now()
        )


def run(name: str, at: dt.datetime, *, force: bool = False):
    """Run one job for the slot ``at``; returns its JobRun, or None if already done.

    A failure is recorded (status failed, with the traceback) and re-raised; the slot
    stays due.
    """
    job = get(name)
    record = _claim(job, at, force)
    if record is None:
        return None
    try:
        job.func(at=at)
    except Exception:
        record.status = record.Status.FAILED
        record.error = traceback.format_exc()[-4000:]
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "error", "finished_at"])
        raise
    record.status = record.Status.DONE
    record.finished_at = timezone.now()
    record.save(update_fields=["status", "finished_at"])
    return record


def due(now: dt.datetime | None = None) -> list[tuple[PeriodicJob, dt.datetime]]:
    """The jobs whose latest slot has no finished run, with that slot."""
    now = now or timezone.now()
    pending = []
    for job in registered():
        slot = job.latest_slot(now)
        if slot is not None and not is_done(job.name, slot):
            pending.append((job, slot))
    return pending


def run_due(now: dt.datetime | None = None) -> list[tuple[str, dt.datetime, str]]:
    """Run every due job once; a failing job does not stop the others.

    Returns (name, slot, outcome) per job, outcome "done", "skipped" or "failed".
    """
    outcomes = []
    for job, slot in due(now):
        try:
            outcome = "done" if run(job.name, slot) else "skipped"
        except Exception:
            log.exception("periodic job %s failed for %s", job.name, slot)
            outcome = "failed"
        outcomes.append((job.name, slot, outcome))
    return outcomes


@shared_task(name="dangjian.core.jobs.run_periodic")
def run_periodic(name: str) -> None:
    """Beat's entry point: run ``name`` for its latest slot (skipped if already done)."""
    job = get(name)
    slot = job.latest_slot(timezone.now())
    if slot is not None:
        run(name, slot)


def beat_schedule() -> dict[str, dict]:
    """Celery beat's schedule: one entry per registered periodic job."""
    return {
        job.name: {
            "task": "dangjian.core.jobs.run_periodic",
            "schedule": job.schedule,
            "args": (job.name,),
        }
        for job in registered()
    }
