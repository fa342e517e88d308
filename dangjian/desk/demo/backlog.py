"""What is still on the desk at the demo's "now", and the jobs as they ran then."""

import datetime as dt

from dangjian.demo import clock
from dangjian.desk import rules
from dangjian.desk.demo.base import DESK_DEPTH, Desk, _at, _backdate_order
from dangjian.desk.demo.lifecycle import _claim
from dangjian.desk.demo.script import (
    MESSAGE_TOPICS,
    OFFICE_ANSWERS,
    RATING_COMMENTS,
    REROUTE_REASON,
)
from dangjian.desk.models import (
    Office,
    OrderEvent,
    OrderSource,
    OrderStatus,
    WorkOrder,
)
from dangjian.desk.services import orders as services_orders
from dangjian.desk.services import routing as services_routing
from dangjian.orgs import tree


def _backlog(desk: Desk) -> None:
    """What is still on the desk at "now": one order in each open state, so every queue,
    badge and escalation list of the console has something to show."""
    if not desk.members:
        return
    # askers under a county, so an order left lying climbs county → city → province
    in_counties = [u for u in desk.members if u.member.branch.depth > DESK_DEPTH] or desk.members

    def filed(topic: int, when: dt.datetime, user=None) -> tuple[WorkOrder, str]:
        kind, category, title, detail, reply = MESSAGE_TOPICS[topic]
        user = user or desk.rng.choice(in_counties)
        order = services_orders.order_create(
            acting_user=user,
            source=OrderSource.WEB,
            kind=kind,
            category=category,
            summary=title,
            detail=detail,
            asker=user,
        )
        _backdate_order(order, when, restarted=True)
        return order, reply

    # 省级集中受理 sends it to the province, which passes it to the asker's county (with a
    # reason); nobody there takes it: the escalation job lifts it back up the tree
    order, _reply = filed(4, _at(4, 15))
    county = tree.nearest_ancestor(order.asker_org, org_type=rules.COUNTY)
    if county is not None:
        services_routing.order_reroute(
            acting_user=desk.agent(order.org.path),
            order=order,
            category=order.category,
            org=county,
            reason=REROUTE_REASON,
        )
        _backdate_order(order, _at(4, 15, 20))
    order, _reply = filed(8, _at(9, 10))  # taken, never answered: past its deadline
    _claim(desk, order, _at(9, 11))
    order, _reply = filed(6, _at(5, 10))  # two offices asked, one still to answer
    agent = _claim(desk, order, _at(5, 10, 40))
    offices = list(Office.objects.filter(active=True).order_by("org__depth", "pk")[:2])
    if offices:
        services_orders.order_coordinate(
            acting_user=agent, order=order, offices=offices, question="请核实介绍信退回的原因。"
        )
        _backdate_order(order, _at(5, 11, 30), offices=True)
        first = order.coordinations.order_by("id").first()
        services_orders.coordination_answer(
            acting_user=desk.answerer(first), coordination=first, answer=OFFICE_ANSWERS[2]
        )
        _backdate_order(order, _at(4, 16), offices=True)
    order, reply = filed(9, _at(20, 10))  # not satisfied at first, closed after a reopen
    for round_, (claimed, answered, rated, rating) in enumerate(
        [(_at(20, 11), _at(19, 15), _at(18, 20), 2), (_at(17, 9, 30), _at(16, 16), _at(15, 10), 4)]
    ):
        agent = _claim(desk, order, claimed)
        text = reply if round_ == 0 else f"您好！经再次核实：{reply.removeprefix('您好！')}"
        services_orders.order_reply(acting_user=agent, order=order, text=text)
        _backdate_order(order, answered)
        services_orders.order_rate(
            acting_user=order.asker, order=order, rating=rating, comment=RATING_COMMENTS[rating][0]
        )
        _backdate_order(order, rated, restarted=order.status == OrderStatus.REOPENED)
    # the same member asks the same thing twice: the second is merged into the first
    main, _reply = filed(5, _at(3, 9, 10))
    duplicate, _reply = filed(5, _at(3, 19, 40), user=main.asker)
    services_routing.order_merge(acting_user=desk.agent(main.org.path), order=duplicate, main=main)
    _backdate_order(duplicate, _at(3, 19, 45))
    _backdate_order(main, _at(3, 19, 45))
    order, reply = filed(7, _at(13, 9, 30))  # answered, rated 1: back in the queue
    agent = _claim(desk, order, _at(13, 10))
    services_orders.order_reply(acting_user=agent, order=order, text=reply)
    _backdate_order(order, _at(12, 15))
    services_orders.order_rate(
        acting_user=order.asker, order=order, rating=1, comment=RATING_COMMENTS[1][1]
    )
    _backdate_order(order, _at(2, 20), restarted=True)


def _close_the_week(desk: Desk) -> None:
    """The jobs as they ran at the demo's "now": breached orders climb, askers reminded."""
    now = clock.now()
    services_orders.escalate_breached(now=now)
    services_routing.consultations_overdue(now=now)
    OrderEvent.objects.filter(at__gt=now).update(at=now)
    WorkOrder.objects.filter(updated_at__gt=now).update(updated_at=now)
    services_orders.remind_unrated(now=now)
