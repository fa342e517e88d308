"""Every write of 组织关系转接: validated, transactional, audited, through core.cases.

- ``transfer_apply``: the member (for themselves) or their branch's side (the change right
  over the member's branch) applies, to a branch on the platform or to an organisation
  outside it; the approval chain is fixed then (``orgs.tree.approval_chain``).
- ``transfer_approve`` / ``transfer_reject``: the current step's approver, strictly in order.
- ``transfer_withdraw``: the member or their branch, before the first approval.
- ``transfer_reissue``: the sending branch issues a new letter (the old one is void).
- ``transfer_receive``: the 回执 — recorded by the receiving branch's side, or by the
  sending side for a move out of the platform; the member then changes branch through
  ``members.services.member_move`` or, out of the platform, leaves the branch's roll
  through ``members.services.member_transfer_out`` (已转出, with the date and the
  destination; the record stays with the old branch as its history). The 普通党员 role
  of the member's login follows them (``accounts.services.member_roles_follow``).

The member hears of every step (in-app messages, after the commit).

组织关系转入 (a member arriving from outside the platform with a paper letter):

- ``incoming_register``: the receiving branch's side (the change right over it) registers
  the letter and the person it introduces; the receiving side's checks are fixed then
  (from the 县委 down to the branch). A letter reported on past its validity, a person
  already current on the platform or already being received is refused.
- ``incoming_approve`` / ``incoming_reject``: the current step's approver, in order; the
  branch's approval accepts: the member record is created in the branch
  (``members.services.member_create``) — or, for a member once 已转出 from the platform,
  reopened there (``members.services.member_reopen``) — and the 回执 can be printed.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts import services as account_services
from dangjian.core import audit, cases, crypto, events, idcard
from dangjian.core.errors import raise_if
from dangjian.core.phone import normalize_phone
from dangjian.core.scope import Perm, authorize, covers
from dangjian.core.templatetags.ui import cn_date
from dangjian.members import rules as member_rules
from dangjian.members import selectors as member_selectors
from dangjian.members import services as member_services
from dangjian.members.choices import CURRENT_STATUSES, Gender, Status
from dangjian.members.models import Member
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.transfers import rules, selectors, workflow
from dangjian.transfers.choices import OPEN_STATUSES, IncomingStatus, Origin, TransferScope
from dangjian.transfers.models import (
    INCOMING_ID_INDEX,
    IncomingStep,
    IncomingTransfer,
    Transfer,
    TransferStep,
)
from dangjian.transfers.workflow import notify_member_on_commit

REASON_MAX = 200
EXTERNAL_MAX = 120
MSG_DESTINATION = "请选择接收党支部，或填写平台外的接收组织（二者选一）"
MSG_NOT_BRANCH = "接收组织应为党支部"
MSG_DISSOLVED = "接收党支部已撤销"
MSG_SAME_BRANCH = "不能转入本党支部"
MSG_EXTERNAL_LONG = f"接收组织名称不能超过{EXTERNAL_MAX}个字"
MSG_EXTERNAL_SCOPE = "请选择平台外接收组织所在范围"
MSG_REASON = "请填写转接原因"
MSG_REASON_LONG = f"转接原因不能超过{REASON_MAX}个字"
MSG_STATUS = "党籍状态为“{status}”的党员不能办理组织关系转接"
MSG_OPEN = "该党员已有正在办理的组织关系转接"
MSG_DIFFERENT_TREES = tree.MSG_DIFFERENT_TREES
MSG_RECEIVED_ON = "请填写接收日期"
MSG_NOT_RECEIVER = "只有接收方可以登记回执"
MSG_NOT_SENDER = "只有转出党支部一方可以办理"
MSG_NOT_APPLICANT = "只有党员本人或其所在党支部可以撤回申请"


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _line(org: Organisation) -> dict[str, int]:
    """The organisation's 县委/市委/省委 (ids by level), from one query."""
    return {o.level: o.pk for o in tree.ancestors(org, include_self=True)}


def _chain_out(org: Organisation, scope: str) -> list[Organisation]:
    """From the branch up to the organisation of the scope's level (the whole line when
    there is none): who approves a move out of the platform."""
    up = list(reversed(tree.ancestors(org, include_self=True)))
    top = rules.top_level(scope)
    for i, each in enumerate(up):
        if each.level == top:
            return up[: i + 1]
    return up


def _validate_apply(member, to_branch, external_org: str, external_scope: str, reason: str):
    errors = {}
    if (to_branch is None) == (not external_org):
        errors["to_branch"] = MSG_DESTINATION
    elif to_branch is not None:
        if to_branch.org_type != OrgType.BRANCH:
            errors["to_branch"] = MSG_NOT_BRANCH
        elif not to_branch.is_active:
            errors["to_branch"] = MSG_DISSOLVED
        elif to_branch.pk == member.branch_id:
            errors["to_branch"] = MSG_SAME_BRANCH
    else:
        if len(external_org) > EXTERNAL_MAX:
            errors["external_org"] = MSG_EXTERNAL_LONG
        if external_scope not in TransferScope.values:
            errors["external_scope"] = MSG_EXTERNAL_SCOPE
    if not reason:
        errors["reason"] = MSG_REASON
    elif len(reason) > REASON_MAX:
        errors["reason"] = MSG_REASON_LONG
    if member.status not in CURRENT_STATUSES:
        errors["member"] = MSG_STATUS.format(status=member.get_status_display())
    elif Transfer.objects.filter(member=member, status__in=OPEN_STATUSES).exists():
        errors["member"] = MSG_OPEN
    raise_if(errors)


def authorize_apply(*, acting_user, member: Member) -> None:
    """The member applies for themselves; anyone else needs the change right over the
    member's branch (404 if they cannot see the member, 403 if they only see them)."""
    if getattr(acting_user, "member_id", None) != member.pk:
        authorize(acting_user, Perm.CHANGE_TRANSFER, member.branch.path, view_perm=Perm.VIEW_MEMBER)


@transaction.atomic
def transfer_apply(
    *,
    acting_user,
    member: Member,
    reason: str,
    to_branch: Organisation | None = None,
    external_org: str = "",
    external_scope: str = "",
    ip: str | None = None,
) -> Transfer:
    """Open a transfer for ``member`` (themselves, or their branch's side on their behalf)."""
    authorize_apply(acting_user=acting_user, member=member)
    member = Member.objects.select_for_update(no_key=True, of=("self",)).get(pk=member.pk)
    external_org, reason = _clean(external_org), _clean(reason)
    _validate_apply(member, to_branch, external_org, external_scope, reason)
    source = member.branch
    if to_branch is not None:
        try:
            chain = tree.approval_chain(source, to_branch)
        except tree.DifferentTreesError:
            raise_if({"to_branch": MSG_DIFFERENT_TREES})
        scope = rules.scope_between(_line(source), _line(to_branch))
    else:
        scope = TransferScope(external_scope)
        chain = _chain_out(source, scope)
    transfer = Transfer(
        member=member,
        from_branch=source,
        to_branch=to_branch,
        external_org="" if to_branch is not None else external_org,
        scope=scope,
        reason=reason,
        applied_by=acting_user,
        current_org=chain[0],
        status=workflow.TRANSFER_FLOW.initial,
    )
    now = timezone.now()
    cases.start_timers(transfer, now)
    transfer.full_clean(exclude=["member", "from_branch", "to_branch", "current_org"])
    transfer.save()
    TransferStep.objects.bulk_create(
        TransferStep(transfer=transfer, seq=i, org=org) for i, org in enumerate(chain)
    )
    cases.record(
        transfer,
        "create",
        actor=acting_user,
        from_status="",
        note=f"提交转接申请（{transfer.get_scope_display()}，共{len(chain)}个审批环节）：{reason}",
        now=now,
        ip=ip,
    )
    notify_member_on_commit(
        transfer, f"您的组织关系转接申请已提交，待{chain[0].name}审批（共{len(chain)}个环节）"
    )
    _notify_approvers_on_commit(transfer, chain[0])
    return transfer


def _notify_approvers_on_commit(transfer: Transfer, org: Organisation) -> None:
    from django.urls import reverse

    from dangjian.core import notify

    users = workflow.approvers(org)
    title = f"{transfer.member.name}的组织关系转接待您审批"
    url = reverse("transfers:detail", args=[transfer.pk])
    transaction.on_commit(lambda: notify.send(users, kind="transfers.todo", title=title, url=url))


def _require(ok: bool, message: str = "您没有权限执行此操作") -> None:
    if not ok:
        raise PermissionDenied(message)


@transaction.atomic
def transfer_approve(
    *, acting_user, transfer: Transfer, note: str = "", ip: str | None = None
) -> Transfer:
    """The current step's approver agrees; the last one issues the letter."""
    _require(selectors.on_side(acting_user, transfer))
    final = transfer.steps_done + 1 >= workflow.step_count(transfer)
    cases.transition(
        transfer, "approve_final" if final else "approve", actor=acting_user, reason=note, ip=ip
    )
    if transfer.status == workflow.S.APPROVED:
        notify_member_on_commit(
            transfer,
            f"您的组织关系转接已审批通过，介绍信已开具，请于"
            f"{cn_date(transfer.letter_valid_until)}前到{transfer.destination}报到",
        )
    else:
        notify_member_on_commit(
            transfer,
            f"您的组织关系转接已通过第{transfer.steps_done}个环节，待{transfer.current_org.name}审批",
        )
        _notify_approvers_on_commit(transfer, transfer.current_org)
    return transfer


@transaction.atomic
def transfer_reject(
    *, acting_user, transfer: Transfer, reason: str, ip: str | None = None
) -> Transfer:
    """The current step's approver sends the application back, saying why."""
    _require(selectors.on_side(acting_user, transfer))
    org = transfer.current_org.name
    cases.transition(transfer, "reject", actor=acting_user, reason=reason, ip=ip)
    notify_member_on_commit(transfer, f"您的组织关系转接被{org}退回：{_clean(reason)}")
    return transfer


@transaction.atomic
def transfer_withdraw(
    *, acting_user, transfer: Transfer, reason: str = "", ip: str | None = None
) -> Transfer:
    """The member (or their branch) withdraws, before any organisation approved."""
    own = getattr(acting_user, "member_id", None) == transfer.member_id
    _require(own or selectors.on_side(acting_user, transfer, receiving=False), MSG_NOT_APPLICANT)
    cases.transition(transfer, "withdraw", actor=acting_user, reason=_clean(reason), ip=ip)
    notify_member_on_commit(transfer, "您的组织关系转接申请已撤回")
    return transfer


@transaction.atomic
def transfer_reissue(*, acting_user, transfer: Transfer, ip: str | None = None) -> Transfer:
    """A new letter (new number, new validity) for an approved transfer; the old is void."""
    _require(selectors.on_side(acting_user, transfer, receiving=False), MSG_NOT_SENDER)
    cases.transition(transfer, "reissue", actor=acting_user, ip=ip)
    notify_member_on_commit(
        transfer,
        f"您的组织关系介绍信已重新开具，有效期至{cn_date(transfer.letter_valid_until)}",
    )
    return transfer


@transaction.atomic
def transfer_receive(
    *,
    acting_user,
    transfer: Transfer,
    received_on: dt.date | None,
    note: str = "",
    ip: str | None = None,
) -> Transfer:
    """The 回执: the receiving side confirms the member arrived (the sending side, for a
    move out of the platform). On the platform, the member then changes branch; out of
    it, they are 已转出 from their branch as of the day received."""
    if transfer.external:
        _require(selectors.on_side(acting_user, transfer, receiving=False), MSG_NOT_RECEIVER)
    else:
        _require(selectors.on_side(acting_user, transfer, sending=False), MSG_NOT_RECEIVER)
    if received_on is None:
        raise_if({"received_on": MSG_RECEIVED_ON})
    cases.transition(
        transfer, "receive", actor=acting_user, received_on=received_on, note=note, ip=ip
    )
    if transfer.to_branch_id is not None:
        member_services.member_move(
            acting_user=acting_user,
            member=transfer.member,
            branch=transfer.to_branch,
            reason=f"组织关系转接（介绍信 {transfer.letter_no}）",
            ip=ip,
        )
    else:
        member_services.member_transfer_out(
            acting_user=acting_user,
            member=transfer.member,
            on=received_on,
            destination=transfer.external_org,
            reason=f"组织关系转接（介绍信 {transfer.letter_no}）",
            ip=ip,
        )
    account_services.member_roles_follow(
        acting_user=acting_user,
        member=transfer.member,
        from_branch=transfer.from_branch,
        to_branch=transfer.to_branch,
        ip=ip,
    )
    events.publish(
        "transfers.completed",
        transfer_id=transfer.pk,
        member_id=transfer.member_id,
        from_org_id=transfer.from_branch_id,
        to_org_id=transfer.to_branch_id,
        acting_user_id=getattr(acting_user, "pk", None),
        received_on=received_on.isoformat(),
        letter_no=transfer.letter_no,
    )
    notify_member_on_commit(transfer, f"您的组织关系已转入{transfer.destination}，转接完成")
    return transfer


@transaction.atomic
def letter_download_record(*, acting_user, transfer: Transfer, ip: str | None = None) -> None:
    """Each download of a letter (it carries the member's particulars) is audited."""
    audit.record(
        actor=acting_user,
        action="transfers.letter.download",
        obj=transfer,
        org=transfer.from_branch,
        after={"letter_no": transfer.letter_no},
        ip=ip,
    )


# --- 组织关系转入: a member arriving from outside the platform

TEXT_MAX = 120
LETTER_NO_MAX = 60
MSG_REQUIRED = "必填项"
MSG_TEXT_LONG = f"不能超过{TEXT_MAX}个字"
MSG_LETTER_NO_LONG = f"介绍信编号不能超过{LETTER_NO_MAX}个字"
MSG_ORIGIN = "请选择转入来源"
MSG_LETTER_STATUS = "介绍信所写党员类别应为正式党员或预备党员"
MSG_ALREADY_MEMBER = "该公民身份号码已是本平台在册党员，平台内转接请由其所在党支部申请组织关系转接"
MSG_ALREADY_ARRIVING = "该党员已有正在办理的组织关系转入"
MSG_NOT_INCOMING_SIDE = "只有接收党支部及其上级党组织可以办理"
MSG_DUES_FUTURE = "党费交到的月份不能晚于本月"


def _incoming_chain(branch: Organisation) -> list[Organisation]:
    """The receiving side's checks: from the branch's 县委 down to the branch."""
    line = tree.ancestors(branch, include_self=True)
    return line[rules.incoming_chain_start([o.level for o in line]) :]


def _text(value: str, field: str, errors: dict[str, str], limit: int = TEXT_MAX) -> str:
    value = _clean(value)
    if not value:
        errors[field] = MSG_REQUIRED
    elif len(value) > limit:
        errors[field] = MSG_LETTER_NO_LONG if field == "letter_no" else MSG_TEXT_LONG
    return value


def _person_errors(incoming: IncomingTransfer, raw_id: str, today: dt.date) -> dict[str, str]:
    """The person's facts as the letter states them: the ID number (sex and birth date
    follow from it), the 入党/转正 dates against the members' rules, and whether the
    person is already current on the platform or already being received."""
    errors: dict[str, str] = {}
    try:
        parsed = idcard.parse(raw_id or "", today=today)
    except ValidationError as exc:
        errors["id_number"] = exc.messages[0]
        parsed = None
    if incoming.member_status not in (Status.FULL, Status.PROBATIONARY):
        errors["member_status"] = MSG_LETTER_STATUS
    if parsed is None:
        return errors
    incoming.set_id_number(parsed.value)
    incoming.birth_date = parsed.birth_date
    incoming.gender = Gender.MALE if parsed.is_male else Gender.FEMALE
    for field, msg in member_rules.record_errors(
        id_number=parsed,
        birth_date=parsed.birth_date,
        gender=incoming.gender,
        joined_on=incoming.joined_on,
        full_member_on=incoming.full_member_on,
        status=incoming.member_status,
        today=today,
    ).items():
        errors.setdefault(field, msg)
    known = member_selectors.member_with_id_number(parsed.value)
    if known is not None and known.status != Status.TRANSFERRED_OUT:
        errors["id_number"] = MSG_ALREADY_MEMBER
    elif IncomingTransfer.objects.filter(
        id_number_digest__in=crypto.blind_indexes(parsed.value, purpose=INCOMING_ID_INDEX),
        status=IncomingStatus.PENDING,
    ).exists():
        errors["id_number"] = MSG_ALREADY_ARRIVING
    return errors


@transaction.atomic
def incoming_register(
    *,
    acting_user,
    to_branch: Organisation,
    origin: str,
    from_org: str,
    issuing_org: str,
    letter_no: str,
    letter_issued_on: dt.date,
    letter_valid_until: dt.date,
    reported_on: dt.date,
    name: str,
    id_number: str,
    ethnicity: str,
    education: str,
    joined_on: dt.date,
    member_status: str,
    full_member_on: dt.date | None = None,
    dues_paid_until: dt.date | None = None,
    phone: str = "",
    ip: str | None = None,
) -> IncomingTransfer:
    """Register the 介绍信 a member brings from outside the platform, for ``to_branch``
    (its side: the change right over it), and start the receiving side's checks."""
    authorize(acting_user, Perm.CHANGE_TRANSFER, to_branch.path, view_perm=Perm.VIEW_ORG)
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if to_branch.org_type != OrgType.BRANCH:
        errors["to_branch"] = MSG_NOT_BRANCH
    elif not to_branch.is_active:
        errors["to_branch"] = MSG_DISSOLVED
    if origin not in Origin.values:
        errors["origin"] = MSG_ORIGIN
    incoming = IncomingTransfer(
        to_branch=to_branch,
        origin=origin,
        from_org=_text(from_org, "from_org", errors),
        issuing_org=_text(issuing_org, "issuing_org", errors),
        letter_no=_text(letter_no, "letter_no", errors, LETTER_NO_MAX),
        letter_issued_on=letter_issued_on,
        letter_valid_until=letter_valid_until,
        reported_on=reported_on,
        name=_clean(name),
        ethnicity=ethnicity,
        education=education,
        joined_on=joined_on,
        full_member_on=full_member_on,
        member_status=member_status,
        dues_paid_until=dues_paid_until.replace(day=1) if dues_paid_until else None,
        registered_by=acting_user,
        status=workflow.INCOMING_FLOW.initial,
    )
    if dues_paid_until and incoming.dues_paid_until > today:
        errors["dues_paid_until"] = MSG_DUES_FUTURE
    for field, msg in rules.incoming_letter_errors(
        issued_on=letter_issued_on,
        valid_until=letter_valid_until,
        reported_on=reported_on,
        today=today,
    ).items():
        errors.setdefault(field, msg)
    if phone and phone.strip():
        try:
            incoming.phone = normalize_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    for field, msg in _person_errors(incoming, id_number, today).items():
        errors.setdefault(field, msg)
    chain = _incoming_chain(to_branch) if not errors.get("to_branch") else []
    incoming.current_org = chain[0] if chain else to_branch
    try:
        incoming.full_clean(
            exclude=["to_branch", "current_org", "id_number", "id_number_digest", "member"],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, msgs[0])
    raise_if(errors)
    now = timezone.now()
    cases.start_timers(incoming, now)
    incoming.save()
    IncomingStep.objects.bulk_create(
        IncomingStep(incoming=incoming, seq=i, org=org) for i, org in enumerate(chain)
    )
    cases.record(
        incoming,
        "create",
        actor=acting_user,
        from_status="",
        note=f"登记转入介绍信（{incoming.issuing_org}，编号{incoming.letter_no}；"
        f"共{len(chain)}个审核环节）",
        now=now,
        ip=ip,
    )
    _notify_incoming_on_commit(incoming, chain[0])
    return incoming


def _notify_incoming_on_commit(incoming: IncomingTransfer, org: Organisation) -> None:
    from django.urls import reverse

    from dangjian.core import notify

    users = workflow.approvers(org)
    title = f"{incoming.name}的组织关系转入待您审核"
    url = reverse("transfers:incoming_detail", args=[incoming.pk])
    transaction.on_commit(lambda: notify.send(users, kind="transfers.todo", title=title, url=url))


def _require_incoming_side(acting_user, incoming: IncomingTransfer) -> None:
    _require(
        covers(acting_user, Perm.CHANGE_TRANSFER, incoming.to_branch.path), MSG_NOT_INCOMING_SIDE
    )


def _admit(acting_user, incoming: IncomingTransfer, ip: str | None) -> None:
    """The accepted person's member record, in the receiving branch: created with the
    letter's facts, or — for a member once 已转出 from the platform — reopened."""
    reason = f"组织关系转入（{incoming.issuing_org}介绍信 {incoming.letter_no}）"
    returning = member_selectors.member_with_id_number(incoming.id_number)
    if returning is not None and returning.status != Status.TRANSFERRED_OUT:
        raise_if({"id_number": MSG_ALREADY_MEMBER})  # registered meanwhile
    if returning is not None:
        member = member_services.member_reopen(
            acting_user=acting_user,
            member=returning,
            branch=incoming.to_branch,
            status=incoming.member_status,
            joined_on=incoming.joined_on,
            full_member_on=incoming.full_member_on,
            reason=reason,
            ip=ip,
        )
    else:
        member = member_services.member_create(
            acting_user=acting_user,
            branch=incoming.to_branch,
            name=incoming.name,
            id_number=incoming.id_number,
            ethnicity=incoming.ethnicity,
            education=incoming.education,
            joined_on=incoming.joined_on,
            full_member_on=incoming.full_member_on,
            status=incoming.member_status,
            phone=incoming.phone,
            ip=ip,
        )
    incoming.member, incoming.reopened = member, returning is not None


@transaction.atomic
def incoming_approve(
    *, acting_user, incoming: IncomingTransfer, note: str = "", ip: str | None = None
) -> IncomingTransfer:
    """The current step's approver agrees; the branch's approval (the last) accepts the
    member: their record is created (or reopened) in the branch, and the 回执 is ready."""
    _require_incoming_side(acting_user, incoming)
    final = incoming.steps_done + 1 >= workflow.step_count(incoming)
    cases.transition(
        incoming,
        "accept" if final else "approve",
        actor=acting_user,
        reason=note,
        ip=ip,
        admit=lambda case: _admit(acting_user, case, ip),
    )
    if incoming.status != IncomingStatus.ACCEPTED:
        _notify_incoming_on_commit(incoming, incoming.current_org)
    return incoming


@transaction.atomic
def incoming_reject(
    *, acting_user, incoming: IncomingTransfer, reason: str, ip: str | None = None
) -> IncomingTransfer:
    """The current step's approver refuses the letter, saying why (the member is told in
    person: they have no account yet)."""
    _require_incoming_side(acting_user, incoming)
    cases.transition(incoming, "reject", actor=acting_user, reason=reason, ip=ip)
    return incoming


@transaction.atomic
def receipt_download_record(
    *, acting_user, incoming: IncomingTransfer, ip: str | None = None
) -> None:
    """Each print of a 回执 (it names the member) is audited."""
    audit.record(
        actor=acting_user,
        action="transfers.receipt.download",
        obj=incoming,
        org=incoming.to_branch,
        after={"receipt_no": incoming.receipt_no, "letter_no": incoming.letter_no},
        ip=ip,
    )
