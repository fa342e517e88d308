"""After a completed transfer the access oracle holds again over every scoped model (the
member now in the receiving branch's subtree, the old branch's admins seeing nothing of
them), and the member's organisational-life records are reached through their record
by the new branch only."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.calendar import is_workday
from dangjian.core.scope import Perm
from dangjian.members import selectors as member_selectors
from dangjian.members.models import Member
from dangjian.orglife import selectors as orglife_selectors
from dangjian.orglife import services as orglife
from dangjian.orglife.models import Meeting
from dangjian.transfers import services
from dangjian.transfers.tests.helpers import apply, approve_all
from tests.kit import TREE
from tests.test_scope_moves import _assert_oracle_holds

pytestmark = pytest.mark.django_db


def _workday_morning_before(day: dt.date) -> dt.datetime:
    """10:00 on the last workday on or before ``day``: a meeting on a rest day does not count
    in a member's attendance rate (orglife rules), so "three days ago" failed on weekends."""
    while not is_workday(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), timezone.get_current_timezone())


def test_after_a_transfer_the_oracle_holds_and_the_old_branch_sees_nothing(cast):
    root = cast.user["root"]
    start = _workday_morning_before(timezone.localdate() - dt.timedelta(days=3))
    meeting = orglife.meeting_create(
        acting_user=root,
        org=cast.org["B3"],
        kind="member_assembly",
        topic="拓东支部党员大会",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    mover = cast.member["B3m1"]
    orglife.attendance_mark(acting_user=root, meeting=meeting, member=mover, status="present")
    orglife.meeting_record(acting_user=root, meeting=meeting, minutes="会议通报了支部工作。")
    t = approve_all(cast, apply(cast, "B3m1", "B1"))
    services.transfer_receive(acting_user=root, transfer=t, received_on=timezone.localdate())

    cast.parent = {key: parent for key, parent, *_ in TREE}
    cast.member = {k: Member.objects.get(pk=m.pk) for k, m in cast.member.items()}
    _assert_oracle_holds(cast)

    old, new = cast.user["sibling_county_admin"], cast.user["branch_admin"]
    for user in (old, new):
        scope.forget(user)
    assert not Member.objects.visible_to(old, Perm.VIEW_MEMBER).filter(pk=mover.pk).exists()
    moved = member_selectors.member_get(new, mover.pk)  # the new branch reaches the record
    assert moved.branch == cast.org["B1"]
    period = timezone.localdate(start).strftime("%Y")
    assert orglife_selectors.member_attendance_rate(moved, period).present == 1  # their record
    # The meeting stays the old branch's (it was theirs), seen by the member who attended.
    assert Meeting.objects.visible_to(old, Perm.VIEW_ORGLIFE).filter(pk=meeting.pk).exists()
    assert not Meeting.objects.visible_to(new, Perm.VIEW_ORGLIFE).filter(pk=meeting.pk).exists()
