"""The knowledge base's and the bot's part of the access matrix (tests/access/spec.py).

Knowledge-base entries: a draft and a published one of every organisation. Published
entries are read by every logged-in user; drafts by editors (EDIT_KB: 坐席, 管理员) at or
above the owning organisation; changing an entry needs EDIT_KB over it. A conversation
with the bot and its messages belong to their asker alone (404 for anyone else, the
superuser included).
"""

import datetime as dt
import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.desk.models import ChatSession, WorkOrder
from dangjian.knowledge.models import (
    Conversation,
    DailySchedule,
    Entry,
    EntryStatus,
    EntryVersion,
    Message,
    MessageRole,
    PolicyArticle,
)
from dangjian.knowledge.permissions import EDIT_KB
from dangjian.orgs.permissions import VIEW_ORG
from dangjian.orgs.tests.access import orgs
from tests.access.spec import Endpoint, Kind, Obj, Page, Spec
from tests.kit import ORG_KEYS, USER_KEYS

API = "/api/v1/consult"
ENTRY = f"{API}/kb/entries/{{entry_id}}"
STATUSES = ("draft", "published")
ASKERS = [*USER_KEYS, "visitor"]  # "visitor": an anonymous asker of the public site
TARGET = {"publish": "published", "retire": "retired", "restore": "draft"}
EDIT = {"perm": EDIT_KB}


def own(user_key: str, obj: Obj) -> bool:
    return obj.owner is not None and obj.owner == user_key


def published(user_key: str, obj: Obj) -> bool:
    return obj.data["status"] == EntryStatus.PUBLISHED


# --- Objects (written directly: no audit entry, so the security tests' counts hold)


def _question(org_key: str, status: str) -> str:
    return f"【{org_key}-{status}】党费怎么交纳？"


def kb_entries(cast, statuses=STATUSES) -> list[Obj]:
    """An entry of every organisation in each of ``statuses``."""
    made = []
    now = timezone.now()
    for key in ORG_KEYS:
        for status in statuses:
            entry = Entry.objects.create(
                org=cast.org[key],
                question=_question(key, status),
                answer="按月交纳。",
                status=status,
                published_at=now if status == EntryStatus.PUBLISHED else None,
            )
            made.append(Obj(f"{status}:{key}", entry.pk, key, Entry, data={"status": status}))
    return made


def kb_conversations(cast) -> dict[str, list[Obj]]:
    """One conversation (a question and the bot's answer) of every user and of a visitor."""
    made: dict[str, list[Obj]] = {"conversation": [], "message": []}
    for asker in ASKERS:
        conversation = Conversation.objects.create(user=cast.user.get(asker))
        Message.objects.create(conversation=conversation, role=MessageRole.USER, text="党费？")
        message = Message.objects.create(
            conversation=conversation,
            role=MessageRole.BOT,
            text="按月交纳。",
            confidence=0.9,
            confident=True,
        )
        made["conversation"].append(Obj(asker, conversation.pk, None, Conversation, asker))
        made["message"].append(Obj(asker, message.pk, None, Message, asker))
    return made


def _published_entry(ctx) -> int:
    """A published entry to ask about (made inside the request's savepoint)."""
    return Entry.objects.create(
        org=ctx.cast.org["P"],
        question="党费怎么交？",
        answer="按月交纳。",
        status=EntryStatus.PUBLISHED,
        published_at=timezone.now(),
    ).pk


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def _schedulable(cast) -> Entry:
    return Entry.objects.create(
        org=cast.org["P"],
        question="每日一答的问题？",
        answer="每日一答的答案。",
        status=EntryStatus.PUBLISHED,
        published_at=timezone.now(),
    )


def kb_schedules(cast) -> list[Obj]:
    """A 每日一答 schedule of every organisation for tomorrow (editors see and cancel it)."""
    entry = _schedulable(cast)
    made = []
    for key in ORG_KEYS:
        item = DailySchedule.objects.create(org=cast.org[key], day=_tomorrow(), entry=entry)
        made.append(Obj(f"schedule:{key}", item.pk, key, DailySchedule))
    return made


def kb_articles(cast) -> list[Obj]:
    """A draft and a published 政策解读 article of every organisation."""
    made = []
    now = timezone.now()
    for key in ORG_KEYS:
        for status in STATUSES:
            article = PolicyArticle.objects.create(
                org=cast.org[key],
                title=f"【{key}-{status}】政策解读",
                body="正文。",
                publish_date=timezone.localdate(),
                status=status,
                published_at=now if status == "published" else None,
            )
            made.append(
                Obj(
                    f"article-{status}:{key}",
                    article.pk,
                    key,
                    PolicyArticle,
                    data={"status": status},
                )
            )
    return made


KINDS = [
    Kind("kb_entry", lambda ctx: kb_entries(ctx.cast), view=EDIT_KB, also=published),
    Kind("kb_entry_retired", lambda ctx: kb_entries(ctx.cast, ("retired",)), view=EDIT_KB),
    Kind(
        "kb_conversation",
        lambda ctx: kb_conversations(ctx.cast)["conversation"],
        view=None,
        also=own,
    ),
    Kind("kb_message", lambda ctx: kb_conversations(ctx.cast)["message"], view=None, also=own),
    Kind("org", orgs, view=VIEW_ORG),
    Kind("kb_schedule", lambda ctx: kb_schedules(ctx.cast), view=EDIT_KB),
    Kind("kb_article", lambda ctx: kb_articles(ctx.cast), view=EDIT_KB, also=published),
]


def state():
    """Everything a knowledge-base or bot request could touch (a hand-off files an order or
    opens a chat at the desk), to prove a refused one touched nothing."""
    return (
        list(Entry.objects.order_by("pk").values_list("pk", "status", "version", "answer")),
        EntryVersion.objects.count(),
        list(Message.objects.order_by("pk").values_list("pk", "feedback")),
        Conversation.objects.count(),
        WorkOrder.objects.count(),
        ChatSession.objects.count(),
        list(DailySchedule.objects.order_by("pk").values_list("pk", "entry_id", "note")),
        list(PolicyArticle.objects.order_by("pk").values_list("pk", "status", "title")),
    )


# --- What allowed answers must say


def _entry_detail(ctx, obj, response):
    if response.status_code == 404:
        assert response.json() == {"detail": "未找到"}
    else:
        from tests.access.spec import holds

        assert response.json()["can_edit"] is holds(ctx.user, EDIT_KB, obj)


def _new_version(ctx, obj, response):
    if response.status_code == 200:
        entry = Entry.objects.get(pk=obj.pk)
        assert (entry.answer, entry.version) == ("每月交纳一次。", 2)
        assert EntryVersion.objects.filter(entry=entry).count() >= 1


def _status_action(action: str) -> dict:
    target = TARGET[action]

    def check(ctx, obj, response):
        if response.status_code == 200:
            assert response.json()["status"] == target

    return {
        "outcome": lambda user_key, obj: 422 if obj.data["status"] == target else 200,
        "check": check,
    }


def _org_id_422(ctx, obj, response):
    if response.status_code == 422:
        assert response.json()["detail"][0]["loc"] == ["body", "org_id"]


def _conversation_422(ctx, obj, response):
    if response.status_code == 422:
        assert response.json()["detail"][0]["loc"] == ["body", "conversation_id"]


def _handed_off(ctx, obj, response):
    if response.status_code == 200:
        assert response.json()["handed_off"] is True
        assert response.json()["conversation_id"] == obj.pk


def _upload(text: str) -> SimpleUploadedFile:
    line = json.dumps({"question": text, "answer": "导入的答案。"}, ensure_ascii=False)
    return SimpleUploadedFile("kb.jsonl", line.encode(), content_type="application/x-ndjson")


def _imported(ctx, obj, response):
    if response.status_code == 201:
        assert response.json() == {"created": 1, "published": 0, "merged": 0}
        assert Entry.objects.get(question=f"{obj.key}导入的问题？").org_id == obj.pk


def _created(ctx, obj, response):
    if response.status_code == 201:
        assert (response.json()["org_id"], response.json()["status"]) == (obj.pk, "draft")


def _entry(method, suffix, **kw) -> Endpoint:
    return Endpoint(method, ENTRY + suffix, obj="kb_entry", **kw)


ENDPOINTS = [
    _entry("get", "", check=_entry_detail),
    _entry("get", "/history", **EDIT),
    _entry(
        "patch",
        "",
        **EDIT,
        body=lambda ctx, obj: {"answer": "每月交纳一次。"},
        check=_new_version,
    ),
    # A draft or a published entry is published or retired; a retired one restored (to a
    # draft); asking for the status an entry already has is a 422.
    *[
        Endpoint("post", f"{ENTRY}/{action}", obj=kind, **EDIT, **_status_action(action))
        for action, kind in [
            ("publish", "kb_entry"),
            ("retire", "kb_entry"),
            ("restore", "kb_entry_retired"),
        ]
    ],
    Endpoint(
        "post",
        f"{API}/kb/entries",
        obj="org",  # named in the body: one the user cannot see is a 422 on org_id
        **EDIT,
        hidden=422,
        ok=201,
        body=lambda ctx, obj: {
            "org_id": obj.pk,
            "question": f"{obj.key}的新问题？",
            "answer": "答案。",
        },
        check=lambda ctx, obj, response: (
            _org_id_422(ctx, obj, response),
            _created(ctx, obj, response),
        ),
    ),
    Endpoint(
        "post",
        f"{API}/kb/import",
        obj="org",
        **EDIT,
        hidden=422,
        ok=201,
        multipart=True,
        body=lambda ctx, obj: {"file": _upload(f"{obj.key}导入的问题？"), "org_id": obj.pk},
        check=_imported,
    ),
    Endpoint(
        "post",
        f"{API}/conversations/{{conversation_id}}/handoff",
        obj="kb_conversation",
        audited=None,
        check=_handed_off,
    ),
    Endpoint(
        "post",
        f"{API}/messages/{{message_id}}/feedback",
        obj="kb_message",
        ok=204,
        audited=None,
        body=lambda ctx, obj: {"helpful": False},
    ),
    Endpoint(
        "post",
        f"{API}/ask",
        obj="kb_conversation",  # named in the body: another's is a 422 on conversation_id
        hidden=422,
        audited=None,
        body=lambda ctx, obj: {
            "question": "党费怎么交？",
            "conversation_id": obj.pk,
            "entry_id": _published_entry(ctx),
        },
        check=_conversation_422,
    ),
]


ARTICLE = f"{API}/policy/{{article_id}}"
POLICY_TARGET = {"publish": "published", "withdraw": "withdrawn"}


def _policy_action(action: str) -> dict:
    target = POLICY_TARGET[action]

    def check(ctx, obj, response):
        if response.status_code == 200:
            assert response.json()["status"] == target

    return {
        "outcome": lambda user_key, obj: 422 if obj.data["status"] == target else 200,
        "check": check,
    }


def _scheduled(ctx, obj, response):
    if response.status_code == 201:
        assert (response.json()["org_id"], response.json()["day"]) == (
            obj.pk,
            _tomorrow().isoformat(),
        )


EDITORIAL_ENDPOINTS = [
    Endpoint("delete", f"{API}/daily/schedule/{{schedule_id}}", obj="kb_schedule", **EDIT, ok=204),
    Endpoint(
        "post",
        f"{API}/daily/schedule",
        obj="org",  # named in the body: one the user cannot see is a 422 on org_id
        **EDIT,
        hidden=422,
        ok=201,
        body=lambda ctx, obj: {
            "org_id": obj.pk,
            "day": _tomorrow().isoformat(),
            "entry_id": _schedulable(ctx.cast).pk,
        },
        check=lambda ctx, obj, response: (
            _org_id_422(ctx, obj, response),
            _scheduled(ctx, obj, response),
        ),
    ),
    Endpoint("get", ARTICLE, obj="kb_article"),
    Endpoint(
        "patch",
        ARTICLE,
        obj="kb_article",
        **EDIT,
        body=lambda ctx, obj: {"title": "修改后的政策解读"},
    ),
    *[
        Endpoint("post", f"{ARTICLE}/{action}", obj="kb_article", **EDIT, **_policy_action(action))
        for action in ("publish", "withdraw")
    ],
    Endpoint(
        "post",
        f"{API}/policy",
        obj="org",
        **EDIT,
        hidden=422,
        ok=201,
        body=lambda ctx, obj: {"org_id": obj.pk, "title": f"{obj.key}的政策解读", "body": "正文"},
        check=_org_id_422,
    ),
]


def _form_article(ctx, obj) -> dict:
    return {
        "title": "修改后的政策解读",
        "body": "正文。",
        "summary": "",
        "source": "",
        "publish_date": timezone.localdate().isoformat(),
    }


EDITORIAL_PAGES = [
    Page("post", "knowledge:daily_unplan", obj="kb_schedule", **EDIT, ok=302),
    Page("get", "knowledge:policy_detail", obj="kb_article"),
    Page("get", "knowledge:policy_edit", obj="kb_article", **EDIT),
    Page("post", "knowledge:policy_edit", obj="kb_article", **EDIT, ok=302, body=_form_article),
    Page(
        "post",
        "knowledge:policy_status",
        obj="kb_article",
        **EDIT,
        ok=302,
        # A refused transition (publishing a published article) is a message, no write.
        audited=None,
        args=lambda obj: [obj.pk, "publish"],
    ),
]


def _form_entry(ctx, obj) -> dict:
    return {
        "question": _question(obj.org, obj.data["status"]),
        "answer": "每月交纳一次。",
        "kind": "faq",
    }


PAGES = [
    Page("get", "knowledge:kb_detail", obj="kb_entry"),
    Page("get", "knowledge:kb_edit", obj="kb_entry", **EDIT),
    Page("get", "knowledge:kb_history", obj="kb_entry", **EDIT),
    Page("post", "knowledge:kb_edit", obj="kb_entry", **EDIT, ok=302, body=_form_entry),
    Page(
        "post",
        "knowledge:kb_status",
        obj="kb_entry",
        **EDIT,
        ok=302,
        args=lambda obj: [obj.pk, "retire"],
    ),
    Page("post", "knowledge:chat_handoff", obj="kb_conversation", ok=302, audited=None),
    Page(
        "post",
        "knowledge:chat_feedback",
        obj="kb_message",
        ok=302,
        audited=None,
        body=lambda ctx, obj: {"helpful": "1"},
    ),
]

SPEC = Spec(
    module="knowledge",
    kinds=KINDS,
    endpoints=[*ENDPOINTS, *PAGES, *EDITORIAL_ENDPOINTS, *EDITORIAL_PAGES],
    exempt={
        "GET /api/v1/consult/kb/entries": "a list: exactly the scope, knowledge/tests/test_access.py",
        "GET /api/v1/consult/kb/export": "exactly the visible entries, knowledge/tests/test_access.py",
        "GET /api/v1/consult/daily": "the same answer for everyone: desk/tests/test_access.py",
        "GET /api/v1/consult/daily/today": "one's own day: knowledge/tests/test_kb_editorial.py",
        "GET /api/v1/consult/daily/schedule": "a list: exactly the editor's scope, "
        "knowledge/tests/test_kb_editorial.py",
        "GET /api/v1/consult/policy": "a list: the published column, or the editor's scope "
        "(?manage=1), knowledge/tests/test_kb_editorial.py",
    },
    state=state,
    roles={EDIT_KB: {"admin", "agent"}},
)
