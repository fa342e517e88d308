"""An order's life: claimed, coordinated with offices, answered, rated, reopened,
escalated on breach, published; stopped at the first step after the demo's "now"."""

import datetime as dt
import random

from dangjian.core import calendar
from dangjian.demo import clock
from dangjian.desk import rules
from dangjian.desk.demo.base import (
    CASE_DRAFTS,
    COORDINATED,
    RATING_WEIGHTS,
    Desk,
    _backdate_order,
)
from dangjian.desk.demo.script import (
    OFFICE_ANSWERS,
    RATING_COMMENTS,
    REOPEN_REASON,
)
from dangjian.desk.models import (
    OrderSource,
    OrderStatus,
    WorkOrder,
)
from dangjian.desk.services import orders as services_orders
from dangjian.knowledge.models import (
    Entry,
)

# --- An order's life


def _after(start: dt.datetime, work_hours: float) -> dt.datetime:
    return calendar.add_work_hours(start, max(work_hours, 0.02))


def _response_hours(rng: random.Random, sla: rules.Sla) -> tuple[float, float]:
    """Working hours from filing to (claim, reply): mostly in time, about one in ten late."""
    roll = rng.random()
    if roll < 0.08:
        claim = rng.uniform(sla.first_response_hours + 0.3, sla.first_response_hours + 9)
    else:
        claim = rng.uniform(0.05, sla.first_response_hours * (0.5 if roll < 0.8 else 0.95))
    if rng.random() < 0.1:
        reply = rng.uniform(sla.resolution_hours + 0.5, sla.resolution_hours + 14)
    else:
        reply = rng.uniform(claim + 0.2, max(claim + 0.4, sla.resolution_hours * 0.9))
    return claim, max(reply, claim + 0.2)


def _lifecycle(desk: Desk, order: WorkOrder, rng: random.Random, *, reply: str) -> None:
    """Claim, maybe coordinate, answer, rate; reopened on a poor rating, up to twice.
    Stops at the first step that would fall after the demo's "now"."""
    start = order.created_at
    for round_ in range(3):
        answered = _handle(desk, order, rng, start=start, reply=reply, again=round_ > 0)
        if answered is None:
            return
        rated = _rate(desk, order, rng, answered, again=round_ > 0)
        if rated is None:
            _publish(desk, order, rng, answered)
            return
        if order.status == OrderStatus.CLOSED:
            _publish(desk, order, rng, rated)
            if order.rating == 3 and rng.random() < 0.35:
                start = rated + dt.timedelta(hours=rng.uniform(2, 30))
                if start >= clock.now():
                    return
                services_orders.order_reopen(
                    acting_user=order.asker, order=order, reason=REOPEN_REASON
                )
                _backdate_order(order, start, restarted=True)
                continue
            return
        start = rated  # reopened by the rating


def _handle(desk, order, rng, *, start, reply: str, again: bool) -> dt.datetime | None:
    """Claim (after an escalation if late) and answer; the moment answered, or None."""
    sla = rules.sla_for(order.priority, order.category)
    claim_hours, reply_hours = _response_hours(rng, sla)
    claimed, answered = _after(start, claim_hours), _after(start, reply_hours)
    if claimed > order.first_response_due and order.org.depth > 1:
        noticed = _after(order.first_response_due, rng.uniform(0.1, 0.8))
        if noticed < min(claimed, clock.now()):
            services_orders.order_escalate(order=order, now=noticed)
            _backdate_order(order, noticed)
    if claimed >= clock.now():
        return None
    agent = _claim(desk, order, claimed)
    if not again and order.category in COORDINATED and rng.random() < 0.25:
        merged = _coordinate(desk, order, rng, agent, claimed)
        if merged is None:
            return None
        answered = max(answered, merged + dt.timedelta(minutes=30))
        reply = f"{reply}\n（已征求{order.coordinations.count()}个处室意见）"
    if answered >= clock.now():
        return None
    text = f"您好！经再次核实：{reply.removeprefix('您好！')}" if again else reply
    services_orders.order_reply(acting_user=agent, order=order, text=text)
    _backdate_order(order, answered)
    return answered


def _coordinate(desk, order, rng, agent, claimed: dt.datetime) -> dt.datetime | None:
    """协商联动: two offices asked; the moment the last answered, or None if one has not."""
    asked = _after(claimed, rng.uniform(0.2, 2))
    if asked >= clock.now():
        return None
    offices = desk.offices_for(order.category)
    if not offices:
        return asked
    services_orders.order_coordinate(
        acting_user=agent,
        order=order,
        offices=offices,
        question=f"请就“{order.summary}”提出办理意见。",
    )
    _backdate_order(order, asked, offices=True)
    last = asked
    for item in order.coordinations.order_by("id"):
        replied = _after(asked, rng.uniform(1, 14))
        if replied >= clock.now():
            return None
        services_orders.coordination_answer(
            acting_user=desk.answerer(item),
            coordination=item,
            answer=rng.choice(OFFICE_ANSWERS),
        )
        _backdate_order(order, replied, offices=True)
        last = max(last, replied)
    return last


def _claim(desk: Desk, order: WorkOrder, when: dt.datetime):
    """受理 by an agent of the desk the order sits at (or was escalated to); the agent."""
    agent = desk.agent((order.escalated_to or order.org).path)
    services_orders.order_claim(acting_user=agent, order=order)
    _backdate_order(order, when)
    return agent


def _rate(desk, order, rng, answered: dt.datetime, *, again: bool) -> dt.datetime | None:
    """The asker rates (most do, within two days); the moment rated, or None."""
    if order.asker_id is None or rng.random() < 0.22:
        return None
    rated = answered + dt.timedelta(hours=rng.uniform(0.3, 50))
    if rated >= clock.now():
        return None
    weights = RATING_WEIGHTS if not again else {5: 45, 4: 35, 3: 20}
    rating = rng.choices(list(weights), weights=list(weights.values()))[0]
    services_orders.order_rate(
        acting_user=order.asker,
        order=order,
        rating=rating,
        comment=rng.choice(RATING_COMMENTS[rating]),
    )
    _backdate_order(order, rated, restarted=order.status == OrderStatus.REOPENED)
    if rating == 5 and order.source == OrderSource.HANDOFF:
        _to_case(desk, order, rated)
    return rated


def _publish(desk, order, rng, after: dt.datetime) -> None:
    """Good answers to general questions go to the public 咨询列表 (asker anonymised)."""
    if order.source == OrderSource.HOTLINE or (order.rating or 5) < 4 or rng.random() > 0.4:
        return
    when = after + dt.timedelta(hours=rng.uniform(2, 48))
    if when >= clock.now():
        return
    services_orders.order_publish(acting_user=desk.agent(order.org.path), order=order, public=True)
    _backdate_order(order, when)


def _to_case(desk, order, when) -> None:
    """把答复转为知识条目: a few well-rated answers become draft cases for the editors."""
    taken = order.summary in desk.drafted or Entry.objects.filter(question=order.summary).exists()
    if len(desk.drafted) >= CASE_DRAFTS or taken:
        return
    desk.drafted.add(order.summary)
    entry = services_orders.order_to_kb(acting_user=desk.agent(order.org.path), order=order)
    Entry.objects.filter(pk=entry.pk).update(created_at=when, updated_at=when)
