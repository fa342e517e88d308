"""The daily job: reminders before, warnings after, nothing twice."""

import datetime as dt

import pytest

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.core.models import Notification, Warning
from dangjian.recruitment.tests.test_services import admit, apply


@pytest.mark.django_db
def test_job_reminds_and_warns_once(cast):
    waiting = apply(cast, on=dt.date(2026, 11, 1))  # talk due 2026-12-01
    approving = admit(cast, apply(cast, name="赵对象"), until="upper_talk")  # due 2022-10-05
    at = dt.datetime(2026, 11, 28, 8, 30, tzinfo=TZ)
    assert jobs.get("recruitment.due_steps").func(at=at) == 2
    assert jobs.get("recruitment.due_steps").func(at=at) == 1  # the warning is re-confirmed
    assert Notification.objects.filter(kind="recruitment.reminder").count() == 1
    (warning,) = Warning.objects.filter(kind="recruitment.step_overdue")
    assert warning.subject_id == str(approving.pk) and "上级党委审批已逾期" in warning.title
    assert waiting.status == "apply"
