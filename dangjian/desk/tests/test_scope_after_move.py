"""Scope follows the tree as it is now (issue 9, defect 1).

五华区委 (K1) moves from 昆明市委 (C1) to 曲靖市委 (C2). Everything of the 12371 desk that
belongs to K1's subtree — its work orders, the coordination asked of its office, its
members' conversations and live chats, and the statistics over them — leaves 昆明's view
and enters 曲靖's; the province sees it throughout. Nothing of consult's is rewritten by
the move: visibility is computed through the keys to the organisation, never through a
copied path.
"""

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.calendar import TZ
from dangjian.core.scope import Role
from dangjian.desk import selectors, stats
from dangjian.desk.models import ChatSession, Office, WorkOrder
from dangjian.desk.services import orders as services
from dangjian.knowledge import selectors as kb_selectors
from dangjian.knowledge.models import Message, MessageRole
from dangjian.knowledge.services import bot as bot_services
from dangjian.orgs import services as orgs


@pytest.fixture(autouse=True)
def tiered(settings):
    """These tests run the desk as a local deployment configures it, 分级受理 (orders go to
    the county, city or province by category); central acceptance: test_routing_*.py."""
    settings.CONSULT_ACCEPTANCE = "tiered"


def _at(*args):
    return dt.datetime(*args, tzinfo=TZ)


FRIDAY = _at(2026, 11, 20, 15, 30)  # first response due Monday 11:00
MONDAY_BREACHED = _at(2026, 11, 23, 11, 15)  # one step up: the city


def _user(root, key: str, role: Role, org):
    from dangjian.accounts import services as accounts

    user = accounts.user_create(
        acting_user=root, username=key, password="x", validate_password=False
    )
    accounts.role_grant(acting_user=root, user=user, org=org, role=role)
    return user


def _conversation(user, text: str):
    conversation = bot_services.conversation_start(user=user)
    Message.objects.create(conversation=conversation, role=MessageRole.USER, text=text)
    return conversation


@pytest.fixture
def desk(cast, monkeypatch):
    """Before the move: an order of a 五华区 member routed to K1, escalated to the city,
    claimed and put to K1's office for input; a live chat with K1's agent; a bot
    conversation. Then K1 moves under 曲靖市委."""
    root = cast.user["root"]
    k1_agent = _user(root, "k1_agent", Role.AGENT, cast.org["K1"])
    c2_admin = _user(root, "c2_admin", Role.ADMIN, cast.org["C2"])
    member = cast.user["member"]
    monkeypatch.setattr(services, "_now", lambda: FRIDAY)
    order = services.order_create(
        acting_user=member,
        source="web",
        summary="党费基数怎么核定？",
        category="党费",
        asker=member,
    )
    assert order.org == cast.org["K1"]
    assert services.escalate_breached(now=MONDAY_BREACHED) == 1
    monkeypatch.undo()
    services.order_claim(acting_user=k1_agent, order=order)
    (coordination,) = services.order_coordinate(
        acting_user=k1_agent,
        order=order,
        offices=[Office.objects.create(org=cast.org["K1"], name="组织部", liaison_name="张三")],
        question="请核实",
    )
    services.presence_set(user=k1_agent, online=True)
    chat = services.handoff(_conversation(member, "转接组织关系要多久？"), member)
    assert isinstance(chat, ChatSession)
    conversation = _conversation(member, "我的党龄从什么时候开始算起？")
    before = {
        "city_admin": _visible(cast.user["city_admin"], order, coordination, chat, conversation)
    }
    orgs.org_move(acting_user=root, org=cast.org["K1"], new_parent=cast.org["C2"])
    return {
        "order": order,
        "coordination": coordination,
        "chat": chat,
        "conversation": conversation,
        "c2_admin": User.objects.get(pk=c2_admin.pk),
        "before": before,
    }


def _visible(user, order, coordination, chat, conversation) -> dict[str, bool]:
    """What ``user`` may open of each object (a fresh user: no cached scope)."""
    user = User.objects.get(pk=user.pk)

    def opens(get, pk) -> bool:
        try:
            get(user, pk)
        except Http404:
            return False
        return True

    return {
        "order": opens(selectors.order_get, order.pk),
        "order_list": selectors.order_queryset(user).filter(pk=order.pk).exists(),
        "coordination": opens(selectors.coordination_get, coordination.pk),
        "chat": opens(selectors.chat_get, chat.pk),
        "conversation": opens(kb_selectors.conversation_get, conversation.pk),
    }


def _stats(user, org):
    user = User.objects.get(pk=user.pk)
    until = timezone.now() + dt.timedelta(days=1)
    return stats.figures(user, org=org, since=FRIDAY - dt.timedelta(days=1), until=until)


def test_the_old_city_saw_everything_before_the_move(desk):
    assert desk["before"]["city_admin"] == dict.fromkeys(desk["before"]["city_admin"], True)


def test_the_old_city_sees_nothing_after_the_move(cast, desk):
    objects = (desk["order"], desk["coordination"], desk["chat"], desk["conversation"])
    seen = _visible(cast.user["city_admin"], *objects)
    assert seen == dict.fromkeys(seen, False)
    city_agent = User.objects.get(pk=cast.user["agent"].pk)
    assert desk["order"] not in selectors.escalated_to_me(city_agent)
    assert desk["order"] not in selectors.queue(city_agent)


def test_the_new_city_and_the_province_see_everything(cast, desk):
    objects = (desk["order"], desk["coordination"], desk["chat"], desk["conversation"])
    for user in (desk["c2_admin"], cast.user["province_admin"]):
        seen = _visible(user, *objects)
        assert seen == dict.fromkeys(seen, True), user


def test_statistics_follow_the_move(cast, desk):
    with pytest.raises(Http404):
        stats.stats_org(User.objects.get(pk=cast.user["city_admin"].pk), cast.org["K1"].pk)
    old = _stats(cast.user["city_admin"], cast.org["C1"])
    assert (old.orders, old.conversations) == (0, 0)
    new = _stats(desk["c2_admin"], cast.org["C2"])
    # the one order (filed from the web form, no conversation); the chat's and the bot's
    assert new.orders == WorkOrder.objects.count() == 1
    assert new.conversations == 2
    province = _stats(cast.user["province_admin"], cast.org["P"])
    assert (province.orders, province.conversations) == (1, 2)


def test_the_new_city_handles_the_moved_order_and_the_old_city_does_not(cast, desk):
    order = WorkOrder.objects.get(pk=desk["order"].pk)
    assert order.escalation_level == 1 and order.status == "coordinating"
    c2_admin = desk["c2_admin"]
    assert order in selectors.order_queryset(c2_admin)
    assert selectors.can_handle(c2_admin, order)
    city_agent = User.objects.get(pk=cast.user["agent"].pk)
    assert not selectors.can_handle(city_agent, order)


def test_an_order_the_old_city_claimed_leaves_its_console(cast):
    member, city_agent = cast.user["member"], cast.user["agent"]
    order = services.order_create(
        acting_user=member,
        source="web",
        summary="党费基数怎么核定？",
        category="党费",
        asker=member,
    )
    services.order_claim(acting_user=city_agent, order=order)
    assert list(selectors.assigned(city_agent)) == [order]
    orgs.org_move(acting_user=cast.user["root"], org=cast.org["K1"], new_parent=cast.org["C2"])
    assert list(selectors.assigned(User.objects.get(pk=city_agent.pk))) == []
