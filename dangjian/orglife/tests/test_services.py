"""Meetings, attendance, leave, resolutions, comments, photos: validated, scoped, audited."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import Image

from dangjian.core.calendar import TZ
from dangjian.core.models import AuditEntry, Notification
from dangjian.orglife import selectors, services
from dangjian.orglife.choices import AttendanceStatus, MeetingStatus, ResolutionStatus
from dangjian.orglife.models import Attendance, Meeting, Vote
from dangjian.orgs import services as orgs
from dangjian.orgs.models import Organisation
from tests.kit import USER_KEYS, changes_org, sees_org

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # a Friday (workday)
SATURDAY = dt.datetime(2026, 11, 21, 9, 0, tzinfo=TZ)


def plan(cast, user_key="branch_admin", org="B1", kind="theme_day", start=START, **extra):
    return services.meeting_create(
        acting_user=cast.user[user_key],
        org=cast.org[org],
        kind=kind,
        topic=extra.pop("topic", "学习贯彻全会精神"),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        **extra,
    )


def errors_of(exc) -> dict:
    return {k: v[0] for k, v in exc.value.message_dict.items()}


# --- planning ------------------------------------------------------------------------


def test_plan_creates_the_roster_and_audits(cast):
    meeting = plan(cast, host=cast.member["B1m1"], recorder=cast.member["B1m2"])
    assert meeting.status == MeetingStatus.PLANNED and meeting.branch == cast.org["B1"]
    members = set(meeting.attendances.values_list("member__name", flat=True))
    assert members == {cast.member["B1m1"].name, cast.member["B1m2"].name}
    entry = AuditEntry.objects.filter(action="orglife.meeting.create").last()
    assert entry.object_id == str(meeting.pk) and entry.org_path == cast.org["B1"].path
    assert entry.after["attendees"] == 2


def test_planning_notifies_attendees_after_commit(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = plan(cast)
    notice = Notification.objects.get(user=cast.user["member"])
    assert meeting.topic in notice.title and notice.url.endswith(f"/{meeting.pk}/")


def test_group_meeting_belongs_to_the_group_and_its_branch(cast):
    meeting = plan(cast, org="G1", kind="group")
    assert meeting.branch == cast.org["B1"] and meeting.group == cast.org["G1"]
    assert list(meeting.attendances.values_list("member", flat=True)) == [cast.member["B1m1"].pk]


@pytest.mark.parametrize(
    ("org", "kind", "field"),
    [("G1", "theme_day", "kind"), ("B1", "group", "kind"), ("T1", "committee", "org")],
)
def test_kind_must_fit_the_organisation(cast, org, kind, field):
    with pytest.raises(ValidationError) as exc:
        plan(cast, user_key="committee_admin", org=org, kind=kind)
    assert field in exc.value.message_dict
    assert not Meeting.objects.exists()


def test_bad_input_reports_every_field(cast):
    with pytest.raises(ValidationError) as exc:
        services.meeting_create(
            acting_user=cast.user["branch_admin"],
            org=cast.org["B1"],
            kind="theme_day",
            topic="  ",
            starts_at=START,
            ends_at=START,
            latitude=25.0,
            host=cast.member["B2m1"],
            online_link="not a url",
        )
    errors = errors_of(exc)
    assert errors["topic"] == services.MSG_TOPIC
    assert errors["ends_at"] == services.MSG_ENDS
    assert errors["longitude"] == services.MSG_LAT_LNG
    assert errors["host"] == services.MSG_NOT_ON_ROSTER.format(role="主持人")
    assert "online_link" in errors
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_a_meeting_cannot_come_before_its_organisation_was_founded(cast):
    founded = START.date()
    Organisation.objects.filter(pk=cast.org["B1"].pk).update(founded_on=founded)
    cast.org["B1"].refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        plan(cast, start=START - dt.timedelta(days=1))
    assert errors_of(exc)["starts_at"] == services.MSG_BEFORE_FOUNDED.format(
        org=cast.org["B1"].name, day="2026-11-20"
    )
    assert plan(cast, start=START).starts_at == START  # on the founding day itself


def test_a_group_meets_only_once_its_branch_exists(cast):
    """A 党小组 moved into a 党支部 founded after it cannot have met in that branch before."""
    Organisation.objects.filter(pk=cast.org["B1"].pk).update(founded_on=START.date())
    Organisation.objects.filter(pk=cast.org["G1"].pk).update(founded_on=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as exc:
        plan(cast, org="G1", kind="group", start=START - dt.timedelta(days=30))
    assert cast.org["B1"].name in errors_of(exc)["starts_at"]
    assert not Meeting.objects.exists()


def test_attendees_must_be_on_the_roster(cast):
    with pytest.raises(ValidationError) as exc:
        plan(cast, attendees=[cast.member["B1m1"], cast.member["B3m1"]])
    assert errors_of(exc)["attendees"] == services.MSG_ATTENDEES_OUTSIDE


def test_dissolved_branch_cannot_plan(cast):
    # (set directly: dissolving through orgs.services first needs the members moved out)
    Organisation.objects.filter(pk=cast.org["B2"].pk).update(dissolved_on=dt.date(2026, 1, 1))
    cast.org["B2"].refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        plan(cast, user_key="committee_admin", org="B2")
    assert errors_of(exc)["org"] == services.MSG_ORG_DISSOLVED


def test_committee_meeting_calls_the_committee(cast):
    orgs.position_assign(
        acting_user=cast.user["root"], org=cast.org["B1"], member=cast.member["B1m2"],
        title="secretary", started_on=dt.date(2024, 1, 1),
    )  # fmt: skip
    meeting = plan(cast, kind="committee")
    assert list(meeting.attendances.values_list("member", flat=True)) == [cast.member["B1m2"].pk]


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_who_may_plan(cast, user_key):
    """CHANGE_ORGLIFE at the branch or above plans; others 403 if they see it, else 404."""
    if changes_org(user_key, "B1"):
        assert plan(cast, user_key=user_key).pk
        return
    expected = PermissionDenied if sees_org(user_key, "B1") else Http404
    if user_key in ("agent", "handler"):  # see the branch, but not its organisational life
        expected = Http404
    with pytest.raises(expected):
        plan(cast, user_key=user_key)


# --- update / cancel -------------------------------------------------------------------


def test_update_moves_the_meeting_and_recomputes_rest_day_counting(cast):
    meeting = plan(cast)
    assert Attendance.objects.filter(meeting=meeting, counted=True).count() == 2
    services.meeting_update(
        acting_user=cast.user["branch_admin"], meeting=meeting, starts_at=SATURDAY,
        ends_at=SATURDAY + dt.timedelta(hours=1),
    )  # fmt: skip
    assert Attendance.objects.filter(meeting=meeting, counted=True).count() == 0
    assert AuditEntry.objects.filter(action="orglife.meeting.update").count() == 1


def test_update_without_change_writes_nothing(cast):
    meeting = plan(cast)
    services.meeting_update(
        acting_user=cast.user["branch_admin"], meeting=meeting, topic=meeting.topic
    )
    assert not AuditEntry.objects.filter(action="orglife.meeting.update").exists()


def test_member_cannot_update(cast):
    meeting = plan(cast)
    with pytest.raises(PermissionDenied):
        services.meeting_update(acting_user=cast.user["member"], meeting=meeting, topic="改")


def test_cancel_needs_a_reason_and_is_final(cast):
    meeting = plan(cast)
    with pytest.raises(ValidationError) as exc:
        services.meeting_cancel(acting_user=cast.user["branch_admin"], meeting=meeting, reason="")
    assert errors_of(exc)["reason"] == services.MSG_REASON
    services.meeting_cancel(acting_user=cast.user["branch_admin"], meeting=meeting, reason="台风")
    with pytest.raises(ValidationError):
        services.meeting_update(acting_user=cast.user["branch_admin"], meeting=meeting, topic="x")
    with pytest.raises(ValidationError):
        services.meeting_cancel(acting_user=cast.user["branch_admin"], meeting=meeting, reason="再")


# --- recording -------------------------------------------------------------------------


def test_record_marks_the_rest_absent(cast):
    meeting = plan(cast, recorder=cast.member["B1m1"])
    services.leave_request(
        acting_user=cast.user["member"], meeting=meeting, reason="出差", now=START
    )
    services.meeting_record(
        acting_user=cast.user["member"], meeting=meeting, minutes="会议学习了……",
        now=START + dt.timedelta(hours=3),
    )  # the recorder records, though not an admin  # fmt: skip
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.recorded_at
    statuses = dict(meeting.attendances.values_list("member__name", "status"))
    assert statuses == {
        cast.member["B1m1"].name: AttendanceStatus.LEAVE,
        cast.member["B1m2"].name: AttendanceStatus.ABSENT,
    }


@pytest.mark.parametrize(
    ("minutes", "offset", "message"),
    [
        ("纪要", dt.timedelta(hours=-1), services.MSG_NOT_STARTED),
        ("  ", dt.timedelta(hours=3), services.MSG_MINUTES),
        ("字" * 20001, dt.timedelta(hours=3), services.MSG_MINUTES_LONG),
    ],
)
def test_record_validates(cast, minutes, offset, message):
    meeting = plan(cast)
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            acting_user=cast.user["branch_admin"], meeting=meeting, minutes=minutes,
            now=START + offset,
        )  # fmt: skip
    assert errors_of(exc)["minutes"] == message
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


def test_plain_member_cannot_record(cast):
    meeting = plan(cast)
    with pytest.raises(PermissionDenied):
        services.meeting_record(acting_user=cast.user["member"], meeting=meeting, minutes="x")


# --- attendance --------------------------------------------------------------------------


def test_recorder_marks_leave_with_reason(cast):
    meeting = plan(cast)
    with pytest.raises(ValidationError) as exc:
        services.attendance_mark(
            acting_user=cast.user["branch_admin"], meeting=meeting, member=cast.member["B1m2"],
            status="leave",
        )  # fmt: skip
    assert errors_of(exc)["reason"] == services.MSG_LEAVE_REASON
    row = services.attendance_mark(
        acting_user=cast.user["branch_admin"], meeting=meeting, member=cast.member["B1m2"],
        status="leave", reason="住院",
    )  # fmt: skip
    assert (row.status, row.leave_reason, row.marked_by) == (
        "leave",
        "住院",
        cast.user["branch_admin"],
    )


def test_mark_adds_a_branch_member_missing_from_the_list(cast):
    meeting = plan(cast, attendees=[cast.member["B1m1"]])
    services.attendance_mark(
        acting_user=cast.user["branch_admin"], meeting=meeting, member=cast.member["B1m2"],
        status="present",
    )  # fmt: skip
    assert meeting.attendances.count() == 2
    with pytest.raises(ValidationError):
        services.attendance_mark(
            acting_user=cast.user["branch_admin"], meeting=meeting, member=cast.member["B2m1"],
            status="present",
        )  # fmt: skip


def test_bad_status(cast):
    meeting = plan(cast)
    with pytest.raises(ValidationError) as exc:
        services.attendance_mark(
            acting_user=cast.user["branch_admin"], meeting=meeting, member=cast.member["B1m2"],
            status="maybe",
        )  # fmt: skip
    assert errors_of(exc)["status"] == services.MSG_BAD_STATUS


def test_leave_after_checkin_is_refused(cast):
    from dangjian.orglife import checkin

    meeting = plan(cast)
    services.checkin_by_qr(
        acting_user=cast.user["member"], meeting=meeting,
        token=checkin.qr_token_for(meeting, START), now=START,
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.leave_request(
            acting_user=cast.user["member"], meeting=meeting, reason="有事", now=START
        )
    assert errors_of(exc)["meeting"] == services.MSG_ALREADY_PRESENT


def test_leave_needs_a_reason_and_must_come_before_the_end(cast):
    meeting = plan(cast)
    with pytest.raises(ValidationError) as exc:
        services.leave_request(
            acting_user=cast.user["member"], meeting=meeting, reason="",
            now=START + dt.timedelta(hours=5),
        )  # fmt: skip
    assert errors_of(exc) == {
        "meeting": services.MSG_LEAVE_TOO_LATE,
        "reason": services.MSG_LEAVE_REASON,
    }


def test_mobile_member_joins_online(cast):
    from dangjian.members import services as members

    members.member_update(
        acting_user=cast.user["root"], member=cast.member["B1m1"], status="mobile"
    )
    meeting = plan(cast, online_link="https://meeting.example.cn/123")
    row = services.checkin_online(acting_user=cast.user["member"], meeting=meeting, now=START)
    assert row.method == "online" and row.online
    offline = plan(cast, topic="线下会")
    with pytest.raises(ValidationError):
        services.checkin_online(acting_user=cast.user["member"], meeting=offline, now=START)


# --- member attendance rate and village work teams ----------------------------------------


def _hold(cast, meeting):
    services.meeting_record(
        acting_user=cast.user["branch_admin"], meeting=meeting, minutes="纪要",
        now=meeting.ends_at,
    )  # fmt: skip


def test_rest_day_meetings_count_only_for_village_team(cast):
    friday = plan(cast)
    saturday = plan(cast, start=SATURDAY, topic="周六义务劳动")
    for meeting in (friday, saturday):
        services.attendance_mark(
            acting_user=cast.user["branch_admin"], meeting=meeting, member=cast.member["B1m1"],
            status="present", now=meeting.starts_at,
        )  # fmt: skip
        _hold(cast, meeting)
    rate = selectors.member_attendance_rate(cast.member["B1m1"], "2026-11")
    assert (rate.expected, rate.present) == (1, 1)  # Saturday is voluntary for them
    rate = selectors.member_attendance_rate(cast.member["B1m2"], "2026-11")
    assert (rate.expected, rate.present, rate.rate) == (1, 0, 0.0)  # not held against B1m2

    services.village_assignment_add(
        acting_user=cast.user["branch_admin"], member=cast.member["B1m2"], village="高寨村",
        started_on=dt.date(2026, 1, 1),
    )  # fmt: skip
    holiday = plan(cast, start=dt.datetime(2026, 11, 22, 9, tzinfo=TZ), topic="驻村走访")
    services.attendance_mark(
        acting_user=cast.user["branch_admin"], meeting=holiday, member=cast.member["B1m2"],
        status="present", now=holiday.starts_at,
    )  # fmt: skip
    _hold(cast, holiday)
    rate = selectors.member_attendance_rate(cast.member["B1m2"], "2026-11")
    assert (rate.expected, rate.present) == (2, 1)  # the village worker's Sunday counts


def test_village_assignment_validates(cast):
    with pytest.raises(ValidationError) as exc:
        services.village_assignment_add(
            acting_user=cast.user["branch_admin"], member=cast.member["B1m2"], village=" ",
            started_on=dt.date(2026, 2, 1), ended_on=dt.date(2026, 1, 1),
        )  # fmt: skip
    assert set(exc.value.message_dict) == {"village", "ended_on"}


# --- resolutions ---------------------------------------------------------------------------


def _probationary(cast, key):
    from dangjian.members import services as members

    members.member_update(
        acting_user=cast.user["root"], member=cast.member[key], status="probationary",
        full_member_on=None,
    )  # fmt: skip


def test_vote_once_each_and_tally(cast):
    meeting = plan(cast, kind="member_assembly")
    resolution = services.resolution_add(
        acting_user=cast.user["branch_admin"], meeting=meeting, title="接收张三为预备党员"
    )
    services.resolution_vote(acting_user=cast.user["member"], resolution=resolution, choice="for")
    with pytest.raises(ValidationError) as exc:
        services.resolution_vote(
            acting_user=cast.user["member"], resolution=resolution, choice="against"
        )
    assert errors_of(exc)["resolution"] == services.MSG_ALREADY_VOTED
    assert Vote.objects.get(resolution=resolution).choice == "for"
    closed = services.resolution_close(acting_user=cast.user["branch_admin"], resolution=resolution)
    # 1 of 2 voters for: not more than half
    assert (closed.votes_for, closed.eligible, closed.status) == (1, 2, ResolutionStatus.REJECTED)
    with pytest.raises(ValidationError):
        services.resolution_vote(acting_user=cast.user["member"], resolution=closed, choice="for")


def test_probationary_members_have_no_vote(cast):
    _probationary(cast, "B1m1")
    meeting = plan(cast, kind="member_assembly")
    resolution = services.resolution_add(
        acting_user=cast.user["branch_admin"], meeting=meeting, title="事项"
    )
    with pytest.raises(ValidationError) as exc:
        services.resolution_vote(
            acting_user=cast.user["member"], resolution=resolution, choice="for"
        )
    assert errors_of(exc)["resolution"] == services.MSG_NO_VOTE_RIGHT
    closed = services.resolution_close(acting_user=cast.user["branch_admin"], resolution=resolution)
    assert closed.eligible == 1  # only B1m2 has voting rights


def test_a_mobile_full_member_votes_and_a_mobile_probationary_one_does_not(cast):
    from dangjian.members import services as members

    _probationary(cast, "B1m2")
    for key in ("B1m1", "B1m2"):
        members.member_set_situation(
            acting_user=cast.user["root"], member=cast.member[key], situation="mobile", reason=""
        )
    meeting = plan(cast, kind="member_assembly")
    voting = dict(meeting.attendances.values_list("member_id", "voting"))
    assert voting == {cast.member["B1m1"].pk: True, cast.member["B1m2"].pk: False}
    assert set(meeting.attendances.values_list("online", flat=True)) == {True}


def test_majority_of_voters_passes(cast):
    _probationary(cast, "B1m2")
    meeting = plan(cast, kind="member_assembly")
    resolution = services.resolution_add(
        acting_user=cast.user["branch_admin"], meeting=meeting, title="事项"
    )
    services.resolution_vote(acting_user=cast.user["member"], resolution=resolution, choice="for")
    closed = services.resolution_close(acting_user=cast.user["branch_admin"], resolution=resolution)
    assert closed.status == ResolutionStatus.PASSED


def test_bad_vote_choice(cast):
    meeting = plan(cast, kind="member_assembly")
    resolution = services.resolution_add(
        acting_user=cast.user["branch_admin"], meeting=meeting, title="事项"
    )
    with pytest.raises(ValidationError) as exc:
        services.resolution_vote(
            acting_user=cast.user["member"], resolution=resolution, choice="yes"
        )
    assert errors_of(exc)["choice"] == services.MSG_BAD_CHOICE


# --- comments and photos ---------------------------------------------------------------------


def test_comments(cast):
    meeting = plan(cast)
    comment = services.comment_add(acting_user=cast.user["member"], meeting=meeting, text=" 同意 ")
    assert comment.text == "同意"
    assert list(selectors.comments_for(meeting)) == [comment]
    for bad, message in (("", services.MSG_COMMENT), ("字" * 1001, services.MSG_COMMENT_LONG)):
        with pytest.raises(ValidationError) as exc:
            services.comment_add(acting_user=cast.user["member"], meeting=meeting, text=bad)
        assert errors_of(exc)["text"] == message
    with pytest.raises(Http404):
        services.comment_add(
            acting_user=cast.user["sibling_county_admin"], meeting=meeting, text="x"
        )


def _jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(out, format="JPEG")
    return SimpleUploadedFile("现场.jpg", out.getvalue(), content_type="image/jpeg")


def test_photo_is_stored_and_listed(cast):
    meeting = plan(cast)
    photo = services.photo_add(
        acting_user=cast.user["branch_admin"], meeting=meeting, upload=_jpeg(), caption="合影"
    )
    assert photo.file.content_type == "image/jpeg"
    assert list(selectors.photos_for(meeting)) == [photo]


def test_photo_not_an_image_is_refused_and_leaves_nothing(cast):
    from dangjian.core.models import StoredFile

    meeting = plan(cast)
    bad = SimpleUploadedFile("x.jpg", b"<html>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.photo_add(acting_user=cast.user["branch_admin"], meeting=meeting, upload=bad)
    assert "photo" in exc.value.message_dict
    assert not StoredFile.objects.filter(purpose=services.PHOTO_PURPOSE).exists()


def test_member_cannot_add_photos(cast):
    meeting = plan(cast)
    with pytest.raises(PermissionDenied):
        services.photo_add(acting_user=cast.user["member"], meeting=meeting, upload=_jpeg())
