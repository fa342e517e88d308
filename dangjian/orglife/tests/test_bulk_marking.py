"""The recorder's bulk marking (all present in one tap, then the exceptions) and what
the check-in page says about a scanned code before the tap."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.calendar import TZ
from dangjian.core.models import AuditEntry
from dangjian.orglife import checkin, selectors, services
from dangjian.orglife.choices import AttendanceStatus, CheckinMethod
from dangjian.orglife.tests.test_services import START, plan


def _status(meeting, key, cast):
    return meeting.attendances.get(member=cast.member[key])


def test_mark_all_present_marks_only_the_unmarked_and_audits_once(cast):
    meeting = plan(cast)
    services.leave_request(
        acting_user=cast.user["member"], meeting=meeting, reason="出差", now=START
    )
    marked = services.attendance_mark_all_present(
        acting_user=cast.user["branch_admin"], meeting=meeting, now=START
    )
    assert marked == 1
    assert _status(meeting, "B1m1", cast).status == AttendanceStatus.LEAVE  # kept
    row = _status(meeting, "B1m2", cast)
    assert (row.status, row.method, row.checked_in_at) == ("present", CheckinMethod.RECORDER, START)
    assert row.marked_by == cast.user["branch_admin"]
    entry = AuditEntry.objects.get(action="orglife.attendance.mark_all")
    assert entry.after["members"] == [cast.member["B1m2"].pk]
    assert entry.org_path == cast.org["B1"].path


def test_mark_all_keeps_a_phone_check_in_and_a_second_tap_marks_nobody(cast):
    meeting = plan(cast)
    token = checkin.qr_token_for(meeting, START)
    services.checkin_by_qr(acting_user=cast.user["member"], meeting=meeting, token=token, now=START)
    later = START + dt.timedelta(minutes=5)
    services.attendance_mark_all_present(
        acting_user=cast.user["branch_admin"], meeting=meeting, now=later
    )
    mine = _status(meeting, "B1m1", cast)
    assert (mine.method, mine.checked_in_at) == (CheckinMethod.QR, START)
    assert (
        services.attendance_mark_all_present(
            acting_user=cast.user["branch_admin"], meeting=meeting, now=later
        )
        == 0
    )
    assert AuditEntry.objects.filter(action="orglife.attendance.mark_all").count() == 1


def test_exceptions_after_mark_all_need_a_reason_only_for_leave(cast):
    meeting = plan(cast)
    admin = cast.user["branch_admin"]
    services.attendance_mark_all_present(acting_user=admin, meeting=meeting, now=START)
    with pytest.raises(ValidationError) as exc:
        services.attendance_mark(
            acting_user=admin, meeting=meeting, member=cast.member["B1m1"], status="leave"
        )
    assert "reason" in exc.value.message_dict
    services.attendance_mark(
        acting_user=admin, meeting=meeting, member=cast.member["B1m1"], status="absent"
    )
    row = _status(meeting, "B1m1", cast)
    assert (row.status, row.method, row.checked_in_at) == ("absent", "", None)


def test_mark_all_refused_for_a_cancelled_meeting_and_for_a_plain_member(cast):
    meeting = plan(cast)
    with pytest.raises(PermissionDenied):
        services.attendance_mark_all_present(acting_user=cast.user["member"], meeting=meeting)
    services.meeting_cancel(acting_user=cast.user["branch_admin"], meeting=meeting, reason="改期")
    with pytest.raises(ValidationError) as exc:
        services.attendance_mark_all_present(acting_user=cast.user["branch_admin"], meeting=meeting)
    assert "meeting" in exc.value.message_dict
    assert not meeting.attendances.filter(status=AttendanceStatus.PRESENT).exists()


def test_the_meetings_recorder_may_mark_all(cast):
    meeting = plan(cast, recorder=cast.member["B1m1"])
    assert services.attendance_mark_all_present(
        acting_user=cast.user["member"], meeting=meeting, now=START
    ) == 2  # fmt: skip


# --- the scanned code, judged before the tap -------------------------------------------


def test_qr_link_valid_until_its_validity_ends(cast):
    meeting = plan(cast)
    token = checkin.qr_token_for(meeting, START)
    slot = int(START.timestamp()) // checkin.ROTATE_SECONDS * checkin.ROTATE_SECONDS
    last = dt.datetime.fromtimestamp(slot + checkin.VALID_SECONDS, TZ)
    link = selectors.qr_link(meeting, token, last)
    assert link.problem == "" and link.expires_at == slot + checkin.VALID_SECONDS
    stale = selectors.qr_link(meeting, token, last + dt.timedelta(seconds=1))
    assert (stale.problem, stale.expires_at) == (checkin.MSG_TOKEN_EXPIRED, None)


def test_qr_link_forged_other_meeting_and_outside_the_window(cast):
    meeting = plan(cast)
    other = plan(cast, topic="另一个会")
    assert selectors.qr_link(meeting, "forged", START).problem == checkin.MSG_TOKEN_FORGED
    token = checkin.qr_token_for(other, START)
    assert selectors.qr_link(meeting, token, START).problem == checkin.MSG_TOKEN_OTHER_MEETING
    early = START - dt.timedelta(hours=1, seconds=1)
    assert selectors.qr_link(
        meeting, checkin.qr_token_for(meeting, early), early
    ).problem == services.MSG_CHECKIN_NOT_OPEN  # fmt: skip
    late = meeting.ends_at + dt.timedelta(minutes=30, seconds=1)
    assert selectors.qr_link(
        meeting, checkin.qr_token_for(meeting, late), late
    ).problem == services.MSG_CHECKIN_CLOSED  # fmt: skip
