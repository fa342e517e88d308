"""REST endpoints for the organisation tree: list, detail, children, create, edit, move,
dissolve. Reads go through ``orgs.selectors`` (scoped), writes through ``orgs.services``.
"""

import datetime as dt

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import Id, InSchema, Paging, QuerySchema, filtered, resolve_in_scope
from dangjian.core.http import client_ip
from dangjian.core.scope import Perm, authorize, get_or_404
from dangjian.core.text import Name
from dangjian.members.selectors import member_counts
from dangjian.orgs import selectors, services
from dangjian.orgs.choices import OrgType
from dangjian.orgs.filters import OrgFilter
from dangjian.orgs.models import Organisation

router = Router(tags=["orgs"])


# --- Schemas


class OrgFilters(QuerySchema):
    q: str | None = None
    org_type: OrgType | None = None
    active: bool | None = None


class OrgOut(Schema):
    id: int
    name: str
    org_type: str
    org_type_label: str
    level: str
    level_label: str
    code: str
    founded_on: dt.date
    dissolved_on: dt.date | None
    depth: int
    parent_id: int | None  # null when the parent lies outside the caller's scope
    child_count: int
    member_count: int | None  # current members of the whole subtree; null if not visible

    @staticmethod
    def resolve_org_type_label(obj) -> str:
        return obj.get_org_type_display()

    @staticmethod
    def resolve_parent_id(obj) -> int | None:
        return obj.visible_parent_id

    @staticmethod
    def resolve_child_count(obj) -> int:
        return obj.numchild


class SecretaryOut(Schema):
    member_id: int
    name: str


class OrgDetailOut(OrgOut):
    dissolve_reason: str
    address: str
    contact_phone: str
    secretary: SecretaryOut | None
    can_change: bool

    @staticmethod
    def resolve_secretary(obj) -> dict | None:
        member = selectors.secretary_of(obj)
        return {"member_id": member.pk, "name": member.name} if member else None

    @staticmethod
    def resolve_can_change(obj, context) -> bool:
        return selectors.can_change(context["request"].user, obj)


class OrgCreateIn(InSchema):
    parent_id: Id
    name: Name
    org_type: OrgType
    code: str
    founded_on: dt.date
    address: str = ""
    contact_phone: str = ""


class OrgPatchIn(InSchema):
    """Only the fields sent are changed."""

    name: Name = None
    org_type: OrgType = None
    code: str = None
    founded_on: dt.date = None
    address: str = None
    contact_phone: str = None


class OrgMoveIn(InSchema):
    parent_id: Id


class OrgDissolveIn(InSchema):
    dissolved_on: dt.date
    reason: str


# --- Reads


def _annotated(qs: QuerySet[Organisation], user) -> QuerySet[Organisation]:
    """Add ``visible_parent_id`` (null above the user's scope) in the same query."""
    parent_path = Substr(OuterRef("path"), 1, (OuterRef("depth") - 1) * Organisation.steplen)
    parent = selectors.org_queryset(user).filter(path=parent_path).order_by().values("pk")[:1]
    return qs.annotate(visible_parent_id=Subquery(parent))


def _with_member_counts(user, orgs) -> list[Organisation]:
    orgs = list(orgs)
    counts = member_counts(user, orgs)
    for org in orgs:
        org.member_count = counts[org.pk]
    return orgs


class OrgPaging(Paging):
    """The page, then the subtree member counts of just that page (one grouped query)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request=request, **params)
        page[self.items_attribute] = _with_member_counts(request.user, page[self.items_attribute])
        return page


def _detail(user, org_id) -> Organisation:
    org = get_or_404(_annotated(selectors.org_queryset(user), user), pk=org_id)
    return _with_member_counts(user, [org])[0]


@router.get("", response=list[OrgOut], summary="组织列表（权限范围内）")
@paginate(OrgPaging)
def org_list(request, filters: Query[OrgFilters]):
    qs = filtered(OrgFilter, filters, selectors.org_queryset(request.user), request)
    return _annotated(qs, request.user)


@router.get("/{org_id}", response=OrgDetailOut, summary="组织详情")
def org_detail(request, org_id: Id):
    return _detail(request.user, org_id)


@router.get("/{org_id}/children", response=list[OrgOut], summary="直接下级组织")
@paginate(OrgPaging)
def org_children(request, org_id: Id):
    org = selectors.org_get(request.user, org_id)
    return _annotated(selectors.org_children(request.user, org), request.user)


# --- Writes


@router.post("", response={201: OrgDetailOut}, summary="新建下级组织")
def org_create(request, payload: OrgCreateIn):
    parent = selectors.org_get(request.user, payload.parent_id)
    org = services.org_create(
        acting_user=request.user,
        parent=parent,
        ip=client_ip(request),
        **payload.model_dump(exclude={"parent_id"}),
    )
    return Status(201, _detail(request.user, org.pk))


@router.patch("/{org_id}", response=OrgDetailOut, summary="修改组织信息（只改所传字段）")
def org_update(request, org_id: Id, payload: OrgPatchIn):
    org = selectors.org_get(request.user, org_id)
    changes = payload.model_dump(exclude_unset=True)
    services.org_update(acting_user=request.user, org=org, ip=client_ip(request), **changes)
    return _detail(request.user, org_id)


@router.post("/{org_id}/move", response=OrgDetailOut, summary="移动组织（连同下级）")
def org_move(request, org_id: Id, payload: OrgMoveIn):
    org = selectors.org_get(request.user, org_id)
    authorize(request.user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    new_parent = resolve_in_scope(
        selectors.org_get, request.user, payload.parent_id, field="parent_id"
    )
    services.org_move(
        acting_user=request.user, org=org, new_parent=new_parent, ip=client_ip(request)
    )
    return _detail(request.user, org_id)


@router.post("/{org_id}/dissolve", response=OrgDetailOut, summary="撤销组织")
def org_dissolve(request, org_id: Id, payload: OrgDissolveIn):
    org = selectors.org_get(request.user, org_id)
    services.org_dissolve(
        acting_user=request.user,
        org=org,
        dissolved_on=payload.dissolved_on,
        reason=payload.reason,
        ip=client_ip(request),
    )
    return _detail(request.user, org_id)
