"""The knowledge base and the bot beyond the declared matrix
(dangjian/knowledge/tests/access.py): lists and exports hold exactly the visible entries,
counts included; pages that name their object in the query string (?org=, ?c=, a picked
entry); visitors.

The oracle is the matrix's (tests/access/spec.py, over the cast's tree description)."""

import json

import pytest
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.core.scope import Role
from dangjian.desk.models import WorkOrder
from dangjian.knowledge.models import Entry, EntryStatus
from dangjian.knowledge.permissions import EDIT_KB
from dangjian.knowledge.tests.access import (
    SPEC,
    _question,
    _upload,
    kb_conversations,
    kb_entries,
)
from tests.access.lists import api_ids
from tests.access.spec import granted, visible
from tests.kit import ORG_KEYS, USER_KEYS, sees_org

pytestmark = pytest.mark.django_db

API = "/api/v1/consult"
ENTRIES = f"{API}/kb/entries"


def is_editor(user_key: str) -> bool:
    return bool(granted(user_key, EDIT_KB))


def _state():
    return (
        list(Entry.objects.order_by("pk").values_list("pk", "status", "version", "answer")),
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
    kind = SPEC.kind("kb_entry")
    return {o.pk for o in entries if o.data["status"] in statuses and visible(kind, user_key, o)}


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_list_is_exactly_the_scope(client, cast, bearer, entries, user_key):
    headers = bearer(cast.user[user_key])
    for params in ({}, {"status": "draft"}, {"status": "published"}, {"q": "党费"}):
        ids, counts = api_ids(client, ENTRIES, headers, params, limit=7)
        statuses = [params["status"]] if "status" in params else ("draft", "published")
        expected = _seen_entries(user_key, entries, statuses)
        assert len(ids) == len(set(ids))
        assert set(ids) == expected, params
        assert counts == {len(expected)}, params


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_create_in_the_default_organisation(client, cast, bearer, user_key):
    """Without org_id, an editor's entry goes to the top of their scope; others: 403."""
    headers = bearer(cast.user[user_key])
    before = _state()
    body = {"question": "默认组织的问题？", "answer": "答案。"}
    response = _post(client, ENTRIES, body, headers)
    _check(response, 201 if is_editor(user_key) else 403, before)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_export(client, cast, bearer, entries, user_key):
    headers = bearer(cast.user[user_key])
    before = _state()
    response = client.get(f"{API}/kb/export", {"format": "jsonl"}, **headers)
    _check(response, 200 if is_editor(user_key) else 403, before)
    if response.status_code == 200:
        lines = [json.loads(x) for x in response.content.decode().splitlines()]
        expected = {
            _question(o.org, o.data["status"])
            for o in entries
            if o.pk in _seen_entries(user_key, entries)
        }
        assert {line["question"] for line in lines} == expected


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_ask_by_entry_id_only_for_answerable_entries(client, cast, bearer, entries, user_key):
    """A clicked candidate is answered when published; a draft is a 422 for everyone, and
    to those who may not see it exactly as if it did not exist."""
    headers = bearer(cast.user[user_key])
    missing = _post(client, f"{API}/ask", {"entry_id": 10**9}, headers).json()
    seen = _seen_entries(user_key, entries)
    for obj in entries:
        response = _post(client, f"{API}/ask", {"entry_id": obj.pk}, headers)
        if obj.data["status"] == EntryStatus.PUBLISHED:
            assert response.status_code == 200
            assert response.json()["entry_id"] == obj.pk
            continue
        assert response.status_code == 422
        if obj.pk not in seen:
            assert response.json() == missing


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_create_and_import_pages(client, cast, login, user_key):
    """Non-editors are refused outright (403); an editor naming an organisation they
    cannot see gets 404."""
    login(cast.user[user_key])
    for org_key in ORG_KEYS:
        if not is_editor(user_key):
            expected = 403
        elif not sees_org(user_key, org_key):
            expected = 404
        else:
            expected = 200 if org_key in granted(user_key, EDIT_KB) else 403
        org = cast.org[org_key].pk
        for name in ("kb_create", "kb_import"):
            response = client.get(reverse(f"knowledge:{name}"), {"org": org})
            assert response.status_code == expected, (name, org_key)
        before = _state()
        data = {"org": org, "question": f"{org_key}的新问题？", "answer": "答案。", "kind": "faq"}
        response = client.post(f"{reverse('knowledge:kb_create')}?org={org}", data)
        _check(response, 302 if expected == 200 else expected, before)
        before = _state()
        data = {"file": _upload(f"{org_key}导入的问题？")}
        response = client.post(f"{reverse('knowledge:kb_import')}?org={org}", data)
        _check(response, 302 if expected == 200 else expected, before)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_list_and_export_pages(client, cast, login, entries, user_key):
    login(cast.user[user_key])
    seen = _seen_entries(user_key, entries)
    visible_q = {_question(o.org, o.data["status"]) for o in entries if o.pk in seen}
    hidden = {_question(o.org, o.data["status"]) for o in entries} - visible_q
    for params in ({"all": "1", "status": "draft"}, {"status": "draft"}, {"kind": "faq"}):
        text = client.get(reverse("knowledge:kb_list"), params).content.decode()
        assert not [q for q in hidden if q in text], params
    drafts = client.get(reverse("knowledge:kb_list"), {"status": "draft"}).content.decode()
    shown = {q for q in visible_q if q in drafts and "draft" in q}
    assert shown == ({q for q in visible_q if "draft" in q} if is_editor(user_key) else set())
    before = _state()
    response = client.get(reverse("knowledge:kb_export"), {"format": "jsonl"})
    _check(response, 200 if is_editor(user_key) else 403, before)
    if response.status_code == 200:
        exported = {json.loads(x)["question"] for x in response.content.decode().splitlines()}
        assert exported == visible_q


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_chat_pages(client, cast, login, entries, user_key):
    """The chat page opens one's own conversation only (?c=); a picked draft is never
    answered: 404 to those who may not see it, a message to editors."""
    conversations = kb_conversations(cast)["conversation"]
    login(cast.user[user_key])
    assert client.get(reverse("knowledge:chat")).status_code == 200
    for obj in conversations:
        page = client.get(reverse("knowledge:chat"), {"c": obj.pk})
        assert page.status_code == (200 if obj.owner == user_key else 404), obj.key
    seen = _seen_entries(user_key, entries)
    for obj in entries:
        before = _state()
        response = client.post(reverse("knowledge:chat_pick"), {"entry": obj.pk})
        if obj.data["status"] == EntryStatus.PUBLISHED:
            assert response.status_code == 302
            continue
        assert response.status_code == (302 if obj.pk in seen else 404)
        assert _state() == before


def test_visitors(client, cast):
    """Not logged in: the chat is open (the public site), nothing else; a visitor reaches
    only the conversations of their own browser session."""
    made = kb_conversations(cast)
    visitor = next(o for o in made["conversation"] if o.key == "visitor")
    message = next(o for o in made["message"] if o.key == "visitor")
    published = next(o for o in kb_entries(cast, ("published",)) if o.org == "P")
    assert client.get(reverse("knowledge:chat")).status_code == 200
    assert client.get(reverse("knowledge:chat"), {"c": visitor.pk}).status_code == 404
    before = _state()
    response = client.post(reverse("knowledge:chat_handoff", args=[visitor.pk]))
    _check(response, 404, before)
    response = client.post(reverse("knowledge:chat_feedback", args=[message.pk]), {"helpful": "1"})
    _check(response, 404, before)
    for name in (
        "knowledge:kb_list",
        "knowledge:kb_create",
        "knowledge:kb_import",
        "knowledge:kb_export",
        "knowledge:daily",
        "desk:hotline",
        "desk:feedback",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"], name
    assert client.get(reverse("knowledge:kb_detail", args=[published.pk])).status_code == 302


def test_import_page_refuses_an_organisation_seen_but_not_edited(client, cast, login):
    """An agent of K1 who is also 单位领导 of C1 sees C1 but does not edit its knowledge
    base: the import page refuses C1 before reading the file, so its row errors cannot
    reveal C1's drafts (a duplicate question names the entry it duplicates)."""
    from dangjian.accounts import services as accounts

    root = cast.user["root"]
    user = accounts.user_create(
        acting_user=root, username="k1_agent", password="x", validate_password=False
    )
    accounts.role_grant(acting_user=root, user=user, org=cast.org["C1"], role=Role.LEADER)
    accounts.role_grant(acting_user=root, user=user, org=cast.org["K1"], role=Role.AGENT)
    draft = Entry.objects.create(org=cast.org["C1"], question="市委的草稿问题？", answer="草稿")
    login(user)
    url = f"{reverse('knowledge:kb_import')}?org={cast.org['C1'].pk}"
    assert client.get(url).status_code == 403
    before = _state()
    response = client.post(url, {"file": _upload(draft.question)})
    assert response.status_code == 403
    assert f"条目 {draft.pk}" not in response.content.decode()
    assert _state() == before
    own = f"{reverse('knowledge:kb_import')}?org={cast.org['K1'].pk}"
    assert client.get(own).status_code == 200
