"""The organisational-life pages: plan, detail, mark, record, vote, comment, the QR screen
and the member's check-in page with its error states, leave, my meetings, compliance."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.orglife import checkin, services
from dangjian.orglife.choices import AttendanceStatus, MeetingStatus
from dangjian.orglife.models import Attendance, Meeting, Vote

pytestmark = pytest.mark.django_db


def soon(minutes: int = 10) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(minutes=minutes)


def plan(cast, org="B1", kind="theme_day", start=None, **extra):
    start = start or soon()
    return services.meeting_create(
        acting_user=cast.user["root"],
        org=cast.org[org],
        kind=kind,
        topic=extra.pop("topic", "学习贯彻全会精神"),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        **extra,
    )


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- planning


def test_secretary_plans_a_theme_day(client, cast, login):
    login(cast.user["branch_admin"])
    url = reverse("orglife:create", args=[cast.org["B1"].pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert cast.member["B1m1"].name in html and "主题党日" in html
    assert "党小组会" not in re.sub(r"党小组会请在党小组下安排", "", html).split("<form")[1]
    start = soon(60 * 24)
    response = client.post(
        url,
        {
            "kind": "theme_day",
            "topic": "重温入党誓词",
            "starts_at": local_input(start),
            "ends_at": local_input(start + dt.timedelta(hours=2)),
            "place": "社区党群服务中心",
            "host": cast.member["B1m1"].pk,
            "recorder": cast.member["B1m2"].pk,
            "checkin_radius_m": 300,
            "attendees": [cast.member["B1m1"].pk, cast.member["B1m2"].pk],
        },
    )
    meeting = Meeting.objects.get(topic="重温入党誓词")
    assert response.status_code == 302
    assert response["Location"] == reverse("orglife:detail", args=[meeting.pk])
    assert meeting.attendances.count() == 2 and meeting.recorder == cast.member["B1m2"]


def test_planning_errors_are_shown_in_chinese_and_nothing_is_saved(client, cast, login):
    login(cast.user["branch_admin"])
    start = soon(60)
    response = client.post(
        reverse("orglife:create", args=[cast.org["B1"].pk]),
        {
            "kind": "theme_day",
            "topic": "  ",
            "starts_at": local_input(start),
            "ends_at": local_input(start - dt.timedelta(hours=1)),
            "host": cast.member["B2m1"].pk,  # not on B1's roster
            "checkin_radius_m": 300,
            "attendees": [cast.member["B1m1"].pk],
            "latitude": "25.04",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "纬度和经度需同时填写" in html and "选择一个有效的选项" in html
    assert not Meeting.objects.exists()


def test_group_meetings_are_planned_under_the_group(client, cast, login):
    login(cast.user["branch_admin"])
    page = client.get(reverse("orglife:create", args=[cast.org["G1"].pk]))
    assert page.status_code == 200
    kinds = page.context["form"].fields["kind"].choices
    assert kinds == [("group", "党小组会")]


def test_only_branches_and_groups_plan_meetings(client, cast, login):
    login(cast.user["committee_admin"])
    assert client.get(reverse("orglife:create", args=[cast.org["T1"].pk])).status_code == 404


# --- the meeting page


def test_detail_shows_agenda_attendance_and_controls(client, cast, login):
    meeting = plan(cast, agenda="一、学习\n二、讨论", online_link="https://meet.example.cn/1")
    login(cast.user["branch_admin"])
    html = client.get(reverse("orglife:detail", args=[meeting.pk])).content.decode()
    assert "二、讨论" in html and "https://meet.example.cn/1" in html
    assert "应到 <b>2</b> 人" in html and "签到二维码" in html and "取消会议" in html
    assert html.count("data-attendance=") == 2


def test_member_sees_the_meeting_without_secretary_controls(client, cast, login):
    meeting = plan(cast)
    login(cast.user["member"])
    html = client.get(reverse("orglife:detail", args=[meeting.pk])).content.decode()
    assert "我的参会" in html and "请假" in html
    assert "签到二维码" not in html and "取消会议" not in html and 'name="status"' not in html


def test_recorder_marks_an_elder_present_by_htmx(client, cast, login):
    meeting = plan(cast)
    login(cast.user["branch_admin"])
    member = cast.member["B1m1"]
    response = client.post(
        reverse("orglife:mark", args=[meeting.pk]),
        {"member": member.pk, "status": "present"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="attendance"' in response.content.decode()
    row = Attendance.objects.get(meeting=meeting, member=member)
    assert row.status == AttendanceStatus.PRESENT and row.method == "recorder"


def test_leave_mark_needs_a_reason(client, cast, login):
    meeting = plan(cast)
    login(cast.user["branch_admin"])
    response = client.post(
        reverse("orglife:mark", args=[meeting.pk]),
        {"member": cast.member["B1m2"].pk, "status": "leave", "reason": ""},
        follow=True,
    )
    assert "请填写请假事由" in response.content.decode()
    assert Attendance.objects.get(meeting=meeting, member=cast.member["B1m2"]).status == "expected"


def test_member_may_not_mark_attendance(client, cast, login):
    meeting = plan(cast)
    login(cast.user["member"])
    response = client.post(
        reverse("orglife:mark", args=[meeting.pk]),
        {"member": cast.member["B1m2"].pk, "status": "absent"},
    )
    assert response.status_code == 403


def test_record_minutes_then_the_meeting_is_held(client, cast, login):
    meeting = plan(cast, start=timezone.now() - dt.timedelta(hours=1))
    login(cast.user["branch_admin"])
    url = reverse("orglife:record", args=[meeting.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"minutes": "会议学习了全会精神。"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert set(meeting.attendances.values_list("status", flat=True)) == {"absent"}


def test_record_before_the_start_is_refused_with_a_message(client, cast, login):
    meeting = plan(cast, start=soon(60 * 24))
    login(cast.user["branch_admin"])
    response = client.post(reverse("orglife:record", args=[meeting.pk]), {"minutes": "纪要"})
    assert response.status_code == 200
    assert services.MSG_NOT_STARTED in response.content.decode()


def test_resolution_vote_and_tally(client, cast, login):
    meeting = plan(cast, kind="member_assembly")
    resolution = services.resolution_add(
        acting_user=cast.user["root"], meeting=meeting, title="接收预备党员"
    )
    login(cast.user["member"])
    page = client.get(reverse("orglife:detail", args=[meeting.pk])).content.decode()
    assert "赞成" in page and 'name="choice"' in page
    vote_url = reverse("orglife:vote", args=[meeting.pk])
    client.post(vote_url, {"resolution": resolution.pk, "choice": "for"})
    again = client.post(vote_url, {"resolution": resolution.pk, "choice": "against"}, follow=True)
    assert services.MSG_ALREADY_VOTED in again.content.decode()
    assert Vote.objects.filter(resolution=resolution).count() == 1
    assert "您已表决：赞成" in again.content.decode()
    login(cast.user["branch_admin"])
    client.post(reverse("orglife:close_vote", args=[meeting.pk]), {"resolution": resolution.pk})
    resolution.refresh_from_db()
    assert resolution.status == "rejected"  # 1 of 2 with voting rights: not more than half


def test_vote_on_another_meetings_resolution_is_404(client, cast, login):
    mine, other = plan(cast), plan(cast, org="B2")
    resolution = services.resolution_add(acting_user=cast.user["root"], meeting=other, title="事项")
    login(cast.user["member"])
    response = client.post(
        reverse("orglife:vote", args=[mine.pk]), {"resolution": resolution.pk, "choice": "for"}
    )
    assert response.status_code == 404


def test_comment(client, cast, login):
    meeting = plan(cast)
    login(cast.user["member"])
    client.post(reverse("orglife:comment_add", args=[meeting.pk]), {"text": "同意议程"})
    html = client.get(reverse("orglife:detail", args=[meeting.pk])).content.decode()
    assert "同意议程" in html and cast.member["B1m1"].name in html


# --- check-in


def test_secretary_screen_shows_a_qr_that_rotates(client, cast, login):
    meeting = plan(cast)
    login(cast.user["branch_admin"])
    page = client.get(reverse("orglife:screen", args=[meeting.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'hx-trigger="every 30s"' in html
    assert "已签到 <b" in html
    fragment = client.get(reverse("orglife:screen_qr", args=[meeting.pk]), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert "no-cache" in page["Cache-Control"]


def test_member_may_not_open_the_screen(client, cast, login):
    login(cast.user["member"])
    assert client.get(reverse("orglife:screen", args=[plan(cast).pk])).status_code == 403


def _token_url(meeting, now=None) -> tuple[str, str]:
    token = checkin.qr_token_for(meeting, now)
    return reverse("orglife:checkin", args=[meeting.pk]), token


def test_member_checks_in_by_qr_once(client, cast, login):
    meeting = plan(cast)
    url, token = _token_url(meeting)
    login(cast.user["member"])
    page = client.get(url, {"t": token})
    assert page.status_code == 200 and ">签到</button>" in page.content.decode()
    done = client.post(url, {"t": token})
    assert "签到成功" in done.content.decode()
    first = Attendance.objects.get(meeting=meeting, member=cast.member["B1m1"]).checked_in_at
    again = client.post(url, {"t": token})
    assert "无需重复签到" in again.content.decode()
    assert (
        Attendance.objects.get(meeting=meeting, member=cast.member["B1m1"]).checked_in_at == first
    )
    assert AuditEntry.objects.filter(action="orglife.checkin").count() == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("forged", checkin.MSG_TOKEN_FORGED),
        ("expired", checkin.MSG_TOKEN_EXPIRED),
        ("other", checkin.MSG_TOKEN_OTHER_MEETING),
    ],
)
def test_bad_qr_tokens_are_refused_clearly(client, cast, login, case, message):
    meeting = plan(cast)
    token = {
        "forged": "1:abc:forged",
        "expired": checkin.qr_token_for(meeting, timezone.now() - dt.timedelta(minutes=5)),
        "other": checkin.qr_token_for(plan(cast, topic="另一次会议")),
    }[case]
    login(cast.user["member"])
    response = client.post(reverse("orglife:checkin", args=[meeting.pk]), {"t": token})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Attendance.objects.get(meeting=meeting, member=cast.member["B1m1"]).status == "expected"


def test_location_checkin_out_of_radius_says_how_far(client, cast, login):
    meeting = plan(cast, latitude=25.0400, longitude=102.7100, checkin_radius_m=200)
    login(cast.user["member"])
    url = reverse("orglife:checkin_location", args=[meeting.pk])
    far = client.post(url, {"lat": "25.0500", "lng": "102.7100"})
    assert far.status_code == 422 and "超出签到范围（200米）" in far.content.decode()
    assert re.search(r"约\d+米", far.content.decode())
    near = client.post(url, {"lat": "25.0401", "lng": "102.7100"})
    assert "签到成功" in near.content.decode()
    assert Attendance.objects.get(meeting=meeting, member=cast.member["B1m1"]).distance_m < 200


def test_location_form_appears_only_with_a_venue(client, cast, login):
    without = plan(cast)
    with_venue = plan(cast, latitude=25.04, longitude=102.71)
    login(cast.user["member"])
    assert (
        "data-geo-checkin"
        not in client.get(reverse("orglife:checkin", args=[without.pk])).content.decode()
    )
    assert (
        "data-geo-checkin"
        in client.get(reverse("orglife:checkin", args=[with_venue.pk])).content.decode()
    )


def test_checkin_before_the_window_opens(client, cast, login):
    meeting = plan(cast, start=soon(60 * 5))
    url, token = _token_url(meeting)
    login(cast.user["member"])
    response = client.post(url, {"t": token})
    assert services.MSG_CHECKIN_NOT_OPEN in response.content.decode()


def test_someone_not_on_the_list_is_told_so(client, cast, login):
    meeting = plan(cast, org="G1", kind="group")  # B1m1 only
    login(cast.user["branch_admin"])  # not linked to a member
    page = client.get(reverse("orglife:checkin", args=[meeting.pk]))
    assert "未关联党员信息" in page.content.decode()


def test_qr_url_needs_a_login_first(client, cast):
    meeting = plan(cast)
    url, token = _token_url(meeting)
    response = client.get(url, {"t": token})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- leave, my meetings


def test_member_asks_for_leave(client, cast, login):
    meeting = plan(cast, start=soon(60 * 24))
    login(cast.user["member"])
    url = reverse("orglife:leave", args=[meeting.pk])
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200 and "必填" in empty.content.decode()
    response = client.post(url, {"reason": "出差在外"})
    assert response.status_code == 302
    row = Attendance.objects.get(meeting=meeting, member=cast.member["B1m1"])
    assert row.status == "leave" and row.leave_reason == "出差在外"


def test_my_meetings(client, cast, login):
    coming = plan(cast, start=soon(60 * 24), topic="下月主题党日")
    plan(cast, org="B2", topic="别的支部")
    login(cast.user["member"])
    html = client.get(reverse("orglife:mine")).content.decode()
    assert "下月主题党日" in html and "别的支部" not in html
    assert f'data-meeting="{coming.pk}"' in html


# --- lists and compliance


def test_list_filters_by_kind_and_month(client, cast, login):
    theme = plan(cast, topic="主题党日活动")
    lecture = plan(cast, kind="lecture", topic="专题党课")
    login(cast.user["county_admin"])
    url = reverse("orglife:list")
    html = client.get(url, {"kind": "lecture"}).content.decode()
    assert f'data-meeting="{lecture.pk}"' in html and f'data-meeting="{theme.pk}"' not in html
    month = timezone.localtime(theme.starts_at).strftime("%Y-%m")
    assert "共 2 次会议" in client.get(url, {"month": month}).content.decode()
    bad = client.get(url, {"month": "2026-13"}).content.decode()
    assert "月份格式应为 2026-11" in bad and "共 0 次会议" in bad


def test_compliance_page_drills_down(client, cast, login):
    login(cast.user["county_admin"])
    page = client.get(reverse("orglife:compliance"), {"period": "2026-10"})
    assert page.status_code == 200
    html = page.content.decode()
    assert cast.org["K1"].name in html and f'data-org="{cast.org["T1"].pk}"' in html
    down = client.get(reverse("orglife:compliance_org", args=[cast.org["T1"].pk]))
    assert down.status_code == 200 and cast.org["B1"].name in down.content.decode()
    bad = client.get(reverse("orglife:compliance"), {"period": "2026-99"})
    assert "期间格式应为" in bad.content.decode()


def test_compliance_of_an_org_out_of_scope_is_404(client, cast, login):
    login(cast.user["county_admin"])
    assert (
        client.get(reverse("orglife:compliance_org", args=[cast.org["K2"].pk])).status_code == 404
    )


def test_pages_carry_no_inline_script_or_style(client, cast, login):
    meeting = plan(cast, latitude=25.04, longitude=102.71)
    login(cast.user["branch_admin"])
    for url in (
        reverse("orglife:list"),
        reverse("orglife:detail", args=[meeting.pk]),
        reverse("orglife:screen", args=[meeting.pk]),
        reverse("orglife:checkin", args=[meeting.pk]),
        reverse("orglife:compliance"),
    ):
        html = client.get(url).content.decode()
        assert " style=" not in html and "<script>" not in html, url


def test_compliance_opens_on_the_last_complete_month(client, cast, login):
    login(cast.user["county_admin"])
    today = timezone.localdate()
    last = today.replace(day=1) - dt.timedelta(days=1)
    html = client.get(reverse("orglife:compliance")).content.decode()
    assert f"默认显示上一个完整月份（{last.year}年{last.month}月）" in html
    assert f'<option value="{last:%Y-%m}" selected>' in html
    running = client.get(reverse("orglife:compliance"), {"period": f"{today:%Y-%m}"})
    assert "尚未结束" in running.content.decode()
