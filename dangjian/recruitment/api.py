"""REST endpoints of 发展党员: applicants (list, detail with the 全程纪实, registration),
steps (multipart, with the step's document), termination, documents, the pipeline of a
subtree and the year's plan.

Reads go through ``recruitment.selectors`` (scoped: an applicant outside the caller's
subtree is a 404), writes through ``recruitment.services``. A refused step is a 422 at
the field the rule concerns (``done_on``: the date, with the article and the date it
would have been allowed; ``status``: out of order).
"""

import datetime as dt
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from dangjian.core import scope, uploads
from dangjian.core.apitools import Id, InSchema, LocalDateTime, Paging, QuerySchema
from dangjian.core.http import client_ip
from dangjian.core.scope import Perm
from dangjian.orgs import selectors as org_selectors
from dangjian.recruitment import rules, selectors, services

router = Router(tags=["recruitment"])
FIELD_ALIASES = {
    "branch": "branch_id",
    "contacts": "contact_ids",
    "sponsors": "sponsor_ids",
    "group": "group_id",
    "applied_on": "applied_on",
}
MSG_IDS = "请用逗号分隔的党员编号"
MSG_NO_SCOPE = "您没有可查看的发展党员范围"


@contextmanager
def _as_api_fields():
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {}
        for field, errors in exc.error_dict.items():
            renamed.setdefault(FIELD_ALIASES.get(field, field), []).extend(errors)
        raise ValidationError(renamed) from None


def _ids(text: str, field: str) -> list[int]:
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not all(p.isdigit() and len(p) < 10 for p in parts):
        raise ValidationError({field: MSG_IDS})
    return [int(p) for p in parts]


# --- Schemas


class ApplicantFilters(QuerySchema):
    org: Id | None = None  # applicants of this organisation's whole subtree
    stage: int | None = Field(None, ge=1, le=5, description="阶段 1–5")
    q: str | None = Field(None, max_length=50)


class ApplicantOut(Schema):
    id: int
    name: str
    gender: str
    branch_id: int
    branch_name: str
    status: str
    status_label: str
    stage: int | None
    stage_label: str
    applied_on: dt.date
    next_step: int | None
    next_step_label: str
    member_id: int | None

    @staticmethod
    def resolve_branch_name(obj) -> str:
        return obj.branch.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_next_step(obj) -> int | None:
        return obj.upcoming.number if obj.is_open and obj.upcoming else None

    @staticmethod
    def resolve_next_step_label(obj) -> str:
        return obj.upcoming.label if obj.is_open and obj.upcoming else ""


class DocumentOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    content_type: str
    size: int
    created_at: LocalDateTime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_content_type(obj) -> str:
        return obj.file.content_type

    @staticmethod
    def resolve_size(obj) -> int:
        return obj.file.size


class StepOut(Schema):
    number: int
    key: str
    label: str
    stage: int
    done_on: dt.date
    actor: str
    note: str
    data: dict
    documents: list[DocumentOut]

    @staticmethod
    def resolve_stage(obj) -> int:
        return rules.STEP[obj.key].stage if obj.key in rules.STEP else 5

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor.get_username() if obj.actor_id else ""

    @staticmethod
    def resolve_documents(obj) -> list:
        return list(obj.documents.all())


class DueOut(Schema):
    kind: str
    label: str
    due: dt.date


class ApplicantDetailOut(ApplicantOut):
    birth_date: dt.date
    ethnicity: str
    education: str
    id_number_masked: str
    probation_ends_on: dt.date | None
    steps: list[StepOut]
    due: list[DueOut]

    @staticmethod
    def resolve_steps(obj) -> list:
        return selectors.timeline(obj)

    @staticmethod
    def resolve_due(obj) -> list:
        if not obj.is_open:
            return []
        return [
            {"kind": i.kind, "label": i.label, "due": i.due}
            for i in rules.due_items(obj.status, obj.facts())
        ]


def _detail(applicant):
    return applicant


class TerminateIn(InSchema):
    reason: str = Field(..., max_length=2000)


class PipelineQuery(QuerySchema):
    org: Id | None = None
    year: int | None = Field(None, ge=2000, le=2100)


class StageOut(Schema):
    stage: int
    label: str
    count: int


class PipelineOut(Schema):
    org_id: int
    org_name: str
    year: int
    stages: list[StageOut]
    admitted: int
    plan: int | None
    overdue: int


class PlanIn(InSchema):
    org_id: Id
    year: int = Field(..., ge=2000, le=2100)
    quota: int = Field(..., ge=0, le=1_000_000)


class PlanOut(Schema):
    org_id: int
    year: int
    quota: int


class DocumentQuery(QuerySchema):
    document_id: Id


# --- Applicants


@router.get("/applicants", response=list[ApplicantOut], summary="发展党员列表（权限范围内）")
@paginate(Paging)
def applicant_list(request, filters: Query[ApplicantFilters]):
    org = org_selectors.org_get(request.user, filters.org) if filters.org is not None else None
    return selectors.applicant_list(
        request.user, org=org, stage=filters.stage, q=(filters.q or "").strip()
    )


@router.get(
    "/applicants/{applicant_id}",
    response=ApplicantDetailOut,
    summary="发展党员全程纪实（25个步骤的日期、经办人、材料）",
)
def applicant_detail(request, applicant_id: Id):
    return _detail(selectors.applicant_get(request.user, applicant_id))


@router.post(
    "/applicants",
    response={201: ApplicantDetailOut},
    summary="受理入党申请（multipart：申请人信息与入党申请书 document）",
)
def applicant_create(
    request,
    branch_id: Form[Id],
    name: Form[str],
    id_number: Form[str],
    ethnicity: Form[str],
    education: Form[str],
    applied_on: Form[dt.date],
    document: File[UploadedFile],
    phone: Form[str] = "",
    occupation: Form[str] = "",
    account: Form[str] = "",
):
    branch = org_selectors.org_get(request.user, branch_id)
    with _as_api_fields():
        applicant = services.applicant_create(
            acting_user=request.user,
            branch=branch,
            name=name,
            id_number=id_number,
            ethnicity=ethnicity,
            education=education,
            applied_on=applied_on,
            document=document,
            phone=phone,
            occupation=occupation,
            account=account,
            ip=client_ip(request),
        )
    return Status(201, _detail(selectors.applicant_get(request.user, applicant.pk)))


@router.post(
    "/applicants/{applicant_id}/steps",
    response=ApplicantDetailOut,
    summary="办理下一步骤（multipart；不符合顺序或时限时 422，说明依据和日期）",
    description=(
        "step：步骤代码（talk、activist … archive，或 review、probation_review 反复考察，"
        "extend 延长预备期）；done_on：办理日期；contact_ids、sponsor_ids：逗号分隔的党员编号；"
        "表决：eligible、present、votes_for、against、abstain；training_days、training_hours；"
        "late_reason：超过三个月审批的原因；extension_months；group_id：编入的党小组；"
        "document：本步骤材料（PDF 或图片）。"
    ),
)
def step_do(
    request,
    applicant_id: Id,
    step: Form[str],
    done_on: Form[dt.date],
    note: Form[str] = "",
    contact_ids: Form[str] = "",
    sponsor_ids: Form[str] = "",
    training_days: Form[int] = 0,
    training_hours: Form[int] = 0,
    eligible: Form[int | None] = None,
    present: Form[int | None] = None,
    votes_for: Form[int | None] = None,
    against: Form[int] = 0,
    abstain: Form[int] = 0,
    late_reason: Form[str] = "",
    extension_months: Form[int] = 0,
    group_id: Form[Id | None] = None,
    document: File[UploadedFile | None] = None,
):
    user = request.user
    applicant = selectors.applicant_get(user, applicant_id)
    with _as_api_fields():
        vote = None
        if step in ("branch_vote", "conversion_vote"):
            vote = {
                "eligible": eligible,
                "present": present,
                "votes_for": votes_for,
                "against": against,
                "abstain": abstain,
            }
        group = None
        if group_id is not None:
            try:
                group = org_selectors.org_get(user, group_id)
            except Http404:
                raise ValidationError({"group_id": services.MSG_GROUP_OUTSIDE}) from None
        services.step_do(
            acting_user=user,
            applicant=applicant,
            step=step,
            done_on=done_on,
            note=note,
            document=document,
            contact_ids=_ids(contact_ids, "contact_ids"),
            sponsor_ids=_ids(sponsor_ids, "sponsor_ids"),
            training_days=training_days,
            training_hours=training_hours,
            vote=vote,
            late_reason=late_reason,
            extension_months=extension_months,
            group=group,
            ip=client_ip(request),
        )
    return _detail(selectors.applicant_get(user, applicant_id))


@router.post(
    "/applicants/{applicant_id}/terminate", response=ApplicantDetailOut, summary="终止发展"
)
def applicant_terminate(request, applicant_id: Id, payload: TerminateIn):
    applicant = selectors.applicant_get(request.user, applicant_id)
    services.applicant_terminate(
        acting_user=request.user, applicant=applicant, reason=payload.reason, ip=client_ip(request)
    )
    return _detail(selectors.applicant_get(request.user, applicant_id))


@router.get(
    "/applicants/{applicant_id}/document-file",
    response={200: None},
    summary="材料文件",
    openapi_extra={
        "responses": {
            200: {
                "description": "材料（PDF 为附件）",
                "content": {
                    t: {"schema": {"type": "string", "format": "binary"}}
                    for t in ("application/pdf", "image/jpeg", "image/png")
                },
            }
        }
    },
)
def document_file(request, applicant_id: Id, query: Query[DocumentQuery]):
    applicant = selectors.applicant_get(request.user, applicant_id)
    return uploads.file_response(selectors.document_get(applicant, query.document_id).file)


# --- Pipeline and plans


@router.get(
    "/pipeline", response=PipelineOut, summary="发展党员进程：各阶段人数、逾期、年度计划完成"
)
def pipeline(request, query: Query[PipelineQuery]):
    user = request.user
    if query.org is not None:
        org = org_selectors.org_get(user, query.org)
        if not scope.covers(user, Perm.VIEW_RECRUITMENT, org.path):
            raise Http404("未找到")
    else:
        org = selectors.default_org(user)
        if org is None:
            raise Http404(MSG_NO_SCOPE)
    figures = selectors.pipeline(user, org, query.year)
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "year": figures.year,
        "stages": [{"stage": int(k), "label": label, "count": n} for k, label, n in figures.stages],
        "admitted": figures.admitted,
        "plan": figures.plan.quota if figures.plan else None,
        "overdue": figures.overdue.count(),
    }


@router.put("/plans", response=PlanOut, summary="制定年度发展党员计划")
def plan_set(request, payload: PlanIn):
    org = org_selectors.org_get(request.user, payload.org_id)
    with _as_api_fields():
        plan = services.plan_set(
            acting_user=request.user,
            org=org,
            year=payload.year,
            quota=payload.quota,
            ip=client_ip(request),
        )
    return plan
