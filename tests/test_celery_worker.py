"""Production's task path: a real Celery worker on a real Redis runs our jobs.

Needs a Redis server: `.ci/run` starts one and sets DANGJIAN_TEST_CELERY_BROKER; without
it the test is skipped (the embedded default runs tasks inline, covered everywhere else).
"""

import os
import subprocess
import sys
import time

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone

from dangjian.core import jobs
from dangjian.core.models import JobRun

BROKER = os.environ.get("DANGJIAN_TEST_CELERY_BROKER")
pytestmark = [
    pytest.mark.skipif(
        not BROKER, reason="需要 Redis：设置 DANGJIAN_TEST_CELERY_BROKER（.ci/run 会设置）"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(tmp_path):
    """A worker process on the broker, using this test's database (PostgreSQL: an
    in-memory SQLite test database cannot be shared with another process)."""
    settings = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
    }
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = (
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"  # xdist workers never share one
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dangjian",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--loglevel",
            "WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "w"),  # noqa: SIM115 (closed with the process)
    )
    yield queue
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def client():
    """A producer on the broker: its own Celery app, so the project's app (inline in
    tests, its connection pool already set up by earlier tests) is left untouched."""
    producer = Celery("dangjian-test-client", broker=BROKER, backend=BROKER)
    yield producer
    producer.close()


def test_worker_runs_a_periodic_job_and_reports_failures(worker, client):
    job = max(jobs.registered(), key=lambda j: len(j.cron))  # any registered job
    slot = job.latest_slot(timezone.now())
    JobRun.objects.create(
        name=job.name, slot=slot, status=JobRun.Status.DONE, started_at=slot, finished_at=slot
    )
    result = client.send_task(jobs.run_periodic.name, args=(job.name,), queue=worker)
    assert result.get(timeout=60) is None  # the worker read the database: slot already done
    assert JobRun.objects.filter(name=job.name).count() == 1

    failing = client.send_task(jobs.run_periodic.name, args=("no.such_job",), queue=worker)
    with pytest.raises(KeyError, match="没有名为"):
        failing.get(timeout=60)
