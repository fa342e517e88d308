"""Every write of mobile and lost-contact members: validated, transactional, audited.

Who may do what (CHANGE_MOBILITY, 管理员):
- the home branch's side registers, ends a registration, assigns work, records good
  reasons, marks a member lost and records the search;
- the host organisation's side (or the home side, for a host outside the platform)
  records participation, sets up 流动党小组 and places members in them.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scope, warnings
from dangjian.core.errors import raise_if
from dangjian.core.periods import parse_period
from dangjian.core.scope import Perm, authorize
from dangjian.core.services import model_create
from dangjian.members import services as member_services
from dangjian.members.choices import CURRENT_STATUSES, Status
from dangjian.members.models import Member
from dangjian.mobility import cards, lapse, rules
from dangjian.mobility.choices import LostOutcome, LostStatus, RegistrationStatus
from dangjian.mobility.models import (
    LapseExcuse,
    LostContact,
    MobileGroup,
    Participation,
    Registration,
    SearchAttempt,
    WorkAssignment,
)
from dangjian.orgs.models import Organisation

MSG_NOT_CURRENT = "该党员不是在册党员，不能登记"
MSG_ALREADY_MOBILE = "该党员已有有效的流动党员登记，请先结束原登记"
MSG_HOST_NEEDED = "请填写流入地党组织：平台内组织填写组织代码，平台外组织填写名称和地点"
MSG_HOST_BOTH = "平台内组织（组织代码）与平台外组织名称只能填写一项"
MSG_HOST_UNKNOWN = "没有该组织代码的党组织（或已撤销）"
MSG_HOST_SELF = "流入地党组织不能是该党员所在的党支部"
MSG_PLACE_NEEDED = "平台外组织请填写流入地点"
MSG_ENDED = "该流动党员登记已结束"
MSG_HELD_RANGE = "活动日期应在外出日期之后、今天之前"
MSG_NO_CHANGE = "您没有权限执行此操作"
MSG_GROUP_OTHER_HOST = "流动党小组应属于该党员的流入地党组织"
MSG_GROUP_OUTSIDE = "流动党小组只能在平台内的流入地党组织设立"
MSG_GROUP_NAME_TAKEN = "该组织已有同名的流动党小组"
MSG_LEADER_NOT_HERE = "组长应是在该组织流动的党员"
MSG_END_BEFORE = "结束日期不能早于外出日期"
MSG_ALREADY_LOST = "该党员已在失联查找中"
MSG_LOST_CLOSED = "该失联记录已有结果"
MSG_TRIED_RANGE = "查找日期应在失联日期之后、今天之前"
MSG_DUE_BEFORE = "完成期限不能早于分配日期"
MSG_DONE_ALREADY = "该工作已完成"
MSG_DONE_RANGE = "完成日期应在分配日期之后、今天之前"
MSG_CONDITION = "请选择情形"
MSG_UNTIL_BEFORE = "截止日期不能早于起始日期"
MSG_REQUIRED = "必填项"


def _today() -> dt.date:
    return timezone.localdate()


def _require(value: str, field: str, errors: dict[str, str]) -> str:
    value = " ".join((value or "").split())
    if not value:
        errors[field] = MSG_REQUIRED
    return value


def _snapshot(obj, fields) -> dict:
    return audit.snapshot(obj, fields)


REGISTRATION_FIELDS = [
    "member",
    "host_org",
    "host_name",
    "host_place",
    "reason",
    "away_since",
    "expected_until",
    "valid_from",
    "valid_until",
    "status",
    "ended_on",
    "group",
]


# --- 流动党员 -------------------------------------------------------------------------


def _follow(acting_user, member: Member, reason: str) -> None:
    """Set the member's status to what their open records say (members' service, in the
    caller's transaction): 失联党员 while a search is open, else 流动党员 while a
    registration is active, else their standing (正式/预备)."""
    if LostContact.objects.filter(member=member, status=LostStatus.SEARCHING).exists():
        situation = Status.LOST_CONTACT
    elif Registration.objects.filter(member=member, status=RegistrationStatus.ACTIVE).exists():
        situation = Status.MOBILE
    else:
        situation = None
    member_services.member_set_situation(
        acting_user=acting_user, member=member, situation=situation, reason=reason
    )


def host_by_code(code: str) -> Organisation | None:
    """The active organisation with this 组织代码: the one fact a home branch needs to
    name a host outside its own subtree (the host gives it), without seeing the tree."""
    return Organisation.objects.filter(code=(code or "").strip(), dissolved_on__isnull=True).first()


@transaction.atomic
def registration_create(
    *,
    acting_user,
    member: Member,
    reason: str,
    away_since: dt.date,
    expected_until: dt.date,
    host_code: str = "",
    host_name: str = "",
    host_place: str = "",
    host_contact: str = "",
) -> Registration:
    """The home branch registers a member going away for six months or more, with the
    host (a platform organisation by its code, or a name and place), and issues the card;
    the member's status becomes 流动党员 (members' service, in this transaction) unless
    they are being searched for as 失联党员."""
    authorize(acting_user, Perm.CHANGE_MOBILITY, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    Member.objects.select_for_update(no_key=True).get(pk=member.pk)
    today = _today()
    errors = rules.registration_errors(
        away_since=away_since, expected_until=expected_until, today=today
    )
    reason = _require(reason, "reason", errors)
    host_code, host_name = (host_code or "").strip(), " ".join((host_name or "").split())
    host_place = " ".join((host_place or "").split())
    host = None
    if host_code and host_name:
        errors["host_code"] = MSG_HOST_BOTH
    elif host_code:
        host = host_by_code(host_code)
        if host is None:
            errors["host_code"] = MSG_HOST_UNKNOWN
        elif host.pk == member.branch_id:
            errors["host_code"] = MSG_HOST_SELF
    elif host_name:
        if not host_place:
            errors["host_place"] = MSG_PLACE_NEEDED
    else:
        errors["host_code"] = MSG_HOST_NEEDED
    if member.status not in CURRENT_STATUSES:
        errors["member"] = MSG_NOT_CURRENT
    elif Registration.objects.filter(member=member, status=RegistrationStatus.ACTIVE).exists():
        errors["member"] = MSG_ALREADY_MOBILE
    raise_if(errors)
    registration = Registration(
        member=member,
        host_org=host,
        host_name=host_name,
        host_place=host_place,
        host_contact=" ".join((host_contact or "").split()),
        reason=reason,
        away_since=away_since,
        expected_until=expected_until,
        valid_from=today,
        valid_until=rules.card_valid_until(today, expected_until),
        nonce=cards.new_nonce(),
        registered_by=acting_user,
    )
    model_create(
        acting_user=acting_user,
        instance=registration,
        action="mobility.registration.create",
        org=member.branch,
        fields=REGISTRATION_FIELDS,
    )
    _follow(acting_user, member, f"登记为流动党员（流入地：{registration.host_label}）")
    return registration


def _authorize_row(acting_user, row, allowed: bool) -> None:
    """404 if the row is not visible to the user at all (a registration from either
    side, one's own work), 403 if it is but ``allowed`` (the change right on the side
    that acts) is not held."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    if allowed:
        return
    seen = type(row).objects.visible_to(acting_user, Perm.VIEW_MOBILITY)
    if not seen.filter(pk=row.pk).exists():
        raise Http404("未找到")
    raise PermissionDenied(MSG_NO_CHANGE)


def _lock(model, obj):
    return model.objects.select_for_update(no_key=True, of=("self",)).get(pk=obj.pk)


@transaction.atomic
def registration_end(
    *, acting_user, registration: Registration, ended_on: dt.date, reason: str
) -> Registration:
    """The home branch ends the registration (returned, relationship transferred …); the
    card stops verifying as valid and the member is no longer 流动党员 (失联党员 while a
    search for them is open, else 正式/预备 again)."""
    branch = registration.member.branch
    _authorize_row(
        acting_user, registration, scope.covers(acting_user, Perm.CHANGE_MOBILITY, branch.path)
    )
    registration = _lock(Registration, registration)
    errors: dict[str, str] = {}
    if not registration.is_active:
        errors["__all__"] = MSG_ENDED
    if ended_on < registration.away_since:
        errors["ended_on"] = MSG_END_BEFORE
    elif ended_on > _today():
        errors["ended_on"] = rules.MSG_FUTURE
    reason = _require(reason, "reason", errors)
    raise_if(errors)
    before = _snapshot(registration, REGISTRATION_FIELDS)
    registration.status = RegistrationStatus.ENDED
    registration.ended_on = ended_on
    registration.end_reason = reason
    registration.save(update_fields=["status", "ended_on", "end_reason", "updated_at"])
    audit.record(
        actor=acting_user,
        action="mobility.registration.end",
        obj=registration,
        org=branch,
        before=before,
        after=_snapshot(registration, REGISTRATION_FIELDS),
    )
    _follow(acting_user, registration.member, f"流动党员登记结束：{reason}")
    return registration


MSG_END_ON_TRANSFER = "组织关系已转接（介绍信 {letter_no}），流动党员登记随之结束"


@transaction.atomic
def registration_end_on_transfer(
    *, acting_user, member_id: int, on: dt.date, letter_no: str
) -> Registration | None:
    """A completed 组织关系转接 ends the member's active registration, if any: the home
    branch it belonged to is no longer theirs. Called from the ``transfers.completed``
    subscriber as the user who recorded the 回执 (the change right over the member's
    branch as it is now — the new one, or the old one for a move off the platform);
    ended on the day received (never before the member left), with the letter named in
    the reason. None when nothing was active (a delivery seen twice ends nothing twice).
    """
    registration = (
        Registration.objects.select_related("member__branch")
        .filter(member_id=member_id, status=RegistrationStatus.ACTIVE)
        .first()
    )
    if registration is None:
        return None
    return registration_end(
        acting_user=acting_user,
        registration=registration,
        ended_on=min(max(on, registration.away_since), _today()),
        reason=MSG_END_ON_TRANSFER.format(letter_no=letter_no),
    )


def can_record(user, registration: Registration) -> bool:
    """Participation is recorded by the host — or by the home branch (a host outside the
    platform reports to it)."""
    paths = [registration.member.branch.path]
    if registration.host_org_id:
        paths.append(registration.host_org.path)
    return any(scope.covers(user, Perm.CHANGE_MOBILITY, p) for p in paths)


@transaction.atomic
def participation_add(
    *,
    acting_user,
    registration: Registration,
    held_on: dt.date,
    kind: str,
    title: str,
    note: str = "",
) -> Participation:
    """Record an activity the mobile member took part in at the host."""
    _authorize_row(acting_user, registration, can_record(acting_user, registration))
    registration = _lock(Registration, registration)
    errors: dict[str, str] = {}
    if not registration.is_active:
        errors["__all__"] = MSG_ENDED
    if held_on < registration.away_since or held_on > _today():
        errors["held_on"] = MSG_HELD_RANGE
    title = _require(title, "title", errors)
    raise_if(errors)
    participation = Participation(
        registration=registration,
        held_on=held_on,
        kind=kind,
        title=title,
        note=" ".join((note or "").split()),
        recorded_by=acting_user,
    )
    model_create(
        acting_user=acting_user,
        instance=participation,
        action="mobility.participation.add",
        org=registration.host_org or registration.member.branch,
        fields=["registration", "held_on", "kind", "title"],
    )
    return participation


@transaction.atomic
def group_create(
    *, acting_user, host_org: Organisation, name: str, leader: Member | None = None
) -> MobileGroup:
    """Set up a 流动党小组 at the host organisation."""
    authorize(acting_user, Perm.CHANGE_MOBILITY, host_org.path, view_perm=Perm.VIEW_MOBILITY)
    errors: dict[str, str] = {}
    name = _require(name, "name", errors)
    if name and MobileGroup.objects.filter(host_org=host_org, name=name).exists():
        errors["name"] = MSG_GROUP_NAME_TAKEN
    if (
        leader is not None
        and not Registration.objects.filter(
            member=leader, host_org=host_org, status=RegistrationStatus.ACTIVE
        ).exists()
    ):
        errors["leader"] = MSG_LEADER_NOT_HERE
    raise_if(errors)
    group = MobileGroup(host_org=host_org, name=name, leader=leader, created_by=acting_user)
    model_create(
        acting_user=acting_user,
        instance=group,
        action="mobility.group.create",
        org=host_org,
        fields=["host_org", "name", "leader"],
    )
    return group


@transaction.atomic
def registration_set_group(
    *, acting_user, registration: Registration, group: MobileGroup | None
) -> Registration:
    """The host places a mobile member in one of its 流动党小组 (None: in none)."""
    if registration.host_org_id is None:
        raise ValidationError({"group_id": MSG_GROUP_OUTSIDE})
    _authorize_row(
        acting_user,
        registration,
        scope.covers(acting_user, Perm.CHANGE_MOBILITY, registration.host_org.path),
    )
    registration = _lock(Registration, registration)
    errors = {}
    if not registration.is_active:
        errors["__all__"] = MSG_ENDED
    if group is not None and group.host_org_id != registration.host_org_id:
        errors["group_id"] = MSG_GROUP_OTHER_HOST
    raise_if(errors)
    if registration.group_id == (group.pk if group else None):
        return registration
    before = _snapshot(registration, REGISTRATION_FIELDS)
    registration.group = group
    registration.save(update_fields=["group", "updated_at"])
    audit.record(
        actor=acting_user,
        action="mobility.registration.group",
        obj=registration,
        org=registration.host_org,
        before=before,
        after=_snapshot(registration, REGISTRATION_FIELDS),
    )
    return registration


# --- 失联党员 -------------------------------------------------------------------------

LOST_FIELDS = ["member", "since", "circumstances", "status", "outcome", "outcome_on"]


@transaction.atomic
def lost_mark(*, acting_user, member: Member, since: dt.date, circumstances: str) -> LostContact:
    """The branch marks a member as lost contact (失联) and starts looking for them; the
    member's status becomes 失联党员 until the search has an outcome."""
    authorize(acting_user, Perm.CHANGE_MOBILITY, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    Member.objects.select_for_update(no_key=True).get(pk=member.pk)
    errors: dict[str, str] = {}
    if since > _today():
        errors["since"] = rules.MSG_FUTURE
    circumstances = _require(circumstances, "circumstances", errors)
    if member.status not in CURRENT_STATUSES:
        errors["member"] = MSG_NOT_CURRENT
    elif LostContact.objects.filter(member=member, status=LostStatus.SEARCHING).exists():
        errors["member"] = MSG_ALREADY_LOST
    raise_if(errors)
    case = LostContact(
        member=member, since=since, circumstances=circumstances, recorded_by=acting_user
    )
    model_create(
        acting_user=acting_user,
        instance=case,
        action="mobility.lost.mark",
        org=member.branch,
        fields=LOST_FIELDS,
    )
    _follow(acting_user, member, "标记为失联党员")
    return case


@transaction.atomic
def attempt_add(
    *,
    acting_user,
    case: LostContact,
    tried_on: dt.date,
    method: str,
    result: str,
    reached: bool = False,
) -> SearchAttempt:
    """Log one attempt to find the member (date, method, result)."""
    branch = case.member.branch
    authorize(acting_user, Perm.CHANGE_MOBILITY, branch.path, view_perm=Perm.VIEW_MOBILITY)
    case = _lock(LostContact, case)
    errors: dict[str, str] = {}
    if case.status != LostStatus.SEARCHING:
        errors["__all__"] = MSG_LOST_CLOSED
    if tried_on < case.since or tried_on > _today():
        errors["tried_on"] = MSG_TRIED_RANGE
    result = _require(result, "result", errors)
    raise_if(errors)
    attempt = SearchAttempt(
        case=case,
        tried_on=tried_on,
        method=method,
        result=result,
        reached=reached,
        recorded_by=acting_user,
    )
    model_create(
        acting_user=acting_user,
        instance=attempt,
        action="mobility.lost.attempt",
        org=branch,
        fields=["case", "tried_on", "method", "result", "reached"],
    )
    return attempt


@transaction.atomic
def lost_close(
    *, acting_user, case: LostContact, outcome: str, outcome_on: dt.date, note: str = ""
) -> LostContact:
    """Record the outcome: found, back in organisational life, a 停止党籍 proposal (six
    months lost and searched for), or another. The proposal is the branch's; changing
    the member's standing is the committee's decision, recorded on the member: until
    then a member proposed for 停止党籍 stays 失联党员; any other outcome gives them back
    their status (流动党员 while still registered as such, else 正式/预备)."""
    branch = case.member.branch
    authorize(acting_user, Perm.CHANGE_MOBILITY, branch.path, view_perm=Perm.VIEW_MOBILITY)
    case = _lock(LostContact, case)
    errors: dict[str, str] = {}
    if case.status != LostStatus.SEARCHING:
        errors["__all__"] = MSG_LOST_CLOSED
    if outcome_on < case.since:
        errors["outcome_on"] = rules.MSG_OUTCOME_BEFORE
    elif outcome_on > _today():
        errors["outcome_on"] = rules.MSG_FUTURE
    if outcome not in LostOutcome.values:
        errors["outcome"] = MSG_REQUIRED
    elif outcome == LostOutcome.SUSPENSION:
        errors.update(
            rules.suspension_errors(
                lost_since=case.since, today=outcome_on, attempts=case.attempts.count()
            )
        )
    raise_if(errors)
    before = _snapshot(case, LOST_FIELDS)
    case.status = LostStatus.CLOSED
    case.outcome = outcome
    case.outcome_on = outcome_on
    case.outcome_note = " ".join((note or "").split())
    case.save(update_fields=["status", "outcome", "outcome_on", "outcome_note", "updated_at"])
    audit.record(
        actor=acting_user,
        action="mobility.lost.close",
        obj=case,
        org=branch,
        before=before,
        after={**_snapshot(case, LOST_FIELDS), "note": case.outcome_note},
    )
    if outcome != LostOutcome.SUSPENSION:
        _follow(acting_user, case.member, f"失联查找结束：{case.get_outcome_display()}")
    return case


# --- 党所分配的工作 and good reasons ----------------------------------------------------


@transaction.atomic
def assignment_create(
    *, acting_user, member: Member, title: str, assigned_on: dt.date, due_on: dt.date
) -> WorkAssignment:
    """The branch records work it assigned to a member, with a deadline."""
    authorize(acting_user, Perm.CHANGE_MOBILITY, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    errors: dict[str, str] = {}
    title = _require(title, "title", errors)
    if assigned_on > _today():
        errors["assigned_on"] = rules.MSG_FUTURE
    if due_on < assigned_on:
        errors["due_on"] = MSG_DUE_BEFORE
    raise_if(errors)
    work = WorkAssignment(
        member=member,
        title=title,
        assigned_on=assigned_on,
        due_on=due_on,
        assigned_by=acting_user,
    )
    model_create(
        acting_user=acting_user,
        instance=work,
        action="mobility.work.assign",
        org=member.branch,
        fields=["member", "title", "assigned_on", "due_on"],
    )
    return work


@transaction.atomic
def assignment_done(*, acting_user, assignment: WorkAssignment, done_on: dt.date) -> WorkAssignment:
    """The branch records that the work was done (and the flag clears on the next run)."""
    branch = assignment.member.branch
    _authorize_row(
        acting_user, assignment, scope.covers(acting_user, Perm.CHANGE_MOBILITY, branch.path)
    )
    assignment = _lock(WorkAssignment, assignment)
    errors: dict[str, str] = {}
    if assignment.done_on is not None:
        errors["__all__"] = MSG_DONE_ALREADY
    elif done_on < assignment.assigned_on or done_on > _today():
        errors["done_on"] = MSG_DONE_RANGE
    raise_if(errors)
    assignment.done_on = done_on
    assignment.save(update_fields=["done_on", "updated_at"])
    audit.record(
        actor=acting_user,
        action="mobility.work.done",
        obj=assignment,
        org=branch,
        after={"done_on": done_on.isoformat()},
    )
    return assignment


def _open_lapse_warnings(member_ids, kinds=None):
    from dangjian.core.models import Warning

    return Warning.objects.filter(
        kind__in=kinds or [c.warning_kind for c in lapse.conditions()],
        resolved_at__isnull=True,
        subject_type=Member._meta.label_lower,
        subject_id__in=[str(pk) for pk in member_ids],
    )


@transaction.atomic
def excuse_record(
    *,
    acting_user,
    member: Member,
    condition: str,
    reason: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
) -> LapseExcuse:
    """Record a good reason (正当理由) for one condition: while it holds the member is not
    flagged for it, and an open flag is cleared at once."""
    authorize(acting_user, Perm.CHANGE_MOBILITY, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    errors: dict[str, str] = {}
    try:
        spec = lapse.condition_get(condition)
    except LookupError:
        spec = None
        errors["condition"] = MSG_CONDITION
    reason = _require(reason, "reason", errors)
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = MSG_UNTIL_BEFORE
    raise_if(errors)
    excuse = LapseExcuse(
        member=member,
        condition=condition,
        reason=reason,
        valid_from=valid_from,
        valid_until=valid_until,
        recorded_by=acting_user,
    )
    model_create(
        acting_user=acting_user,
        instance=excuse,
        action="mobility.excuse.record",
        org=member.branch,
        fields=["member", "condition", "reason", "valid_from", "valid_until"],
    )
    if valid_from <= _today() and (valid_until is None or valid_until >= _today()):
        for key in _open_lapse_warnings([member.pk], [spec.warning_kind]).values_list(
            "dedupe_key", flat=True
        ):
            warnings.warnings_clear(kind=spec.warning_kind, dedupe_key=key)
    return excuse


# --- The daily 自行脱党 flags ------------------------------------------------------------


def lapse_key(condition: str, member_id: int, start: str) -> str:
    """One warning per member, condition and run of months (a new run is a new warning,
    a person's decision on the old one stands)."""
    return f"mobility.lapse:{condition}:{member_id}:{start}"


def _excused(member_ids, as_of: dt.date) -> set[tuple[int, str]]:
    from django.db.models import Q

    return set(
        LapseExcuse.objects.filter(member_id__in=member_ids, valid_from__lte=as_of)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=as_of))
        .values_list("member_id", "condition")
    )


def lapse_flags(*, branches: list[Organisation], as_of: dt.date) -> tuple[int, int]:
    """Evaluate every condition for the current members of ``branches`` (one batch: a
    constant number of queries, plus one write per warning raised or cleared), raise a
    warning for the branch per member and condition at six months, clear those whose
    condition ended or was excused. Returns (raised, cleared). Idempotent."""
    from dangjian.accounts.selectors import role_holders
    from dangjian.core.models import Warning
    from dangjian.core.scope import Role

    by_id = {b.pk: b for b in branches}
    members = dict(
        Member.objects.filter(branch__in=branches, status__in=CURRENT_STATUSES).values_list(
            "pk", "branch_id"
        )
    )
    months = lapse.evaluate(members, as_of)
    excused = _excused(members, as_of)
    wanted: dict[str, tuple[lapse.Condition, int, int, str]] = {}
    for condition in lapse.conditions():
        for member_id, n in months[condition.key].items():
            if member_id in members and rules.is_lapsed(n):
                if (member_id, condition.key) in excused:
                    continue
                start = rules.streak_start(n, as_of)
                wanted[lapse_key(condition.key, member_id, start)] = (
                    condition,
                    member_id,
                    n,
                    start,
                )
    known = set(
        Warning.objects.filter(
            kind__startswith=lapse.KIND_PREFIX, dedupe_key__in=list(wanted)
        ).values_list("dedupe_key", flat=True)
    )
    stale = [
        (kind, key)
        for kind, key in _open_lapse_warnings(members).values_list("kind", "dedupe_key")
        if key not in wanted
    ]
    new = {key: spec for key, spec in wanted.items() if key not in known}
    names = dict(
        Member.objects.filter(pk__in=[m for _, m, _, _ in new.values()]).values_list("pk", "name")
    )
    raised = 0
    for key, (condition, member_id, n, start) in new.items():
        branch = by_id[members[member_id]]
        holders = role_holders(branch, Role.ADMIN)
        with transaction.atomic():
            warnings.warning_raise(
                kind=condition.warning_kind,
                org=branch,
                dedupe_key=key,
                subject=Member(pk=member_id, name=names[member_id]),
                title=f"{names[member_id]}：自{parse_period(start).label}起已连续{n}个月未{condition.label}",
                period=start,
                recipients=holders.users if holders else (),
                url=_lapse_url(member_id),
            )
        raised += 1
    cleared = 0
    for kind, key in stale:
        cleared += warnings.warnings_clear(kind=kind, dedupe_key=key)
    return raised, cleared


def _lapse_url(member_id: int) -> str:
    from django.urls import reverse

    return reverse("mobility:lapse", args=[member_id])
