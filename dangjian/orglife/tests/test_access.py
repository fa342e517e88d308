"""Organisational life beyond the declared matrix (dangjian/orglife/tests/access.py):
the meeting lists (API and page) and the theme-day warnings show exactly the meetings
and branches the oracle says, counts included; an organisation filter never widens them."""

import re

import pytest
from django.urls import reverse

from dangjian.orglife import rules, services
from dangjian.orglife.permissions import VIEW_ORGLIFE
from dangjian.orglife.tests.access import SPEC
from tests.access.lists import api_ids
from tests.access.spec import Context, granted, visible
from tests.kit import BRANCHES, ORG_KEYS, USER_KEYS, login_verified, sees_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def meetings(cast) -> dict:
    """The matrix's meetings: one per branch and G1's, B1m1 called to B1's and G1's."""
    return {obj.key: obj for obj in Context(cast, SPEC).objects("meeting")}


def _visible(user_key: str, meetings: dict) -> set[int]:
    kind = SPEC.kind("meeting")
    return {obj.pk for obj in meetings.values() if visible(kind, user_key, obj)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_list_is_exactly_the_scope(client, cast, bearer, meetings, user_key):
    ids, counts = api_ids(client, "/api/v1/orglife/meetings", bearer(cast.user[user_key]))
    expected = _visible(user_key, meetings)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert counts == {len(expected)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_org_filter_never_widens_the_scope(client, cast, bearer, meetings, user_key):
    from dangjian.orglife.models import Meeting

    headers = bearer(cast.user[user_key])
    visible_ids = _visible(user_key, meetings)
    for org_key in ORG_KEYS:
        org = cast.org[org_key]
        params = {"org": org.pk}
        ids, counts = api_ids(client, "/api/v1/orglife/meetings", headers, params)
        in_org = {
            m.pk
            for m in Meeting.objects.filter(pk__in=[o.pk for o in meetings.values()])
            if sees_org(user_key, org_key)
            and (m.branch.path.startswith(org.path) or m.group_id == org.pk)
        }
        assert set(ids) == in_org & visible_ids, org_key
        assert counts == {len(in_org & visible_ids)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_warning_list_is_exactly_the_scope(client, cast, bearer, user_key):
    for branch in BRANCHES:
        services.theme_day_warn(branch=cast.org[branch], month=rules.month_period(2026, 10))
    response = client.get("/api/v1/orglife/warnings", **bearer(cast.user[user_key]))
    assert response.status_code == 200
    names = {item["branch_id"] for item in response.json()["items"]}
    seen = granted(user_key, VIEW_ORGLIFE)
    assert names == {cast.org[b].pk for b in BRANCHES if b in seen}
    assert response.json()["count"] == len(names)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_list_page_shows_exactly_the_visible(client, cast, meetings, user_key):
    login_verified(client, cast.user[user_key])
    html = client.get(reverse("orglife:list")).content.decode()
    ids = {int(x) for x in re.findall(r'data-meeting="(\d+)"', html)}
    expected = _visible(user_key, meetings)
    assert ids == expected
    assert f"共 {len(expected)} 次会议" in html
