"""REST endpoints for the organisation tree: list, detail, children, approval chain,
create, edit, move, dissolve. Reads go through ``orgs.selectors`` (scoped), writes through
``orgs.services``; the approval chain comes from ``orgs.tree`` once both ends are in scope.
"""

import datetime as dt

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Substr
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from dangjian.core.apitools import (
    Id,
    InSchema,
    Paging,
    QuerySchema,
    api_fields,
    filtered,
    invalid,
    resolve_in_scope,
)
from dangjian.core.http import client_ip
from dangjian.core.scope import Perm, authorize, covers, get_or_404
from dangjian.core.text import Name
from dangjian.members.selectors import member_counts
from dangjian.orgs import selectors, services, tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.filters import OrgFilter
from dangjian.orgs.models import Organisation

router = Router(tags=["orgs"])
# Service field names → the API's body field names (the parent is sent as an id).
as_api_fields = api_fields({"parent": "parent_id"})


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


class ChainOrgOut(Schema):
    id: int
    name: str | None  # null for an organisation outside the caller's scope
    org_type: str
    visible: bool


class ApprovalChainOut(Schema):
    chain: list[int]  # organisation ids, from the source to the target
    common_ancestor_id: int  # where the chain turns from going up to going down
    orgs: list[ChainOrgOut]  # the same organisations, in the same order


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


def _chain_item(user, org: Organisation) -> dict:
    """An organisation on a chain; its name only if it lies in the user's own scope."""
    visible = covers(user, Perm.VIEW_ORG, org.path)
    name = org.name if visible else None
    return {"id": org.pk, "name": name, "org_type": org.org_type, "visible": visible}


@router.get(
    "/{org_id}/approval-chain",
    response=ApprovalChainOut,
    summary="审批链：从本组织逐级到目标组织（to）须经过的组织",
    description=(
        "自本组织逐级向上，至两组织的最近共同上级，再逐级向下至目标组织；共同上级以上的组织"
        "不在链中（同一县内的转接不经过市委）。两端须都在本人权限范围内，否则返回 404；"
        '两组织不在同一棵组织树中时返回 422（loc 为 ["query", "to"]）。权限范围由几个互不'
        "相连的组织构成时，链上超出范围的上级组织只给出 id 与类型，不给名称。"
    ),
)
def org_approval_chain(request, org_id: Id, to: Id):
    source = selectors.org_get(request.user, org_id)
    target = selectors.org_get(request.user, to)
    try:
        chain = tree.approval_chain(source, target)
    except tree.DifferentTreesError as exc:
        raise invalid(("query", "to"), str(exc), "different_trees") from None
    turn = min(chain, key=lambda org: len(org.path))  # the lowest common ancestor
    return {
        "chain": [org.pk for org in chain],
        "common_ancestor_id": turn.pk,
        "orgs": [_chain_item(request.user, org) for org in chain],
    }


# --- Writes


@router.post("", response={201: OrgDetailOut}, summary="新建下级组织")
def org_create(request, payload: OrgCreateIn):
    parent = selectors.org_get(request.user, payload.parent_id)
    with as_api_fields:
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
    with as_api_fields:
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
