"""发展党员 services: the whole way from application to archiving, and every refusal."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from dangjian.core.models import AuditEntry, Notification, Warning
from dangjian.members.choices import Status
from dangjian.recruitment import selectors, services
from dangjian.recruitment.models import Applicant, Document, StepRecord
from tests.kit import new_id_number

D = dt.date


def pdf(name="材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def errors_of(exc) -> dict:
    return {k: v[0] for k, v in exc.value.message_dict.items()}


APPLIED, BORN = D(2021, 3, 1), D(1998, 5, 1)


def apply(cast, *, user="branch_admin", on=APPLIED, born=BORN, **extra):
    return services.applicant_create(
        acting_user=cast.user[user],
        branch=extra.pop("branch", cast.org["B1"]),
        name=extra.pop("name", "李申请"),
        id_number=extra.pop("id_number", None) or new_id_number(born),
        ethnicity="汉族",
        education="bachelor",
        applied_on=on,
        document=extra.pop("document", pdf("入党申请书.pdf")),
        **extra,
    )


def step(cast, applicant, key, on, user="branch_admin", **extra):
    return services.step_do(
        acting_user=cast.user[user], applicant=applicant, step=key, done_on=on, **extra
    )


VOTE = {"eligible": 10, "present": 8, "votes_for": 8}


def admit(cast, applicant, *, until="archive"):
    """Take an applicant through the steps (past dates, each rule met) up to ``until``."""
    m1, m2 = cast.member["B1m1"].pk, cast.member["B1m2"].pk
    plan = [
        ("talk", D(2021, 3, 20), "branch_admin", {}),
        ("activist", D(2021, 5, 10), "branch_admin", {}),
        ("activist_filed", D(2021, 5, 12), "committee_admin", {}),
        ("contacts", D(2021, 5, 15), "branch_admin", {"contact_ids": [m1]}),
        ("review", D(2021, 11, 10), "branch_admin", {}),
        ("review", D(2022, 5, 9), "branch_admin", {}),
        ("candidate", D(2022, 5, 10), "branch_admin", {}),
        ("candidate_filed", D(2022, 5, 12), "committee_admin", {}),
        ("sponsors", D(2022, 5, 15), "branch_admin", {"sponsor_ids": [m1, m2]}),
        ("political_review", D(2022, 6, 1), "branch_admin", {"document": pdf()}),
        ("training", D(2022, 6, 10), "branch_admin", {"training_days": 3}),
        ("committee_review", D(2022, 6, 20), "branch_admin", {}),
        ("pre_review", D(2022, 6, 25), "committee_admin", {}),
        ("volunteer_form", D(2022, 7, 1), "branch_admin", {"document": pdf()}),
        ("branch_vote", D(2022, 7, 5), "branch_admin", {"vote": VOTE, "document": pdf()}),
        ("upper_talk", D(2022, 7, 20), "committee_admin", {}),
        ("approve", D(2022, 8, 1), "committee_admin", {}),
        ("approval_filed", D(2022, 8, 5), "county_admin", {}),
        ("placed", D(2022, 8, 6), "branch_admin", {"group": cast.org["G1"]}),
        ("oath", D(2022, 8, 7), "branch_admin", {}),
        ("probation_review", D(2023, 1, 10), "branch_admin", {}),
        ("conversion_apply", D(2023, 6, 28), "branch_admin", {"document": pdf()}),
        ("conversion_vote", D(2023, 7, 5), "branch_admin", {"vote": VOTE, "document": pdf()}),
        ("conversion_approve", D(2023, 8, 1), "committee_admin", {}),
        ("archive", D(2023, 8, 10), "branch_admin", {}),
    ]
    for key, on, user, extra in plan:
        step(cast, applicant, key, on, user, **extra)
        if key == until:
            break
    applicant.refresh_from_db()
    return applicant


@pytest.mark.django_db
def test_happy_path_from_application_to_archiving(cast):
    applicant = admit(cast, apply(cast))
    assert applicant.status == "archive" and applicant.closed_at is not None
    numbers = list(applicant.steps.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6, 6, *range(7, 22), *range(22, 26)]
    member = applicant.member
    member.refresh_from_db()
    assert member.status == Status.FULL
    assert member.joined_on == D(2022, 7, 5)  # 党章第七条: from the branch meeting
    assert member.full_member_on == D(2023, 7, 5)
    assert member.group_id == cast.org["G1"].pk
    assert member.branch_id == cast.org["B1"].pk
    kinds = set(Document.objects.filter(applicant=applicant).values_list("kind", flat=True))
    assert kinds == {"application", "political_review", "volunteer_form", "vote", "conversion_application"}  # fmt: skip
    assert applicant.events.count() == 1 + 25  # create + 24 steps (two reviews) + archive
    actions = AuditEntry.objects.filter(action__startswith="recruitment.applicant.")
    assert actions.filter(object_id=str(applicant.pk)).count() >= 25


@pytest.mark.django_db
def test_approval_makes_a_probationary_member(cast):
    applicant = admit(cast, apply(cast), until="approve")
    assert applicant.member.status == Status.PROBATIONARY
    assert applicant.probation_ends_on == D(2023, 7, 5)


@pytest.mark.django_db
def test_approval_links_the_applicants_account_to_the_new_member(cast):
    from dangjian.accounts.models import RoleAssignment, User
    from dangjian.core import scope
    from dangjian.members import selectors as member_selectors

    applicant = apply(cast)
    Applicant.objects.filter(pk=applicant.pk).update(user=cast.user["outsider"])
    applicant.refresh_from_db()
    applicant = admit(cast, applicant, until="approve")
    account = User.objects.get(pk=cast.user["outsider"].pk)
    assert account.member_id == applicant.member.pk
    assert RoleAssignment.objects.filter(user=account, org=cast.org["B1"], role="member").exists()
    assert member_selectors.member_get(account, applicant.member.pk) == applicant.member
    scope.forget(account)
    assert selectors.applicant_get(account, applicant.pk) == applicant  # still their record
    link = AuditEntry.objects.get(action="user.link_member", object_id=str(account.pk))
    assert link.after == {"member": applicant.member.pk, "role": "member"}
    assert applicant.steps.get(key="approve").data["account_linked"] is True


@pytest.mark.django_db
def test_one_open_application_per_account(cast):
    first = apply(cast, account="outsider")
    assert first.user == cast.user["outsider"]
    with pytest.raises(ValidationError) as exc:
        apply(cast, account="outsider")
    assert errors_of(exc) == {"account": services.MSG_ACCOUNT_OPEN}


@pytest.mark.django_db
def test_approval_is_refused_when_the_account_is_someone_elses(cast):
    from dangjian.accounts.services import MSG_ACCOUNT_LINKED

    applicant = apply(cast)
    Applicant.objects.filter(pk=applicant.pk).update(user=cast.user["member"])  # B1m1's login
    applicant.refresh_from_db()
    admit(cast, applicant, until="upper_talk")
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "approve", D(2022, 8, 1), user="committee_admin")
    assert errors_of(exc) == {"user": MSG_ACCOUNT_LINKED}
    applicant.refresh_from_db()
    assert applicant.status == "upper_talk" and applicant.member_id is None


@pytest.mark.django_db
def test_approval_without_an_account_links_nothing(cast):
    from dangjian.accounts.models import User

    applicant = admit(cast, apply(cast), until="approve")
    assert not User.objects.filter(member=applicant.member).exists()
    assert not AuditEntry.objects.filter(action="user.link_member").exists()


@pytest.mark.django_db
def test_application_refused_under_18_with_the_date(cast):
    with pytest.raises(ValidationError) as exc:
        apply(cast, born=D(2008, 12, 1), on=D(2026, 11, 30))
    assert errors_of(exc)["applied_on"] == (
        "细则第六条：年满十八周岁方可申请入党，申请人2026年12月1日才满18周岁"
    )
    assert not Applicant.objects.exists()


@pytest.mark.django_db
def test_application_needs_the_letter_and_no_second_open_one(cast):
    with pytest.raises(ValidationError) as exc:
        apply(cast, document=None)
    assert errors_of(exc) == {"document": "请上传入党申请书"}
    number = new_id_number(D(1999, 1, 1))
    apply(cast, id_number=number)
    with pytest.raises(ValidationError) as exc:
        apply(cast, id_number=number)
    assert errors_of(exc) == {"id_number": "该公民身份号码已有正在办理的入党申请"}


@pytest.mark.django_db
def test_out_of_order_step_refused_with_the_step_to_do_first(cast):
    applicant = apply(cast)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "candidate", D(2022, 5, 1))
    assert errors_of(exc) == {
        "status": "须先完成第5步“指定培养联系人”，才能办理第7步“确定发展对象”（当前已完成：第1步“递交入党申请书”）"
    }
    assert AuditEntry.objects.count() == before
    assert StepRecord.objects.filter(applicant=applicant).count() == 1


@pytest.mark.django_db
def test_too_early_candidate_refused_with_the_date(cast):
    applicant = admit(cast, apply(cast), until="review")
    step(cast, applicant, "review", D(2022, 5, 1))
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "candidate", D(2022, 5, 9))
    assert errors_of(exc) == {
        "done_on": "细则第十三条：入党积极分子须经一年以上培养教育和考察，2022年5月10日起方可确定为发展对象"
    }
    step(cast, applicant, "candidate", D(2022, 5, 10))
    applicant.refresh_from_db()
    assert applicant.status == "candidate"


@pytest.mark.django_db
def test_late_talk_refused(cast):
    applicant = apply(cast, on=D(2021, 1, 31))
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "talk", D(2021, 3, 1))
    assert "最迟2021年2月28日" in errors_of(exc)["done_on"]
    step(cast, applicant, "talk", D(2021, 2, 28))


@pytest.mark.django_db
def test_upper_steps_belong_to_the_upper_committee(cast):
    applicant = admit(cast, apply(cast), until="activist")
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "activist_filed", D(2021, 5, 12), user="branch_admin")
    assert errors_of(exc) == {
        "status": "“报上级党委备案”由上级党委办理：您在本支部的权限不能办理此步骤"
    }
    step(cast, applicant, "activist_filed", D(2021, 5, 12), user="committee_admin")


@pytest.mark.django_db
def test_sponsors_must_be_full_members_of_the_branch(cast):
    applicant = admit(cast, apply(cast), until="candidate_filed")
    outsider = cast.member["B2m1"].pk
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "sponsors", D(2022, 5, 15), sponsor_ids=[cast.member["B1m1"].pk, outsider])  # fmt: skip
    assert errors_of(exc) == {"sponsors": f"{outsider}不是本支部的党员"}
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "sponsors", D(2022, 5, 15), sponsor_ids=[cast.member["B1m1"].pk])
    assert errors_of(exc) == {"sponsors": "细则第十五条：应有2名正式党员作入党介绍人"}


@pytest.mark.django_db
def test_failed_vote_refused_and_nothing_written(cast):
    applicant = admit(cast, apply(cast), until="volunteer_form")
    files = Document.objects.count()
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "branch_vote", D(2022, 7, 5), vote={"eligible": 10, "present": 8, "votes_for": 5}, document=pdf())  # fmt: skip
    assert "未通过" in errors_of(exc)["votes_for"]
    assert Document.objects.count() == files


@pytest.mark.django_db
def test_extension_moves_the_end_of_probation(cast):
    applicant = admit(cast, apply(cast), until="conversion_apply")
    step(cast, applicant, "extend", D(2023, 7, 5), extension_months=6)
    applicant.refresh_from_db()
    assert applicant.status == "oath" and applicant.probation_ends_on == D(2024, 1, 5)
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "conversion_apply", D(2023, 12, 28), document=pdf())
    assert "2023年12月29日起方可提出" in errors_of(exc)["done_on"]
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "extend", D(2024, 1, 5), extension_months=6)
    assert errors_of(exc) == {"extension_months": "细则第三十三条：预备期只能延长一次"}


@pytest.mark.django_db
def test_terminate_needs_a_reason_and_ends_everything(cast):
    applicant = apply(cast)
    with pytest.raises(ValidationError) as exc:
        services.applicant_terminate(acting_user=cast.user["branch_admin"], applicant=applicant, reason="")  # fmt: skip
    assert errors_of(exc) == {"reason": "请填写终止发展的原因"}
    services.applicant_terminate(acting_user=cast.user["branch_admin"], applicant=applicant, reason="本人撤回申请")  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        step(cast, applicant, "talk", D(2021, 3, 2))
    assert errors_of(exc) == {"status": "该发展党员档案已终止，不能再办理“党组织派人谈话”"}


@pytest.mark.django_db
def test_scope_hidden_outside_and_forbidden_without_change(cast):
    applicant = apply(cast)
    with pytest.raises(Http404):
        step(cast, applicant, "talk", D(2021, 3, 2), user="sibling_county_admin")
    with pytest.raises(PermissionDenied):
        step(cast, applicant, "talk", D(2021, 3, 2), user="county_leader")
    assert selectors.applicant_get(cast.user["county_leader"], applicant.pk) == applicant
    with pytest.raises(Http404):
        selectors.applicant_get(cast.user["member"], applicant.pk)


@pytest.mark.django_db
def test_applicant_sees_own_record_and_uploads_thought_reports(cast):
    applicant = apply(cast)
    applicant.user = cast.user["outsider"]
    applicant.save()
    outsider = cast.user["outsider"]
    assert selectors.applicant_get(outsider, applicant.pk) == applicant
    services.document_add(acting_user=outsider, applicant=applicant, kind="thought_report", upload=pdf())  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.document_add(acting_user=outsider, applicant=applicant, kind="vote", upload=pdf())
    assert errors_of(exc) == {"kind": "申请人本人只能上传思想汇报"}


@pytest.mark.django_db
def test_due_reminders_and_overdue_warnings_then_cleared(cast):
    applicant = apply(cast, on=D(2026, 11, 1))
    sent, raised = services.applicant_check_due(applicant, D(2026, 11, 25))
    assert (sent, raised) == (1, 0)
    assert services.applicant_check_due(applicant, D(2026, 11, 26)) == (0, 0)  # deduplicated
    note = Notification.objects.get(kind="recruitment.reminder")
    assert note.user == cast.user["branch_admin"] and "入党谈话将于2026年12月1日到期" in note.title
    assert services.applicant_check_due(applicant, D(2026, 12, 2)) == (0, 1)
    warning = Warning.objects.get(kind="recruitment.step_overdue")
    assert warning.org_id == cast.org["B1"].pk and warning.is_open
    assert "入党谈话已逾期" in warning.title
    services.applicant_terminate(acting_user=cast.user["branch_admin"], applicant=applicant, reason="迁出本地")  # fmt: skip
    warning.refresh_from_db()
    assert not warning.is_open


@pytest.mark.django_db
def test_plan_set_audited_and_scoped(cast):
    plan = services.plan_set(acting_user=cast.user["county_admin"], org=cast.org["K1"], year=2026, quota=12)  # fmt: skip
    assert plan.quota == 12
    services.plan_set(acting_user=cast.user["county_admin"], org=cast.org["K1"], year=2026, quota=12)  # fmt: skip
    assert AuditEntry.objects.filter(action="recruitment.plan.set").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.plan_set(acting_user=cast.user["county_admin"], org=cast.org["K1"], year=2026, quota=-1)  # fmt: skip
    assert "quota" in errors_of(exc)
    with pytest.raises(Http404):
        services.plan_set(acting_user=cast.user["county_admin"], org=cast.org["K2"], year=2026, quota=1)  # fmt: skip
