"""The life of a 12371 work order, declared for the core case engine.

States and moves (the engine's table is ``ORDER_FLOW`` below)::

    new 待受理 ──claim──▶ claimed 办理中 ──reply──▶ answered 已答复 ──rate ≥ 3──▶ closed 已办结
    claimed / coordinating ──coordinate──▶ coordinating 协商办理中 ──reply──▶ answered
    answered ──rate ≤ 2, or reopen──▶ reopened 重新办理 ──claim──▶ claimed
    closed ──reopen──▶ reopened
    new / claimed / coordinating / reopened ──reroute──▶ (new when the handling office
        changes; the same state when only the category does)
    new / claimed / coordinating / reopened ──merge──▶ closed (merged into the main order)

Who may act at all (the desk over the order, the asker) is checked by the services
before a move; the table below says what may happen now, and the engine holds it under
the row lock. Deadlines (受理时限, 答复时限) run in the open states; an order past one
climbs the tree (county → city → province) and that desk is told.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.core import cases, notify, warnings
from dangjian.core.errors import raise_if
from dangjian.core.scope import Role
from dangjian.desk import rules
from dangjian.desk.models import OPEN_STATUSES, Coordination, OrderStatus, WorkOrder
from dangjian.desk.warnings import ORDER_OVERDUE

DETAIL_MAX = 5000
REPLY_MIN, REPLY_MAX = 2, 5000
COMMENT_MAX = cases.COMMENT_MAX
OFFICE_MAX = 60

MSG_CLAIMED = "该工单已由{name}受理"
MSG_NOT_CLAIMABLE = "该工单当前状态为“{status}”，不能受理"
MSG_NOT_ASSIGNEE = "请先受理该工单再答复"
MSG_NOT_REPLYABLE = "该工单当前状态为“{status}”，不能答复"
MSG_REPLY_SHORT = f"答复不能少于{REPLY_MIN}个字"
MSG_REPLY_LONG = f"答复不能超过{REPLY_MAX}个字"
MSG_PENDING_OFFICES = "还有{n}个处室未回复意见，请待其回复后再汇总答复"
MSG_NO_OFFICES = "请至少选择一个协办处室"
MSG_OFFICE_INACTIVE = "处室“{name}”已停用，请选择其他处室"
MSG_WORKDAYS = f"回复时限为1至{rules.CONSULTATION_MAX_WORKDAYS}个工作日"
MSG_CATEGORY = "请从列表中选择咨询分类"
MSG_NOT_REROUTABLE = "该工单当前状态为“{status}”，不能重新分类或转办"
MSG_REROUTE_REASON = "请说明重新分类或转办的原因"
MSG_REROUTE_NOTHING = "分类和承办组织都没有变化"
MSG_REROUTE_PENDING = "还有{n}个处室未回复意见，请待其回复后再转办"
MSG_NOT_MERGEABLE = "该工单当前状态为“{status}”，不能合并"
MSG_MERGED_REOPEN = "该工单已合并至工单 {number}，请在主工单查看办理情况"
MSG_QUESTION = "请填写需要征求意见的内容"
MSG_NOT_COORDINATABLE = "只有办理中的工单可以发起协商"
MSG_NOT_RATEABLE = "只能评价已答复的工单"
MSG_RATING = cases.MSG_RATING
MSG_COMMENT_LONG = cases.MSG_COMMENT_LONG
MSG_NOT_REOPENABLE = "只有已答复或已办结的工单可以重新办理"
MSG_REOPEN_REASON = "请说明不满意的原因"

AUDITED = (
    "status",
    "category",
    "priority",
    "org",
    "assignee",
    "escalation_level",
    "rating",
    "public",
)


def clean_text(value: str | None) -> str:
    return (value or "").strip()


def one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def path_of(org) -> str:
    """The organisation's path as the tree stands now ('' for none: a visitor), for the
    audit log and notifications, which file each entry under where it happened."""
    return org.path if org is not None else ""


def staff_at(org, roles=(Role.AGENT,)):
    """Users holding one of ``roles`` exactly at ``org`` (its 12371 desk)."""
    from dangjian.accounts.models import User

    return User.objects.filter(
        is_active=True, role_assignments__org=org, role_assignments__role__in=roles
    ).distinct()


# --- Refusals, effects and hooks


def _claim_refused(order: WorkOrder, actor) -> str:
    if order.assignee_id and order.assignee_id != getattr(actor, "pk", None):
        return MSG_CLAIMED.format(name=order.assignee)
    return MSG_NOT_CLAIMABLE.format(status=order.get_status_display())


def clean_reply(text: str) -> str:
    text = clean_text(text)
    if len(text) < REPLY_MIN:
        raise_if({"text": MSG_REPLY_SHORT})
    if len(text) > REPLY_MAX:
        raise_if({"text": MSG_REPLY_LONG})
    return text


def _answer(order: WorkOrder, *, actor, now, text: str, **_) -> None:
    """答复: the merged reply, once every consulted office has given its input."""
    text = clean_reply(text)
    pending = order.coordinations.filter(answered_at__isnull=True).count()
    if pending:
        raise_if({"text": MSG_PENDING_OFFICES.format(n=pending)})
    order.reply = text
    order.replied_by = actor
    order.answered_at = now
    warnings.warnings_clear(kind=ORDER_OVERDUE.name, subject=order, now=now)
    order.answer_count += 1
    order.rating = None
    order.rated_at = None


def _ask_offices(
    order: WorkOrder, *, actor, offices, question: str, workdays, created: list, now, **_
) -> str:
    """协商联动: one request per office of the registry not already asked and still to
    answer, due in ``workdays`` on the workday calendar; the new requests go into
    ``created`` (the service tells those offices)."""
    question = clean_text(question)
    days = rules.consultation_workdays(workdays)
    errors = {}
    if not offices:
        errors["offices"] = MSG_NO_OFFICES
    inactive = [office.name for office in offices if not office.active]
    if inactive:
        errors["offices"] = MSG_OFFICE_INACTIVE.format(name=inactive[0])
    if not question or len(question) > DETAIL_MAX:
        errors["question"] = MSG_QUESTION
    if days is None:
        errors["workdays"] = MSG_WORKDAYS
    raise_if(errors)
    due = rules.consultation_due(now, days)
    for office in offices:
        open_one = order.coordinations.filter(unit=office, answered_at__isnull=True)
        if open_one.exists():
            continue
        created.append(
            Coordination.objects.create(
                order=order,
                org=office.org,
                office=office.name,
                unit=office,
                question=question,
                requested_by=actor,
                due=due,
            )
        )
    names = "、".join(c.office for c in created)
    return f"征求意见：{names}（{timezone.localtime(due):%m月%d日 %H:%M}前回复）" if created else ""


def _reroute(order: WorkOrder, *, actor, now, category: str, org, reason: str, **_) -> str:
    """重新分类/转办: a known category, an organisation department, a reason. Another
    office takes it from its queue (unclaimed, not escalated; the deadlines the asker was
    given keep running); a new category alone keeps the order where it is."""
    reason = one_line(reason)
    category = one_line(category)
    errors = {}
    if not rules.is_category(category):
        errors["category"] = MSG_CATEGORY
    if not reason:
        errors["reason"] = MSG_REROUTE_REASON
    elif len(reason) > COMMENT_MAX:
        errors["reason"] = MSG_COMMENT_LONG
    raise_if(errors)
    moved = org.pk != order.org_id
    if not moved and category == order.category:
        raise_if({"category": MSG_REROUTE_NOTHING})
    pending = order.coordinations.filter(answered_at__isnull=True).count()
    if moved and pending:
        raise_if({"org_id": MSG_REROUTE_PENDING.format(n=pending)})
    parts = []
    if category != order.category:
        parts.append(f"分类：{order.category or '未分类'} → {category or '未分类'}")
        order.category = category
    if moved:
        parts.append(f"承办：{order.org.name} → {org.name}")
        order.org = org
        order.assignee = None
        order.status = S.NEW if order.status != S.REOPENED else S.REOPENED
        order.escalation_level = 0
        order.escalated_to = None
        warnings.warnings_clear(kind=ORDER_OVERDUE.name, subject=order, now=now)
    return "；".join([*parts, f"原因：{reason}"])


def _merge_into(order: WorkOrder, *, main: WorkOrder, now, **_) -> str:
    """合并: the duplicate is closed as merged into ``main`` (the service checks ``main``)."""
    order.merged_into = main
    warnings.warnings_clear(kind=ORDER_OVERDUE.name, subject=order, now=now)
    return f"合并至工单 {main.number}"


def _not_merged(order: WorkOrder, actor, **_) -> str | None:
    if order.merged_into_id:
        return MSG_MERGED_REOPEN.format(number=order.merged_into.number)
    return None


def _reopen_reason(order: WorkOrder, *, reason: str, **_) -> str:
    reason = clean_text(reason)
    if not reason:
        raise_if({"reason": MSG_REOPEN_REASON})
    if len(reason) > COMMENT_MAX:
        raise_if({"reason": MSG_COMMENT_LONG})
    return reason


def _reopened(order: WorkOrder, *, reason: str, **_) -> None:
    """Back at its own desk (no longer escalated); its agent hears why."""
    order.escalated_to = None
    if order.assignee_id:
        recipient = order.assignee
        transaction.on_commit(
            lambda: notify.send(
                [recipient],
                kind="consult.reopened",
                title=f"工单 {order.number} 提问人不满意，已重新办理",
                body=reason[:200],
                url=reverse("desk:order_detail", args=[order.pk]),
                dedupe_key=f"consult.reopened:{order.pk}:{order.reopen_count}",
            )
        )


def _escalated(order: WorkOrder, *, level: int, upper, now) -> None:
    """The order now sits (also) at ``upper``'s desk, whose agents are told."""
    order.escalated_to = upper
    notify.send(
        staff_at(upper),
        kind="consult.escalated",
        title=f"工单 {order.number} 超时未办，已升级至{upper.name}",
        body=order.summary,
        url=reverse("desk:order_detail", args=[order.pk]),
        dedupe_key=f"consult.escalate:{order.pk}:{order.reopen_count}:{level}",
    )
    warnings.warning_raise(
        kind=ORDER_OVERDUE.name,
        org=upper,
        subject=order,
        subject_label=f"工单 {order.number}",
        title=f"工单 {order.number} 超时未办，已升级至{upper.name}",
        due=order.resolution_due,
        url=reverse("desk:order_detail", args=[order.pk]),
        dedupe_key=f"consult.overdue:{order.pk}:{order.reopen_count}:{level}",
        now=now,
    )


def _remind_to_rate(order: WorkOrder, *, now) -> int:
    return notify.send(
        [order.asker],
        kind="consult.rate_reminder",
        title="您的咨询已答复，请对答复进行评价",
        body=order.summary,
        url=reverse("desk:my_order", args=[order.pk]),
        dedupe_key=f"consult.rate_reminder:{order.pk}:{order.answer_count}",
    )


def _timers(order: WorkOrder, start):
    first, resolution = rules.deadlines(start, rules.sla_for(order.priority, order.category))
    return {"first_response_due": first, "resolution_due": resolution}


# --- The table

S = OrderStatus
_assignee_only = cases.assignee_only(MSG_NOT_ASSIGNEE)

ORDER_FLOW = cases.Workflow(
    name="consult.order",
    model="desk.WorkOrder",
    history="desk.OrderEvent",
    initial=S.NEW,
    states={
        s.value: cases.State(s.label, terminal=s == S.CLOSED, timed=s in OPEN_STATUSES) for s in S
    },
    transitions={
        "claim": cases.Transition(
            (S.NEW, S.REOPENED), S.CLAIMED, "受理", effects=(cases.take,), refusal=_claim_refused
        ),
        "coordinate": cases.Transition(
            (S.CLAIMED, S.COORDINATING),
            S.COORDINATING,
            "协商联动",
            guards=(_assignee_only,),
            effects=(_ask_offices,),
            refusal=MSG_NOT_COORDINATABLE,
        ),
        "reply": cases.Transition(
            (S.CLAIMED, S.COORDINATING),
            S.ANSWERED,
            "答复",
            guards=(_assignee_only,),
            effects=(_answer,),
            refusal=MSG_NOT_REPLYABLE,
        ),
        "rate": cases.Transition(
            (S.ANSWERED,), S.CLOSED, "评价", refusal=MSG_NOT_RATEABLE, field="rating"
        ),
        "reopen": cases.Transition(
            (S.ANSWERED, S.CLOSED),
            S.REOPENED,
            "重新办理",
            guards=(_not_merged,),
            effects=(_reopen_reason, cases.restart, _reopened),
            refusal=MSG_NOT_REOPENABLE,
        ),
        "reroute": cases.Transition(
            tuple(OPEN_STATUSES),
            None,
            "重新分类/转办",
            effects=(_reroute,),
            refusal=MSG_NOT_REROUTABLE,
        ),
        "merge": cases.Transition(
            tuple(OPEN_STATUSES),
            S.CLOSED,
            "合并",
            effects=(_merge_into,),
            refusal=MSG_NOT_MERGEABLE,
        ),
    },
    deadlines=(
        cases.Deadline("first_response_due", met_by="first_response_at"),
        cases.Deadline("resolution_due", met_by="answered_at"),
    ),
    timers=_timers,
    policy=rules.policy,
    audited=AUDITED,
    rate="rate",
    reopen="reopen",
    rating_since="answered_at",
    on_escalate=_escalated,
    on_rating_reminder=_remind_to_rate,
)
