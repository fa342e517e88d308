"""A periodic job for the fault tests: it takes a while, and its effect is idempotent.

Registered by the tests that need it (:func:`register`), and at import in the worker
processes they start (``celery worker --include tests.faultjob`` with
``DANGJIAN_FAULTJOB=1``), so the rest of the test session never sees it.
Its effect — one inbox message per slot for the superuser, deduplicated — is written
before the slow part, so a run killed midway has already written it once: what the
fault tests check is that the rerun does not write it twice.
"""

import datetime as dt
import os
import time

from dangjian.core import jobs

NAME = "faults.slow_job"
KIND = "faults.slow_job"


def dedupe_key(at: dt.datetime) -> str:
    return f"{NAME}:{at.isoformat()}"


def slow_job(*, at: dt.datetime) -> None:
    from dangjian.accounts.models import User
    from dangjian.core import notify

    notify.send(
        User.objects.filter(is_superuser=True),
        kind=KIND,
        title="故障测试任务",
        dedupe_key=dedupe_key(at),
    )
    time.sleep(float(os.environ.get("DANGJIAN_FAULTJOB_SECONDS", "0")))


def register() -> jobs.PeriodicJob:
    jobs.periodic("0 4 * * *", name=NAME)(slow_job)
    return jobs.get(NAME)


if os.environ.get("DANGJIAN_FAULTJOB") == "1":
    register()
