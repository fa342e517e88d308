"""Every write to the organisation tree: validated, serialised, transactional, audited."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, locks
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, authorize
from dangjian.members.selectors import current_member_count
from dangjian.orgs import rules
from dangjian.orgs.choices import PositionTitle
from dangjian.orgs.models import Organisation, Position

TREE_LOCK = "orgs.tree"
AUDITED_FIELDS = (
    "name",
    "org_type",
    "code",
    "founded_on",
    "dissolved_on",
    "dissolve_reason",
    "address",
    "contact_phone",
    "path",
)
EDITABLE_FIELDS = frozenset({"name", "org_type", "code", "founded_on", "address", "contact_phone"})

MSG_CODE_TAKEN = "该组织代码已被使用"
MSG_FOUNDED_FUTURE = "成立日期不能晚于今天"
MSG_PARENT_DISSOLVED = "上级组织已撤销，不能在其下新建或移入组织"
MSG_MOVE_INTO_SELF = "不能把组织移到它自己或它的下级组织之下"
MSG_MOVE_ROOT = "根组织不能移动"
MSG_ALREADY_DISSOLVED = "该组织已撤销"
MSG_DISSOLVE_CHILDREN = "该组织还有{n}个未撤销的下级组织，请先撤销或移走"
MSG_DISSOLVE_MEMBERS = "该组织还有{n}名党员，请先转出组织关系"
MSG_DISSOLVE_BEFORE_FOUNDED = "撤销日期不能早于成立日期"
MSG_DISSOLVE_FUTURE = "撤销日期不能晚于今天"
MSG_REASON_REQUIRED = "请填写撤销原因"
MSG_TYPE_CHILDREN = "改为{type}后，现有下级组织将不符合组织层级规则"
MSG_POSITION_OUTSIDE = "任职党员应属于该组织或其下级党支部"
MSG_SECRETARY_EXISTS = "该组织已有在任书记，请先办理原书记离任"
MSG_ROOT_SUPERUSER = "只有系统管理员可以创建根组织"


def _today() -> dt.date:
    return timezone.localdate()


def _snapshot(org: Organisation) -> dict:
    return audit.snapshot(org, AUDITED_FIELDS)


def _check_code(code: str, *, exclude_pk: int | None = None) -> dict[str, str]:
    qs = Organisation.objects.filter(code=code)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return {"code": MSG_CODE_TAKEN} if qs.exists() else {}


def _validate(org: Organisation) -> None:
    """Field validators, then our rules; one ValidationError with every problem."""
    errors: dict[str, str] = {}
    try:
        org.full_clean(exclude=["path", "depth", "numchild"], validate_unique=False)
    except ValidationError as exc:
        errors.update({f: msgs[0] for f, msgs in exc.message_dict.items()})
    if org.founded_on and org.founded_on > _today():
        errors.setdefault("founded_on", MSG_FOUNDED_FUTURE)
    if "code" not in errors and org.code:
        errors.update(_check_code(org.code, exclude_pk=org.pk))
    raise_if(errors)


def _lock_fresh(org: Organisation) -> Organisation:
    """Serialise tree writes, then reload: treebeard computes paths from current state."""
    locks.serialize(TREE_LOCK)
    return Organisation.objects.select_for_update().get(pk=org.pk)


@transaction.atomic
def org_create_root(*, acting_user, ip: str | None = None, **fields) -> Organisation:
    """Create the province root. Superusers only (a deployment has one root)."""
    if not acting_user.is_superuser:
        raise PermissionDenied(MSG_ROOT_SUPERUSER)
    org = Organisation(**fields)
    raise_if({"org_type": msg} if (msg := rules.parent_error(org.org_type, None)) else {})
    _validate(org)
    locks.serialize(TREE_LOCK)
    org = Organisation.objects.add_root(instance=org)
    audit.record(
        actor=acting_user,
        action="org.create",
        obj=org,
        org_path=org.path,
        after=_snapshot(org),
        ip=ip,
    )
    return org


@transaction.atomic
def org_create(
    *,
    acting_user,
    parent: Organisation,
    name: str,
    org_type: str,
    code: str,
    founded_on: dt.date,
    address: str = "",
    contact_phone: str = "",
    ip: str | None = None,
) -> Organisation:
    """Create an organisation under ``parent`` (which must be in the user's change scope)."""
    authorize(acting_user, Perm.CHANGE_ORG, parent.path, view_perm=Perm.VIEW_ORG)
    parent = _lock_fresh(parent)
    org = Organisation(
        name=name,
        org_type=org_type,
        code=code,
        founded_on=founded_on,
        address=address,
        contact_phone=contact_phone,
    )
    errors = {}
    if not parent.is_active:
        errors["parent"] = MSG_PARENT_DISSOLVED
    if org_type in rules.ALLOWED_PARENTS and (msg := rules.parent_error(org_type, parent.org_type)):
        errors["org_type"] = msg
    raise_if(errors)
    _validate(org)
    org = Organisation.objects.add_child(parent, instance=org)
    audit.record(
        actor=acting_user,
        action="org.create",
        obj=org,
        org_path=org.path,
        after=_snapshot(org),
        ip=ip,
    )
    return org


@transaction.atomic
def org_update(*, acting_user, org: Organisation, ip: str | None = None, **changes) -> Organisation:
    """Edit an organisation's own fields. Moving and dissolving have their own services."""
    authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    org = _lock_fresh(org)
    before = _snapshot(org)
    for field, value in changes.items():
        setattr(org, field, value)
    errors = {}
    if "org_type" in changes and org.org_type in rules.ALLOWED_PARENTS:
        parent = Organisation.objects.get_parent(org)
        if msg := rules.parent_error(org.org_type, parent.org_type if parent else None):
            errors["org_type"] = msg
        elif any(
            rules.parent_error(t, org.org_type)
            for t in Organisation.objects.get_children(org)
            .values_list("org_type", flat=True)
            .distinct()
        ):
            errors["org_type"] = MSG_TYPE_CHILDREN.format(type=org.get_org_type_display())
    raise_if(errors)
    _validate(org)
    org.save()
    audit.record(
        actor=acting_user,
        action="org.update",
        obj=org,
        org_path=org.path,
        before=before,
        after=_snapshot(org),
        ip=ip,
    )
    return org


@transaction.atomic
def org_move(
    *, acting_user, org: Organisation, new_parent: Organisation, ip: str | None = None
) -> Organisation:
    """Move ``org`` (with its subtree) under ``new_parent``; both must be in change scope."""
    authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    authorize(acting_user, Perm.CHANGE_ORG, new_parent.path, view_perm=Perm.VIEW_ORG)
    org = _lock_fresh(org)
    new_parent = Organisation.objects.get(pk=new_parent.pk)
    errors = {}
    if org.depth == 1:
        errors["parent"] = MSG_MOVE_ROOT
    elif new_parent.path.startswith(org.path):
        errors["parent"] = MSG_MOVE_INTO_SELF
    elif not new_parent.is_active:
        errors["parent"] = MSG_PARENT_DISSOLVED
    elif msg := rules.parent_error(org.org_type, new_parent.org_type):
        errors["parent"] = msg
    raise_if(errors)
    before = _snapshot(org)
    Organisation.objects.move(org, new_parent, pos="last-child")
    org = Organisation.objects.get(pk=org.pk)
    audit.record(
        actor=acting_user,
        action="org.move",
        obj=org,
        org_path=org.path,
        before=before,
        after=_snapshot(org),
        ip=ip,
    )
    return org


@transaction.atomic
def org_dissolve(
    *,
    acting_user,
    org: Organisation,
    dissolved_on: dt.date,
    reason: str,
    ip: str | None = None,
) -> Organisation:
    """Dissolve (撤销) an organisation that no longer has active children or members."""
    authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    org = _lock_fresh(org)
    errors = {}
    if not org.is_active:
        errors["__all__"] = MSG_ALREADY_DISSOLVED
    elif n := Organisation.objects.get_children(org).filter(dissolved_on__isnull=True).count():
        errors["__all__"] = MSG_DISSOLVE_CHILDREN.format(n=n)
    elif n := current_member_count(org):
        errors["__all__"] = MSG_DISSOLVE_MEMBERS.format(n=n)
    if dissolved_on < org.founded_on:
        errors["dissolved_on"] = MSG_DISSOLVE_BEFORE_FOUNDED
    elif dissolved_on > _today():
        errors["dissolved_on"] = MSG_DISSOLVE_FUTURE
    if not (reason or "").strip():
        errors["reason"] = MSG_REASON_REQUIRED
    raise_if(errors)
    before = _snapshot(org)
    org.dissolved_on = dissolved_on
    org.dissolve_reason = reason.strip()
    org.save(update_fields=["dissolved_on", "dissolve_reason", "updated_at"])
    audit.record(
        actor=acting_user,
        action="org.dissolve",
        obj=org,
        org_path=org.path,
        before=before,
        after=_snapshot(org),
        ip=ip,
    )
    return org


@transaction.atomic
def position_assign(
    *,
    acting_user,
    org: Organisation,
    member,
    title: str,
    started_on: dt.date,
    ip: str | None = None,
) -> Position:
    """Appoint a member of the organisation's subtree to a post in it."""
    authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    errors = {}
    if not member.branch.path.startswith(org.path):
        errors["member"] = MSG_POSITION_OUTSIDE
    if (
        title == PositionTitle.SECRETARY
        and Position.objects.filter(org=org, title=title, ended_on__isnull=True).exists()
    ):
        errors["title"] = MSG_SECRETARY_EXISTS
    raise_if(errors)
    position = Position(org=org, member=member, title=title, started_on=started_on)
    position.full_clean()
    position.save()
    audit.record(
        actor=acting_user,
        action="position.assign",
        obj=position,
        org_path=org.path,
        after=audit.snapshot(position, ("org", "member", "title", "started_on")),
        ip=ip,
    )
    return position


@transaction.atomic
def position_end(
    *, acting_user, position: Position, ended_on: dt.date, ip: str | None = None
) -> Position:
    """Record that a post holder left the post (离任)."""
    authorize(acting_user, Perm.CHANGE_ORG, position.org.path, view_perm=Perm.VIEW_ORG)
    position.ended_on = ended_on
    position.full_clean()
    position.save(update_fields=["ended_on", "updated_at"])
    audit.record(
        actor=acting_user,
        action="position.end",
        obj=position,
        org_path=position.org.path,
        after={"ended_on": ended_on.isoformat()},
        ip=ip,
    )
    return position
