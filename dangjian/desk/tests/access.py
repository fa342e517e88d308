"""The service desk's part of the access matrix (tests/access/spec.py).

Work orders, requests for input (协商联动) and live chats are routed to the counties: one
of each per county, and one more order asked by the ``member`` user (B1m1) and routed
to K3. They are seen with VIEW_CONSULT over their organisation (单位领导, 12371坐席,
部门经办人, 管理员) and by their asker (a chat: by its asker and its agent); handling
them needs HANDLE_CONSULT (not 单位领导: 403); the asker alone rates or reopens an order,
and only the two sides of a chat speak in it or end it.

A 问题优化清单 item is managed by the admins over the branch it was
filed under; one's own item, under no branch, is seen by its submitter (403 to act on
it) and managed by the superuser.
"""

import datetime as dt

from django.utils import timezone

from dangjian.desk.models import (
    CannedReply,
    ChatSession,
    Coordination,
    Office,
    PlatformFeedback,
    WorkOrder,
)
from dangjian.desk.permissions import HANDLE_CONSULT, MANAGE_OFFICES, VIEW_CONSULT
from dangjian.knowledge.models import (
    Conversation,
    Entry,
    EntryVersion,
    Message,
)
from dangjian.knowledge.permissions import EDIT_KB
from dangjian.orgs.permissions import CHANGE_ORG, VIEW_ORG
from dangjian.orgs.tests.access import orgs
from tests.access.spec import NOBODY, Endpoint, Kind, Obj, Page, Spec
from tests.kit import BRANCHES, USER_KEYS, USERS, ancestors_or_self

API = "/api/v1/consult"
ORDER = f"{API}/orders/{{order_id}}"
COUNTIES = ["K1", "K2", "K3"]


def own(user_key: str, obj: Obj) -> bool:
    return obj.owner is not None and obj.owner == user_key


def in_chat(user_key: str, obj: Obj) -> bool:
    return user_key in (obj.owner, obj.data.get("agent"))


def chat_agent(user_key: str, obj: Obj) -> bool:
    return user_key == obj.data.get("agent")


def _no_transfer_target(user_key: str, obj: Obj) -> int | None:
    """The chat's agent may transfer it, but no other agent is online: 422 on the target."""
    return 422 if chat_agent(user_key, obj) else None


def _rating_refused_while_open(user_key: str, obj: Obj) -> int | None:
    """满意度 is the asker's once the chat has ended: the chat here is still held (422 for
    its asker), its agent never rates it (403); anyone else is refused as usual."""
    if user_key == obj.owner:
        return 422
    return 403 if chat_agent(user_key, obj) else None


# A held chat ended is also kept as an order answered in the chat: the close, and the
# order's creation, taking and answer.
CLOSE_AUDITED = 4


# --- Objects (written directly: no audit entry, so the security tests' counts hold)


def _order_fields(status: str) -> dict:
    """An order at ``status`` (answered: with its reply), its timers running."""
    now = timezone.now()
    fields = {
        "source": "web",
        "status": status,
        "first_response_due": now + dt.timedelta(hours=4),
        "resolution_due": now + dt.timedelta(days=3),
    }
    if status == "answered":
        fields.update(reply="请按月交纳党费。", answered_at=now, answer_count=1)
    return fields


def consult_objects(cast, status: str = "new") -> dict[str, list[Obj]]:
    """An order (at ``status``), a request for input and a live chat routed to each
    county; an order asked by the ``member`` user (routed to K3) and their chat with the
    C1 agent (who does not cover the member's branch: a participant all the same)."""
    made: dict[str, list[Obj]] = {"order": [], "coordination": [], "chat": []}
    for key in COUNTIES:
        org = cast.org[key]
        order = WorkOrder.objects.create(
            summary=f"{org.name}的咨询", org=org, **_order_fields(status)
        )
        made["order"].append(Obj(key, order.pk, key, WorkOrder))
        if status == "new":  # (an open request for input holds the answer back)
            coordination = Coordination.objects.create(
                order=order, org=org, office="组织科", question="请提供意见"
            )
            made["coordination"].append(Obj(key, coordination.pk, key, Coordination))
        chat = ChatSession.objects.create(
            conversation=Conversation.objects.create(org=org), agent=cast.user["agent"]
        )
        made["chat"].append(Obj(key, chat.pk, key, ChatSession, data={"agent": "agent"}))
    asked = WorkOrder.objects.create(
        summary="党员的咨询",
        org=cast.org["K3"],
        asker=cast.user["member"],
        asker_org=cast.org["B1"],
        **_order_fields(status),
    )
    made["order"].append(Obj("asked", asked.pk, "K3", WorkOrder, owner="member"))
    conversation = Conversation.objects.create(org=cast.org["B1"], user=cast.user["member"])
    chat = ChatSession.objects.create(
        conversation=conversation, asker=cast.user["member"], agent=cast.user["agent"]
    )
    made["chat"].append(Obj("asked", chat.pk, "B1", ChatSession, "member", {"agent": "agent"}))
    return made


def feedback_objects(cast) -> list[Obj]:
    """A 问题优化清单 item filed under every branch (by nobody in the cast), and one of
    every user's own that no branch holds."""
    made = [
        Obj(
            b,
            PlatformFeedback.objects.create(
                org=cast.org[b], kind="problem", text=f"【意见-{b}】签到按钮太小"
            ).pk,
            b,
            PlatformFeedback,
        )
        for b in BRANCHES
    ]
    for user_key in USER_KEYS:
        item = PlatformFeedback.objects.create(
            user=cast.user[user_key], kind="suggestion", text=f"【意见-{user_key}】增加夜间模式"
        )
        made.append(Obj(f"own:{user_key}", item.pk, None, PlatformFeedback, owner=user_key))
    return made


DESKS = ["P", "C1", "K1", "K2", "C2", "K3"]


def office_objects(cast) -> list[Obj]:
    """An office (业务处室) of every organisation department, and one more of 麒麟区 (K3)
    whose 联络员 is the ``member`` user."""
    made = [
        Obj(
            key,
            Office.objects.create(
                org=cast.org[key], name="组织科", lead_name="张", liaison_name="王"
            ).pk,
            key,
            Office,
        )
        for key in DESKS
    ]
    named = Office.objects.create(
        org=cast.org["K3"], name="党员管理股", liaison=cast.user["member"], lead_name="李四"
    )  # (its 联络员's name is their account's)
    return [*made, Obj("K3:liaison", named.pk, "K3", Office, owner="member")]


def canned_objects(cast) -> list[Obj]:
    """A 常用答复 of every organisation department (kept by the admins over it)."""
    return [
        Obj(
            key,
            CannedReply.objects.create(
                org=cast.org[key], title="开场问候", text="您好，这里是12371，请讲。"
            ).pk,
            key,
            CannedReply,
        )
        for key in DESKS
    ]


def above_or_named(user_key: str, obj: Obj) -> bool:
    """An office above one's 12371 desk serves one too; its 联络员 reads it."""
    if own(user_key, obj) or user_key not in USERS:
        return own(user_key, obj)
    role, at = USERS[user_key]
    from dangjian.core.scope import role_perms

    return VIEW_CONSULT in role_perms(role) and obj.org in ancestors_or_self(at)[1:]


def _kind(name: str, make, view, also=None) -> Kind:
    return Kind(name, make, view=view, also=also)


KINDS = [
    *[
        _kind(
            f"consult_order{suffix}",
            lambda ctx, status=status: consult_objects(ctx.cast, status)["order"],
            VIEW_CONSULT,
            own,
        )
        for suffix, status in [("", "new"), ("_claimed", "claimed"), ("_answered", "answered")]
    ],
    _kind(
        "consult_coordination",
        lambda ctx: consult_objects(ctx.cast)["coordination"],
        VIEW_CONSULT,
    ),
    _kind("consult_chat", lambda ctx: consult_objects(ctx.cast)["chat"], VIEW_CONSULT, in_chat),
    _kind("feedback", lambda ctx: feedback_objects(ctx.cast), CHANGE_ORG, own),
    _kind("desk_office", lambda ctx: office_objects(ctx.cast), VIEW_CONSULT, above_or_named),
    _kind("desk_canned", lambda ctx: canned_objects(ctx.cast), MANAGE_OFFICES),
    _kind("org", orgs, VIEW_ORG),
]


def state():
    """Everything a 12371 request could touch, to prove a refused one touched nothing."""
    return (
        list(WorkOrder.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(Coordination.objects.order_by("pk").values_list("pk", "answer", "updated_at")),
        list(ChatSession.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(Entry.objects.order_by("pk").values_list("pk", "status", "version", "answer")),
        EntryVersion.objects.count(),
        list(Message.objects.order_by("pk").values_list("pk", "feedback")),
        Conversation.objects.count(),
        list(PlatformFeedback.objects.order_by("pk").values_list("pk", "status", "reply")),
        list(Office.objects.order_by("pk").values_list("pk", "name", "active", "updated_at")),
        list(CannedReply.objects.order_by("pk").values_list("pk", "title", "text", "updated_at")),
        list(WorkOrder.objects.order_by("pk").values_list("pk", "category", "org", "merged_into")),
    )


# --- What allowed answers must say


HANDLE = {"perm": HANDLE_CONSULT}
ASKER = {"perm": NOBODY, "may_also": own}
IN_CHAT = {"perm": NOBODY, "may_also": in_chat}
AGENT = {"perm": NOBODY, "may_also": chat_agent}
EDIT = {"perm": EDIT_KB}


def _order(method, suffix, status="", **kw) -> Endpoint:
    """An order operation; ``status``: on orders claimed or answered (the kind's suffix)."""
    return Endpoint(method, ORDER + suffix, obj=f"consult_order{status}", **kw)


def _own_org(ctx) -> int:
    """An organisation the acting user sees (theirs; the province for the superuser and
    the outsider), so that the only thing wrong with a refused request is its object."""
    from tests.kit import USERS

    return ctx.cast.org[USERS.get(ctx.user, (None, "P"))[1]].pk


def _office(ctx) -> Office:
    """An office at the acting user's own organisation (one they may consult)."""
    return Office.objects.create(
        org_id=_own_org(ctx), name="宣传科", lead_name="张三", liaison_name="李四"
    )


def _offices(ctx, obj) -> dict:
    return {"office_ids": [_office(ctx).pk], "question": "请提供意见"}


def _claimed_by_them(ctx, obj) -> None:
    """Only the one who claimed an order answers it or asks for input on it."""
    WorkOrder.objects.filter(pk=obj.pk).update(assignee=ctx.cast.user[ctx.user])


CLAIMED = {**HANDLE, "before": _claimed_by_them}
# The asker's actions: anyone else who sees the order is told only its asker may (422).
ASKER_ONLY = {**ASKER, "refused": 422}
TO_KB = {"question": "党费按月交纳吗？", "answer": "按月交纳。"}


def _main_order(ctx, obj) -> WorkOrder:
    """Another open order at the same desk, for the one in the request to be merged into."""
    return WorkOrder.objects.create(
        summary="同一问题", org=ctx.cast.org[obj.org], **_order_fields("new")
    )


def _reroute(ctx, obj) -> dict:
    """A new category, the same desk (every handler of the order may re-categorise)."""
    return {"category": "党费", "org_id": ctx.cast.org[obj.org].pk, "reason": "分类有误"}


OFFICE = f"{API}/offices/{{office_id}}"
MANAGE = {"perm": MANAGE_OFFICES}
OFFICE_FORM = {"name": "组织二科", "lead_name": "张三", "liaison_name": "王五", "active": "on"}

ENDPOINTS = [
    _order("get", ""),
    _order("get", "/history"),
    _order("post", "/claim", **HANDLE),
    _order("post", "/reply", "_claimed", **CLAIMED, body=lambda c, o: {"text": "答复如下"}),
    _order("post", "/coordinate", "_claimed", **CLAIMED, body=_offices),
    _order("post", "/rate", "_answered", **ASKER_ONLY, body=lambda c, o: {"rating": 5}),
    _order("post", "/reopen", "_answered", **ASKER_ONLY, body=lambda c, o: {"reason": "没解决"}),
    _order("post", "/publish", "_answered", **HANDLE, body=lambda c, o: {"public": True}),
    _order("post", "/kb-entry", "_answered", **EDIT, ok=201, body=lambda c, o: TO_KB),
    Endpoint(
        "post",
        f"{API}/coordinations/{{coordination_id}}/answer",
        obj="consult_coordination",
        **HANDLE,
        body=lambda ctx, obj: {"answer": "意见如下"},
    ),
    Endpoint("get", f"{API}/chats/{{chat_id}}/messages", obj="consult_chat"),
    Endpoint(
        "post",
        f"{API}/chats/{{chat_id}}/messages",
        obj="consult_chat",
        **IN_CHAT,
        ok=201,
        audited=None,
        body=lambda ctx, obj: {"text": "您好"},
    ),
    Endpoint(
        "post",
        f"{API}/chats/{{chat_id}}/close",
        obj="consult_chat",
        **IN_CHAT,
        audited=CLOSE_AUDITED,
        body=lambda ctx, obj: {"to_order": False},
    ),
    Endpoint(
        "post",
        f"{API}/chats/{{chat_id}}/rate",
        obj="consult_chat",
        perm=NOBODY,
        expect=_rating_refused_while_open,
        body=lambda ctx, obj: {"rating": 5},
    ),
    _order("post", "/reroute", **HANDLE, body=_reroute),
    # merged: the duplicate's move and the main order's 并入 entry
    _order(
        "post", "/merge", **HANDLE, audited=2, body=lambda c, o: {"main_id": _main_order(c, o).pk}
    ),
    Endpoint("get", f"{API}/chats/{{chat_id}}", obj="consult_chat"),
    Endpoint(
        "post",
        f"{API}/chats/{{chat_id}}/typing",
        obj="consult_chat",
        **IN_CHAT,
        ok=204,
        audited=None,
    ),
    Endpoint(
        "post",
        f"{API}/chats/{{chat_id}}/transfer",
        obj="consult_chat",
        perm=NOBODY,
        expect=_no_transfer_target,
        body=lambda ctx, obj: {"to_agent_id": ctx.cast.user["handler"].pk, "note": "请协助"},
    ),
    # Nobody is asked to take these chats over: accepting or declining is refused (403).
    Endpoint("post", f"{API}/chats/{{chat_id}}/transfer/accept", obj="consult_chat", perm=NOBODY),
    Endpoint("post", f"{API}/chats/{{chat_id}}/transfer/decline", obj="consult_chat", perm=NOBODY),
    Endpoint("get", OFFICE, obj="desk_office"),
    Endpoint("patch", OFFICE, obj="desk_office", **MANAGE, body=lambda c, o: {"active": False}),
    *[
        Endpoint(
            "get",
            f"{API}/{path}",
            obj="org",
            view_perm=VIEW_CONSULT,
            query=lambda ctx, obj: {"org": obj.pk},
        )
        for path in ("stats", "stats.xlsx")
    ],
]


PAGES = [
    # The asker who does not handle it is sent to their own view of it (我的咨询).
    Page(
        "get",
        "desk:order_detail",
        obj="consult_order",
        outcome=lambda u, o: 302 if own(u, o) else 200,
    ),
    *[
        Page(
            "post",
            f"desk:order_{action}",
            obj=f"consult_order{status}",
            ok=302,
            body=body,
            **perm,
        )
        for action, status, perm, body in [
            ("claim", "", HANDLE, None),
            ("reply", "_claimed", CLAIMED, lambda c, o: {"text": "答复如下"}),
            (
                "coordinate",
                "_claimed",
                CLAIMED,
                lambda c, o: {"offices": _office(c).pk, "question": "请提供意见", "workdays": "2"},
            ),
            (
                "publish",
                "_answered",
                HANDLE,
                lambda c, o: {"public": "on", "public_question": "党费怎么交"},
            ),
            ("to_kb", "_answered", EDIT, lambda c, o: TO_KB),
        ]
    ],
    Page(
        "post",
        "desk:order_reroute",
        obj="consult_order",
        **HANDLE,
        ok=302,
        body=lambda c, o: {**_reroute(c, o), "org": c.cast.org[o.org].pk},
    ),
    Page(
        "post",
        "desk:order_merge",
        obj="consult_order",
        **HANDLE,
        ok=302,
        audited=2,
        body=lambda c, o: {"main": _main_order(c, o).number},
    ),
    # 常用答复: kept by the admins over it; nobody else learns it exists (404).
    Page("get", "desk:canned_edit", obj="desk_canned", **MANAGE),
    Page(
        "post",
        "desk:canned_edit",
        obj="desk_canned",
        **MANAGE,
        ok=302,
        body=lambda c, o: {"title": "开场问候", "text": "您好，这里是12371，请问有什么可以帮您？"},
    ),
    Page("post", "desk:canned_delete", obj="desk_canned", **MANAGE, ok=302),
    Page("get", "desk:office_edit", obj="desk_office", **MANAGE),
    Page(
        "post",
        "desk:office_edit",
        obj="desk_office",
        **MANAGE,
        ok=302,
        body=lambda c, o: OFFICE_FORM,
    ),
    Page(
        "post",
        "desk:coordination_answer",
        obj="consult_coordination",
        **HANDLE,
        ok=302,
        body=lambda ctx, obj: {"answer": "意见如下"},
    ),
    # The console's case pane: handling staff only (a leader who only reads it: 403); an
    # asker who does not handle it gets 403 too (their view is 我的咨询).
    Page("get", "desk:console_case", obj="consult_order", **HANDLE),
    Page("get", "desk:live_chat", obj="consult_chat"),
    Page("get", "desk:live_chat_messages", obj="consult_chat"),
    Page(
        "post",
        "desk:live_chat_send",
        obj="consult_chat",
        **IN_CHAT,
        ok=302,
        audited=None,
        body=lambda c, o: {"text": "您好"},
    ),
    Page(
        "post", "desk:live_chat_close", obj="consult_chat", **IN_CHAT, ok=302, audited=CLOSE_AUDITED
    ),
    Page(
        "post",
        "desk:live_chat_rate",
        obj="consult_chat",
        perm=NOBODY,
        expect=_rating_refused_while_open,
        body=lambda ctx, obj: {"rating": 5},
    ),
    Page("post", "desk:live_chat_typing", obj="consult_chat", **IN_CHAT, ok=204, audited=None),
    Page(
        "post",
        "desk:live_chat_transfer",
        obj="consult_chat",
        perm=NOBODY,
        expect=_no_transfer_target,
        body=lambda ctx, obj: {"to_agent": ctx.cast.user["handler"].pk, "note": "请协助"},
    ),
    Page("post", "desk:live_chat_transfer_accept", obj="consult_chat", perm=NOBODY),
    Page("post", "desk:live_chat_transfer_decline", obj="consult_chat", perm=NOBODY),
    # 我的咨询: the asker's own orders, nobody else's (not even the superuser's).
    Page("get", "desk:my_order", obj="consult_order", view_perm=None),
    Page(
        "post",
        "desk:my_order_rate",
        obj="consult_order_answered",
        view_perm=None,
        ok=302,
        body=lambda c, o: {"rating": "5"},
    ),
    Page(
        "post",
        "desk:my_order_reopen",
        obj="consult_order_answered",
        view_perm=None,
        ok=302,
        body=lambda c, o: {"reason": "没解决"},
    ),
    Page(
        "post",
        "desk:feedback_status",
        obj="feedback",
        perm=CHANGE_ORG,
        ok=302,
        body=lambda ctx, obj: {"status": "accepted", "reply": "已采纳"},
    ),
]

SPEC = Spec(
    module="desk",
    kinds=KINDS,
    endpoints=[*ENDPOINTS, *PAGES],
    exempt={
        "GET /api/v1/consult/orders": "a list: exactly the scope, desk/tests/test_access.py",
        "POST /api/v1/consult/orders": "files the caller's own question: test_orders_api.py",
        "POST /api/v1/consult/orders/hotline": "staff only, asker_org_id in scope or 422: "
        "desk/tests/test_orders_api.py",
        "GET /api/v1/consult/public-questions": "public by design (tests/security/test_idor.py)",
        "POST /api/v1/consult/public/lookup": "public by design, number + look-up code: "
        "desk/tests/test_chats.py",
        "POST /api/v1/consult/agent/presence": "the caller's own presence: test_orders_api.py",
        "GET /api/v1/consult/console/queue": "a list: exactly the handling scope, "
        "desk/tests/test_console.py",
        "GET /api/v1/consult/ivr": "the hotline menu, staff only: desk/tests/test_access.py",
        "GET /api/v1/consult/platform-feedback": "a list: exactly the scope, "
        "desk/tests/test_access.py",
        "POST /api/v1/consult/platform-feedback": "files the caller's own item: test_access.py",
        "GET /api/v1/consult/categories": "the configured list, the same for everyone: "
        "desk/tests/test_routing_api.py",
        "GET /api/v1/consult/offices": "a list: exactly the scope, test_routing_api.py",
        "POST /api/v1/consult/offices": "org_id in scope or 422, admins only: test_routing_api.py",
        "GET /api/v1/consult/consultations": "the caller's own office's requests: "
        "test_routing_api.py",
    },
    state=state,
    roles={
        VIEW_CONSULT: {"admin", "leader", "agent", "handler"},
        HANDLE_CONSULT: {"admin", "agent", "handler"},
        MANAGE_OFFICES: {"admin"},
    },
)
