"""The access matrix of the 12371 knowledge base and bot: every user of the cast × entries
owned by every organisation of the tree (a draft and a published one each) × every KB/bot
endpoint and page; conversations of every user × every user.

The oracle is derived from the cast (dangjian.core.testing), not from core.scope:
published entries are read by every logged-in user; drafts and retired entries only by
knowledge-base editors (agents, admins) at or above the owning organisation — anyone
else gets 404, as if the entry did not exist; changing an entry needs that editor role
(404 when not visible, 403 when visible without it); a conversation and its messages
belong to their asker alone (404 for anyone else). Lists hold exactly the visible rows,
counts included. A refused request changes nothing; an allowed write is audited.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.consult.models import (
    Conversation,
    Entry,
    EntryStatus,
    EntryVersion,
    IvrOption,
    Message,
    MessageRole,
    PlatformFeedback,
    WorkOrder,
)
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Role
from dangjian.core.testing import BRANCHES, ORG_KEYS, USER_KEYS, USERS, changes_org, sees_org

pytestmark = pytest.mark.django_db

API = "/api/v1/consult"
ENTRIES = f"{API}/kb/entries"
EDIT_KB_ROLES = {Role.AGENT, Role.ADMIN}
HANDLE_ROLES = {Role.AGENT, Role.HANDLER, Role.ADMIN}
STATUSES = ("draft", "published")
# What each status action moves an entry to (asking for the status it has is a 422).
TARGET = {
    "publish": EntryStatus.PUBLISHED,
    "retire": EntryStatus.RETIRED,
    "restore": EntryStatus.DRAFT,
}
ASKERS = [*USER_KEYS, "visitor"]  # "visitor": an anonymous asker of the public site


# --- The oracle


def _role(user_key: str) -> Role | None:
    return USERS[user_key][0] if user_key in USERS else None


def edits_kb(user_key: str, org_key: str) -> bool:
    """Whether the user edits the knowledge base of ``org_key`` (上级看下级)."""
    if user_key == "root":
        return True
    return _role(user_key) in EDIT_KB_ROLES and sees_org(user_key, org_key)


def is_editor(user_key: str) -> bool:
    return any(edits_kb(user_key, org_key) for org_key in ORG_KEYS)


def sees_entry(user_key: str, org_key: str, status: str) -> bool:
    return status == EntryStatus.PUBLISHED or edits_kb(user_key, org_key)


def handles(user_key: str) -> bool:
    return user_key == "root" or _role(user_key) in HANDLE_ROLES


def manages_feedback(user_key: str, branch_key: str) -> bool:
    """Admins over the submitter's branch run the 问题优化清单 (Perm.CHANGE_ORG)."""
    return changes_org(user_key, branch_key)


def _want(user_key: str, org_key: str, status: str, ok: int) -> int:
    if not sees_entry(user_key, org_key, status):
        return 404
    if not edits_kb(user_key, org_key):
        return 403
    return ok


# --- Objects


def _question(org_key: str, status: str) -> str:
    return f"【{org_key}-{status}】党费怎么交纳？"


def kb_objects(cast) -> dict[str, dict[str, int]]:
    """A draft and a published entry of every organisation, and one conversation (a
    question and the bot's answer) of every user and of a visitor — written directly
    (no audit entry, so the security tests' state checks are unchanged)."""
    made: dict[str, dict[str, int]] = {s: {} for s in (*STATUSES, "conversation", "message")}
    now = timezone.now()
    for key in ORG_KEYS:
        for status in STATUSES:
            made[status][key] = Entry.objects.create(
                org=cast.org[key],
                question=_question(key, status),
                answer="按月交纳。",
                status=status,
                published_at=now if status == EntryStatus.PUBLISHED else None,
            ).pk
    for asker in ASKERS:
        conversation = Conversation.objects.create(user=cast.user.get(asker))
        Message.objects.create(conversation=conversation, role=MessageRole.USER, text="党费？")
        made["message"][asker] = Message.objects.create(
            conversation=conversation,
            role=MessageRole.BOT,
            text="按月交纳。",
            confidence=0.9,
            confident=True,
        ).pk
        made["conversation"][asker] = conversation.pk
    return made


@pytest.fixture
def kb(cast):
    return kb_objects(cast)


@pytest.fixture
def feedback_items(cast) -> dict[str, int]:
    """A 问题优化清单 item filed under every branch (by nobody in the cast), and one of
    every user's own that no branch holds."""
    items = {
        b: PlatformFeedback.objects.create(
            org=cast.org[b], kind="problem", text=f"【意见-{b}】签到按钮太小"
        ).pk
        for b in BRANCHES
    }
    for user_key in USER_KEYS:
        items[user_key] = PlatformFeedback.objects.create(
            user=cast.user[user_key], kind="suggestion", text=f"【意见-{user_key}】增加夜间模式"
        ).pk
    return items


def _entries(kb):
    """(org key, status, pk) of every entry of the fixture."""
    return [(org_key, s, pk) for s in STATUSES for org_key, pk in kb[s].items()]


def _state():
    """Everything a KB or bot request could touch, to prove a refused one touched nothing."""
    return (
        list(Entry.objects.order_by("pk").values_list("pk", "status", "version", "answer")),
        EntryVersion.objects.count(),
        list(Message.objects.order_by("pk").values_list("pk", "feedback")),
        Conversation.objects.count(),
        WorkOrder.objects.count(),
        list(PlatformFeedback.objects.order_by("pk").values_list("pk", "status", "reply")),
        IvrOption.objects.count(),
        AuditEntry.objects.count(),
    )


def _check(response, expected: int, before, *, audited: int = 1):
    """The status the oracle expects; refused or rejected → nothing changed; allowed →
    audited exactly ``audited`` times."""
    assert response.status_code == expected, (expected, response.content[:300])
    after = _state()
    if expected >= 400:
        assert after == before, "a refused request changed something"
    elif audited:
        assert after[-1] == before[-1] + audited, "an allowed write must be audited"


def _post(client, url, data, headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def _page_through(client, url, headers, params=None, limit=7):
    ids, counts, offset = [], set(), 0
    while True:
        response = client.get(url, {**(params or {}), "limit": limit, "offset": offset}, **headers)
        assert response.status_code == 200, response.content
        body = response.json()
        counts.add(body["count"])
        ids += [item["id"] for item in body["items"]]
        offset += limit
        if offset >= body["count"]:
            return ids, counts


# --- API: entries


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_detail_and_history(client, cast, bearer, kb, user_key):
    headers = bearer(cast.user[user_key])
    for org_key, status, pk in _entries(kb):
        detail = client.get(f"{ENTRIES}/{pk}", **headers)
        visible = sees_entry(user_key, org_key, status)
        assert detail.status_code == (200 if visible else 404), (org_key, status)
        if visible:
            assert detail.json()["can_edit"] is edits_kb(user_key, org_key)
        else:
            assert detail.json() == {"detail": "未找到"}
        history = client.get(f"{ENTRIES}/{pk}/history", **headers)
        assert history.status_code == _want(user_key, org_key, status, 200), (org_key, status)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_list_is_exactly_the_scope(client, cast, bearer, kb, user_key):
    headers = bearer(cast.user[user_key])
    for params in ({}, {"status": "draft"}, {"status": "published"}, {"q": "党费"}):
        ids, counts = _page_through(client, ENTRIES, headers, params)
        statuses = [params["status"]] if "status" in params else STATUSES
        expected = {
            pk
            for org_key, status, pk in _entries(kb)
            if status in statuses and sees_entry(user_key, org_key, status)
        }
        assert len(ids) == len(set(ids))
        assert set(ids) == expected, params
        assert counts == {len(expected)}, params


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_patch(client, cast, bearer, kb, user_key):
    headers = bearer(cast.user[user_key])
    for org_key, status, pk in _entries(kb):
        before = _state()
        response = client.patch(
            f"{ENTRIES}/{pk}",
            json.dumps({"answer": "每月交纳一次。"}),
            content_type="application/json",
            **headers,
        )
        _check(response, _want(user_key, org_key, status, 200), before)
        if response.status_code == 200:
            entry = Entry.objects.get(pk=pk)
            assert (entry.answer, entry.version) == ("每月交纳一次。", 2)
            assert _state()[1] == before[1] + 1, "a new version"


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_status_actions(client, cast, bearer, kb, user_key):
    """publish → retire → restore on every entry: 200 along the way, 422 for the status the
    entry already has, 403/404 for everyone the oracle refuses."""
    headers = bearer(cast.user[user_key])
    for org_key, status, pk in _entries(kb):
        current = status
        for action, target in TARGET.items():
            before = _state()
            response = _post(client, f"{ENTRIES}/{pk}/{action}", {}, headers)
            ok = 422 if current == target else 200
            _check(response, _want(user_key, org_key, status, ok), before)
            if response.status_code == 200:
                assert response.json()["status"] == target
                current = target
        assert Entry.objects.get(pk=pk).status == current


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_create(client, cast, bearer, user_key):
    """An organisation the user cannot see is a 422 on org_id (like a nonexistent id)."""
    headers = bearer(cast.user[user_key])
    for org_key in ORG_KEYS:
        payload = {"question": f"{org_key}的新问题？", "answer": "答案。"}
        payload["org_id"] = cast.org[org_key].pk
        before = _state()
        response = _post(client, ENTRIES, payload, headers)
        if not sees_org(user_key, org_key):
            expected = 422
        else:
            expected = 201 if edits_kb(user_key, org_key) else 403
        _check(response, expected, before)
        if expected == 422:
            assert response.json()["detail"][0]["loc"] == ["body", "org_id"]
        if expected == 201:
            body = response.json()
            assert (body["org_id"], body["status"]) == (cast.org[org_key].pk, "draft")
    before = _state()
    response = _post(client, ENTRIES, {"question": "默认组织的问题？", "answer": "答案。"}, headers)
    _check(response, 201 if is_editor(user_key) else 403, before)


def _upload(text: str) -> SimpleUploadedFile:
    line = json.dumps({"question": text, "answer": "导入的答案。"}, ensure_ascii=False)
    return SimpleUploadedFile("kb.jsonl", line.encode(), content_type="application/x-ndjson")


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_import(client, cast, bearer, user_key):
    headers = bearer(cast.user[user_key])
    for org_key in ("P", "C1", "K1", "K2", "B1", "B4"):
        before = _state()
        data = {"file": _upload(f"{org_key}导入的问题？"), "org_id": cast.org[org_key].pk}
        response = client.post(f"{API}/kb/import", data, **headers)
        if not sees_org(user_key, org_key):
            expected = 422
        else:
            expected = 201 if edits_kb(user_key, org_key) else 403
        _check(response, expected, before)
        if expected == 201:
            assert response.json() == {"created": 1, "published": 0, "merged": 0}
            assert Entry.objects.get(question=f"{org_key}导入的问题？").org_id == data["org_id"]


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_export(client, cast, bearer, kb, user_key):
    headers = bearer(cast.user[user_key])
    before = _state()
    response = client.get(f"{API}/kb/export", {"format": "jsonl"}, **headers)
    _check(response, 200 if is_editor(user_key) else 403, before)
    if response.status_code == 200:
        lines = [json.loads(x) for x in response.content.decode().splitlines()]
        expected = {
            _question(org_key, status)
            for org_key, status, _ in _entries(kb)
            if sees_entry(user_key, org_key, status)
        }
        assert {line["question"] for line in lines} == expected


# --- API: the bot's conversations


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_conversations_belong_to_their_asker(client, cast, bearer, kb, user_key):
    headers = bearer(cast.user[user_key])
    for asker in ASKERS:
        own = asker == user_key
        before = _state()
        url = f"{API}/messages/{kb['message'][asker]}/feedback"
        _check(
            _post(client, url, {"helpful": False}, headers), 204 if own else 404, before, audited=0
        )
        before = _state()
        url = f"{API}/conversations/{kb['conversation'][asker]}/handoff"
        response = _post(client, url, {}, headers)
        _check(response, 200 if own else 404, before, audited=0)
        if own:
            assert response.json()["handed_off"] is True
            assert response.json()["conversation_id"] == kb["conversation"][asker]
        before = _state()
        payload = {"question": "党费怎么交？", "conversation_id": kb["conversation"][asker]}
        response = _post(
            client, f"{API}/ask", {**payload, "entry_id": kb["published"]["P"]}, headers
        )
        _check(response, 200 if own else 422, before, audited=0)
        if not own:
            assert response.json()["detail"][0]["loc"] == ["body", "conversation_id"]


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_ask_by_entry_id_only_for_answerable_entries(client, cast, bearer, kb, user_key):
    """A clicked candidate is answered when published; a draft is a 422 for everyone, and
    to those who may not see it exactly as if it did not exist."""
    headers = bearer(cast.user[user_key])
    missing = _post(client, f"{API}/ask", {"entry_id": 10**9}, headers).json()
    for org_key, status, pk in _entries(kb):
        response = _post(client, f"{API}/ask", {"entry_id": pk}, headers)
        if status == EntryStatus.PUBLISHED:
            assert response.status_code == 200
            assert response.json()["entry_id"] == pk
            continue
        assert response.status_code == 422
        if not sees_entry(user_key, org_key, status):
            assert response.json() == missing


# --- API: 每日一答, hotline menu, 问题优化清单


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_daily_ivr_and_platform_feedback(client, cast, bearer, feedback_items, user_key):
    headers = bearer(cast.user[user_key])
    assert client.get(f"{API}/daily", **headers).status_code == 200
    assert client.get(f"{API}/ivr", **headers).status_code == (200 if handles(user_key) else 403)
    ids, counts = _page_through(client, f"{API}/platform-feedback", headers)
    expected = {feedback_items[user_key]}
    expected |= {feedback_items[b] for b in BRANCHES if manages_feedback(user_key, b)}
    if user_key == "root":
        expected = set(feedback_items.values())
    assert set(ids) == expected and counts == {len(expected)}
    before = _state()
    payload = {"kind": "suggestion", "text": "希望增加语音提问。"}
    _check(_post(client, f"{API}/platform-feedback", payload, headers), 201, before)


# --- Pages


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_pages(client, cast, login, kb, user_key):
    login(cast.user[user_key])
    for org_key, status, pk in _entries(kb):
        detail = client.get(reverse("consult:kb_detail", args=[pk]))
        assert detail.status_code == (200 if sees_entry(user_key, org_key, status) else 404)
        for name in ("kb_edit", "kb_history"):
            response = client.get(reverse(f"consult:{name}", args=[pk]))
            assert response.status_code == _want(user_key, org_key, status, 200), name


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_entry_page_writes(client, cast, login, kb, user_key):
    login(cast.user[user_key])
    form = {"question": "", "answer": "每月交纳一次。", "kind": "faq"}
    for org_key, status, pk in _entries(kb):
        before = _state()
        data = {**form, "question": _question(org_key, status)}
        response = client.post(reverse("consult:kb_edit", args=[pk]), data)
        _check(response, _want(user_key, org_key, status, 302), before)
        before = _state()
        url = reverse("consult:kb_status", args=[pk, "retire"])
        _check(client.post(url), _want(user_key, org_key, status, 302), before)


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
            expected = 200 if edits_kb(user_key, org_key) else 403
        org = cast.org[org_key].pk
        for name in ("kb_create", "kb_import"):
            response = client.get(reverse(f"consult:{name}"), {"org": org})
            assert response.status_code == expected, (name, org_key)
        before = _state()
        data = {"org": org, "question": f"{org_key}的新问题？", "answer": "答案。", "kind": "faq"}
        response = client.post(f"{reverse('consult:kb_create')}?org={org}", data)
        _check(response, 302 if expected == 200 else expected, before)
        before = _state()
        data = {"file": _upload(f"{org_key}导入的问题？")}
        response = client.post(f"{reverse('consult:kb_import')}?org={org}", data)
        _check(response, 302 if expected == 200 else expected, before)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_list_and_export_pages(client, cast, login, kb, user_key):
    login(cast.user[user_key])
    visible = {_question(o, s) for o, s, _ in _entries(kb) if sees_entry(user_key, o, s)}
    hidden = {_question(o, s) for o, s, _ in _entries(kb)} - visible
    for params in ({"all": "1", "status": "draft"}, {"status": "draft"}, {"kind": "faq"}):
        text = client.get(reverse("consult:kb_list"), params).content.decode()
        assert not [q for q in hidden if q in text], params
    drafts = client.get(reverse("consult:kb_list"), {"status": "draft"}).content.decode()
    shown = {q for q in visible if q in drafts and "draft" in q}
    assert shown == ({q for q in visible if "draft" in q} if is_editor(user_key) else set())
    before = _state()
    response = client.get(reverse("consult:kb_export"), {"format": "jsonl"})
    _check(response, 200 if is_editor(user_key) else 403, before)
    if response.status_code == 200:
        exported = {json.loads(x)["question"] for x in response.content.decode().splitlines()}
        assert exported == visible


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_chat_pages(client, cast, login, kb, user_key):
    login(cast.user[user_key])
    assert client.get(reverse("consult:chat")).status_code == 200
    for asker in ASKERS:
        own = asker == user_key
        conversation = kb["conversation"][asker]
        page = client.get(reverse("consult:chat"), {"c": conversation})
        assert page.status_code == (200 if own else 404), asker
        before = _state()
        url = reverse("consult:chat_feedback", args=[kb["message"][asker]])
        _check(client.post(url, {"helpful": "1"}), 302 if own else 404, before, audited=0)
        before = _state()
        url = reverse("consult:chat_handoff", args=[conversation])
        _check(client.post(url), 302 if own else 404, before, audited=0)
    for org_key, status, pk in _entries(kb):
        before = _state()
        response = client.post(reverse("consult:chat_pick"), {"entry": pk})
        if status == EntryStatus.PUBLISHED:
            assert response.status_code == 302
            continue
        # A draft is never answered: 404 to those who may not see it, a message to editors.
        assert response.status_code == (302 if sees_entry(user_key, org_key, status) else 404)
        assert _state() == before


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_desk_pages(client, cast, login, feedback_items, user_key):
    login(cast.user[user_key])
    admin = user_key == "root" or _role(user_key) == Role.ADMIN
    assert client.get(reverse("consult:daily")).status_code == 200
    assert client.get(reverse("consult:feedback")).status_code == 200
    hotline = client.get(reverse("consult:hotline"))
    assert hotline.status_code == (200 if handles(user_key) else 403)
    assert client.get(reverse("consult:hotline_edit")).status_code == (200 if admin else 403)
    manage = client.get(reverse("consult:feedback_manage"))
    assert manage.status_code == (200 if admin else 403)
    if admin:
        text = manage.content.decode()
        shown = {key for key in feedback_items if f"【意见-{key}】" in text}
        expected = {b for b in BRANCHES if manages_feedback(user_key, b)}
        if user_key == "root":
            expected = set(feedback_items) - {"root"}
        assert shown == expected
    for key, pk in feedback_items.items():
        if key in BRANCHES:
            expected = 302 if manages_feedback(user_key, key) else 404
        else:  # someone's own item, under no branch: the submitter sees it, only root acts
            expected = 302 if user_key == "root" else (403 if key == user_key else 404)
        before = _state()
        url = reverse("consult:feedback_status", args=[pk])
        _check(client.post(url, {"status": "accepted", "reply": "已采纳"}), expected, before)


def test_visitors(client, cast, kb):
    """Not logged in: the chat is open (the public site), nothing else; a visitor reaches
    only the conversations of their own browser session."""
    assert client.get(reverse("consult:chat")).status_code == 200
    page = client.get(reverse("consult:chat"), {"c": kb["conversation"]["visitor"]})
    assert page.status_code == 404
    before = _state()
    url = reverse("consult:chat_handoff", args=[kb["conversation"]["visitor"]])
    _check(client.post(url), 404, before)
    url = reverse("consult:chat_feedback", args=[kb["message"]["visitor"]])
    _check(client.post(url, {"helpful": "1"}), 404, before)
    for name in ("kb_list", "kb_create", "kb_import", "kb_export", "daily", "hotline", "feedback"):
        response = client.get(reverse(f"consult:{name}"))
        assert response.status_code == 302 and "login" in response["Location"], name
    pk = kb["published"]["P"]
    assert client.get(reverse("consult:kb_detail", args=[pk])).status_code == 302


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
    url = f"{reverse('consult:kb_import')}?org={cast.org['C1'].pk}"
    assert client.get(url).status_code == 403
    before = _state()
    response = client.post(url, {"file": _upload(draft.question)})
    assert response.status_code == 403
    assert f"条目 {draft.pk}" not in response.content.decode()
    assert _state() == before
    own = f"{reverse('consult:kb_import')}?org={cast.org['K1'].pk}"
    assert client.get(own).status_code == 200


@pytest.mark.parametrize("url", [ENTRIES, f"{API}/orders"])
def test_a_nul_in_a_text_filter_is_a_422(client, cast, bearer, url):
    """PostgreSQL cannot compare text with a NUL character: refused, never a 500."""
    response = client.get(url, {"category": "党费\x00"}, **bearer(cast.user["agent"]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "category"]
