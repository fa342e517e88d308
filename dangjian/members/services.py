"""Every write to member records: validated, transactional, audited."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, crypto, idcard
from dangjian.core.errors import raise_if, row_error
from dangjian.core.scope import Perm, authorize, common_path
from dangjian.members import rules
from dangjian.members.choices import Gender
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.orgs.rules import can_hold_members

AUDITED_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "occupation",
    "joined_on",
    "full_member_on",
    "status",
    "branch",
    "group",
)
MASKED = {"id_number": crypto.mask_id_number, "phone": crypto.mask_phone}
EDITABLE_FIELDS = frozenset(AUDITED_FIELDS)

MSG_ID_TAKEN = "该公民身份号码已登记，同一人不能重复登记"
MSG_NOT_BRANCH = "党员只能编入党支部"
MSG_BRANCH_DISSOLVED = "该党支部已撤销"
MSG_GROUP_OUTSIDE = "党小组应属于所选党支部"


def _snapshot(member: Member) -> dict:
    return audit.snapshot(member, AUDITED_FIELDS, masked=MASKED)


def _today() -> dt.date:
    return timezone.localdate()


def _check_placement(branch: Organisation, group: Organisation | None) -> dict[str, str]:
    errors = {}
    if not can_hold_members(branch.org_type):
        errors["branch"] = MSG_NOT_BRANCH
    elif not branch.is_active:
        errors["branch"] = MSG_BRANCH_DISSOLVED
    if group is not None and (
        group.org_type != OrgType.GROUP or not group.path.startswith(branch.path)
    ):
        errors["group"] = MSG_GROUP_OUTSIDE
    return errors


def _apply_id(member: Member, raw_id: str, errors: dict[str, str], today: dt.date):
    """Parse the ID into the record, filling sex and birth date it implies; None if invalid."""
    try:
        parsed = idcard.parse(raw_id, today=today)
    except ValidationError as exc:
        errors["id_number"] = exc.messages[0]
        return None
    member.set_id_number(parsed.value)
    if member.birth_date is None:
        member.birth_date = parsed.birth_date
    if not member.gender:
        member.gender = Gender.MALE if parsed.is_male else Gender.FEMALE
    return parsed


def _record_errors(
    member: Member, parsed, errors: dict[str, str], today: dt.date, *, exclude: list[str]
) -> None:
    """Model field validation, then the member rules; the first message per field wins."""
    try:
        member.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, msgs[0])
    if parsed is not None and member.birth_date and member.joined_on:
        for field, msg in rules.record_errors(
            id_number=parsed,
            birth_date=member.birth_date,
            gender=member.gender,
            joined_on=member.joined_on,
            full_member_on=member.full_member_on,
            status=member.status,
            today=today,
        ).items():
            errors.setdefault(field, msg)


def _validate(member: Member, raw_id: str | None) -> None:
    """Parse the ID (when given), fill what it implies, then check every rule at once."""
    errors: dict[str, str] = {}
    today = _today()
    if raw_id is not None:
        parsed = _apply_id(member, raw_id, errors, today)
        if parsed is not None:
            taken = Member.objects.filter(id_number_digest=member.id_number_digest)
            if taken.exclude(pk=member.pk).exists():
                errors["id_number"] = MSG_ID_TAKEN
    else:
        parsed = idcard.parse(member.id_number)
    _record_errors(member, parsed, errors, today, exclude=["id_number_digest", "phone_digest"])
    raise_if(errors)


def _apply_phone(member: Member, raw_phone: str | None, errors: dict[str, str]) -> None:
    if raw_phone is None:
        return
    if not raw_phone.strip():
        member.set_phone("")
        return
    try:
        member.set_phone(rules.validate_phone(raw_phone))
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]


@transaction.atomic
def member_create(
    *,
    acting_user,
    branch: Organisation,
    name: str,
    id_number: str,
    ethnicity: str,
    education: str,
    joined_on: dt.date,
    status: str,
    phone: str = "",
    occupation: str = "",
    full_member_on: dt.date | None = None,
    gender: str = "",
    birth_date: dt.date | None = None,
    group: Organisation | None = None,
    ip: str | None = None,
) -> Member:
    """Register a member in a branch within the user's change scope.

    Sex and birth date default to what the ID number says; given, they must agree.
    """
    authorize(acting_user, Perm.CHANGE_MEMBER, branch.path, view_perm=Perm.VIEW_ORG)
    member = Member(
        name=(name or "").strip(),
        gender=gender,
        ethnicity=ethnicity,
        birth_date=birth_date,
        education=education,
        occupation=occupation,
        joined_on=joined_on,
        full_member_on=full_member_on,
        status=status,
        branch=branch,
        group=group,
    )
    errors = _check_placement(branch, group)
    _apply_phone(member, phone, errors)
    try:
        _validate(member, id_number)
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, msgs[0])
    raise_if(errors)
    member.save()
    audit.record(
        actor=acting_user,
        action="member.create",
        obj=member,
        org_path=branch.path,
        after=_snapshot(member),
        ip=ip,
    )
    return member


@transaction.atomic
def member_update(*, acting_user, member: Member, ip: str | None = None, **changes) -> Member:
    """Change a member's record. Moving to another branch needs change scope on both."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    member = Member.objects.select_for_update().select_related("branch").get(pk=member.pk)
    before = _snapshot(member)
    raw_id = changes.pop("id_number", None)
    raw_phone = changes.pop("phone", None)
    for field, value in changes.items():
        setattr(member, field, value)
    if "branch" in changes:
        authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_ORG)
        if "group" not in changes:
            member.group = None
    errors = (
        _check_placement(member.branch, member.group) if {"branch", "group"} & set(changes) else {}
    )
    _apply_phone(member, raw_phone, errors)
    try:
        _validate(member, raw_id)
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, msgs[0])
    raise_if(errors)
    if _snapshot(member) == before:
        return member  # nothing changed: no write, no audit entry
    member.save()
    audit.record(
        actor=acting_user,
        action="member.update",
        obj=member,
        org_path=member.branch.path,
        before=before,
        after=_snapshot(member),
        ip=ip,
    )
    return member


@transaction.atomic
def member_reveal(*, acting_user, member: Member, ip: str | None = None) -> dict[str, str]:
    """The unmasked ID number and phone, for those allowed; every reveal is audited."""
    from dangjian.members.selectors import can_reveal

    if not can_reveal(acting_user, member):
        authorize(acting_user, Perm.REVEAL_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    audit.record(
        actor=acting_user, action="member.reveal", obj=member, org_path=member.branch.path, ip=ip
    )
    return {"id_number": member.id_number, "phone": member.phone}


# --- Bulk writes (imports, demo data): the same rules as member_create, one transaction ---

MSG_BULK_ID_REPEATED = "该公民身份号码在本批数据中重复"


def _bulk_member_errors(member: Member, raw_id: str, raw_phone: str, today: dt.date):
    """Validate one row as member_create does, minus the per-row database queries."""
    errors: dict[str, str] = {}
    _apply_phone(member, raw_phone, errors)
    parsed = _apply_id(member, raw_id, errors, today)
    _record_errors(
        member,
        parsed,
        errors,
        today,
        exclude=["id_number_digest", "phone_digest", "branch", "group"],
    )
    return errors


@transaction.atomic
def member_bulk_create(*, acting_user, rows, ip: str | None = None) -> list[Member]:
    """Register many members at once, with the rules of :func:`member_create`.

    Each row is a mapping of member_create's arguments: ``branch`` (and optional
    ``group``) as saved organisations, ``name``, ``id_number``, ``ethnicity``,
    ``education``, ``joined_on``, ``status``, optional ``phone``, ``occupation``,
    ``full_member_on``, ``gender``, ``birth_date``. ID numbers are parsed and checked
    against sex and birth date, phones normalised; both are stored encrypted with their
    blind indexes. All or nothing: the first invalid row raises a ValidationError whose
    messages name the row (第N行：…) by field. One audit entry per call.
    """
    rows = list(rows)
    if not rows:
        return []
    today = _today()
    placed_ids = {r["branch"].pk for r in rows} | {r["group"].pk for r in rows if r.get("group")}
    orgs = Organisation.objects.in_bulk(placed_ids)  # fresh: path, type, dissolved
    for branch_id in {r["branch"].pk for r in rows} & set(orgs):
        authorize(acting_user, Perm.CHANGE_MEMBER, orgs[branch_id].path, view_perm=Perm.VIEW_ORG)

    members: list[Member] = []
    digests: set[str] = set()
    for number, row in enumerate(rows, 1):
        branch = orgs.get(row["branch"].pk)
        group = orgs.get(row["group"].pk) if row.get("group") else None
        if branch is None:
            raise row_error(number, {"branch": MSG_NOT_BRANCH})
        if row.get("group") and group is None:
            raise row_error(number, {"group": MSG_GROUP_OUTSIDE})
        member = Member(
            name=(row.get("name") or "").strip(),
            gender=row.get("gender") or "",
            ethnicity=row.get("ethnicity") or "",
            birth_date=row.get("birth_date"),
            education=row.get("education") or "",
            occupation=row.get("occupation") or "",
            joined_on=row.get("joined_on"),
            full_member_on=row.get("full_member_on"),
            status=row.get("status") or "",
            branch=branch,
            group=group,
        )
        errors = _check_placement(branch, group)
        for field, msg in _bulk_member_errors(
            member, row.get("id_number") or "", row.get("phone") or "", today
        ).items():
            errors.setdefault(field, msg)
        if "id_number" not in errors and member.id_number_digest in digests:
            errors["id_number"] = MSG_BULK_ID_REPEATED
        if errors:
            raise row_error(number, errors)
        digests.add(member.id_number_digest)
        members.append(member)

    ordered = [m.id_number_digest for m in members]
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        taken = set(
            Member.objects.filter(id_number_digest__in=chunk).values_list(
                "id_number_digest", flat=True
            )
        )
        if taken:
            number = next(i for i, d in enumerate(ordered, 1) if d in taken)
            raise row_error(number, {"id_number": MSG_ID_TAKEN})

    Member.objects.bulk_create(members, batch_size=500)
    audit.record(
        actor=acting_user,
        action="member.bulk_create",
        org_path=common_path(orgs[pk].path for pk in {r["branch"].pk for r in rows}),
        after={"count": len(members), "first_id": members[0].pk, "last_id": members[-1].pk},
        ip=ip,
    )
    return members
