"""A member once 已转出 who comes back (组织关系转入) gets their record reopened in the
receiving branch — current again, with the facts of the new letter — not a second one."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import Member

pytestmark = pytest.mark.django_db


def _out(cast, key: str = "B4m1") -> Member:
    return services.member_transfer_out(
        acting_user=cast.user["root"],
        member=cast.member[key],
        on=timezone.localdate() - dt.timedelta(days=30),
        destination="贵州省某县党支部",
        reason="组织关系转接",
    )


def _reopen(cast, member, user="root", **kw) -> Member:
    fields = {
        "branch": cast.org["B2"],
        "status": "full",
        "joined_on": member.joined_on,
        "full_member_on": member.full_member_on,
        "reason": "组织关系转入（介绍信 0123号）",
    }
    return services.member_reopen(acting_user=cast.user[user], member=member, **{**fields, **kw})


def test_a_member_transferred_out_is_reopened_in_the_receiving_branch(cast):
    gone = _out(cast)
    back = _reopen(cast, gone, "committee_admin", joined_on=dt.date(2010, 5, 1))
    back.refresh_from_db()
    assert (back.status, back.branch, back.group) == ("full", cast.org["B2"], None)
    assert (back.transferred_out_on, back.transferred_out_to) == (None, "")
    assert back.joined_on == dt.date(2010, 5, 1)
    entry = AuditEntry.objects.get(action="member.reopen")
    assert entry.before["status"] == "transferred_out" and entry.before["transferred_out_to"]
    assert entry.after["reason"] == "组织关系转入（介绍信 0123号）"
    assert entry.actor == cast.user["committee_admin"]


def test_only_a_record_transferred_out_is_reopened(cast):
    with pytest.raises(ValidationError) as exc:
        _reopen(cast, cast.member["B1m2"])
    assert exc.value.message_dict == {"member": [services.MSG_REOPEN_NOT_OUT]}


def test_the_reopened_record_obeys_the_member_rules(cast):
    gone = _out(cast)
    with pytest.raises(ValidationError) as exc:
        _reopen(cast, gone, status="probationary")  # a 转正日期 on a 预备党员
    assert "full_member_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _reopen(cast, gone, status="suspended")
    assert exc.value.message_dict["status"] == [services.MSG_REOPEN_STATUS]
    assert Member.objects.get(pk=gone.pk).status == "transferred_out"


def test_the_change_right_over_the_receiving_branch_is_needed(cast):
    gone = _out(cast)
    with pytest.raises(Http404):  # B2 is outside K2
        _reopen(cast, gone, "sibling_county_admin")
