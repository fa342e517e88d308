"""The demo seeder puts applicants at every stage into the demo secretary's branch."""

import pytest

from dangjian.core.models import Warning
from dangjian.members.choices import Status
from dangjian.recruitment import demo
from dangjian.recruitment.models import Applicant


@pytest.mark.django_db
def test_demo_applicants_at_every_stage_and_only_once(cast):
    lines = []
    demo.seed(root_user=cast.user["root"], seed=2026, progress=lines.append)
    applicants = {a.name: a for a in Applicant.objects.filter(branch=cast.org["B1"])}
    assert {a.status for a in applicants.values()} == {
        "apply", "contacts", "training", "upper_talk", "oath", "archive"
    }  # fmt: skip
    assert {a.stage for a in applicants.values() if a.is_open} == {1, 2, 3, 4, 5}
    assert applicants["唐红梅"].member.status == Status.PROBATIONARY
    assert applicants["韩建国"].member.status == Status.FULL
    assert Warning.objects.filter(kind="recruitment.step_overdue", subject_id=str(applicants["何立新"].pk)).exists()  # fmt: skip
    assert lines
    demo.seed(root_user=cast.user["root"], seed=2026, progress=lines.append)
    assert Applicant.objects.count() == len(demo.PEOPLE)
