"""The transfer workflow: the chain, order enforced, reject, withdraw, the letter, the
回执 moving the member, and what each side sees afterwards."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core import cases, jobs, scope
from dangjian.core.models import AuditEntry, Notification
from dangjian.core.scope import Perm
from dangjian.members.models import Member
from dangjian.transfers import services, workflow
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.helpers import apply, approve_all, approver_keys

pytestmark = pytest.mark.django_db(transaction=False)


def keys(cast, orgs) -> list[str]:
    by_pk = {o.pk: k for k, o in cast.org.items()}
    return [by_pk[o.pk] for o in orgs]


def chain(cast, transfer) -> list[str]:
    return keys(cast, [s.org for s in transfer.steps.select_related("org")])


def messages(exc) -> list[str]:
    return [m for ms in exc.value.message_dict.values() for m in ms]


def test_within_a_county_the_chain_never_reaches_the_city(cast):
    t = apply(cast, "B1m2", "B2")
    assert chain(cast, t) == ["B1", "T1", "B2"]
    assert t.scope == "county"
    assert keys(cast, [t.current_org]) == ["B1"]
    assert approver_keys(cast, t) == [["branch_admin"], ["committee_admin"], ["committee_admin"]]


def test_across_counties_cities_and_out_of_province(cast):
    across_county = apply(cast, "B1m2", "B3")
    assert across_county.scope == "city"
    assert chain(cast, across_county) == ["B1", "T1", "K1", "C1", "K2", "T2", "B3"]
    across_city = apply(cast, "B3m1", "B4")
    assert across_city.scope == "province"
    assert chain(cast, across_city) == ["B3", "T2", "K2", "C1", "P", "C2", "K3", "B4"]
    out = apply(cast, "B4m1")
    assert out.scope == "out_of_province" and out.external
    assert chain(cast, out) == ["B4", "K3", "C2", "P"]


def test_an_application_is_validated_all_at_once(cast):
    with pytest.raises(ValidationError) as exc:
        services.transfer_apply(
            acting_user=cast.user["root"],
            member=cast.member["B1m2"],
            reason=" ",
            to_branch=cast.org["B1"],
        )
    assert exc.value.message_dict == {
        "to_branch": [services.MSG_SAME_BRANCH],
        "reason": [services.MSG_REASON],
    }
    with pytest.raises(ValidationError) as exc:
        services.transfer_apply(
            acting_user=cast.user["root"],
            member=cast.member["B1m2"],
            reason="调动",
            to_branch=cast.org["T1"],
        )
    assert messages(exc) == [services.MSG_NOT_BRANCH]
    with pytest.raises(ValidationError) as exc:
        services.transfer_apply(
            acting_user=cast.user["root"],
            member=cast.member["B1m2"],
            reason="调动",
            external_org="某党支部",
        )
    assert messages(exc) == [services.MSG_EXTERNAL_SCOPE]
    with pytest.raises(ValidationError) as exc:
        services.transfer_apply(
            acting_user=cast.user["root"], member=cast.member["B1m2"], reason="调动"
        )
    assert messages(exc) == [services.MSG_DESTINATION]


def test_one_open_transfer_per_member(cast):
    apply(cast, "B1m2", "B2")
    with pytest.raises(ValidationError) as exc:
        apply(cast, "B1m2", "B3")
    assert messages(exc) == [services.MSG_OPEN]


def test_a_member_applies_for_themselves_and_a_sibling_cannot(cast):
    t = services.transfer_apply(
        acting_user=cast.user["member"],
        member=cast.member["B1m1"],
        reason="迁居",
        to_branch=cast.org["B3"],
    )
    assert t.applied_by == cast.user["member"]
    with pytest.raises(PermissionDenied):  # sees B1m2 (a fellow member), may not act
        services.transfer_apply(
            acting_user=cast.user["member"],
            member=cast.member["B1m2"],
            reason="迁居",
            to_branch=cast.org["B3"],
        )


def test_approvers_act_strictly_in_order(cast):
    t = apply(cast, "B1m2", "B2")
    with pytest.raises(cases.TransitionRefused) as exc:
        services.transfer_approve(acting_user=cast.user["committee_admin"], transfer=t)
    assert exc.value.refusal == workflow.MSG_NOT_APPROVER.format(org=cast.org["B1"].name)
    with pytest.raises(cases.TransitionRefused):  # above the chain: not an approver either
        services.transfer_approve(acting_user=cast.user["county_admin"], transfer=t)
    services.transfer_approve(acting_user=cast.user["branch_admin"], transfer=t, note="同意")
    assert t.steps_done == 1 and keys(cast, [t.current_org]) == ["T1"]
    with pytest.raises(cases.TransitionRefused):  # the first step is done
        services.transfer_approve(acting_user=cast.user["branch_admin"], transfer=t)
    services.transfer_approve(acting_user=cast.user["committee_admin"], transfer=t)
    assert t.status == "pending"
    services.transfer_approve(acting_user=cast.user["committee_admin"], transfer=t)
    t.refresh_from_db()
    assert t.status == "approved" and t.steps_done == 3
    today = timezone.localdate()
    assert t.letter_issued_on == today and t.letter_valid_until == today + dt.timedelta(days=10)
    assert keys(cast, [t.current_org]) == ["B2"]  # the receiving side's turn
    assert [s.decision for s in t.steps.all()] == ["approved"] * 3
    assert list(t.events.values_list("action", flat=True)) == [
        "create",
        "approve",
        "approve",
        "approve_final",
    ]


def test_a_leader_who_sees_it_may_not_approve(cast):
    t = apply(cast, "B1m2", "B2")
    with pytest.raises(PermissionDenied):
        services.transfer_approve(acting_user=cast.user["county_leader"], transfer=t)


def test_reject_needs_a_reason_and_ends_the_case(cast):
    t = apply(cast, "B1m2", "B2")
    with pytest.raises(cases.TransitionRefused) as exc:
        services.transfer_reject(acting_user=cast.user["branch_admin"], transfer=t, reason=" ")
    assert exc.value.field == "reason" and exc.value.refusal == workflow.MSG_REASON
    services.transfer_approve(acting_user=cast.user["branch_admin"], transfer=t)
    with pytest.raises(cases.TransitionRefused):  # not T1's approver's turn for B1's admin
        services.transfer_reject(acting_user=cast.user["branch_admin"], transfer=t, reason="否")
    services.transfer_reject(
        acting_user=cast.user["committee_admin"], transfer=t, reason="材料不全"
    )
    t.refresh_from_db()
    assert t.status == "rejected" and t.closed_at is not None
    assert t.steps.get(seq=1).note == "材料不全"
    with pytest.raises(cases.TransitionRefused):
        services.transfer_approve(acting_user=cast.user["committee_admin"], transfer=t)
    apply(cast, "B1m2", "B3")  # a new application is possible once it is closed


def test_withdraw_only_before_the_first_approval(cast):
    t = services.transfer_apply(
        acting_user=cast.user["member"],
        member=cast.member["B1m1"],
        reason="迁居",
        to_branch=cast.org["B2"],
    )
    services.transfer_withdraw(acting_user=cast.user["member"], transfer=t)
    assert t.status == "withdrawn"
    t = apply(cast, "B1m1", "B2")
    services.transfer_approve(acting_user=cast.user["branch_admin"], transfer=t)
    with pytest.raises(cases.TransitionRefused) as exc:
        services.transfer_withdraw(acting_user=cast.user["member"], transfer=t)
    assert exc.value.refusal == workflow.MSG_ALREADY_APPROVED
    other = apply(cast, "B1m2", "B2")
    with pytest.raises(PermissionDenied):  # the member withdraws only their own
        services.transfer_withdraw(acting_user=cast.user["member"], transfer=other)


def test_the_member_is_told_every_step_on_commit(cast, django_capture_on_commit_callbacks):
    user = cast.user["member"]
    with django_capture_on_commit_callbacks(execute=True):
        t = apply(cast, "B1m1", "B2")
    with django_capture_on_commit_callbacks(execute=True):
        services.transfer_approve(acting_user=cast.user["branch_admin"], transfer=t)
    titles = list(Notification.objects.filter(user=user).values_list("title", flat=True))
    assert any("已提交" in x for x in titles) and any("第1个环节" in x for x in titles)
    todo = Notification.objects.filter(user=cast.user["committee_admin"], kind="transfers.todo")
    assert todo.exists()


def test_the_receipt_moves_the_member_and_history_is_kept(cast):
    t = approve_all(cast, apply(cast, "B1m2", "B3"))
    with pytest.raises(PermissionDenied):  # the sending side does not record the 回执
        services.transfer_receive(
            acting_user=cast.user["branch_admin"], transfer=t, received_on=timezone.localdate()
        )
    services.transfer_receive(
        acting_user=cast.user["sibling_county_admin"],
        transfer=t,
        received_on=timezone.localdate(),
        note="已报到",
    )
    t.refresh_from_db()
    member = Member.objects.get(pk=cast.member["B1m2"].pk)
    assert t.status == "completed" and member.branch == cast.org["B3"]
    moved = AuditEntry.objects.get(action="member.move", object_id=str(member.pk))
    assert moved.before["branch"] == cast.org["B1"].pk
    assert moved.after["branch"] == cast.org["B3"].pk
    old, new = cast.user["branch_admin"], cast.user["sibling_county_admin"]
    for user in (old, new):
        scope.forget(user)
    assert not Member.objects.visible_to(old, Perm.VIEW_MEMBER).filter(pk=member.pk).exists()
    assert Member.objects.visible_to(new, Perm.VIEW_MEMBER).filter(pk=member.pk).exists()
    # The transfer itself stays on both sides' record (转出 and 转入).
    assert Transfer.objects.visible_to(new, Perm.VIEW_TRANSFER).filter(pk=t.pk).exists()
    assert Transfer.objects.visible_to(old, Perm.VIEW_TRANSFER).filter(pk=t.pk).exists()


def test_an_out_of_platform_receipt_is_recorded_by_the_sender(cast):
    t = approve_all(cast, apply(cast, "B1m2"))
    assert keys(cast, [t.current_org]) == ["B1"]
    services.transfer_receive(
        acting_user=cast.user["branch_admin"], transfer=t, received_on=timezone.localdate()
    )
    assert t.status == "completed"
    member = Member.objects.get(pk=cast.member["B1m2"].pk)
    # Off the branch's roll, kept in its history: 已转出, when and where to.
    assert member.branch == cast.org["B1"]
    assert (member.status, member.transferred_out_on, member.transferred_out_to) == (
        "transferred_out",
        timezone.localdate(),
        "贵州省某县某党支部",
    )
    out = AuditEntry.objects.get(action="member.transfer_out", object_id=str(member.pk))
    assert out.before["status"] == "full" and out.after["status"] == "transferred_out"
    assert out.after["reason"] == f"组织关系转接（介绍信 {t.letter_no}）"


def test_a_member_transferred_out_is_no_longer_counted_but_stays_in_the_history(cast):
    from dangjian.core import rollups
    from dangjian.members import selectors as member_selectors

    admin, leader = cast.user["branch_admin"], cast.user["county_leader"]
    branch, county = cast.org["B1"], cast.org["K1"]
    rollups.rebuild()

    def counts() -> tuple[int, int, int]:
        by_org = member_selectors.member_counts(leader, [branch, county])
        return by_org[branch.pk], by_org[county.pk], member_selectors.current_member_count(branch)

    before = counts()
    t = approve_all(cast, apply(cast, "B1m2"))
    services.transfer_receive(acting_user=admin, transfer=t, received_on=timezone.localdate())
    assert counts() == tuple(n - 1 for n in before)
    rollups.refresh()  # the marked branch folded into the totals: the same figures
    assert counts() == tuple(n - 1 for n in before)
    assert rollups.breakdown(leader, county, "members.status")["transferred_out"] == 1
    # The old branch still finds the record (已转出); nothing else may act on it.
    listed = member_selectors.member_queryset(admin).filter(status="transferred_out")
    assert list(listed.values_list("pk", flat=True)) == [cast.member["B1m2"].pk]
    with pytest.raises(ValidationError) as exc:
        apply(cast, "B1m2", "B2")
    assert exc.value.message_dict["member"] == [services.MSG_STATUS.format(status="已转出")]


def test_a_transfer_out_is_refused_for_a_member_no_longer_current(cast):
    from dangjian.members import services as member_services

    t = approve_all(cast, apply(cast, "B1m2"))
    Member.objects.filter(pk=t.member_id).update(status="deceased")
    with pytest.raises(ValidationError) as exc:
        services.transfer_receive(
            acting_user=cast.user["branch_admin"], transfer=t, received_on=timezone.localdate()
        )
    assert exc.value.message_dict == {
        "member": [member_services.MSG_OUT_NOT_CURRENT.format(status="去世")]
    }
    t.refresh_from_db()
    assert t.status == "approved"  # the receipt rolled back with it


def test_an_expired_letter_cannot_be_received_until_reissued(cast):
    t = approve_all(cast, apply(cast, "B1m2", "B2"))
    old_no = t.letter_no
    Transfer.objects.filter(pk=t.pk).update(
        letter_issued_on=timezone.localdate() - dt.timedelta(days=20),
        letter_valid_until=timezone.localdate() - dt.timedelta(days=10),
    )
    t.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.transfer_receive(
            acting_user=cast.user["committee_admin"], transfer=t, received_on=timezone.localdate()
        )
    assert exc.value.message_dict["received_on"][0].startswith("介绍信已过期")
    services.transfer_reissue(acting_user=cast.user["branch_admin"], transfer=t)
    assert t.letter_no != old_no and t.letter_valid_until >= timezone.localdate()
    services.transfer_receive(
        acting_user=cast.user["committee_admin"], transfer=t, received_on=timezone.localdate()
    )
    assert t.status == "completed"


def test_an_overdue_step_escalates_with_a_warning(cast):
    from dangjian.core.models import Warning

    t = apply(cast, "B1m2", "B3")
    later = t.resolution_due + dt.timedelta(hours=1)
    job = jobs.get("transfers.escalate_overdue")
    assert job.func(at=later) == 1
    assert job.func(at=later) == 0  # the slot re-run
    t.refresh_from_db()
    assert keys(cast, [t.escalated_to]) == ["T1"] and t.escalation_level == 1
    warning = Warning.objects.get(kind="transfers.overdue")
    assert warning.org == cast.org["T1"]
    services.transfer_approve(acting_user=cast.user["branch_admin"], transfer=t)
    assert t.escalation_level == 0 and t.escalated_to is None  # the next step starts afresh


def _member_roles(user) -> list[str]:
    from dangjian.accounts.models import RoleAssignment

    return list(
        RoleAssignment.objects.filter(user=user, role="member").values_list("org__code", flat=True)
    )


def test_the_member_role_of_their_login_follows_them(cast):
    login = cast.user["member"]  # B1m1's login, 普通党员 at B1
    t = approve_all(cast, apply(cast, "B1m1", "B3"))
    services.transfer_receive(
        acting_user=cast.user["sibling_county_admin"], transfer=t, received_on=timezone.localdate()
    )
    assert _member_roles(login) == [cast.org["B3"].code]
    scope.forget(login)
    seen = Member.objects.visible_to(login, Perm.VIEW_MEMBER)
    assert seen.filter(pk=cast.member["B3m1"].pk).exists()
    assert not seen.filter(pk=cast.member["B1m2"].pk).exists()  # the old branch: nothing
    moved = AuditEntry.objects.get(action="role.follow_member", object_id=str(login.pk))
    assert moved.before["org"] == cast.org["B1"].pk and moved.after["org"] == cast.org["B3"].pk


def test_out_of_the_platform_the_member_role_is_taken_away(cast):
    login = cast.user["member"]
    t = approve_all(cast, apply(cast, "B1m1"))
    services.transfer_receive(
        acting_user=cast.user["branch_admin"], transfer=t, received_on=timezone.localdate()
    )
    assert _member_roles(login) == []
    scope.forget(login)
    seen = Member.objects.visible_to(login, Perm.VIEW_MEMBER)
    assert list(seen.values_list("pk", flat=True)) == [cast.member["B1m1"].pk]  # their own
