"""Issue 19.3: a periodic job whose worker dies is run again, once in effect.

Without a broker the lease logic is tested directly; with one (DANGJIAN_TEST_CELERY_BROKER,
set by .ci/run) a real worker is SIGKILLed in the middle of the job, another worker is
started, and the broker's redelivery runs the job again.
"""

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from celery import Celery
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dangjian.core import jobs
from dangjian.core.models import JobRun, Notification
from tests import faultjob

SLOT = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def slow_job():
    job = faultjob.register()
    yield job
    jobs._REGISTRY.pop(faultjob.NAME, None)


def _effects() -> int:
    return Notification.objects.filter(kind=faultjob.KIND).count()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _running(**fields) -> JobRun:
    now = timezone.now()
    values = {"slot": SLOT, "heartbeat_at": now, "owner": jobs.owner(), **fields}
    return JobRun.objects.create(
        name=faultjob.NAME, status=JobRun.Status.RUNNING, started_at=now, **values
    )


def test_a_live_run_holds_its_slot(cast, slow_job):
    _running()
    assert jobs.run(faultjob.NAME, SLOT) is None
    assert jobs.run(faultjob.NAME, SLOT, force=True) is None
    assert JobRun.objects.filter(name=faultjob.NAME).count() == 1
    assert _effects() == 0


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"heartbeat_at": timezone.now() - dt.timedelta(hours=1)}, id="lease-out"),
        pytest.param({"heartbeat_at": None}, id="no-heartbeat"),
        pytest.param({"owner": "pending"}, id="process-gone"),
    ],
)
def test_a_dead_run_is_marked_lost_and_run_again_once(cast, slow_job, fields):
    if fields.get("owner") == "pending":
        fields = {"owner": f"{jobs.owner().rpartition(':')[0]}:{_dead_pid()}"}
    dead = _running(**fields)
    assert jobs.is_stale(dead)
    faultjob.slow_job(at=SLOT)  # the dead run had written its effect already
    # The slot as read back from the database (UTC): the job still sees it in Beijing
    # time, so its dedupe key is the same.
    record = jobs.run(faultjob.NAME, SLOT.astimezone(dt.UTC))
    assert record.status == JobRun.Status.DONE and record.attempt == 2
    dead.refresh_from_db()
    assert dead.status == JobRun.Status.LOST and dead.error == jobs.MSG_LOST
    assert _effects() == 1
    assert jobs.run(faultjob.NAME, SLOT) is None  # done: never a third time


def test_recover_reruns_the_latest_slot_and_drops_older_ones(cast, slow_job):
    now = timezone.now()
    latest = slow_job.latest_slot(now)
    older = latest - dt.timedelta(days=1)
    stale = now - dt.timedelta(hours=1)
    _running(slot=older, heartbeat_at=stale)
    _running(slot=latest, heartbeat_at=stale)
    outcomes = {slot: outcome for _, slot, outcome in jobs.recover_lost(now)}
    assert outcomes == {older: "superseded", latest: "done"}
    assert jobs.is_done(faultjob.NAME, latest) and not jobs.is_done(faultjob.NAME, older)
    assert jobs.stuck(now) == []


def test_list_shows_stuck_and_rerun_runs(cast, slow_job):
    _running(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    out = io.StringIO()
    call_command("run_jobs", "--list", stdout=out)
    assert f"卡住\t{faultjob.NAME} @ 2026-11-20 04:00:00\t第1次" in out.getvalue()
    jobs.run(faultjob.NAME, SLOT)
    out = io.StringIO()
    call_command("run_jobs", "--list", stdout=out)
    listing = out.getvalue()
    assert "卡住" not in listing
    assert f"已重跑\t{faultjob.NAME} @ 2026-11-20 04:00:00\t第1次中断" in listing


def test_a_heartbeat_keeps_the_lease(transactional_db, slow_job, settings):
    """The lease is renewed while the job works (a lease of 0.4 s, renewed every 0.1 s)."""
    settings.JOB_LEASE_SECONDS = 0.4
    seen = []

    def watch(*, at):
        started = JobRun.objects.get(name=faultjob.NAME, slot=at).heartbeat_at
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            beat = JobRun.objects.get(name=faultjob.NAME, slot=at).heartbeat_at
            if beat > started:
                seen.append(beat)
                return
            time.sleep(0.05)

    jobs._REGISTRY[faultjob.NAME] = jobs.PeriodicJob(
        faultjob.NAME, slow_job.cron, watch, slow_job.schedule
    )
    jobs.run(faultjob.NAME, SLOT)
    assert seen


# --- A real worker on a real broker ---------------------------------------------------

BROKER = os.environ.get("DANGJIAN_TEST_CELERY_BROKER")


def _worker(queue: str, log) -> subprocess.Popen:
    settings = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "DANGJIAN_FAULTJOB": "1",
        "DANGJIAN_FAULTJOB_SECONDS": "3",
        "DANGJIAN_TASK_VISIBILITY_SECONDS": "2",
        "DANGJIAN_TASK_RESTORE_INTERVAL": "1",
        "DANGJIAN_TASK_RESTORE_THROTTLE": "1",
        "DATABASE_URL": (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        ),
    }
    command = [sys.executable, "-m", "celery", "-A", "dangjian", "worker", "--pool", "solo"]
    command += ["--include", "tests.faultjob", "--queues", queue, "--loglevel", "WARNING"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)


def _wait_for(predicate, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@pytest.mark.skipif(
    not BROKER, reason="需要 Redis：设置 DANGJIAN_TEST_CELERY_BROKER（.ci/run 会设置）"
)
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_runs_again_exactly_once(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker is another process: it needs the PostgreSQL test database")
    from dangjian.orgs.models import Organisation
    from tests.kit import build_cast

    if not Organisation.objects.exists():  # a previous transactional test flushed it
        pytest.dangjian_cast = build_cast()
    queue = f"faults-{os.getpid()}-{time.monotonic_ns()}"
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 (closed below)
    first = _worker(queue, log)
    producer = Celery("dangjian-fault-test", broker=BROKER)
    second = None
    try:
        producer.send_task(jobs.run_periodic.name, args=(faultjob.NAME,), queue=queue)
        running = JobRun.objects.filter(name=faultjob.NAME, status=JobRun.Status.RUNNING)
        _wait_for(running.exists)
        _wait_for(lambda: _effects() == 1)
        first.send_signal(signal.SIGKILL)  # the worker dies in the middle of the job
        first.wait(30)
        second = _worker(queue, log)  # what systemd's Restart= does
        _wait_for(JobRun.objects.filter(name=faultjob.NAME, status=JobRun.Status.DONE).exists)
    finally:
        producer.close()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(30)
        log.close()
    runs = list(JobRun.objects.filter(name=faultjob.NAME).order_by("attempt"))
    assert [(r.status, r.attempt) for r in runs] == [("lost", 1), ("done", 2)]
    assert _effects() == 1
