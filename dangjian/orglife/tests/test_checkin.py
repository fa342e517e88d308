"""Check-in: rotating signed QR tokens, location within a radius, idempotence, 60+."""

import datetime as dt

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from dangjian.core.calendar import TZ
from dangjian.orglife import checkin, services
from dangjian.orglife.choices import AttendanceStatus, CheckinMethod
from dangjian.orglife.models import Attendance

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # a Friday
VENUE = (25.0406, 102.7122)  # 昆明 五华区


@pytest.fixture
def meeting(cast):
    return services.meeting_create(
        acting_user=cast.user["branch_admin"],
        org=cast.org["B1"],
        kind="theme_day",
        topic="学习贯彻全会精神",
        starts_at=START,
        ends_at=START + dt.timedelta(hours=2),
        place="社区党群服务中心",
        latitude=VENUE[0],
        longitude=VENUE[1],
        checkin_radius_m=200,
    )


@pytest.fixture
def other(cast):
    return services.meeting_create(
        acting_user=cast.user["branch_admin"],
        org=cast.org["B1"],
        kind="committee",
        topic="支委会",
        starts_at=START,
        ends_at=START + dt.timedelta(hours=1),
    )


def _mine(cast, meeting):
    return Attendance.objects.get(meeting=meeting, member=cast.member["B1m1"])


# --- tokens --------------------------------------------------------------------------


def test_token_is_stable_within_a_slot_and_rotates(meeting):
    at = START.replace(second=1)
    assert checkin.qr_token_for(meeting, at) == checkin.qr_token_for(meeting, at.replace(second=29))
    assert checkin.qr_token_for(meeting, at) != checkin.qr_token_for(meeting, at.replace(second=31))


@pytest.mark.parametrize("seconds", [0, 60, 119])
def test_token_valid_for_two_minutes(meeting, seconds):
    token = checkin.qr_token_for(meeting, START)
    checkin.verify_token(token, meeting, START + dt.timedelta(seconds=seconds))


@pytest.mark.parametrize("seconds", [121, 600, -60])
def test_stale_or_future_token_is_expired(meeting, seconds):
    token = checkin.qr_token_for(meeting, START)
    with pytest.raises(checkin.TokenError, match="已过期"):
        checkin.verify_token(token, meeting, START + dt.timedelta(seconds=seconds))


def test_token_of_another_meeting_is_refused(meeting, other):
    token = checkin.qr_token_for(other, START)
    with pytest.raises(checkin.TokenError, match="不是本次会议"):
        checkin.verify_token(token, meeting, START)


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: "",
        lambda t: "abc",
        lambda t: t.replace(t.split(":")[0], "999999", 1),
    ],
)
def test_forged_token_is_refused(meeting, forge):
    token = checkin.qr_token_for(meeting, START)
    with pytest.raises(checkin.TokenError, match="无效"):
        checkin.verify_token(forge(token), meeting, START)


def test_token_signed_for_another_purpose_is_refused(meeting):
    token = signing.TimestampSigner(salt="something.else").sign(str(meeting.pk))
    with pytest.raises(checkin.TokenError, match="无效"):
        checkin.verify_token(token, meeting, START)


def test_qr_svg_is_an_svg(meeting):
    svg = checkin.qr_svg("https://example.cn/orglife/checkin/1/?t=" + checkin.qr_token_for(meeting))
    assert svg.startswith("<svg") and "<?xml" not in svg


def test_seconds_to_rotation():
    assert checkin.seconds_to_rotation(START.replace(second=10)) == 20
    assert checkin.seconds_to_rotation(START.replace(second=30)) == 30


@pytest.mark.parametrize(
    ("there", "metres"),
    [((25.0406, 102.7122), 0), ((25.0416, 102.7122), 111), ((25.0406, 102.7222), 1007)],
)
def test_distance(there, metres):
    assert checkin.distance_m(*VENUE, *there) == pytest.approx(metres, abs=2)


# --- check-in by QR --------------------------------------------------------------------


def test_checkin_by_qr(cast, meeting):
    now = START + dt.timedelta(minutes=5)
    token = checkin.qr_token_for(meeting, now)
    attendance = services.checkin_by_qr(
        acting_user=cast.user["member"], meeting=meeting, token=token, now=now
    )
    assert attendance.status == AttendanceStatus.PRESENT
    assert attendance.method == CheckinMethod.QR
    assert attendance.checked_in_at == now


def test_double_checkin_keeps_the_first(cast, meeting):
    first = START + dt.timedelta(minutes=5)
    later = START + dt.timedelta(minutes=50)
    user = cast.user["member"]
    services.checkin_by_qr(
        acting_user=user, meeting=meeting, token=checkin.qr_token_for(meeting, first), now=first
    )
    again = services.checkin_by_location(
        acting_user=user, meeting=meeting, latitude=VENUE[0], longitude=VENUE[1], now=later
    )
    assert again.checked_in_at == first and again.method == CheckinMethod.QR
    assert _mine(cast, meeting).checked_in_at == first


def test_expired_qr_refused_with_a_clear_message(cast, meeting):
    issued = START
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_qr(
            acting_user=cast.user["member"],
            meeting=meeting,
            token=checkin.qr_token_for(meeting, issued),
            now=issued + dt.timedelta(minutes=5),
        )
    assert exc.value.message_dict["token"] == [checkin.MSG_TOKEN_EXPIRED]
    assert _mine(cast, meeting).status == AttendanceStatus.EXPECTED


def test_forged_qr_refused(cast, meeting):
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_qr(
            acting_user=cast.user["member"], meeting=meeting, token="1:forged:x", now=START
        )
    assert exc.value.message_dict["token"] == [checkin.MSG_TOKEN_FORGED]


def test_qr_of_meeting_a_never_checks_into_meeting_b(cast, meeting, other):
    with pytest.raises(ValidationError):
        services.checkin_by_qr(
            acting_user=cast.user["member"],
            meeting=meeting,
            token=checkin.qr_token_for(other, START),
            now=START,
        )
    assert _mine(cast, meeting).status == AttendanceStatus.EXPECTED


@pytest.mark.parametrize(
    ("offset", "message"),
    [(dt.timedelta(hours=-2), services.MSG_CHECKIN_NOT_OPEN),
     (dt.timedelta(hours=3), services.MSG_CHECKIN_CLOSED)],
)  # fmt: skip
def test_checkin_outside_the_window(cast, meeting, offset, message):
    now = START + offset
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_qr(
            acting_user=cast.user["member"],
            meeting=meeting,
            token=checkin.qr_token_for(meeting, now),
            now=now,
        )
    assert exc.value.message_dict["meeting"] == [message]


def test_non_attendee_cannot_check_in(cast, meeting):
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_qr(
            acting_user=cast.user["branch_admin"],  # no member record
            meeting=meeting,
            token=checkin.qr_token_for(meeting, START),
            now=START,
        )
    assert exc.value.message_dict["member"] == [services.MSG_NOT_MEMBER_USER]


def test_user_outside_scope_gets_404(cast, meeting):
    from django.http import Http404

    with pytest.raises(Http404):
        services.checkin_by_qr(
            acting_user=cast.user["sibling_county_admin"],
            meeting=meeting,
            token=checkin.qr_token_for(meeting, START),
            now=START,
        )


def test_cancelled_meeting_refuses_checkin(cast, meeting):
    services.meeting_cancel(acting_user=cast.user["branch_admin"], meeting=meeting, reason="改期")
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_qr(
            acting_user=cast.user["member"],
            meeting=meeting,
            token=checkin.qr_token_for(meeting, START),
            now=START,
        )
    assert exc.value.message_dict["meeting"] == [services.MSG_CANCELLED]


# --- check-in by location --------------------------------------------------------------


def test_location_inside_radius(cast, meeting):
    attendance = services.checkin_by_location(
        acting_user=cast.user["member"], meeting=meeting, latitude=25.0415, longitude=102.7122,
        now=START,
    )  # fmt: skip
    assert attendance.method == CheckinMethod.LOCATION
    assert attendance.distance_m == 100


def test_out_of_radius_refused_saying_how_far(cast, meeting):
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_location(
            acting_user=cast.user["member"], meeting=meeting, latitude=25.0406,
            longitude=102.7222, now=START,
        )  # fmt: skip
    assert exc.value.message_dict["latitude"] == [
        services.MSG_TOO_FAR.format(distance=1007, radius=200)
    ]
    assert _mine(cast, meeting).status == AttendanceStatus.EXPECTED


def test_location_checkin_needs_a_venue_position(cast, other):
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_location(
            acting_user=cast.user["member"], meeting=other, latitude=25.0, longitude=102.7,
            now=START,
        )  # fmt: skip
    assert exc.value.message_dict["meeting"] == [services.MSG_NO_LOCATION]


@pytest.mark.parametrize(("lat", "lng"), [(91, 0), (0, 181), ("x", 1), (None, None)])
def test_bad_coordinates(cast, meeting, lat, lng):
    with pytest.raises(ValidationError) as exc:
        services.checkin_by_location(
            acting_user=cast.user["member"], meeting=meeting, latitude=lat, longitude=lng,
            now=START,
        )  # fmt: skip
    assert exc.value.message_dict["latitude"] == [services.MSG_BAD_COORDS]


# --- members aged 60+ --------------------------------------------------------------------


def test_members_aged_60_are_marked_by_the_recorder(cast):
    from dangjian.members import services as members
    from dangjian.orglife import selectors
    from tests.kit import new_id_number

    elder = members.member_create(
        acting_user=cast.user["root"], branch=cast.org["B1"], name="老党员",
        id_number=new_id_number(dt.date(1950, 3, 1)), ethnicity="汉族",
        education="junior_or_below", joined_on=dt.date(1975, 7, 1),
        full_member_on=dt.date(1976, 7, 1), status="full",
    )  # fmt: skip
    meeting = services.meeting_create(
        acting_user=cast.user["branch_admin"], org=cast.org["B1"], kind="lecture",
        topic="党课", starts_at=START, ends_at=START + dt.timedelta(hours=1),
    )  # fmt: skip
    row = Attendance.objects.get(meeting=meeting, member=elder)
    assert row.phone_exempt
    assert not _mine(cast, meeting).phone_exempt
    services.attendance_mark(
        acting_user=cast.user["branch_admin"], meeting=meeting, member=elder,
        status="present", now=START,
    )  # fmt: skip
    summary = selectors.attendance_summary(meeting)
    assert summary.expected == 3 and summary.present == 1
    assert summary.phone_required == 2  # the elder is not required to use the phone
    assert summary.missed_phone == 2  # B1m1 and B1m2 missed theirs; the elder never counts
