"""/api/v1/consult: ask the bot, and the knowledge base (list, detail, edit, import, export).

``POST /ask`` is open to visitors too (the public site; rate-limited per IP address);
everything else needs a login. Published entries are readable by every logged-in user;
drafts, history and every write only by knowledge-base editors over the entry's
organisation.
"""

import datetime as dt
import tempfile
from pathlib import Path
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.security import django_auth

from dangjian.accounts.api import BearerAuth
from dangjian.core.apitools import (
    MSG_NUL,
    Bool,
    Id,
    InSchema,
    Paging,
    QuerySchema,
    invalid,
    resolve_in_scope,
)
from dangjian.core.excel import SheetError
from dangjian.core.http import client_ip
from dangjian.core.ratelimit import hit, too_many
from dangjian.core.text import Name
from dangjian.knowledge import imports, selectors
from dangjian.knowledge.models import Channel, EntryKind, EntryStatus
from dangjian.knowledge.services import bot
from dangjian.knowledge.services import kb as services
from dangjian.knowledge.session import remember_conversation, session_ids
from dangjian.orgs import selectors as org_selectors

router = Router(tags=["12371 咨询"])

MSG_NOT_EDITOR = "您没有编辑知识库的权限"
UPLOAD_MAX = 20 * 1024 * 1024


class _Visitor:
    """Accept a request that carries no credentials at all: a visitor of the public site.

    A request with an Authorization header the Bearer check refused stays refused (401),
    so a forged or expired token never silently becomes an anonymous question.
    """

    def __call__(self, request):
        return "HTTP_AUTHORIZATION" not in request.META


ASK_AUTH = [BearerAuth(), django_auth, _Visitor()]
# OpenAPI's way of saying "authentication optional": an empty requirement added to the
# Bearer and session ones (ninja appends openapi_extra's list to its own).
ASK_SECURITY = [{}]


# --- Schemas


class AskIn(InSchema):
    question: str = ""
    conversation_id: Id | None = None
    phone: str = ""  # a visitor's number for the reply's SMS, on the conversation's order
    code: str = Field("", max_length=12)  # the SMS code texted to ``phone``
    lookup: bool = False  # a visitor asks for the order's look-up code instead of a phone
    entry_id: Id | None = None  # a candidate the asker clicked: answer with that entry
    channel: Literal["web", "app", "api"] = "api"


class CandidateOut(Schema):
    entry_id: int
    question: str
    confidence: float


class AskOut(Schema):
    outcome: Literal["answered", "suggest", "handed_off"]
    answer: str
    confidence: float
    entry_id: int | None
    source: str
    candidates: list[CandidateOut]
    handed_off: bool
    conversation_id: int
    message_id: int
    work_order_id: int | None
    chat_id: int | None
    needs_contact: bool = False  # a visitor's order nobody can be notified of: ask a phone
    lookup_number: str = ""  # with lookup_code: the order's number, for the public look-up
    lookup_code: str = ""  # shown once; only its hash is stored
    computed: dict | None = None  # an answer computed from the asker's figures (党费)


class FeedbackIn(InSchema):
    helpful: bool


class EntryOut(Schema):
    id: int
    kind: EntryKind
    question: str
    answer: str
    alternatives: list[str]
    category: str
    tags: list[str]
    source: str
    office: str
    org_id: int
    org_name: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    status: EntryStatus
    version: int
    published_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name


class EntryDetailOut(EntryOut):
    answer_html: str
    can_edit: bool

    @staticmethod
    def resolve_answer_html(obj) -> str:
        return str(selectors.answer_html(obj.answer))

    @staticmethod
    def resolve_can_edit(obj, context) -> bool:
        return selectors.can_edit(context["request"].user, obj)


class EntryFilters(QuerySchema):
    q: str | None = None
    category: str | None = None
    status: EntryStatus | None = None
    kind: EntryKind | None = None


class EntryIn(InSchema):
    question: Name
    answer: str
    alternatives: list[str] = []
    category: str = ""
    tags: list[str] = []
    source: str = ""
    office: str = ""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    kind: EntryKind = EntryKind.FAQ
    org_id: Id | None = None  # default: the top organisation the editor edits for
    publish: bool = False


class EntryPatchIn(InSchema):
    """Only the fields sent are changed; a published entry is live at once."""

    question: Name = None
    answer: str = None
    alternatives: list[str] = None
    category: str = None
    tags: list[str] = None
    source: str = None
    office: str = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


class VersionOut(Schema):
    number: int
    action: str
    author: str
    at: dt.datetime
    data: dict

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.author.get_username() if obj.author_id else "系统"


class ImportOut(Schema):
    created: int
    published: int
    merged: int = 0  # rows repeating an earlier question of the file: merged or skipped


# --- The bot


@router.post(
    "/ask",
    response=AskOut,
    auth=ASK_AUTH,
    openapi_extra={"security": ASK_SECURITY},
    summary="向智能应答提问（有把握时作答，较有把握时给出候选问题，无把握时转人工）",
    description=(
        "question 为问题；或 entry_id（点选候选问题）直接以该条目作答。conversation_id "
        "续接本人的会话。outcome：answered（作答，附 source）；suggest（置信度介于下限与阈值"
        "之间：不作答也不转人工，candidates 列出“您是不是想问…”，点选用 entry_id 再问，"
        "都不是则 question 传“都不是”或调用转人工）；handed_off（转人工，返回 work_order_id"
        "（工单）或 chat_id（在线人工））。question 为“转人工”“都不是”时直接转人工。"
        "未登录访客可用，按 IP 限流。needs_contact 为 true 时（访客的工单无人可"
        "通知），以同一 conversation_id 和 phone（不带 question）获取短信验证码，再带上 code "
        "确认号码；或以 lookup=true 获取工单号和查询码（lookup_number、lookup_code，只返回"
        "这一次），在公众网站“咨询查询”页面查看答复。"
        "computed 为按提问人给出的数额计算的答案（如党费），注明所用规定。"
    ),
)
def ask(request, payload: AskIn):
    user = request.user
    if not user.is_authenticated:
        wait = hit("public", client_ip(request) or "unknown")
        if wait is not None:
            return too_many(request, wait)
    conversation = resolve_in_scope(
        lambda u, pk: selectors.own_conversation(u, pk, session_ids=session_ids(request)),
        user,
        payload.conversation_id,
        field="conversation_id",
    )
    if conversation is not None and not payload.question.strip():
        if payload.lookup:
            return bot.conversation_lookup_code(user=user, conversation=conversation).as_json()
        if payload.phone.strip():
            result = bot.conversation_contact(
                user=user, conversation=conversation, phone=payload.phone, code=payload.code
            )
            return result.as_json()
    entry = resolve_in_scope(selectors.entry_get, user, payload.entry_id, field="entry_id")
    if entry is None and not payload.question.strip():
        raise invalid(("body", "question"), bot.MSG_ASK_EMPTY, "missing")
    result = bot.ask(
        user=user,
        question=payload.question,
        conversation=conversation,
        channel=Channel(payload.channel),
        entry=entry,
    )
    remember_conversation(request, result.conversation.pk)
    return result.as_json()


@router.post(
    "/conversations/{conversation_id}/handoff",
    response=AskOut,
    summary="转人工（任何时候都可以）",
)
def handoff(request, conversation_id: Id):
    conversation = selectors.own_conversation(request.user, conversation_id)
    return bot.conversation_handoff(user=request.user, conversation=conversation).as_json()


@router.post(
    "/messages/{message_id}/feedback",
    response={204: None},
    summary="评价智能应答的回答：有用/没用（计入未解决问题统计）",
)
def feedback(request, message_id: Id, payload: FeedbackIn):
    message = selectors.own_message(request.user, message_id)
    bot.message_feedback(message=message, helpful=payload.helpful)
    return Status(204, None)


# --- Entries: reads


@router.get(
    "/kb/entries", response=list[EntryOut], summary="知识库条目（已发布；编辑可见本范围草稿）"
)
@paginate(Paging)
def entry_list(request, filters: Query[EntryFilters]):
    qs = selectors.entry_queryset(request.user)
    if filters.q:
        text = filters.q.replace("\x00", "")
        qs = qs.filter(question__icontains=text) | qs.filter(answer__icontains=text)
    if filters.category:
        if "\x00" in filters.category:  # PostgreSQL refuses NUL in text
            raise invalid(("query", "category"), MSG_NUL, "string_nul")
        qs = qs.filter(category=filters.category)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs.distinct().order_by("-updated_at", "-id")


@router.get("/kb/export", response={200: None}, summary="导出知识库（xlsx、csv 或 jsonl）")
def entry_export(request, format: Literal["xlsx", "csv", "jsonl"] = "xlsx"):
    user = request.user
    if not selectors.is_editor(user):
        raise PermissionDenied(MSG_NOT_EDITOR)
    entries = list(selectors.entry_queryset(user).order_by("id"))
    content = imports.export_bytes(entries, format)
    services.export_record(acting_user=user, count=len(entries), fmt=format, ip=client_ip(request))
    response = HttpResponse(content, content_type=imports.FORMATS[format])
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="kb-{stamp}.{format}"'
    return response


@router.get("/kb/entries/{entry_id}", response=EntryDetailOut, summary="知识库条目详情")
def entry_detail(request, entry_id: Id):
    return selectors.entry_get(request.user, entry_id)


@router.get("/kb/entries/{entry_id}/history", response=list[VersionOut], summary="条目的修改历史")
def entry_history(request, entry_id: Id):
    entry = selectors.entry_get(request.user, entry_id)
    services.authorize_edit(request.user, entry)
    return list(selectors.entry_versions(entry))


# --- Entries: writes


@router.post("/kb/entries", response={201: EntryDetailOut}, summary="新增知识库条目")
def entry_create(request, payload: EntryIn):
    user = request.user
    if payload.org_id is None:
        org = selectors.default_org(user)
        if org is None:
            raise PermissionDenied(MSG_NOT_EDITOR)
    else:
        org = resolve_in_scope(org_selectors.org_get, user, payload.org_id, field="org_id")
    fields = payload.model_dump(exclude={"org_id"})
    entry = services.entry_create(acting_user=user, org=org, ip=client_ip(request), **fields)
    return Status(201, selectors.entry_get(user, entry.pk))


@router.patch("/kb/entries/{entry_id}", response=EntryDetailOut, summary="修改知识库条目")
def entry_update(request, entry_id: Id, payload: EntryPatchIn):
    user = request.user
    entry = selectors.entry_get(user, entry_id)
    changes = payload.model_dump(exclude_unset=True)
    services.entry_update(acting_user=user, entry=entry, ip=client_ip(request), **changes)
    return selectors.entry_get(user, entry_id)


def _status_action(name: str, service, summary: str):
    @router.post(f"/kb/entries/{{entry_id}}/{name}", response=EntryDetailOut, summary=summary)
    def action(request, entry_id: Id):
        user = request.user
        entry = selectors.entry_get(user, entry_id)
        service(acting_user=user, entry=entry, ip=client_ip(request))
        return selectors.entry_get(user, entry_id)

    action.__name__ = f"entry_{name}"
    return action


entry_publish = _status_action("publish", services.entry_publish, "发布条目（立即生效）")
entry_retire = _status_action("retire", services.entry_retire, "停用条目（不再作答）")
entry_restore = _status_action("restore", services.entry_restore, "恢复为草稿")


# ``Form[Bool] = False`` loses its default in ninja (the strict validator's Annotated nests
# inside Form's), so the form default is spelled out once here.
FORM_FALSE = Form(False)


@router.post(
    "/kb/import",
    response={201: ImportOut},
    summary="导入知识库（.xlsx/.csv/.jsonl；全部成功或全部不导入）",
    description=(
        "multipart：file 为文件，org_id 为所属组织（默认本人编辑范围的最上级），publish "
        "为 true 时导入即发布。任何一行有错则不导入任何条目，返回 422，detail 中每条的 loc "
        '为 ["body", "file", 行号, 列名]。'
    ),
)
def entry_import(
    request,
    file: File[UploadedFile],
    org_id: Form[Id | None] = None,
    publish: Bool = FORM_FALSE,
):
    user = request.user
    if org_id is None:
        org = selectors.default_org(user)
        if org is None:
            raise PermissionDenied(MSG_NOT_EDITOR)
    else:
        org = resolve_in_scope(org_selectors.org_get, user, org_id, field="org_id")
    services.authorize_org(user, org)
    suffix = Path(file.name or "").suffix.lower()
    if suffix not in (".xlsx", ".csv", ".jsonl", ".ndjson") or file.size > UPLOAD_MAX:
        raise invalid(("body", "file"), imports.MSG_FORMAT, "format")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        with open(path, "wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        try:
            outcome = imports.import_file(
                acting_user=user, org=org, path=path, publish=publish, ip=client_ip(request)
            )
        except (SheetError, ValueError, KeyError) as exc:
            raise invalid(("body", "file"), str(exc), "format") from None
    if outcome.errors:
        from ninja.errors import ValidationError

        raise ValidationError(
            [
                {
                    "loc": ("body", "file", e.row, e.column),
                    "msg_zh": str(e),
                    "type": "row",
                }
                for e in outcome.errors
            ]
        )
    return Status(
        201,
        {
            "created": outcome.created,
            "published": outcome.published,
            "merged": len(outcome.notes),
        },
    )


# --- 每日一答


class DailyOut(Schema):
    day: dt.date
    entry_id: int
    question: str
    answer: str
    source: str

    @staticmethod
    def resolve_question(obj) -> str:
        return obj.entry.question

    @staticmethod
    def resolve_answer(obj) -> str:
        return obj.entry.answer

    @staticmethod
    def resolve_source(obj) -> str:
        return obj.entry.source


@router.get("/daily", response=list[DailyOut], summary="每日一答（往期，最新在前）")
@paginate(Paging)
def daily_list(request):
    return selectors.daily_archive()
