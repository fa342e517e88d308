"""The planning form: host and recorder from the branch with a worded blank choice,
attendee 全选 / 全不选, the branch's remembered venues and 使用我的位置."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.orglife import selectors
from dangjian.orglife.tests.test_views import plan

pytestmark = pytest.mark.django_db


def test_recent_venues_one_per_place_latest_first_and_only_the_branchs(cast):
    user = cast.user["branch_admin"]
    base = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    plan(cast, start=base, place="党群服务中心", latitude=25.0, longitude=102.7)
    plan(cast, start=base + dt.timedelta(days=7), place="党群服务中心", latitude=25.1,
         longitude=102.8, checkin_radius_m=300)  # fmt: skip
    plan(cast, start=base + dt.timedelta(days=3), place="村委会")
    plan(cast, start=base + dt.timedelta(days=9), topic="无地点")
    plan(cast, org="B2", start=base + dt.timedelta(days=10), place="别的支部会议室")
    venues = selectors.recent_venues(user, cast.org["B1"])
    assert [v.place for v in venues] == ["党群服务中心", "村委会"]
    assert (venues[0].latitude, venues[0].longitude, venues[0].checkin_radius_m) == (
        25.1, 102.8, 300,
    )  # fmt: skip
    assert venues[1].latitude is None
    assert len(selectors.recent_venues(user, cast.org["B1"], limit=1)) == 1


def test_recent_venues_follow_the_readers_scope(cast):
    plan(cast, place="党群服务中心")
    assert selectors.recent_venues(cast.user["agent"], cast.org["B1"]) == []


def test_form_offers_worded_blanks_select_all_venues_and_location(client, cast, login):
    plan(cast, place="党群服务中心", latitude=25.04, longitude=102.71)
    login(cast.user["branch_admin"])
    html = client.get(reverse("orglife:create", args=[cast.org["B1"].pk])).content.decode()
    assert "---------" not in html and html.count(">暂不指定</option>") == 2
    assert 'data-check-all="attendees"' in html and 'data-check-none="attendees"' in html
    assert 'data-lat="25.04"' in html and ">党群服务中心</option>" in html
    assert "data-use-location" in html and 'type="datetime-local"' in html
    assert "<script>" not in html and "style=" not in html


def test_recent_venues_is_one_query_however_many_meetings(cast, django_assert_num_queries):
    for day in range(12):
        plan(cast, start=dt.datetime(2026, 10, 1 + day, 9, tzinfo=dt.UTC), place=f"会场{day}")
    with django_assert_num_queries(1):
        venues = selectors.recent_venues(cast.user["root"], cast.org["B1"])
    assert len(venues) == selectors.RECENT_VENUES and venues[0].place == "会场11"
