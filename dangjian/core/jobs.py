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
no finished run. A running run holds a lease: a heartbeat thread renews ``heartbeat_at``
every quarter of ``settings.JOB_LEASE_SECONDS``. While the lease is live no other run of
the slot starts (a redelivered task, beat and ``run_jobs --due`` all skip it). A run
killed midway (SIGKILL, OOM, a deploy, a power cut) stops renewing; once its lease has
run out — or at once, when its owner process is known dead on this host — it is marked
``lost`` and the slot is run again by whichever comes first: the task redelivered by
the broker (tasks are acknowledged late), beat's ``recover_lost`` sweep, or the next
``dangjian run_jobs --due``. Jobs must therefore be idempotent — typically through
``notify.send(..., dedupe_key=...)`` or unique rows.

Only the latest slot of each job is caught up: after a week's outage the daily job runs
once for today, not seven times (every job here is "bring things up to date").
"""

import datetime as dt
import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from dangjian.core.calendar import TZ
from dangjian.core.locks import serialize

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 400  # a yearly job's previous slot is at most a year (and a day) back
MSG_LOST = "运行进程中断（租约过期或进程已不存在），已重新运行"
MSG_SUPERSEDED = "运行进程中断；已有更新的计划时间，不再补跑"


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


def owner() -> str:
    """This process, as recorded in the runs it owns: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(run_owner: str) -> bool:
    """Whether ``run_owner`` names a process of this host that no longer exists."""
    host, _, pid = run_owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def is_stale(record, now: dt.datetime | None = None) -> bool:
    """Whether a running run died: its lease ran out, or its process is gone."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    if record.heartbeat_at is None or record.heartbeat_at < now - lease:
        return True
    return _process_gone(record.owner)


def _claim(job: PeriodicJob, slot: dt.datetime, force: bool):
    """Record the start of a run, unless the slot is finished or a live run holds it.

    Runs of the slot whose process died are marked lost here, and the new run counts
    as the next attempt.
    """
    from dangjian.core.models import JobRun

    with transaction.atomic():
        serialize(f"job:{job.name}")
        # Decided on the rows as locked: a run that finishes meanwhile (its last save
        # takes no advisory lock) is seen done here, never run a third time.
        runs = list(JobRun.objects.select_for_update(no_key=True).filter(name=job.name, slot=slot))
        if not force and any(r.status == JobRun.Status.DONE for r in runs):
            return None
        now = timezone.now()
        held = [r for r in runs if r.status == JobRun.Status.RUNNING]
        if any(not is_stale(r, now) for r in held):
            return None
        for dead in held:
            dead.status, dead.finished_at = JobRun.Status.LOST, now
            dead.error = MSG_LOST
            dead.save(update_fields=["status", "finished_at", "error"])
            log.warning(
                "periodic job %s for %s: run %s lost, running again", job.name, slot, dead.pk
            )
        return JobRun.objects.create(
            name=job.name,
            slot=slot,
            status=JobRun.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            owner=owner(),
            attempt=len(runs) + 1,
        )


class _Heartbeat(threading.Thread):
    """Renews a run's lease until stopped (its own database connection)."""

    def __init__(self, pk: int):
        super().__init__(name=f"job-heartbeat-{pk}", daemon=True)
        self.pk = pk
        self.stopped = threading.Event()

    def run(self) -> None:
        from dangjian.core.models import JobRun

        interval = settings.JOB_LEASE_SECONDS / 4
        try:
            while not self.stopped.wait(interval):
                try:
                    JobRun.objects.filter(pk=self.pk, status=JobRun.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:
                    log.warning("job run %s: lease not renewed", self.pk, exc_info=True)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def run(name: str, at: dt.datetime, *, force: bool = False):
    """Run one job for the slot ``at``; returns its JobRun, or None if already done
    (or being run by a live process).

    A failure is recorded (status failed, with the traceback) and re-raised; the slot
    stays due.
    """
    job = get(name)
    at = at.astimezone(TZ)  # the same slot reads the same (e.g. in dedupe keys) on every run
    record = _claim(job, at, force)
    if record is None:
        return None
    heartbeat = _Heartbeat(record.pk)
    heartbeat.start()
    try:
        job.func(at=at)
    except Exception:
        heartbeat.stop()
        record.status = record.Status.FAILED
        record.error = traceback.format_exc()[-4000:]
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "error", "finished_at"])
        raise
    except BaseException:  # SystemExit, KeyboardInterrupt: the lease runs out by itself
        heartbeat.stop()
        raise
    heartbeat.stop()
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


def stuck(now: dt.datetime | None = None) -> list:
    """Runs still marked running whose process died (lease out or process gone)."""
    from dangjian.core.models import JobRun

    now = now or timezone.now()
    running = JobRun.objects.filter(status=JobRun.Status.RUNNING).order_by("started_at")
    return [r for r in running if is_stale(r, now)]


def recover_lost(now: dt.datetime | None = None) -> list[tuple[str, dt.datetime, str]]:
    """Run again the slots whose run died, if still the latest; returns (name, slot,
    outcome) per stuck run: "done", "skipped", "failed" or "superseded" (a later slot
    is due instead: only the latest slot of a job is caught up)."""
    from dangjian.core.models import JobRun

    now = now or timezone.now()
    outcomes = []
    for record in stuck(now):
        job = _REGISTRY.get(record.name)
        if job is None or job.latest_slot(now) != record.slot:
            JobRun.objects.filter(pk=record.pk, status=JobRun.Status.RUNNING).update(
                status=JobRun.Status.LOST, finished_at=now, error=MSG_SUPERSEDED
            )
            outcomes.append((record.name, record.slot, "superseded"))
            continue
        try:
            outcome = "done" if run(record.name, record.slot) else "skipped"
        except Exception:
            log.exception("periodic job %s failed again for %s", record.name, record.slot)
            outcome = "failed"
        outcomes.append((record.name, record.slot, outcome))
    return outcomes


@shared_task(name="dangjian.core.jobs.run_periodic")
def run_periodic(name: str) -> None:
    """Beat's entry point: run ``name`` for its latest slot (skipped if already done)."""
    job = get(name)
    slot = job.latest_slot(timezone.now())
    if slot is not None:
        run(name, slot)


@shared_task(name="dangjian.core.jobs.recover")
def recover() -> None:
    """Beat's sweep: run again what died with its worker (see :func:`recover_lost`)."""
    recover_lost()


def beat_schedule() -> dict[str, dict]:
    """Celery beat's schedule: one entry per registered periodic job, and the sweep
    for runs lost with their worker every half lease."""
    schedule = {
        job.name: {
            "task": "dangjian.core.jobs.run_periodic",
            "schedule": job.schedule,
            "args": (job.name,),
        }
        for job in registered()
    }
    schedule["core.jobs.recover"] = {
        "task": "dangjian.core.jobs.recover",
        "schedule": max(5.0, settings.JOB_LEASE_SECONDS / 2),
    }
    return schedule
