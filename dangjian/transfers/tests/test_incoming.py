"""组织关系转入: a letter from outside the platform registered by the receiving side, the
checks from the 县委 down to the branch, the member created (or, once 已转出, reopened)
on acceptance, the 回执, and the letter's validity at its boundary."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.models import AuditEntry
from dangjian.core.periods import cn_day
from dangjian.core.scope import Perm
from dangjian.members.models import Member
from dangjian.transfers import receipt, rules, selectors, services, workflow
from dangjian.transfers.models import IncomingTransfer
from dangjian.transfers.tests.helpers import (
    accept_all,
    apply,
    approve_all,
    approver_keys,
    letter_fields,
    register_in,
)

pytestmark = pytest.mark.django_db


def fields_of(exc) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_the_letter_is_valid_through_its_last_day_and_never_past_three_months():
    issued = dt.date(2026, 11, 30)
    today = dt.date(2027, 3, 1)
    until = dt.date(2027, 2, 28)  # three months on, the month's last day
    ok = {"issued_on": issued, "valid_until": until, "today": today}
    assert rules.incoming_letter_errors(reported_on=until, **ok) == {}
    late = rules.incoming_letter_errors(reported_on=until + dt.timedelta(days=1), **ok)
    assert late == {"reported_on": rules.MSG_IN_EXPIRED.format(until="2027年2月28日")}
    too_long = rules.incoming_letter_errors(
        issued_on=issued, valid_until=dt.date(2027, 3, 1), reported_on=issued, today=today
    )
    assert too_long == {"letter_valid_until": rules.MSG_IN_VALID_CAP.format(cap="2027年2月28日")}
    assert rules.incoming_letter_errors(
        issued_on=issued, valid_until=issued - dt.timedelta(days=1), reported_on=issued, today=today
    ) == {"letter_valid_until": rules.MSG_IN_VALID_BEFORE}
    assert rules.incoming_letter_errors(
        issued_on=issued, valid_until=until, reported_on=issued - dt.timedelta(days=1), today=today
    ) == {"reported_on": rules.MSG_IN_REPORTED_EARLY}


def test_a_letter_reported_on_its_last_day_is_registered_the_day_after_is_refused(cast):
    today = timezone.localdate()
    on_time = register_in(cast, letter_valid_until=today, reported_on=today)
    assert on_time.status == "pending"
    with pytest.raises(ValidationError) as exc:
        register_in(cast, letter_valid_until=today - dt.timedelta(days=1), reported_on=today)
    until = today - dt.timedelta(days=1)
    assert fields_of(exc) == {"reported_on": [rules.MSG_IN_EXPIRED.format(until=cn_day(until))]}


def test_the_checks_run_from_the_county_down_to_the_branch(cast):
    incoming = register_in(cast, "B1")
    assert [s.org for s in incoming.steps.select_related("org")] == [
        cast.org[k] for k in ("K1", "T1", "B1")
    ]
    assert incoming.current_org == cast.org["K1"]
    assert approver_keys(cast, incoming) == [
        ["county_admin"],
        ["committee_admin"],
        ["branch_admin"],
    ]
    b4 = register_in(cast, "B4")  # no admin at K3: the province's approves for it
    assert approver_keys(cast, b4) == [["province_admin"], ["province_admin"]]


def test_a_registration_is_validated_all_at_once(cast):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        register_in(
            cast,
            "T1",
            origin="mars",
            from_org=" ",
            letter_no="号" * 61,
            id_number="530102198503140000",
            member_status="suspended",
            letter_issued_on=today + dt.timedelta(days=1),
            letter_valid_until=today + dt.timedelta(days=2),
        )
    errors = fields_of(exc)
    assert errors["to_branch"] == [services.MSG_NOT_BRANCH]
    assert errors["origin"] == [services.MSG_ORIGIN]
    assert errors["from_org"] == [services.MSG_REQUIRED]
    assert errors["letter_no"] == [services.MSG_LETTER_NO_LONG]
    assert errors["letter_issued_on"] == [rules.MSG_IN_ISSUED_FUTURE]
    assert errors["reported_on"] == [rules.MSG_IN_REPORTED_EARLY]
    assert errors["member_status"] == [services.MSG_LETTER_STATUS]
    assert "id_number" in errors
    assert not IncomingTransfer.objects.exists()


def test_a_current_member_of_the_platform_cannot_arrive_from_outside(cast):
    with pytest.raises(ValidationError) as exc:
        register_in(cast, "B2", id_number=cast.member["B1m1"].id_number)
    assert fields_of(exc) == {"id_number": [services.MSG_ALREADY_MEMBER]}


def test_one_open_registration_per_person(cast):
    first = register_in(cast, "B1")
    with pytest.raises(ValidationError) as exc:
        register_in(cast, "B3", id_number=first.id_number)
    assert fields_of(exc) == {"id_number": [services.MSG_ALREADY_ARRIVING]}


def test_only_the_receiving_side_registers(cast):
    with pytest.raises(Http404):  # B3 is not in K1's subtree
        register_in(cast, "B3", user="county_admin")
    with pytest.raises(PermissionDenied):  # sees the branch, may not act
        register_in(cast, "B1", user="county_leader")


def test_approvers_check_in_order_and_the_branch_accepts_the_member(cast):
    incoming = register_in(cast, "B1", user="branch_admin")
    with pytest.raises(ValidationError) as exc:
        services.incoming_approve(acting_user=cast.user["branch_admin"], incoming=incoming)
    assert fields_of(exc) == {"status": [workflow.MSG_NOT_APPROVER.format(org=cast.org["K1"].name)]}
    before = AuditEntry.objects.count()
    for key in ("county_admin", "committee_admin", "branch_admin"):
        services.incoming_approve(acting_user=cast.user[key], incoming=incoming, note="同意")
    incoming.refresh_from_db()
    assert incoming.status == "accepted" and incoming.accepted_on == timezone.localdate()
    member = incoming.member
    assert member.branch == cast.org["B1"] and member.name == "王晓红"
    assert (member.status, member.joined_on, member.full_member_on) == (
        "full",
        dt.date(2010, 7, 1),
        dt.date(2011, 7, 1),
    )
    assert member.gender == "F" and member.birth_date == dt.date(1985, 3, 14)
    assert not incoming.reopened
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))[before:]
    assert actions == [  # the record is made in the acceptance's transaction, first
        "transfers.incoming.approve",
        "transfers.incoming.approve",
        "member.create",
        "transfers.incoming.accept",
    ]
    assert [e.action for e in selectors.incoming_history(incoming)] == [
        "create",
        "approve",
        "approve",
        "accept",
    ]
    with pytest.raises(ValidationError):
        services.incoming_approve(acting_user=cast.user["root"], incoming=incoming)


def test_a_rejection_needs_a_reason_and_creates_no_member(cast):
    incoming = register_in(cast, "B2")
    with pytest.raises(ValidationError) as exc:
        services.incoming_reject(
            acting_user=cast.user["county_admin"], incoming=incoming, reason=""
        )
    assert fields_of(exc) == {"reason": [workflow.MSG_REASON]}
    services.incoming_reject(
        acting_user=cast.user["county_admin"], incoming=incoming, reason="介绍信印章不清"
    )
    incoming.refresh_from_db()
    assert incoming.status == "rejected" and incoming.member is None
    assert not Member.objects.filter(name="王晓红").exists()
    again = register_in(cast, "B2", id_number=incoming.id_number)  # a new letter may come
    assert again.status == "pending"


def _gone(cast, key: str = "B4m1") -> Member:
    """``key`` left the platform: out of the province, 已转出 from their branch."""
    transfer = approve_all(cast, apply(cast, key))
    services.transfer_receive(
        acting_user=cast.user["root"], transfer=transfer, received_on=timezone.localdate()
    )
    member = Member.objects.get(pk=cast.member[key].pk)
    assert member.status == "transferred_out"
    return member


def test_a_member_once_transferred_out_comes_back_to_their_record(cast):
    gone = _gone(cast)
    incoming = register_in(
        cast,
        "B2",
        id_number=gone.id_number,
        name=gone.name,
        joined_on=gone.joined_on,
        full_member_on=gone.full_member_on,
    )
    assert selectors.returning_member(incoming) == gone
    accept_all(cast, incoming)
    incoming.refresh_from_db()
    assert incoming.reopened and incoming.member_id == gone.pk
    back = Member.objects.get(pk=gone.pk)
    assert (back.status, back.branch, back.transferred_out_on, back.transferred_out_to) == (
        "full",
        cast.org["B2"],
        None,
        "",
    )
    assert Member.objects.filter(id_number_digest=gone.id_number_digest).count() == 1
    entry = AuditEntry.objects.get(action="member.reopen")
    assert entry.before["status"] == "transferred_out"
    assert "0123号" in entry.after["reason"]
    b2_admin_scope = Member.objects.visible_to(cast.user["committee_admin"], Perm.VIEW_MEMBER)
    assert b2_admin_scope.filter(pk=gone.pk).exists()  # the new branch's side sees them now
    assert selectors.returning_member(incoming) is None


def test_scope_is_the_receiving_branch_and_its_superiors(cast):
    incoming = register_in(cast, "B1")
    for key, sees in {
        "branch_admin": True,
        "committee_admin": True,
        "county_leader": True,
        "province_admin": True,
        "sibling_county_admin": False,
        "examiner": False,
        "member": False,
        "outsider": False,
    }.items():
        found = selectors.incoming_queryset(cast.user[key]).filter(pk=incoming.pk).exists()
        assert found is sees, key
    assert scope.covers(cast.user["branch_admin"], Perm.CHANGE_TRANSFER, cast.org["B1"].path)


def test_the_receipt_is_a_pdf(cast):
    incoming = accept_all(cast, register_in(cast, "B3"))
    assert incoming.receipt_no.startswith(f"ZR{timezone.localdate():%Y}-")
    assert receipt.render_pdf(incoming).startswith(b"%PDF")
    assert receipt.dues_text(incoming) == f"{timezone.localdate():%Y年%-m月}"


def test_the_optional_facts_may_be_left_out(cast):
    incoming = register_in(
        cast,
        "B1",
        member_status="probationary",
        full_member_on=None,
        joined_on=timezone.localdate() - dt.timedelta(days=100),
        dues_paid_until=None,
        **{"origin": "military"},
    )
    accept_all(cast, incoming)
    assert incoming.member.status == "probationary"
    assert receipt.dues_text(incoming) == "—"


def test_letter_fields_are_fresh_each_time():
    assert letter_fields()["id_number"] != letter_fields()["id_number"]


def test_an_overdue_check_escalates_with_a_warning(cast):
    from dangjian.core import jobs
    from dangjian.core.models import Warning

    incoming = register_in(cast, "B1")
    services.incoming_approve(acting_user=cast.user["county_admin"], incoming=incoming)
    later = incoming.resolution_due + dt.timedelta(hours=1)
    job = jobs.get("transfers.escalate_overdue")
    assert job.func(at=later) == 1
    assert job.func(at=later) == 0  # the slot re-run
    incoming.refresh_from_db()
    assert incoming.escalated_to == cast.org["K1"] and incoming.escalation_level == 1
    warning = Warning.objects.get(kind="transfers.overdue")
    assert warning.org == cast.org["K1"] and "转入" in warning.title
