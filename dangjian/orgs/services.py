"""Every write to the organisation tree: validated, serialised, transactional, audited."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangjian.core import audit, locks, rollups
from dangjian.core.errors import raise_if, row_error
from dangjian.core.scope import Perm, authorize, common_path, within
from dangjian.core.services import check_editable, model_create, model_update
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
        org=org,
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
        org=org,
        after=_snapshot(org),
        ip=ip,
    )
    return org


@transaction.atomic
def org_update(*, acting_user, org: Organisation, ip: str | None = None, **changes) -> Organisation:
    """Edit an organisation's own fields. Moving and dissolving have their own services."""
    authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    check_editable(changes, EDITABLE_FIELDS)
    org = _lock_fresh(org)
    model_update(
        acting_user=acting_user,
        instance=org,
        changes=changes,
        snapshot=_snapshot,
        action="org.update",
        org=lambda: org,
        validate=lambda: _validate_update(org, changes),
        ip=ip,
    )
    if {"founded_on", "org_type"} & changes.keys():
        rollups.mark_dirty(org)  # what the organisation owes (orglife.compliance) depends on them
    return org


def _validate_update(org: Organisation, changes) -> None:
    """A new type must fit under the parent and above the children; then every field."""
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
    elif within(new_parent.path, org.path):
        errors["parent"] = MSG_MOVE_INTO_SELF
    elif not new_parent.is_active:
        errors["parent"] = MSG_PARENT_DISSOLVED
    elif msg := rules.parent_error(org.org_type, new_parent.org_type):
        errors["parent"] = msg
    raise_if(errors)
    before = _snapshot(org)
    old_parent = Organisation.objects.get_parent(org)
    Organisation.objects.move(org, new_parent, pos="last-child")
    org = Organisation.objects.get(pk=org.pk)
    rollups.subtree_moved(org, old_parent=old_parent)
    audit.record(
        actor=acting_user,
        action="org.move",
        obj=org,
        org=org,
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
    model_update(
        acting_user=acting_user,
        instance=org,
        changes={"dissolved_on": dissolved_on, "dissolve_reason": reason.strip()},
        snapshot=_snapshot,
        action="org.dissolve",
        org=lambda: org,
        ip=ip,
    )
    rollups.mark_dirty(org)
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
    if not rules.can_hold_post(
        org_type=org.org_type,
        org_path=org.path,
        org_pk=org.pk,
        branch_path=member.branch.path,
        group_id=member.group_id,
    ):
        errors["member"] = MSG_POSITION_OUTSIDE
    if started_on > _today():
        errors["started_on"] = MSG_STARTED_FUTURE
    if (
        title == PositionTitle.SECRETARY
        and Position.objects.filter(org=org, title=title, ended_on__isnull=True).exists()
    ):
        errors["title"] = MSG_SECRETARY_EXISTS
    raise_if(errors)
    position = Position(org=org, member=member, title=title, started_on=started_on)
    model_create(
        acting_user=acting_user,
        instance=position,
        action="position.assign",
        org=org,
        fields=("org", "member", "title", "started_on"),
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
        org=position.org,
        after={"ended_on": ended_on.isoformat()},
        ip=ip,
    )
    return position


# --- Bulk writes (imports, demo data): the same rules as above, one transaction per call ---

MSG_BULK_PARENT = "上级组织应为已有组织，或本批中排在前面的行"
MSG_BULK_CODE_REPEATED = "该组织代码在本批数据中重复"
MSG_BULK_TOO_MANY_CHILDREN = "该上级组织的下级组织数量已达上限"
MSG_BULK_SECRETARY_REPEATED = "本批数据中该组织有多名书记"
MSG_STARTED_FUTURE = "任职日期不能晚于今天"
MSG_BULK_TITLE = "职务不在可选范围内"
MSG_BULK_UNKNOWN_ORG = "该组织不存在"
MSG_REQUIRED = "此字段不能为空。"


def _bulk_org_errors(org: Organisation, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    try:
        org.full_clean(
            exclude=["path", "depth", "numchild"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        errors.update({f: msgs[0] for f, msgs in exc.message_dict.items()})
    if org.founded_on and org.founded_on > today:
        errors.setdefault("founded_on", MSG_FOUNDED_FUTURE)
    if org.dissolved_on:
        if org.founded_on and org.dissolved_on < org.founded_on:
            errors.setdefault("dissolved_on", MSG_DISSOLVE_BEFORE_FOUNDED)
        elif org.dissolved_on > today:
            errors.setdefault("dissolved_on", MSG_DISSOLVE_FUTURE)
        if not org.dissolve_reason.strip():
            errors.setdefault("dissolve_reason", MSG_REASON_REQUIRED)
    return errors


@transaction.atomic
def org_bulk_create(*, acting_user, rows, ip: str | None = None) -> list[Organisation]:
    """Create many organisations at once, with the rules of :func:`org_create`.

    Each row is a mapping with ``parent`` — an existing :class:`Organisation` or the
    0-based index of an *earlier* row — and the fields ``name``, ``org_type``, ``code``,
    ``founded_on`` (optional ``address``, ``contact_phone``, ``dissolved_on`` with
    ``dissolve_reason``). Children are appended after their parent's existing children
    in row order. Materialized paths, ``depth`` and ``numchild`` are computed here, as
    treebeard would (steplen 4, alphabet 0-9A-Z, first child …0001).

    All or nothing: the first invalid row raises a ValidationError whose messages name
    the row (第N行：…) by field, and nothing is written. One audit entry per call.
    Parents passed in are not refreshed (their ``numchild`` is updated in the database).
    """
    rows = list(rows)
    if not rows:
        return []
    today = _today()
    locks.serialize(TREE_LOCK)
    db_parent_ids = {r["parent"].pk for r in rows if isinstance(r.get("parent"), Organisation)}
    db_parents = Organisation.objects.select_for_update().in_bulk(db_parent_ids)
    for parent in db_parents.values():
        authorize(acting_user, Perm.CHANGE_ORG, parent.path, view_perm=Perm.VIEW_ORG)
    codes = [r.get("code") for r in rows]
    taken = set()
    for start in range(0, len(codes), 500):
        chunk = [c for c in codes[start : start + 500] if c]
        taken.update(Organisation.objects.filter(code__in=chunk).values_list("code", flat=True))
    next_step = {}  # parent path → next free step number
    for parent in db_parents.values():
        last = (
            Organisation.objects.filter(
                path__range=Organisation._get_children_path_interval(parent.path),
                depth=parent.depth + 1,
            )
            .order_by("-path")
            .values_list("path", flat=True)
            .first()
        )
        next_step[parent.path] = (
            Organisation._str2int(last[-Organisation.steplen :]) + 1 if last else 1
        )
    limit = len(Organisation.alphabet) ** Organisation.steplen

    created: list[Organisation] = []
    seen_codes: set[str] = set()
    added_to_db_parent: dict[int, int] = {}
    for number, row in enumerate(rows, 1):
        ref = row.get("parent")
        if isinstance(ref, Organisation):
            parent = db_parents.get(ref.pk)
        elif isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < number - 1:
            parent = created[ref]
        else:
            parent = None
        if parent is None:
            raise row_error(number, {"parent": MSG_BULK_PARENT})
        org = Organisation(
            name=(row.get("name") or "").strip(),
            org_type=row.get("org_type") or "",
            code=row.get("code") or "",
            founded_on=row.get("founded_on"),
            dissolved_on=row.get("dissolved_on"),
            dissolve_reason=row.get("dissolve_reason") or "",
            address=row.get("address") or "",
            contact_phone=row.get("contact_phone") or "",
        )
        errors = {}
        if not parent.is_active:
            errors["parent"] = MSG_PARENT_DISSOLVED
        if org.org_type in rules.ALLOWED_PARENTS and (
            msg := rules.parent_error(org.org_type, parent.org_type)
        ):
            errors["org_type"] = msg
        errors.update(_bulk_org_errors(org, today))
        if "code" not in errors:
            if org.code in taken:
                errors["code"] = MSG_CODE_TAKEN
            elif org.code in seen_codes:
                errors["code"] = MSG_BULK_CODE_REPEATED
        step = next_step.get(parent.path, 1)
        if step >= limit:
            errors.setdefault("parent", MSG_BULK_TOO_MANY_CHILDREN)
        if errors:
            raise row_error(number, errors)
        seen_codes.add(org.code)
        next_step[parent.path] = step + 1
        org.depth = parent.depth + 1
        org.path = Organisation._get_path(parent.path, org.depth, step)
        org.numchild = 0
        if parent.pk is not None:
            added_to_db_parent[parent.pk] = added_to_db_parent.get(parent.pk, 0) + 1
        else:
            parent.numchild += 1
        created.append(org)

    Organisation.objects.bulk_create(created, batch_size=500)
    for pk, n in added_to_db_parent.items():
        Organisation.objects.filter(pk=pk).update(numchild=F("numchild") + n)
    audit.record(
        actor=acting_user,
        action="org.bulk_create",
        org_path=common_path(p.path for p in db_parents.values()),
        after={
            "count": len(created),
            "first_id": created[0].pk,
            "last_id": created[-1].pk,
            "first_code": created[0].code,
            "last_code": created[-1].code,
        },
        ip=ip,
    )
    return created


@transaction.atomic
def position_bulk_create(*, acting_user, rows, ip: str | None = None) -> list[Position]:
    """Appoint many post holders at once, with the rules of :func:`position_assign`.

    Each row: ``org``, ``member`` (saved instances), ``title``, ``started_on``. The member
    must belong to the organisation's subtree (for a 党小组: to the group itself); an
    organisation has one current 书记.
    All or nothing, errors name the row (第N行：…); one audit entry per call.
    """
    from dangjian.members.models import Member

    rows = list(rows)
    if not rows:
        return []
    today = _today()
    orgs = Organisation.objects.in_bulk({r["org"].pk for r in rows})
    for org in orgs.values():
        authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    member_ids = [r["member"].pk for r in rows]
    placement = {}  # member pk → (branch path, group id)
    for start in range(0, len(member_ids), 500):
        placement.update(
            (pk, (path, group_id))
            for pk, path, group_id in Member.objects.filter(
                pk__in=member_ids[start : start + 500]
            ).values_list("pk", "branch__path", "group_id")
        )
    with_secretary = set(
        Position.objects.filter(
            org_id__in=list(orgs), title=PositionTitle.SECRETARY, ended_on__isnull=True
        ).values_list("org_id", flat=True)
    )
    titles = set(PositionTitle.values)
    positions = []
    for number, row in enumerate(rows, 1):
        org, member = orgs.get(row["org"].pk), row["member"]
        title, started_on = row.get("title"), row.get("started_on")
        if org is None:
            raise row_error(number, {"org": MSG_BULK_UNKNOWN_ORG})
        errors = {}
        path, group_id = placement.get(member.pk, (None, None))
        if not rules.can_hold_post(
            org_type=org.org_type,
            org_path=org.path,
            org_pk=org.pk,
            branch_path=path,
            group_id=group_id,
        ):
            errors["member"] = MSG_POSITION_OUTSIDE
        if title not in titles:
            errors["title"] = MSG_BULK_TITLE
        elif title == PositionTitle.SECRETARY:
            if org.pk in with_secretary:
                errors["title"] = MSG_SECRETARY_EXISTS
            with_secretary.add(org.pk)
        if started_on is None:
            errors["started_on"] = MSG_REQUIRED
        elif started_on > today:
            errors["started_on"] = MSG_STARTED_FUTURE
        if errors:
            if errors.get("title") == MSG_SECRETARY_EXISTS and any(
                r["org"].pk == org.pk and r.get("title") == PositionTitle.SECRETARY
                for r in rows[: number - 1]
            ):
                errors["title"] = MSG_BULK_SECRETARY_REPEATED
            raise row_error(number, errors)
        positions.append(Position(org=org, member=member, title=title, started_on=started_on))
    Position.objects.bulk_create(positions, batch_size=500)
    audit.record(
        actor=acting_user,
        action="position.bulk_create",
        org_path=common_path(o.path for o in orgs.values()),
        after={"count": len(positions), "first_id": positions[0].pk, "last_id": positions[-1].pk},
        ip=ip,
    )
    return positions
