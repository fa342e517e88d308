"""The life of a transfer, declared for the core case engine.

    pending 审批中 ──approve (each organisation of the chain, in order)──▶ pending
    pending ──approve_final (the last organisation)──▶ approved 已开具介绍信，待接收
    pending ──reject (with a reason)──▶ rejected 已退回
    pending ──withdraw (before the first approval)──▶ withdrawn 已撤回
    approved ──reissue (a new letter; the old one is void)──▶ approved
    approved ──receive (the 回执, while the letter is valid)──▶ completed 已转接

Who may act at all (the member or their branch applying and withdrawing, the receiving
side recording the 回执) is checked by the services; the table says what may happen now,
and who is the approver of the current step: a holder of the 管理员 role at that
organisation (``accounts.selectors.role_holders``, the nearest above when it has none).
Each step has ``rules.STEP_WORKDAYS`` workdays; the letter's validity is the receiving
side's deadline. A case past its deadline climbs the tree (core.cases) and raises a
``transfers.overdue`` warning there.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.selectors import role_holders
from dangjian.core import cases, notify
from dangjian.core import warnings as core_warnings
from dangjian.core.calendar import TZ, add_workdays
from dangjian.core.scope import Role
from dangjian.core.templatetags.ui import cn_date
from dangjian.transfers import rules
from dangjian.transfers.choices import Decision
from dangjian.transfers.choices import IncomingStatus as IN
from dangjian.transfers.choices import TransferStatus as S
from dangjian.transfers.warnings import TRANSFER_OVERDUE

REASON_MAX = 200
MSG_NOT_APPROVER = "当前环节由{org}审批，您不是该环节的审批人"
MSG_NOT_PENDING = "该转接当前状态为“{status}”，不能{action}"
MSG_REASON = "请填写退回理由"
MSG_REASON_LONG = f"理由不能超过{REASON_MAX}个字"
MSG_ALREADY_APPROVED = "已有组织审批同意，不能撤回；如需终止请联系审批组织退回"
MSG_LETTER_EXPIRED = "介绍信已过期（有效期至{until}），请转出党支部重新开具后再登记回执"
MSG_RECEIVED_EARLY = "接收日期不能早于介绍信开具日期（{issued}）"
MSG_RECEIVED_FUTURE = "接收日期不能晚于今天"
LETTER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed


def current_step(transfer):
    return transfer.steps.select_related("org").get(seq=transfer.steps_done)


def step_count(transfer) -> int:
    return transfer.steps.count()


def approvers(org) -> list:
    """The users who decide at ``org``: its 管理员 (the nearest above when it has none)."""
    found = role_holders(org, Role.ADMIN)
    return found.users if found else []


def is_current_approver(transfer, actor) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    step = current_step(transfer)
    return any(user.pk == getattr(actor, "pk", None) for user in approvers(step.org))


# --- Guards


def current_approver(transfer, actor, **_) -> str | None:
    if is_current_approver(transfer, actor):
        return None
    return MSG_NOT_APPROVER.format(org=current_step(transfer).org.name)


def not_last(transfer, actor, **_) -> str | None:
    return None if transfer.steps_done + 1 < step_count(transfer) else "请由最后一个环节终审"


def last(transfer, actor, **_) -> str | None:
    return None if transfer.steps_done + 1 >= step_count(transfer) else "还有后续审批环节"


def needs_reason(transfer, actor, *, reason: str = "", **_) -> cases.Refusal | None:
    reason = (reason or "").strip()
    if not reason:
        return cases.Refusal(MSG_REASON, field="reason")
    if len(reason) > REASON_MAX:
        return cases.Refusal(MSG_REASON_LONG, field="reason")
    return None


def none_approved(transfer, actor, **_) -> str | None:
    return MSG_ALREADY_APPROVED if transfer.steps_done else None


def receipt_in_time(transfer, actor, *, received_on: dt.date | None = None, **_):
    if received_on is None:
        return None
    if received_on < transfer.letter_issued_on:
        return cases.Refusal(
            MSG_RECEIVED_EARLY.format(issued=cn_date(transfer.letter_issued_on)),
            field="received_on",
        )
    if received_on > timezone.localdate():
        return cases.Refusal(MSG_RECEIVED_FUTURE, field="received_on")
    if not rules.is_valid(transfer.letter_valid_until, received_on):
        return cases.Refusal(
            MSG_LETTER_EXPIRED.format(until=cn_date(transfer.letter_valid_until)),
            field="received_on",
        )
    return None


# --- Effects


def _decide(transfer, decision: str, *, actor, now, note: str) -> None:
    step = current_step(transfer)
    step.decision, step.decided_by, step.decided_at = decision, actor, now
    step.note = (note or "").strip()[:REASON_MAX]
    step.save(update_fields=["decision", "decided_by", "decided_at", "note"])


def step_due(start: dt.datetime) -> dt.datetime:
    """The end of the ``STEP_WORKDAYS``-th workday after ``start``."""
    last_day = add_workdays(timezone.localtime(start, TZ).date(), rules.STEP_WORKDAYS)
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, TZ)


def timers(transfer, start):
    return {"resolution_due": step_due(start)}


def _reset_escalation(transfer) -> None:
    transfer.escalation_level = 0
    transfer.escalated_to = None


def approve_step(transfer, *, actor, now, reason: str = "", **_) -> str:
    step = current_step(transfer)
    _decide(transfer, Decision.APPROVED, actor=actor, now=now, note=reason)
    transfer.steps_done += 1
    transfer.first_response_at = transfer.first_response_at or now
    nxt = transfer.steps.select_related("org").get(seq=transfer.steps_done)
    transfer.current_org = nxt.org
    transfer.resolution_due = step_due(now)
    _reset_escalation(transfer)
    return f"{step.org.name}审批同意" + (f"：{reason.strip()}" if reason.strip() else "")


def new_letter_no(today: dt.date) -> str:
    """A number nobody can guess: the year and 16 random characters (80 bits)."""
    body = "".join(secrets.choice(LETTER_ALPHABET) for _ in range(16))
    return f"{today.year}-{body[:4]}-{body[4:8]}-{body[8:12]}-{body[12:]}"


def issue_letter(transfer, *, now, **_) -> str:
    today = timezone.localtime(now, TZ).date()
    transfer.letter_no = new_letter_no(today)
    transfer.letter_issued_on = today
    days = getattr(settings, "TRANSFERS_LETTER_DAYS", None)
    transfer.letter_valid_until = rules.valid_until(today, transfer.scope, days)
    transfer.current_org = transfer.to_branch or transfer.from_branch
    transfer.resolution_due = dt.datetime.combine(
        transfer.letter_valid_until + dt.timedelta(days=1), dt.time.min, TZ
    )
    _reset_escalation(transfer)
    return f"开具介绍信，有效期至{cn_date(transfer.letter_valid_until)}"


def approve_final(transfer, *, actor, now, reason: str = "", **kwargs) -> str:
    step = current_step(transfer)
    _decide(transfer, Decision.APPROVED, actor=actor, now=now, note=reason)
    transfer.steps_done += 1
    transfer.first_response_at = transfer.first_response_at or now
    return f"{step.org.name}审批同意，" + issue_letter(transfer, now=now)


def reject_step(transfer, *, actor, now, reason: str = "", **_) -> str:
    step = current_step(transfer)
    _decide(transfer, Decision.REJECTED, actor=actor, now=now, note=reason)
    transfer.answered_at = now
    return f"{step.org.name}退回：{reason.strip()}"


def withdrawn(transfer, *, now, reason: str = "", **_) -> str:
    transfer.answered_at = now
    return "申请人撤回" + (f"：{reason.strip()}" if reason.strip() else "")


def record_receipt(transfer, *, actor, now, received_on: dt.date, note: str = "", **_) -> str:
    transfer.received_on = received_on
    transfer.received_by = actor
    transfer.receipt_note = (note or "").strip()[:REASON_MAX]
    transfer.answered_at = now
    return f"{transfer.destination}已接收（{cn_date(received_on)}）"


# --- Escalation


def escalated(transfer, *, level, upper, now) -> None:
    """The overdue transfer is now (also) the business of ``upper``, whose admins hear of
    it through a ``transfers.overdue`` warning there."""
    transfer.escalated_to = upper
    url = reverse("transfers:detail", args=[transfer.pk])
    core_warnings.warning_raise(
        kind=TRANSFER_OVERDUE.name,
        org=upper,
        subject=transfer,
        subject_label=f"{transfer.member.name}的组织关系转接",
        title=f"{transfer.member.name}的组织关系转接超时未办，已升级至{upper.name}",
        due=transfer.resolution_due,
        recipients=approvers(upper),
        url=url,
        dedupe_key=f"transfers.overdue:{transfer.pk}:{transfer.steps_done}:{level}",
        now=now,
    )


def notify_member_on_commit(transfer, title: str) -> None:
    """Tell the member (their login, if they have one) after the write commits."""
    from dangjian.accounts.models import User

    member_id, url = transfer.member_id, reverse("transfers:detail", args=[transfer.pk])

    def send() -> None:
        notify.send(
            User.objects.filter(member_id=member_id, is_active=True),
            kind="transfers.progress",
            title=title,
            url=url,
        )

    transaction.on_commit(send)


TRANSFER_FLOW = cases.Workflow(
    name="transfers.transfer",
    model="transfers.Transfer",
    history="transfers.TransferEvent",
    initial=S.PENDING,
    states={
        s.value: cases.State(s.label, terminal=s in (S.COMPLETED, S.REJECTED, S.WITHDRAWN))
        for s in S
    },
    transitions={
        "approve": cases.Transition(
            (S.PENDING,),
            None,
            "审批同意",
            guards=(current_approver, not_last),
            effects=(approve_step,),
            refusal=MSG_NOT_PENDING,
        ),
        "approve_final": cases.Transition(
            (S.PENDING,),
            S.APPROVED,
            "审批同意",
            guards=(current_approver, last),
            effects=(approve_final,),
            refusal=MSG_NOT_PENDING,
        ),
        "reject": cases.Transition(
            (S.PENDING,),
            S.REJECTED,
            "退回",
            guards=(current_approver, needs_reason),
            effects=(reject_step,),
            refusal=MSG_NOT_PENDING,
        ),
        "withdraw": cases.Transition(
            (S.PENDING,),
            S.WITHDRAWN,
            "撤回",
            guards=(none_approved,),
            effects=(withdrawn,),
            refusal=MSG_NOT_PENDING,
        ),
        "reissue": cases.Transition(
            (S.APPROVED,), None, "重新开具介绍信", effects=(issue_letter,), refusal=MSG_NOT_PENDING
        ),
        "receive": cases.Transition(
            (S.APPROVED,),
            S.COMPLETED,
            "登记回执",
            guards=(receipt_in_time,),
            effects=(record_receipt,),
            refusal=MSG_NOT_PENDING,
        ),
    },
    deadlines=(cases.Deadline("resolution_due", met_by="answered_at"),),
    timers=timers,
    org_field="current_org",
    audited=("status", "current_org", "steps_done", "escalation_level", "letter_valid_until"),
    on_escalate=escalated,
)


# --- 组织关系转入: the receiving side checks a letter from outside the platform
#
#     pending 审核中 ──approve (each organisation, the 县委 first, in order)──▶ pending
#     pending ──accept (the branch, last)──▶ accepted 已接收 (the member record, the 回执)
#     pending ──reject (with a reason)──▶ rejected 不予接收
#
# The steps, approvers, deadlines and escalation are those of the transfers above (the
# same helpers work on either case: both have ``steps``, ``steps_done``, ``current_org``).

MSG_NOT_PENDING_IN = "该转入当前状态为“{status}”，不能{action}"


def letter_in_time(incoming, actor, **_) -> cases.Refusal | None:
    """The member reported within the letter's validity (checked at registration too)."""
    if rules.is_valid(incoming.letter_valid_until, incoming.reported_on):
        return None
    return cases.Refusal(
        rules.MSG_IN_EXPIRED.format(until=cn_date(incoming.letter_valid_until)),
        field="reported_on",
    )


def accept_incoming(incoming, *, actor, now, admit, reason: str = "", **_) -> str:
    """The branch accepts: ``admit(incoming)`` (the service's) creates or reopens the
    member record in the same transaction, before the case is saved as accepted."""
    step = current_step(incoming)
    _decide(incoming, Decision.APPROVED, actor=actor, now=now, note=reason)
    incoming.steps_done += 1
    incoming.first_response_at = incoming.first_response_at or now
    incoming.answered_at = now
    incoming.accepted_on = timezone.localtime(now, TZ).date()
    admit(incoming)
    note = f"：{reason.strip()}" if reason.strip() else ""
    kept = "，恢复其原党员档案" if incoming.reopened else ""
    return f"{step.org.name}审核同意，接收{incoming.name}的组织关系{kept}{note}"


def reject_incoming(incoming, *, actor, now, reason: str = "", **_) -> str:
    step = current_step(incoming)
    _decide(incoming, Decision.REJECTED, actor=actor, now=now, note=reason)
    incoming.answered_at = now
    return f"{step.org.name}不予接收：{reason.strip()}"


def incoming_escalated(incoming, *, level, upper, now) -> None:
    """As :func:`escalated`, for a letter waiting on the receiving side."""
    incoming.escalated_to = upper
    core_warnings.warning_raise(
        kind=TRANSFER_OVERDUE.name,
        org=upper,
        subject=incoming,
        subject_label=f"{incoming.name}的组织关系转入",
        title=f"{incoming.name}的组织关系转入超时未办，已升级至{upper.name}",
        due=incoming.resolution_due,
        recipients=approvers(upper),
        url=reverse("transfers:incoming_detail", args=[incoming.pk]),
        dedupe_key=f"transfers.incoming.overdue:{incoming.pk}:{incoming.steps_done}:{level}",
        now=now,
    )


INCOMING_FLOW = cases.Workflow(
    name="transfers.incoming",
    model="transfers.IncomingTransfer",
    history="transfers.IncomingEvent",
    initial=IN.PENDING,
    states={s.value: cases.State(s.label, terminal=s != IN.PENDING) for s in IN},
    transitions={
        "approve": cases.Transition(
            (IN.PENDING,),
            None,
            "审核同意",
            guards=(current_approver, not_last),
            effects=(approve_step,),
            refusal=MSG_NOT_PENDING_IN,
        ),
        "accept": cases.Transition(
            (IN.PENDING,),
            IN.ACCEPTED,
            "接收",
            guards=(current_approver, last, letter_in_time),
            effects=(accept_incoming,),
            refusal=MSG_NOT_PENDING_IN,
        ),
        "reject": cases.Transition(
            (IN.PENDING,),
            IN.REJECTED,
            "不予接收",
            guards=(current_approver, needs_reason),
            effects=(reject_incoming,),
            refusal=MSG_NOT_PENDING_IN,
        ),
    },
    deadlines=(cases.Deadline("resolution_due", met_by="answered_at"),),
    timers=timers,
    org_field="current_org",
    audited=("status", "current_org", "steps_done", "escalation_level", "member"),
    on_escalate=incoming_escalated,
)
