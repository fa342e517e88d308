"""/api/v1/consult: central acceptance — categories, the registry of offices (业务处室),
the requests for input addressed to one's office, re-routing and merging orders.

Offices are seen by the 12371 staff over their organisation and below it (those they
may consult), and by their own 责任人 and 联络员; maintained by admins. Ids in a body
resolve through the caller's scope: out of it is a 422 on that field.
"""

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import Id, InSchema, Paging, api_fields, resolve_in_scope
from dangjian.core.http import client_ip
from dangjian.core.text import OptionalName
from dangjian.desk import rules, selectors
from dangjian.desk.api import OrderDetailOut
from dangjian.desk.services import routing as services
from dangjian.orgs import selectors as org_selectors

router = Router(tags=["12371 集中受理"])
as_api_fields = api_fields({"lead": "lead_id", "liaison": "liaison_id", "org": "org_id"})


class CategoryOut(Schema):
    name: str


class OfficeOut(Schema):
    id: int
    org_id: int
    org_name: str
    name: str
    categories: list[str]
    lead_id: int | None
    lead_name: str
    lead_phone: str
    liaison_id: int | None
    liaison_name: str
    liaison_phone: str
    active: bool

    @staticmethod
    def resolve_org_name(obj) -> str:
        return obj.org.name


class OfficeIn(InSchema):
    org_id: Id
    name: OptionalName = Field(..., max_length=60)
    categories: list[str] = Field(default_factory=list, max_length=40)
    lead_id: Id | None = None
    lead_name: OptionalName = Field("", max_length=50)
    lead_phone: str = Field("", max_length=30)
    liaison_id: Id | None = None
    liaison_name: OptionalName = Field("", max_length=50)
    liaison_phone: str = Field("", max_length=30)
    active: bool = True


class OfficePatch(InSchema):
    name: OptionalName | None = Field(None, max_length=60)
    categories: list[str] | None = Field(None, max_length=40)
    lead_id: Id | None = None
    lead_name: OptionalName | None = Field(None, max_length=50)
    lead_phone: str | None = Field(None, max_length=30)
    liaison_id: Id | None = None
    liaison_name: OptionalName | None = Field(None, max_length=50)
    liaison_phone: str | None = Field(None, max_length=30)
    active: bool | None = None


class ConsultationOut(Schema):
    id: int
    order_id: int
    order_number: str
    office_id: int | None
    office: str
    question: str
    due: dt.datetime | None
    answer: str
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_order_number(obj) -> str:
        return obj.order.number

    @staticmethod
    def resolve_office_id(obj) -> int | None:
        return obj.unit_id


class RerouteIn(InSchema):
    category: str = Field(..., max_length=40)
    org_id: Id
    reason: str = Field(..., max_length=500)


class MergeIn(InSchema):
    main_id: Id


# --- Categories


@router.get("/categories", response=list[CategoryOut], summary="咨询分类（表单与校验所用）")
def category_list(request):
    return [{"name": name} for name in rules.categories()]


# --- Offices


def _people(user, payload) -> dict:
    """The accounts the body names (``null`` unlinks one), read through the caller's
    scope (422 out of it)."""
    return {
        name[: -len("_id")]: resolve_in_scope(
            selectors.office_person_get, user, getattr(payload, name), field=name
        )
        for name in ("lead_id", "liaison_id")
        if name in payload.model_fields_set
    }


@router.get("/offices", response=list[OfficeOut], summary="业务处室（可征求意见的处室）")
@paginate(Paging)
def office_list(request):
    return selectors.office_queryset(request.user).order_by("org__depth", "org_id", "name")


@router.post("/offices", response={201: OfficeOut}, summary="新增业务处室（管理员）")
def office_create(request, payload: OfficeIn):
    user = request.user
    org = resolve_in_scope(org_selectors.org_get, user, payload.org_id, field="org_id")
    fields = payload.model_dump(exclude={"org_id", "lead_id", "liaison_id"})
    with as_api_fields:
        office = services.office_create(
            acting_user=user, org=org, ip=client_ip(request), **fields, **_people(user, payload)
        )
    return Status(201, selectors.office_get(user, office.pk))


@router.get("/offices/{office_id}", response=OfficeOut, summary="业务处室详情")
def office_detail(request, office_id: Id):
    return selectors.office_get(request.user, office_id)


@router.patch("/offices/{office_id}", response=OfficeOut, summary="修改业务处室（管理员）")
def office_update(request, office_id: Id, payload: OfficePatch):
    user = request.user
    office = selectors.office_get(user, office_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"lead_id", "liaison_id"})
    changes.update(_people(user, payload))
    with as_api_fields:
        services.office_update(
            acting_user=user, office=office, changes=changes, ip=client_ip(request)
        )
    return selectors.office_get(user, office_id)


# --- Requests for input addressed to one's office


@router.get(
    "/consultations",
    response=list[ConsultationOut],
    summary="本处室收到的协商联动（待回复的在前）",
)
@paginate(Paging)
def consultation_list(request):
    return selectors.my_consultations(request.user)


# --- Re-routing and merging orders


@router.post(
    "/orders/{order_id}/reroute",
    response=OrderDetailOut,
    summary="重新分类/转办（说明原因）",
)
def order_reroute(request, order_id: Id, payload: RerouteIn):
    user = request.user
    order = selectors.order_get(user, order_id)
    services.authorize_handle(user, order)
    org = resolve_in_scope(selectors.reroute_target_get, user, payload.org_id, field="org_id")
    with as_api_fields:
        services.order_reroute(
            acting_user=user,
            order=order,
            category=payload.category,
            org=org,
            reason=payload.reason,
            ip=client_ip(request),
        )
    return selectors.order_get(user, order_id)


@router.post(
    "/orders/{order_id}/merge",
    response=OrderDetailOut,
    summary="作为重复工单并入主工单",
)
def order_merge(request, order_id: Id, payload: MergeIn):
    user = request.user
    order = selectors.order_get(user, order_id)
    services.authorize_handle(user, order)
    main = resolve_in_scope(selectors.order_get, user, payload.main_id, field="main_id")
    services.order_merge(acting_user=user, order=order, main=main, ip=client_ip(request))
    return selectors.order_get(user, order_id)
