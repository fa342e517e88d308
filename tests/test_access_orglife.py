"""The access matrix of organisational life: every user × every meeting (one per branch,
and a 党小组会 of G1) × every orglife endpoint and page.

Expected answers come from the oracle below, built on ``dangjian.core.testing`` (the
tree description, not core.scope): a meeting is visible to roles that read
organisational life (管理员, 单位领导, 普通党员, 审查人员 — not 12371 agents or
handlers) at its branch or above, never up or sideways → otherwise 404; changing it needs
the admin role there → otherwise 403; acting as an attendee (check in, leave, vote) needs
to be an attendee → otherwise 422. A refused request changes nothing.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.core.scope import Role
from dangjian.core.testing import (
    BRANCHES,
    ORG_KEYS,
    USER_KEYS,
    USERS,
    changes_org,
    login_verified,
    sees_org,
)
from dangjian.orglife import checkin, services
from dangjian.orglife.models import Attendance, Meeting, Resolution

pytestmark = pytest.mark.django_db

VIEW_ORGLIFE_ROLES = {Role.ADMIN, Role.LEADER, Role.MEMBER, Role.EXAMINER}
MEETING_KEYS = [*BRANCHES, "G1"]  # a meeting per branch, and a 党小组会 of G1 (in B1)
BRANCH_OF = {"G1": "B1"}
# The "member" user is B1m1: on the roster of every B1 meeting and of G1's.
ATTENDS = {("member", "B1"), ("member", "G1")}


def sees_orglife(user_key: str, org_key: str) -> bool:
    """Whether the user reads the organisational life of ``org_key`` (上级看下级)."""
    if user_key == "root":
        return True
    if user_key not in USERS:
        return False
    return sees_org(user_key, org_key) and USERS[user_key][0] in VIEW_ORGLIFE_ROLES


def _want(user_key, key, *, need: str, ok: int) -> int:
    """The oracle's status for a user acting on the meeting ``key``."""
    org = BRANCH_OF.get(key, key)
    attends = (user_key, key) in ATTENDS
    if not (sees_orglife(user_key, org) or attends):
        return 404
    if need == "change" and not changes_org(user_key, org):
        return 403
    if need == "attend" and not attends:
        return 422
    return ok


@pytest.fixture
def meetings(cast):
    """Meetings that started 30 minutes ago (check-in open, minutes recordable)."""
    start = timezone.now() - dt.timedelta(minutes=30)
    result = {}
    for key in MEETING_KEYS:
        result[key] = services.meeting_create(
            acting_user=cast.user["root"],
            org=cast.org[key],
            kind="group" if key == "G1" else "theme_day",
            topic=f"{key}主题党日",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            latitude=25.04,
            longitude=102.71,
        )
        services.resolution_add(acting_user=cast.user["root"], meeting=result[key], title="表决")
    return result


def _state():
    return (
        list(Meeting.objects.order_by("pk").values_list("pk", "updated_at", "status")),
        list(Attendance.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(Resolution.objects.order_by("pk").values_list("pk", "votes_for", "status")),
        AuditEntry.objects.count(),
    )


# --- API


def _body(name: str, meeting) -> dict | None:
    resolution = meeting.resolutions.first()
    return {
        "patch": {"topic": "改期后的主题党日"},
        "cancel": {"reason": "与上级会议冲突"},
        "record": {"minutes": "会议学习了全会精神。"},
        "mark": {"member_id": meeting.attendances.first().member_id, "status": "absent"},
        "checkin": {"token": checkin.qr_token_for(meeting)},
        "location": {"lat": 25.0401, "lng": 102.71},
        "leave": {"reason": "出差"},
        "resolution": {"title": "新的表决事项"},
        "vote": {"resolution_id": resolution.pk, "choice": "for"},
        "close": {"resolution_id": resolution.pk},
        "comment": {"text": "同意"},
    }.get(name)


API = {
    # name → (method, path suffix, need, success status)
    "detail": ("get", "", "view", 200),
    "attendance": ("get", "/attendance", "view", 200),
    "comments": ("get", "/comments", "view", 200),
    "photos": ("get", "/photos", "view", 200),
    "qr": ("get", "/qr", "change", 200),
    "patch": ("patch", "", "change", 200),
    "cancel": ("post", "/cancel", "change", 200),
    "record": ("post", "/record", "change", 200),
    "mark": ("post", "/attendance", "change", 200),
    "resolution": ("post", "/resolutions", "change", 201),
    "close": ("post", "/close-vote", "change", 200),
    "checkin": ("post", "/checkin", "attend", 200),
    "location": ("post", "/checkin", "attend", 200),
    "leave": ("post", "/leave", "attend", 200),
    "vote": ("post", "/vote", "attend", 200),
    "comment": ("post", "/comments", "view", 201),
}


@pytest.mark.parametrize("name", list(API))
@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_api_matrix(client, cast, bearer, meetings, user_key, name):
    method, suffix, need, ok = API[name]
    headers = bearer(cast.user[user_key])
    wrong = []
    for key, meeting in meetings.items():
        want = _want(user_key, key, need=need, ok=ok)
        before = _state()
        url = f"/api/v1/orglife/meetings/{meeting.pk}{suffix}"
        body = _body(name, meeting)
        if body is None:
            response = getattr(client, method)(url, **headers)
        else:
            response = getattr(client, method)(
                url, data=body, content_type="application/json", **headers
            )
        if response.status_code != want:
            wrong.append(f"{key}: {response.status_code} != {want} {response.content[:160]}")
        elif want >= 400 and _state() != before:
            wrong.append(f"{key}: a refused request changed something")
        elif want < 300 and method != "get" and _state()[3] != before[3] + 1:
            wrong.append(f"{key}: a write must be audited exactly once")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_create_matrix(client, cast, bearer, user_key):
    headers = bearer(cast.user[user_key])
    start = timezone.now() + dt.timedelta(days=3)
    wrong = []
    for key in MEETING_KEYS:
        payload = {
            "org_id": cast.org[key].pk,
            "kind": "group" if key == "G1" else "lecture",
            "topic": "专题党课",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
        }
        before = _state()
        response = client.post(
            "/api/v1/orglife/meetings", data=payload, content_type="application/json", **headers
        )
        want = _want(user_key, key, need="change", ok=201)
        if response.status_code != want:
            wrong.append(f"{key}: {response.status_code} != {want} {response.content[:160]}")
        elif want >= 400 and _state() != before:
            wrong.append(f"{key}: a refused request changed something")
    assert not wrong, "\n".join(wrong)


def _page_through(client, url, headers, params=None):
    ids, offset, counts = [], 0, set()
    while True:
        response = client.get(url, {**(params or {}), "limit": 3, "offset": offset}, **headers)
        assert response.status_code == 200, response.content
        body = response.json()
        counts.add(body["count"])
        ids += [item["id"] for item in body["items"]]
        offset += 3
        if offset >= body["count"]:
            return ids, counts


def _visible_meetings(user_key, meetings) -> set[int]:
    return {
        m.pk
        for key, m in meetings.items()
        if sees_orglife(user_key, BRANCH_OF.get(key, key)) or (user_key, key) in ATTENDS
    }


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_list_is_exactly_the_scope(client, cast, bearer, meetings, user_key):
    ids, counts = _page_through(client, "/api/v1/orglife/meetings", bearer(cast.user[user_key]))
    expected = _visible_meetings(user_key, meetings)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert counts == {len(expected)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_org_filter_never_widens_the_scope(client, cast, bearer, meetings, user_key):
    headers = bearer(cast.user[user_key])
    visible = _visible_meetings(user_key, meetings)
    for org_key in ORG_KEYS:
        org = cast.org[org_key]
        ids, counts = _page_through(client, "/api/v1/orglife/meetings", headers, {"org": org.pk})
        in_org = {
            m.pk
            for key, m in meetings.items()
            if sees_org(user_key, org_key)
            and (m.branch.path.startswith(org.path) or m.group_id == org.pk)
        }
        assert set(ids) == in_org & visible, org_key
        assert counts == {len(in_org & visible)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_compliance_matrix(client, cast, bearer, user_key):
    headers = bearer(cast.user[user_key])
    wrong = []
    for org_key in ORG_KEYS:
        response = client.get(
            "/api/v1/orglife/compliance",
            {"org_id": cast.org[org_key].pk, "period": "2026-10"},
            **headers,
        )
        want = 200 if sees_orglife(user_key, org_key) else 404
        if response.status_code != want:
            wrong.append(f"{org_key}: {response.status_code} != {want}")
        elif want == 200:
            subtree = [b for b in BRANCHES if org_key in _chain(b)]
            if response.json()["total"]["branches"] != len(subtree):
                wrong.append(f"{org_key}: branches {response.json()['total']['branches']}")
    assert not wrong, "\n".join(wrong)


def _chain(key):
    from dangjian.core.testing import ancestors_or_self

    return ancestors_or_self(key)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_warning_list_is_exactly_the_scope(client, cast, bearer, user_key):
    from dangjian.orglife import rules

    for branch in BRANCHES:
        services.theme_day_warn(branch=cast.org[branch], month=rules.month_period(2026, 10))
    response = client.get("/api/v1/orglife/warnings", **bearer(cast.user[user_key]))
    assert response.status_code == 200
    names = {item["branch_id"] for item in response.json()["items"]}
    assert names == {cast.org[b].pk for b in BRANCHES if sees_orglife(user_key, b)}
    assert response.json()["count"] == len(names)


# --- Pages

PAGES = {
    # name → (url name, method, need)
    "detail": ("orglife:detail", "get", "view"),
    "checkin": ("orglife:checkin", "get", "view"),
    "leave": ("orglife:leave", "get", "view"),
    "screen": ("orglife:screen", "get", "change"),
    "screen_qr": ("orglife:screen_qr", "get", "change"),
    "edit": ("orglife:edit", "get", "change"),
    "cancel": ("orglife:cancel", "get", "change"),
    "record": ("orglife:record", "get", "change"),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_meeting_pages_matrix(client, cast, meetings, page):
    name, method, need = PAGES[page]
    wrong = []
    for user_key in USER_KEYS:
        login_verified(client, cast.user[user_key])
        for key, meeting in meetings.items():
            want = _want(user_key, key, need=need, ok=200)
            response = getattr(client, method)(reverse(name, args=[meeting.pk]))
            if response.status_code != want:
                wrong.append(f"{user_key} {key}: {response.status_code} != {want}")
    assert not wrong, "\n".join(wrong)


def test_plan_and_compliance_pages_matrix(client, cast):
    wrong = []
    for user_key in USER_KEYS:
        login_verified(client, cast.user[user_key])
        for org_key in ORG_KEYS:
            org = cast.org[org_key]
            seen = sees_orglife(user_key, org_key)
            response = client.get(reverse("orglife:compliance_org", args=[org.pk]))
            if response.status_code != (200 if seen else 404):
                wrong.append(f"{user_key} compliance {org_key}: {response.status_code}")
            if org_key in MEETING_KEYS:
                want = 404 if not seen else (200 if changes_org(user_key, org_key) else 403)
                response = client.get(reverse("orglife:create", args=[org.pk]))
                if response.status_code != want:
                    wrong.append(f"{user_key} create {org_key}: {response.status_code} != {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_meeting_list_page_shows_exactly_the_visible(client, cast, meetings, user_key):
    import re

    login_verified(client, cast.user[user_key])
    response = client.get(reverse("orglife:list"))
    html = response.content.decode()
    ids = {int(x) for x in re.findall(r'data-meeting="(\d+)"', html)}
    expected = _visible_meetings(user_key, meetings)
    assert ids == expected
    assert f"共 {len(expected)} 次会议" in html


def test_unauthenticated_api_is_401(client, meetings):
    before = _state()
    for suffix in ("", "/attendance", "/qr"):
        response = client.get(f"/api/v1/orglife/meetings/{meetings['B1'].pk}{suffix}")
        assert response.status_code == 401
    for path in ("/compliance", "/warnings", "/meetings"):
        assert client.get(f"/api/v1/orglife{path}").status_code == 401
    assert _state() == before
