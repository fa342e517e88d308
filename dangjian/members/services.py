"""Every write to member records: validated, transactional, audited."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, crypto, idcard, rollups
from dangjian.core.errors import raise_if, row_error
from dangjian.core.phone import normalize_phone
from dangjian.core.retry import retry_conflicts
from dangjian.core.scope import Perm, authorize, common_path, within
from dangjian.core.services import check_editable, model_update
from dangjian.members import rules
from dangjian.members.choices import CURRENT_STATUSES, SITUATIONS, Gender, Status
from dangjian.members.models import ID_INDEX, Member
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
    "address",
    "education",
    "occupation",
    "joined_on",
    "full_member_on",
    "status",
    "branch",
    "group",
    "transferred_out_on",
    "transferred_out_to",
)
MASKED = {
    "id_number": crypto.mask_id_number,
    "phone": crypto.mask_phone,
    "address": crypto.mask_address,
}
# The transfer out is written by member_transfer_out only.
EDITABLE_FIELDS = frozenset(AUDITED_FIELDS) - {"transferred_out_on", "transferred_out_to"}

MSG_ID_TAKEN = "该公民身份号码已登记，同一人不能重复登记"
MSG_NOT_BRANCH = "党员只能编入党支部"
MSG_BRANCH_DISSOLVED = "该党支部已撤销"
MSG_GROUP_OUTSIDE = "党小组应属于所选党支部"
ADDRESS_MAX = 200
MSG_ADDRESS_LONG = f"家庭住址不能超过{ADDRESS_MAX}个字"


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
        group.org_type != OrgType.GROUP or not within(group.path, branch.path)
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
            transferred_out_on=member.transferred_out_on,
        ).items():
            errors.setdefault(field, msg)


def _validate(member: Member, raw_id: str | None) -> None:
    """Parse the ID (when given), fill what it implies, then check every rule at once."""
    errors: dict[str, str] = {}
    today = _today()
    if raw_id is not None:
        parsed = _apply_id(member, raw_id, errors, today)
        if parsed is not None:
            digests = crypto.blind_indexes(parsed.value, purpose=ID_INDEX)
            taken = Member.objects.filter(id_number_digest__in=digests)
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
        member.set_phone(normalize_phone(raw_phone))
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]


def _apply_address(member: Member, raw_address: str | None, errors: dict[str, str]) -> None:
    if raw_address is None:
        return
    value = " ".join(raw_address.split())
    if len(value) > ADDRESS_MAX:
        errors["address"] = MSG_ADDRESS_LONG
    else:
        member.address = value


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
    address: str = "",
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
    _apply_address(member, address, errors)
    try:
        _validate(member, id_number)
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, msgs[0])
    raise_if(errors)
    member.save()
    rollups.mark_dirty(branch)
    audit.record(
        actor=acting_user,
        action="member.create",
        obj=member,
        org=branch,
        after=_snapshot(member),
        ip=ip,
    )
    return member


@retry_conflicts
@transaction.atomic
def member_update(*, acting_user, member: Member, ip: str | None = None, **changes) -> Member:
    """Change a member's record. Moving to another branch needs change scope on both."""
    check_editable(changes, EDITABLE_FIELDS)
    authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    member = (
        Member.objects.select_for_update(no_key=True, of=("self",))
        .select_related("branch")
        .get(pk=member.pk)
    )
    old_branch_id = member.branch_id
    raw = {name: changes.pop(name, None) for name in ("id_number", "phone", "address")}
    if "branch" in changes:
        authorize(acting_user, Perm.CHANGE_MEMBER, changes["branch"].path, view_perm=Perm.VIEW_ORG)
        changes.setdefault("group", None)
    if model_update(
        acting_user=acting_user,
        instance=member,
        changes=changes,
        snapshot=_snapshot,
        action="member.update",
        org=lambda: member.branch,
        validate=lambda: _validate_update(member, changes, raw),
        ip=ip,
    ):
        rollups.mark_dirty(old_branch_id, member.branch_id)
    return member


def _validate_update(member: Member, changes, raw: dict) -> None:
    """Placement, the encrypted fields given in clear, then every rule at once."""
    errors = (
        _check_placement(member.branch, member.group) if {"branch", "group"} & set(changes) else {}
    )
    _apply_phone(member, raw["phone"], errors)
    _apply_address(member, raw["address"], errors)
    try:
        _validate(member, raw["id_number"])
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, msgs[0])
    raise_if(errors)


@transaction.atomic
def member_reveal(*, acting_user, member: Member, ip: str | None = None) -> dict[str, str]:
    """The unmasked ID number, phone and address, for those allowed; every reveal is audited."""
    from dangjian.members.selectors import can_reveal

    if not can_reveal(acting_user, member):
        authorize(acting_user, Perm.REVEAL_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    audit.record(actor=acting_user, action="member.reveal", obj=member, org=member.branch, ip=ip)
    return {"id_number": member.id_number, "phone": member.phone, "address": member.address}


# --- Bulk writes (imports, demo data): the same rules as member_create, one transaction ---

MSG_BULK_ID_REPEATED = "该公民身份号码在本批数据中重复"


def _bulk_member_errors(member: Member, row, today: dt.date):
    """Validate one row as member_create does, minus the per-row database queries."""
    errors: dict[str, str] = {}
    _apply_phone(member, row.get("phone") or "", errors)
    _apply_address(member, row.get("address") or "", errors)
    parsed = _apply_id(member, row.get("id_number") or "", errors, today)
    _record_errors(
        member,
        parsed,
        errors,
        today,
        exclude=["id_number_digest", "phone_digest", "branch", "group"],
    )
    return errors


def _fresh_orgs(rows) -> dict:
    placed_ids = {r["branch"].pk for r in rows} | {r["group"].pk for r in rows if r.get("group")}
    return Organisation.objects.in_bulk(placed_ids)  # fresh: path, type, dissolved


def _bulk_validate(rows, orgs) -> tuple[list[Member], dict[int, dict[str, str]]]:
    members: list[Member] = []
    errors_by_row: dict[int, dict[str, str]] = {}
    today = _today()
    seen: set[str] = set()
    for number, row in enumerate(rows, 1):
        branch = orgs.get(row["branch"].pk)
        group = orgs.get(row["group"].pk) if row.get("group") else None
        if branch is None:
            errors_by_row[number] = {"branch": MSG_NOT_BRANCH}
            continue
        if row.get("group") and group is None:
            errors_by_row[number] = {"group": MSG_GROUP_OUTSIDE}
            continue
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
        for field, msg in _bulk_member_errors(member, row, today).items():
            errors.setdefault(field, msg)
        if "id_number" not in errors and member.id_number_digest in seen:
            errors["id_number"] = MSG_BULK_ID_REPEATED
        if errors:
            errors_by_row[number] = errors
            continue
        seen.add(member.id_number_digest)
        member._row_number = number
        members.append(member)

    # Already registered? Ask by every digest the number may be stored under (during an
    # index-key rotation, the previous key's too), 500 at a time.
    candidates: dict[str, int] = {}
    rotating = crypto.keyring().index_key_previous is not None
    for member in members:
        candidates[member.id_number_digest] = member._row_number
        if rotating:
            for digest in crypto.blind_indexes(member.id_number, purpose=ID_INDEX)[1:]:
                candidates[digest] = member._row_number
    ordered = list(candidates)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for digest in Member.objects.filter(id_number_digest__in=chunk).values_list(
            "id_number_digest", flat=True
        ):
            errors_by_row[candidates[digest]] = {"id_number": MSG_ID_TAKEN}
    return [m for m in members if m._row_number not in errors_by_row], errors_by_row


def member_bulk_validate(*, rows) -> dict[int, dict[str, str]]:
    """Check rows as :func:`member_bulk_create` would, writing nothing.

    Returns every invalid row's field errors by 1-based row number (empty: all valid),
    where member_bulk_create stops at the first. Scope is not checked here: callers
    resolve organisations through the acting user's scope (as imports do).
    """
    rows = list(rows)
    if not rows:
        return {}
    return _bulk_validate(rows, _fresh_orgs(rows))[1]


@transaction.atomic
def member_bulk_create(*, acting_user, rows, ip: str | None = None) -> list[Member]:
    """Register many members at once, with the rules of :func:`member_create`.

    Each row is a mapping of member_create's arguments: ``branch`` (and optional
    ``group``) as saved organisations, ``name``, ``id_number``, ``ethnicity``,
    ``education``, ``joined_on``, ``status``, optional ``phone``, ``address``,
    ``occupation``, ``full_member_on``, ``gender``, ``birth_date``. ID numbers are
    parsed and checked against sex and birth date, phones normalised; ID numbers,
    phones and addresses are stored encrypted, with blind indexes. All or nothing: the
    first invalid row raises a ValidationError whose messages name the row (第N行：…)
    by field (:func:`member_bulk_validate` lists them all). One audit entry per call.
    """
    rows = list(rows)
    if not rows:
        return []
    orgs = _fresh_orgs(rows)
    for branch_id in {r["branch"].pk for r in rows} & set(orgs):
        authorize(acting_user, Perm.CHANGE_MEMBER, orgs[branch_id].path, view_perm=Perm.VIEW_ORG)

    members, errors_by_row = _bulk_validate(rows, orgs)
    if errors_by_row:
        number = min(errors_by_row)
        raise row_error(number, errors_by_row[number])

    Member.objects.bulk_create(members, batch_size=500)
    rollups.mark_dirty(*{m.branch_id for m in members})
    audit.record(
        actor=acting_user,
        action="member.bulk_create",
        org_path=common_path(orgs[pk].path for pk in {r["branch"].pk for r in rows}),
        after={"count": len(members), "first_id": members[0].pk, "last_id": members[-1].pk},
        ip=ip,
    )
    return members


# --- Photo (证件照): an uploaded image, re-encoded, stored outside the web root ---

PHOTO_PURPOSE = "member.photo"


def member_photo_set(*, acting_user, member: Member, upload, ip: str | None = None):
    """Replace a member's photo (admins over the branch). The upload is checked and
    re-encoded by ``core.uploads``; the previous file is kept (the audit log names it)."""
    from dangjian.core import uploads

    authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    stored = None
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update(no_key=True).get(pk=member.pk)
            stored = uploads.store_image(
                upload,
                purpose=PHOTO_PURPOSE,
                uploaded_by=acting_user,
                field="photo",
            )
            before = {"photo": locked.photo.sha256 if locked.photo_id else None}
            Member.objects.filter(pk=member.pk).update(photo=stored, updated_at=timezone.now())
            audit.record(
                actor=acting_user,
                action="member.photo",
                obj=locked,
                org=member.branch,
                before=before,
                after={
                    "photo": stored.sha256,
                    "size": stored.size,
                    "content_type": stored.content_type,
                    "original_name": stored.original_name,
                },
                ip=ip,
            )
    except BaseException:
        if stored is not None:
            uploads.discard(stored)
        raise
    member.photo = stored
    return stored


def is_bulk_read(*, count: int, first: int) -> bool:
    """A read of many records at once: a large page, or any page after the first.

    Paging through a list is how records are harvested, so page 2 onwards counts too;
    routine one-page views are not written to the audit chain (that would make every
    read a serialised write).
    """
    return count >= settings.AUDIT_BULK_READ_ROWS or first > 0


@transaction.atomic
def member_bulk_read_record(
    *,
    acting_user,
    count: int,
    first: int | None,
    filters: dict,
    channel: str,
    ip: str | None = None,
) -> None:
    """Audit a bulk read of member records (拿不走): who read how many, from where, how."""
    audit.record(
        actor=acting_user,
        action="member.bulk_read",
        after={"count": count, "first": first, "filters": filters, "channel": channel},
        ip=ip,
    )


@transaction.atomic
def member_move(
    *, acting_user, member: Member, branch: Organisation, reason: str, ip: str | None = None
) -> Member:
    """Move a member to ``branch`` on a completed 组织关系转接 (their group is cleared).

    The receiving side acts, so the change right is checked over the new branch only:
    the release by the old side is the caller's to have established (transfers' approval
    chain). History is kept in the audit log (the branch before and after, and why).
    """
    authorize(acting_user, Perm.CHANGE_MEMBER, branch.path, view_perm=Perm.VIEW_ORG)
    member = Member.objects.select_for_update(no_key=True, of=("self",)).get(pk=member.pk)
    raise_if(_check_placement(branch, None))
    before, old_branch_id = _snapshot(member), member.branch_id
    member.branch, member.group = branch, None
    member.save(update_fields=["branch", "group", "updated_at"])
    rollups.mark_dirty(old_branch_id, branch.pk)
    audit.record(
        actor=acting_user,
        action="member.move",
        obj=member,
        org=branch,
        before=before,
        after={**_snapshot(member), "reason": reason},
        ip=ip,
    )
    return member


# --- Admission and conversion (发展党员, called by dangjian.recruitment) ---

MSG_NOT_PROBATIONARY = "只有预备党员可以转为正式党员"


@transaction.atomic
def member_admit(
    *,
    acting_user,
    branch: Organisation,
    name: str,
    id_number: str,
    ethnicity: str,
    education: str,
    joined_on: dt.date,
    occupation: str = "",
    phone: str = "",
    group: Organisation | None = None,
    ip: str | None = None,
) -> Member:
    """Register an approved applicant as a 预备党员 of ``branch``; ``joined_on`` is the
    day the branch meeting accepted them (党章第七条: probation counts from then)."""
    return member_create(
        acting_user=acting_user,
        branch=branch,
        name=name,
        id_number=id_number,
        ethnicity=ethnicity,
        education=education,
        joined_on=joined_on,
        status=Status.PROBATIONARY,
        occupation=occupation,
        phone=phone,
        group=group,
        ip=ip,
    )


@transaction.atomic
def member_convert(
    *, acting_user, member: Member, full_member_on: dt.date, ip: str | None = None
) -> Member:
    """预备党员 → 正式党员 as of ``full_member_on`` (the day probation ended).

    A probationary member who is away (流动) or lost (失联) is converted too: they get
    their 转正日期 and keep that status until the situation ends (then 正式党员).
    """
    probationary = member.status == Status.PROBATIONARY or (
        member.status in SITUATIONS and member.full_member_on is None
    )
    if not probationary:
        raise ValidationError({"status": MSG_NOT_PROBATIONARY})
    changes = {"full_member_on": full_member_on}
    if member.status == Status.PROBATIONARY:
        changes["status"] = Status.FULL
    return member_update(acting_user=acting_user, member=member, ip=ip, **changes)


# --- Where a member is (流动、失联), called by dangjian.mobility ---

MSG_SITUATION = "只能登记为流动党员或失联党员"
MSG_SITUATION_NOT_CURRENT = "党籍状态为“{status}”的党员不能登记为流动或失联"


def standing_of(member: Member) -> str:
    """The status a member has when they are neither away nor lost: 正式党员 once they
    have a 转正日期, else 预备党员."""
    return Status.FULL if member.full_member_on else Status.PROBATIONARY


@transaction.atomic
def member_set_situation(
    *, acting_user, member: Member, situation: str | None, reason: str, ip: str | None = None
) -> Member:
    """Set the member's status to 流动党员 or 失联党员 (``situation``), or, with None, back
    to their standing (:func:`standing_of`) when they were either.

    Called by mobility's services in their transaction (registering a mobile member,
    marking one lost, ending either); those decide which situation holds. A member no
    longer current (停止党籍、出党、已转出 …, decided meanwhile) keeps that status when a
    situation ends; one cannot be made mobile or lost. Audited with the reason, only
    when the status changes.
    """
    if situation is not None and situation not in SITUATIONS:
        raise ValidationError({"situation": MSG_SITUATION})
    authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    member = (
        Member.objects.select_for_update(no_key=True, of=("self",))
        .select_related("branch")
        .get(pk=member.pk)
    )
    if situation is None:
        if member.status not in SITUATIONS:
            return member
        status = standing_of(member)
    elif member.status not in CURRENT_STATUSES:
        raise ValidationError(
            {"member": MSG_SITUATION_NOT_CURRENT.format(status=member.get_status_display())}
        )
    else:
        status = situation
    if status == member.status:
        return member
    before = _snapshot(member)
    member.status = status
    member.save(update_fields=["status", "updated_at"])
    rollups.mark_dirty(member.branch_id)
    audit.record(
        actor=acting_user,
        action="member.situation",
        obj=member,
        org=member.branch,
        before=before,
        after={**_snapshot(member), "reason": reason},
        ip=ip,
    )
    return member


# --- Transfer out of the platform (called by dangjian.transfers) ---

MSG_OUT_NOT_CURRENT = "党籍状态为“{status}”的党员不能办理转出"
MSG_OUT_DESTINATION = "请填写转往的党组织"
OUT_DESTINATION_MAX = 120


@transaction.atomic
def member_transfer_out(
    *,
    acting_user,
    member: Member,
    on: dt.date,
    destination: str,
    reason: str,
    ip: str | None = None,
) -> Member:
    """The member left for an organisation outside the platform on ``on`` (a completed
    组织关系转接): they leave the branch's roll (status 已转出, not counted among its
    members any more) but the record stays with the branch, with the date and the
    destination, as its history. Their group is cleared. The sending side acts (the
    change right over the member's branch); audited with the reason.
    """
    authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    member = (
        Member.objects.select_for_update(no_key=True, of=("self",))
        .select_related("branch")
        .get(pk=member.pk)
    )
    destination = " ".join((destination or "").split())
    errors = {}
    if member.status not in CURRENT_STATUSES:
        errors["member"] = MSG_OUT_NOT_CURRENT.format(status=member.get_status_display())
    if not destination:
        errors["destination"] = MSG_OUT_DESTINATION
    raise_if(errors)
    before = _snapshot(member)
    member.status = Status.TRANSFERRED_OUT
    member.transferred_out_on = on
    member.transferred_out_to = destination[:OUT_DESTINATION_MAX]
    member.group = None
    member.save(
        update_fields=["status", "transferred_out_on", "transferred_out_to", "group", "updated_at"]
    )
    rollups.mark_dirty(member.branch_id)
    audit.record(
        actor=acting_user,
        action="member.transfer_out",
        obj=member,
        org=member.branch,
        before=before,
        after={**_snapshot(member), "reason": reason},
        ip=ip,
    )
    return member


# --- A member once 已转出 who comes back (called by dangjian.transfers' 转入) ---

MSG_REOPEN_NOT_OUT = "只有“已转出”的党员档案可以恢复"
REOPEN_STATUSES = (Status.FULL, Status.PROBATIONARY)
MSG_REOPEN_STATUS = "恢复后的党籍状态应为正式党员或预备党员"


@transaction.atomic
def member_reopen(
    *,
    acting_user,
    member: Member,
    branch: Organisation,
    status: str,
    joined_on: dt.date,
    full_member_on: dt.date | None,
    reason: str,
    ip: str | None = None,
) -> Member:
    """A member who left the platform (已转出) comes back by 组织关系转入: their record is
    reopened in ``branch`` — current again, with the 入党日期/转正日期 and status the
    incoming letter states — instead of a second record under the same ID number.

    The receiving side acts (the change right over ``branch``; the record's old branch
    may be anywhere). The date and destination of the transfer out are cleared from the
    record; the audit entry keeps them (before), with the reason.
    """
    authorize(acting_user, Perm.CHANGE_MEMBER, branch.path, view_perm=Perm.VIEW_ORG)
    member = (
        Member.objects.select_for_update(no_key=True, of=("self",))
        .select_related("branch")
        .get(pk=member.pk)
    )
    errors = _check_placement(branch, None)
    if member.status != Status.TRANSFERRED_OUT:
        errors["member"] = MSG_REOPEN_NOT_OUT
    if status not in REOPEN_STATUSES:
        errors["status"] = MSG_REOPEN_STATUS
    raise_if(errors)
    before, old_branch_id = _snapshot(member), member.branch_id
    member.status, member.joined_on, member.full_member_on = status, joined_on, full_member_on
    member.transferred_out_on, member.transferred_out_to = None, ""
    member.branch, member.group = branch, None
    _validate(member, None)
    member.save(
        update_fields=[
            "status",
            "joined_on",
            "full_member_on",
            "transferred_out_on",
            "transferred_out_to",
            "branch",
            "group",
            "updated_at",
        ]
    )
    rollups.mark_dirty(old_branch_id, branch.pk)
    audit.record(
        actor=acting_user,
        action="member.reopen",
        obj=member,
        org=branch,
        before=before,
        after={**_snapshot(member), "reason": reason},
        ip=ip,
    )
    return member
