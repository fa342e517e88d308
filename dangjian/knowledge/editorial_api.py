"""/api/v1/consult: the 每日一答 schedule and the 政策解读 column.

Every logged-in user reads their own 每日一答 and the published column; knowledge-base
editors (``Perm.EDIT_KB``) list, add and cancel schedules for their organisations and
write, publish and withdraw articles. Out-of-scope ids are 404 (422 on a body field).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import (
    Id,
    InSchema,
    LocalDateTime,
    Paging,
    QuerySchema,
    api_fields,
    resolve_in_scope,
)
from dangjian.core.http import client_ip
from dangjian.knowledge import selectors
from dangjian.knowledge.models import Entry, PolicyStatus
from dangjian.knowledge.services import daily as daily_services
from dangjian.knowledge.services import policy as policy_services
from dangjian.orgs import selectors as org_selectors

router = Router(tags=["12371 咨询"])

MSG_NOT_EDITOR = "您没有编辑知识库的权限"
as_api_fields = api_fields({"entry": "entry_id"})


def _editor_org(user, org_id):
    if org_id is None:
        org = selectors.default_org(user)
        if org is None:
            raise PermissionDenied(MSG_NOT_EDITOR)
        return org
    return resolve_in_scope(org_selectors.org_get, user, org_id, field="org_id")


# --- 每日一答


class TodayOut(Schema):
    day: dt.date
    entry_id: int
    question: str
    answer: str
    source: str
    chosen: bool  # an editor chose it (else the automatic pick)


class ScheduleOut(Schema):
    id: int
    org_id: int
    org_name: str
    day: dt.date
    entry_id: int
    question: str
    note: str
    updated_at: LocalDateTime

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name

    @staticmethod
    def resolve_question(obj) -> str:
        return obj.entry.question


class ScheduleQuery(QuerySchema):
    org_id: Id | None = None
    start: dt.date | None = None
    end: dt.date | None = None


class ScheduleIn(InSchema):
    org_id: Id | None = None
    day: dt.date
    entry_id: Id
    note: str = ""


@router.get("/daily/today", response={200: TodayOut, 204: None}, summary="我的今日每日一答")
def daily_today(request):
    today = selectors.daily_today(request.user)
    if today is None:
        return Status(204, None)
    entry = today.entry
    return {
        "day": today.day,
        "entry_id": entry.pk,
        "question": entry.question,
        "answer": entry.answer,
        "source": entry.source,
        "chosen": today.chosen,
    }


@router.get("/daily/schedule", response=list[ScheduleOut], summary="每日一答安排（编辑）")
@paginate(Paging)
def schedule_list(request, filters: Query[ScheduleQuery]):
    qs = selectors.schedule_queryset(request.user)
    if filters.org_id is not None:
        qs = qs.filter(org_id=filters.org_id)
    if filters.start is not None:
        qs = qs.filter(day__gte=filters.start)
    if filters.end is not None:
        qs = qs.filter(day__lte=filters.end)
    return qs.order_by("day", "id")


@router.post("/daily/schedule", response={201: ScheduleOut}, summary="安排某日的每日一答")
@as_api_fields
def schedule_create(request, payload: ScheduleIn):
    user = request.user
    org = _editor_org(user, payload.org_id)
    entry = Entry.objects.filter(pk=payload.entry_id).first()
    item = daily_services.daily_schedule(
        acting_user=user,
        org=org,
        day=payload.day,
        entry=entry,
        note=payload.note,
        ip=client_ip(request),
    )
    return Status(201, selectors.schedule_get(user, item.pk))


@router.delete("/daily/schedule/{schedule_id}", response={204: None}, summary="取消某日的安排")
@as_api_fields
def schedule_delete(request, schedule_id: Id):
    item = selectors.schedule_get(request.user, schedule_id)
    daily_services.daily_unschedule(acting_user=request.user, item=item, ip=client_ip(request))
    return Status(204, None)


# --- 政策解读


class ArticleOut(Schema):
    id: int
    org_id: int
    org_name: str
    title: str
    summary: str
    source: str
    publish_date: dt.date
    status: PolicyStatus
    published_at: LocalDateTime | None

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name


class ArticleDetailOut(ArticleOut):
    body: str
    updated_at: LocalDateTime


class ArticleQuery(QuerySchema):
    manage: bool = False  # editors: every article of their organisations
    status: PolicyStatus | None = None


class ArticleIn(InSchema):
    org_id: Id | None = None
    title: str
    body: str
    summary: str = ""
    source: str = ""
    publish_date: dt.date | None = None


class ArticlePatchIn(InSchema):
    title: str | None = None
    body: str | None = None
    summary: str | None = None
    source: str | None = None
    publish_date: dt.date | None = None


@router.get("/policy", response=list[ArticleOut], summary="政策解读（已发布，最新在前）")
@paginate(Paging)
def policy_list(request, filters: Query[ArticleQuery]):
    if filters.manage:
        qs = selectors.policy_manage(request.user)
        if filters.status is not None:
            qs = qs.filter(status=filters.status)
    else:
        qs = selectors.policy_public()
    return qs.order_by("-publish_date", "-id")


@router.get("/policy/{article_id}", response=ArticleDetailOut, summary="政策解读全文")
def policy_detail(request, article_id: Id):
    return selectors.policy_get(request.user, article_id)


@router.post("/policy", response={201: ArticleDetailOut}, summary="写政策解读（草稿）")
def policy_create(request, payload: ArticleIn):
    user = request.user
    org = _editor_org(user, payload.org_id)
    article = policy_services.article_create(
        acting_user=user,
        org=org,
        ip=client_ip(request),
        **payload.model_dump(exclude={"org_id"}),
    )
    return Status(201, selectors.policy_get(user, article.pk))


@router.patch("/policy/{article_id}", response=ArticleDetailOut, summary="修改政策解读")
def policy_update(request, article_id: Id, payload: ArticlePatchIn):
    user = request.user
    article = selectors.policy_get(user, article_id)
    changes = payload.model_dump(exclude_unset=True)
    policy_services.article_update(
        acting_user=user, article=article, ip=client_ip(request), **changes
    )
    return selectors.policy_get(user, article_id)


def _policy_action(name: str, service, summary: str):
    @router.post(f"/policy/{{article_id}}/{name}", response=ArticleDetailOut, summary=summary)
    def action(request, article_id: Id):
        user = request.user
        article = selectors.policy_get(user, article_id)
        service(acting_user=user, article=article, ip=client_ip(request))
        return selectors.policy_get(user, article_id)

    action.__name__ = f"policy_{name}"
    return action


policy_publish = _policy_action("publish", policy_services.article_publish, "发布政策解读")
policy_withdraw = _policy_action("withdraw", policy_services.article_withdraw, "撤回政策解读")
