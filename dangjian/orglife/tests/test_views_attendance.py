"""The phone pages of attendance: bulk marking and compact rows, the check-in page that
judges the scanned code before the tap, the secretary's live count."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.orglife import checkin, services
from dangjian.orglife.choices import AttendanceStatus
from dangjian.orglife.models import Attendance
from dangjian.orglife.tests.test_views import plan

pytestmark = pytest.mark.django_db


def test_recorder_page_offers_bulk_marking_and_one_compact_row_per_attendee(client, cast, login):
    meeting = plan(cast)
    login(cast.user["branch_admin"])
    html = client.get(reverse("orglife:detail", args=[meeting.pk])).content.decode()
    assert "未签到的 2 人全部标记出席" in html
    assert html.count('class="att-edit"') == 2 and "<select" not in html.split('id="attendance"')[1]


def test_mark_all_by_htmx_then_the_button_is_gone(client, cast, login):
    meeting = plan(cast)
    login(cast.user["branch_admin"])
    response = client.post(reverse("orglife:mark_all", args=[meeting.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "实到 <b>2</b> 人" in html and "全部标记出席" not in html
    assert set(meeting.attendances.values_list("status", flat=True)) == {AttendanceStatus.PRESENT}


def test_mark_all_without_htmx_redirects_and_a_member_is_refused(client, cast, login):
    meeting = plan(cast)
    login(cast.user["member"])
    assert client.post(reverse("orglife:mark_all", args=[meeting.pk])).status_code == 403
    login(cast.user["branch_admin"])
    response = client.post(reverse("orglife:mark_all", args=[meeting.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#attendance")


def test_expired_qr_link_says_so_before_the_tap(client, cast, login):
    meeting = plan(cast)
    stale = checkin.qr_token_for(meeting, timezone.now() - dt.timedelta(minutes=5))
    login(cast.user["member"])
    page = client.get(reverse("orglife:checkin", args=[meeting.pk]), {"t": stale})
    html = page.content.decode()
    assert page.status_code == 200 and checkin.MSG_TOKEN_EXPIRED in html
    assert ">签到</button>" not in html


def test_fresh_qr_link_offers_the_button_until_it_lapses(client, cast, login):
    meeting = plan(cast)
    token = checkin.qr_token_for(meeting)
    login(cast.user["member"])
    html = client.get(reverse("orglife:checkin", args=[meeting.pk]), {"t": token}).content.decode()
    assert ">签到</button>" in html
    assert f'data-qr-expires="{checkin.token_expires_at(token)}"' in html


def test_live_count_fragment_follows_each_check_in(client, cast, login):
    meeting = plan(cast)
    login(cast.user["branch_admin"])
    url = reverse("orglife:screen_count", args=[meeting.pk])
    before = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 3s"' in before and 'data-present="0"' in before
    services.checkin_by_qr(
        acting_user=cast.user["member"], meeting=meeting, token=checkin.qr_token_for(meeting)
    )
    after = client.get(url, HTTP_HX_REQUEST="true")
    assert 'data-present="1"' in after.content.decode() and "no-cache" in after["Cache-Control"]
    assert Attendance.objects.filter(meeting=meeting, status="present").count() == 1
