"""The 12371 service beyond the declared matrices (dangjian/desk/tests/access.py and
dangjian/knowledge/tests/access.py): lists
and exports hold exactly the visible rows, counts included; pages that name their object
in the query string (?org=, ?c=, a picked entry); the desk pages of staff; visitors.

The oracle is the matrix's (tests/access/spec.py, over the cast's tree description)."""

import json

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.core.scope import Role
from dangjian.desk.models import PlatformFeedback, WorkOrder
from dangjian.desk.permissions import HANDLE_CONSULT, VIEW_CONSULT
from dangjian.desk.tests.access import SPEC, consult_objects, feedback_objects
from dangjian.knowledge.models import Entry
from dangjian.knowledge.permissions import EDIT_KB
from dangjian.knowledge.tests.access import SPEC as KB_SPEC
from dangjian.knowledge.tests.access import kb_entries
from tests.access.lists import api_ids
from tests.access.spec import granted, holds, role_of, visible
from tests.kit import BRANCHES, USER_KEYS, changes_org

pytestmark = pytest.mark.django_db

API = "/api/v1/consult"
ENTRIES = f"{API}/kb/entries"


def is_editor(user_key: str) -> bool:
    return bool(granted(user_key, EDIT_KB))


def handles(user_key: str) -> bool:
    return bool(granted(user_key, HANDLE_CONSULT))


def _state():
    return (
        list(Entry.objects.order_by("pk").values_list("pk", "status", "version", "answer")),
        list(PlatformFeedback.objects.order_by("pk").values_list("pk", "status", "reply")),
        WorkOrder.objects.count(),
        AuditEntry.objects.count(),
    )


def _check(response, expected: int, before):
    """Refused or rejected → nothing changed; allowed → audited exactly once."""
    assert response.status_code == expected, (expected, response.content[:300])
    after = _state()
    if expected >= 400:
        assert after == before, "a refused request changed something"
    else:
        assert after[-1] == before[-1] + 1, "an allowed write must be audited"


def _post(client, url, data, headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


@pytest.fixture
def entries(cast):
    return kb_entries(cast)


def _seen_entries(user_key, entries, statuses=("draft", "published")) -> set[int]:
    kind = KB_SPEC.kind("kb_entry")
    return {o.pk for o in entries if o.data["status"] in statuses and visible(kind, user_key, o)}


# --- Work orders


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_order_list_and_queue(client, cast, bearer, user_key):
    orders = consult_objects(cast)["order"]
    headers = bearer(cast.user[user_key])
    body = client.get(f"{API}/orders", {"limit": 100}, **headers).json()
    expected = {o.pk for o in orders if visible(SPEC.kind("consult_order"), user_key, o)}
    assert {o["id"] for o in body["items"]} == expected
    assert body["count"] == len(expected)
    queue = client.get(f"{API}/orders", {"view": "queue", "limit": 100}, **headers).json()
    assert {o["id"] for o in queue["items"]} == {
        o.pk for o in orders if holds(user_key, HANDLE_CONSULT, o)
    }
    assert queue["count"] == len(queue["items"])


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_console_and_stats_pages(client, cast, login, user_key):
    login(cast.user[user_key])
    console = client.get(reverse("desk:order_console"))
    assert console.status_code == (200 if handles(user_key) else 403)
    stats = client.get(reverse("desk:order_stats"))
    assert stats.status_code == (200 if granted(user_key, VIEW_CONSULT) else 403)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_daily_ivr_and_platform_feedback(client, cast, bearer, user_key):
    items = feedback_objects(cast)
    headers = bearer(cast.user[user_key])
    assert client.get(f"{API}/daily", **headers).status_code == 200
    assert client.get(f"{API}/ivr", **headers).status_code == (200 if handles(user_key) else 403)
    ids, counts = api_ids(client, f"{API}/platform-feedback", headers)
    expected = {
        o.pk for o in items if o.owner == user_key or (o.org and changes_org(user_key, o.org))
    }
    if user_key == "root":
        expected = {o.pk for o in items}
    assert set(ids) == expected and counts == {len(expected)}
    before = _state()
    payload = {"kind": "suggestion", "text": "希望增加语音提问。"}
    _check(_post(client, f"{API}/platform-feedback", payload, headers), 201, before)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_desk_pages(client, cast, login, user_key):
    items = feedback_objects(cast)
    login(cast.user[user_key])
    admin = user_key == "root" or role_of(user_key) == Role.ADMIN
    assert client.get(reverse("knowledge:daily")).status_code == 200
    assert client.get(reverse("desk:feedback")).status_code == 200
    hotline = client.get(reverse("desk:hotline"))
    assert hotline.status_code == (200 if handles(user_key) else 403)
    assert client.get(reverse("desk:hotline_edit")).status_code == (200 if admin else 403)
    manage = client.get(reverse("desk:feedback_manage"))
    assert manage.status_code == (200 if admin else 403)
    if admin:
        text = manage.content.decode()
        shown = {o.key for o in items if f"【意见-{o.key.removeprefix('own:')}】" in text}
        expected = {b for b in BRANCHES if changes_org(user_key, b)}
        if user_key == "root":
            expected = {o.key for o in items} - {"own:root"}
        assert shown == expected


@pytest.mark.parametrize("url", [ENTRIES, f"{API}/orders"])
def test_a_nul_in_a_text_filter_is_a_422(client, cast, bearer, url):
    """PostgreSQL cannot compare text with a NUL character: refused, never a 500."""
    response = client.get(url, {"category": "党费\x00"}, **bearer(cast.user["agent"]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "category"]
