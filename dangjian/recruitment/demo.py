"""Demo data: applicants at every stage of 发展党员 in the demo accounts' branch.

Seven people, each taken through the steps by the services with dates that meet every
rule, counted back from the demo's today (``dangjian.demo.clock``): two fresh applicants (the talk due soon, and
one overdue), an activist, a candidate in training, one awaiting the upper committee's
approval (its deadline near), a probationary member whose year is nearly out, and a
member converted and archived. The due-steps check then raises the reminders and
warnings they call for. A second run adds nothing.
"""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core import idcard
from dangjian.core.scope import Role
from dangjian.demo import clock
from dangjian.members.choices import Status
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.recruitment import rules, services
from dangjian.recruitment.models import Applicant

VOTE = {"eligible": 12, "present": 10, "votes_for": 10}
# Days after the application each step is done (every time rule met).
OFFSETS = [
    ("talk", 10),
    ("activist", 60),
    ("activist_filed", 62),
    ("contacts", 65),
    ("review", 240),
    ("review", 420),
    ("candidate", 430),
    ("candidate_filed", 432),
    ("sponsors", 435),
    ("political_review", 450),
    ("training", 460),
    ("committee_review", 470),
    ("pre_review", 475),
    ("volunteer_form", 480),
    ("branch_vote", 485),
    ("upper_talk", 495),
    ("approve", 510),
    ("approval_filed", 515),
    ("placed", 516),
    ("oath", 517),
    ("probation_review", 700),
]
# name, days before the demo's today the application was made, last step done.
PEOPLE = [
    ("杨晓申", 10, "apply"),
    ("何立新", 50, "apply"),
    ("罗思进", 300, "review"),
    ("梁向党", 470, "training"),
    ("宋志远", 565, "upper_talk"),
    ("唐红梅", 835, "oath"),
    ("韩建国", 1100, "archive"),
]


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def _branch() -> Organisation | None:
    """The demo secretary's branch: the first active branch with an admin account."""
    return (
        Organisation.objects.filter(
            org_type=OrgType.BRANCH,
            dissolved_on__isnull=True,
            role_assignments__role=Role.ADMIN,
        )
        .order_by("path")
        .first()
    )


def _extra(key: str, applicant: Applicant, full: list[int]) -> dict:
    name = rules.STEP[key].document if key in rules.STEP else ""
    extra: dict = {"document": _pdf(f"{rules.DOC_LABELS[name]}.pdf")} if name else {}
    if key == "contacts":
        extra["contact_ids"] = full[:1]
    elif key == "sponsors":
        extra["sponsor_ids"] = full[:2]
    elif key == "training":
        extra["training_days"] = 5
    elif key in ("branch_vote", "conversion_vote"):
        extra["vote"] = VOTE
    return extra


def _conversion(applicant: Applicant) -> list[tuple[str, dt.date]]:
    end = applicant.probation_ends_on
    return [
        ("conversion_apply", end - dt.timedelta(days=3)),
        ("conversion_vote", end + dt.timedelta(days=2)),
        ("conversion_approve", end + dt.timedelta(days=20)),
        ("archive", end + dt.timedelta(days=30)),
    ]


def _advance(root_user, applicant: Applicant, until: str, full: list[int]) -> None:
    if until == "apply":
        return
    for key, days in OFFSETS:
        on = applicant.applied_on + dt.timedelta(days=days)
        services.step_do(
            acting_user=root_user,
            applicant=applicant,
            step=key,
            done_on=on,
            note="",
            **_extra(key, applicant, full),
        )
        if key == until:
            return
    applicant.refresh_from_db()
    for key, on in _conversion(applicant):
        services.step_do(
            acting_user=root_user,
            applicant=applicant,
            step=key,
            done_on=on,
            **_extra(key, applicant, full),
        )
        if key == until:
            return


def seed(*, root_user, seed: int, progress) -> None:
    branch = _branch()
    if branch is None or Applicant.objects.filter(branch=branch).exists():
        return
    full = list(
        Member.objects.filter(branch=branch, status=Status.FULL)
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    if len(full) < 2:
        return
    for number, (name, days_before, until) in enumerate(PEOPLE):
        applicant = services.applicant_create(
            acting_user=root_user,
            branch=branch,
            name=name,
            id_number=idcard.build("530102", dt.date(1996 + number, 3, 8), 981 + 2 * number),
            ethnicity="汉族",
            education="bachelor",
            occupation="社区工作者",
            applied_on=clock.today() - dt.timedelta(days=days_before),
            document=_pdf("入党申请书.pdf"),
        )
        _advance(root_user, applicant, until, full)
    for applicant in Applicant.objects.filter(branch=branch).select_related("branch"):
        services.applicant_check_due(applicant, clock.today())
    progress(f"发展党员：{branch.name}（{len(PEOPLE)} 名，各阶段）")
