"""Work orders end to end at the service level: hand-off, handling, rating, jobs, scope."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from dangjian.core.calendar import TZ
from dangjian.core.models import AuditEntry, Notification
from dangjian.core.notify import sms_outbox
from dangjian.core.scope import Role
from dangjian.desk import selectors, stats
from dangjian.desk.models import ChatSession, Office, OrderEvent, WorkOrder
from dangjian.desk.services import orders as services
from dangjian.knowledge.models import Message, MessageRole
from dangjian.knowledge.services import bot as bot_services


@pytest.fixture(autouse=True)
def tiered(settings):
    """These tests run the desk as a local deployment configures it, 分级受理 (orders go to
    the county, city or province by category); central acceptance: test_routing_*.py."""
    settings.CONSULT_ACCEPTANCE = "tiered"


@pytest.fixture
def staff(cast):
    """A county agent (五华区 K1), an agent of the sibling county (盘龙区 K2), a handler at
    the province, besides the cast's city agent (昆明 C1)."""
    from dangjian.accounts import services as accounts

    root = cast.user["root"]
    made = {}
    for key, role, org in (
        ("k1_agent", Role.AGENT, "K1"),
        ("k2_agent", Role.AGENT, "K2"),
        ("p_agent", Role.AGENT, "P"),
        ("p_handler", Role.HANDLER, "P"),
    ):
        user = accounts.user_create(
            acting_user=root, username=key, password="x", validate_password=False
        )
        accounts.role_grant(acting_user=root, user=user, org=cast.org[org], role=role)
        made[key] = user
    return made


def ask_unknown(user, text="我的党龄从什么时候开始算起？"):
    """A conversation whose question the bot could not answer (what the bot's ask hands off)."""
    conversation = bot_services.conversation_start(user=user)
    Message.objects.create(conversation=conversation, role=MessageRole.USER, text=text)
    return conversation


def new_order(cast, *, category="党费", user=None, **kwargs):
    user = user or cast.user["member"]
    return services.order_create(
        acting_user=user,
        source="web",
        summary=kwargs.pop("summary", "党费基数怎么核定？"),
        category=category,
        asker=user,
        **kwargs,
    )


# --- Hand-off


def test_handoff_without_an_online_agent_files_a_work_order(cast):
    conversation = ask_unknown(cast.user["member"])
    result = services.handoff(conversation, cast.user["member"])
    assert isinstance(result, WorkOrder)
    assert result.conversation == conversation
    assert result.summary == "我的党龄从什么时候开始算起？"
    assert result.source == "handoff" and result.status == "new"
    assert result.org == cast.org["K1"]  # the member's county (default routing)
    assert result.asker == cast.user["member"]
    assert selectors.conversation_transcript(result)[0].text == result.summary
    assert services.handoff(conversation, cast.user["member"]) == result  # asked twice: one


def test_handoff_with_an_online_agent_opens_a_live_chat(cast, staff):
    services.presence_set(user=staff["k1_agent"], online=True)
    conversation = ask_unknown(cast.user["member"])
    chat = services.handoff(conversation, cast.user["member"])
    assert isinstance(chat, ChatSession)
    assert chat.agent == staff["k1_agent"] and chat.asker == cast.user["member"]
    services.chat_post(acting_user=staff["k1_agent"], chat=chat, text="您好，请讲。")
    services.chat_post(acting_user=cast.user["member"], chat=chat, text="谢谢")
    roles = [m.role for m in selectors.chat_messages(chat)]
    assert roles == ["user", "agent", "user"]
    with pytest.raises(Exception):  # noqa: B017 — a stranger may not talk in it
        services.chat_post(acting_user=staff["k2_agent"], chat=chat, text="hi")


def test_an_agent_outside_the_askers_scope_or_silent_gets_no_chat(cast, staff):
    services.presence_set(user=staff["k2_agent"], online=True)  # the sibling county
    services.presence_set(user=staff["k1_agent"], online=True)
    services.presence_set(user=staff["k1_agent"], online=True)
    from dangjian.desk.models import AgentPresence

    stale = timezone.now() - dt.timedelta(seconds=services.PRESENCE_SECONDS + 1)
    AgentPresence.objects.filter(user=staff["k1_agent"]).update(last_seen=stale)
    result = services.handoff(ask_unknown(cast.user["member"]), cast.user["member"])
    assert isinstance(result, WorkOrder)


def test_a_full_agent_takes_no_more_chats_the_next_asker_waits(cast, staff):
    services.presence_set(user=staff["k1_agent"], online=True, capacity=1)
    first = services.handoff(ask_unknown(cast.user["member"]), cast.user["member"])
    second = services.handoff(ask_unknown(cast.user["member"], "第二个问题"), cast.user["member"])
    assert isinstance(first, ChatSession) and first.status == "active"
    assert isinstance(second, ChatSession) and second.status == "waiting"
    assert second.agent is None


def test_closing_a_chat_can_file_a_work_order(cast, staff):
    services.presence_set(user=staff["k1_agent"], online=True)
    chat = services.handoff(ask_unknown(cast.user["member"]), cast.user["member"])
    services.chat_close(acting_user=staff["k1_agent"], chat=chat, to_order=True)
    chat.refresh_from_db()
    assert chat.status == "closed" and chat.work_order.source == "chat"
    with pytest.raises(ValidationError):
        services.chat_post(acting_user=cast.user["member"], chat=chat, text="还在吗")


# --- Handling, rating, reopening


def test_claim_reply_rate_closes_and_tells_the_asker(
    cast, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = new_order(cast)
        services.order_claim(acting_user=staff["k1_agent"], order=order)
        services.order_reply(
            acting_user=staff["k1_agent"], order=order, text="按上年度月平均工资。"
        )
    assert order.status == "answered" and order.first_response_at and order.answered_at
    titles = list(
        Notification.objects.filter(user=cast.user["member"]).values_list("title", flat=True)
    )
    assert "您的咨询已受理" in titles and "您的咨询已答复，请查看并评价" in titles
    services.order_rate(acting_user=cast.user["member"], order=order, rating=5, comment="清楚")
    assert order.status == "closed" and order.rating == 5
    actions = list(order.events.values_list("action", flat=True))
    assert actions == ["create", "claim", "reply", "rate"]
    assert AuditEntry.objects.filter(action="consult.order.rate", object_id=str(order.pk)).exists()


def test_only_the_asker_rates_and_only_an_answer(cast, staff):
    order = new_order(cast)
    with pytest.raises(ValidationError) as exc:
        services.order_rate(acting_user=cast.user["member"], order=order, rating=5)
    assert exc.value.message_dict == {"rating": [services.MSG_NOT_RATEABLE]}
    services.order_claim(acting_user=staff["k1_agent"], order=order)
    services.order_reply(acting_user=staff["k1_agent"], order=order, text="答复内容")
    with pytest.raises(ValidationError):
        services.order_rate(acting_user=staff["k1_agent"], order=order, rating=5)
    for bad in (0, 6, True):
        with pytest.raises(ValidationError) as exc:
            services.order_rate(acting_user=cast.user["member"], order=order, rating=bad)
        assert exc.value.message_dict == {"rating": [services.MSG_RATING]}


@pytest.mark.parametrize("rating, status", [(2, "reopened"), (3, "closed")])
def test_a_low_rating_reopens_with_fresh_timers(cast, staff, rating, status):
    order = new_order(cast)
    services.order_claim(acting_user=staff["k1_agent"], order=order)
    services.order_reply(acting_user=staff["k1_agent"], order=order, text="答复内容")
    services.order_rate(acting_user=cast.user["member"], order=order, rating=rating)
    assert order.status == status
    if status == "reopened":
        assert order.reopen_count == 1 and order.first_response_at is None
        assert order in selectors.queue(staff["k1_agent"])
        services.order_claim(acting_user=staff["k1_agent"], order=order)
        services.order_reply(acting_user=staff["k1_agent"], order=order, text="重新答复")
        assert order.answer_count == 2 and order.rating is None


def test_explicit_reopen_needs_a_reason(cast, staff):
    order = new_order(cast)
    services.order_claim(acting_user=staff["k1_agent"], order=order)
    with pytest.raises(ValidationError):
        services.order_reopen(acting_user=cast.user["member"], order=order, reason="不满意")
    services.order_reply(acting_user=staff["k1_agent"], order=order, text="答复内容")
    with pytest.raises(ValidationError) as exc:
        services.order_reopen(acting_user=cast.user["member"], order=order, reason="  ")
    assert exc.value.message_dict == {"reason": [services.MSG_REOPEN_REASON]}
    services.order_reopen(acting_user=cast.user["member"], order=order, reason="没有回答我的问题")
    assert order.status == "reopened"
    assert order.events.last().note == "没有回答我的问题"


def test_a_second_agent_cannot_claim_or_reply(cast, staff):
    order = new_order(cast)
    services.order_claim(acting_user=staff["k1_agent"], order=order)
    with pytest.raises(ValidationError) as exc:
        services.order_claim(acting_user=cast.user["agent"], order=order)
    assert "已由" in exc.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as exc:
        services.order_reply(acting_user=cast.user["agent"], order=order, text="答复内容")
    assert exc.value.message_dict == {"status": [services.MSG_NOT_ASSIGNEE]}


def test_an_agent_of_another_county_gets_404(cast, staff):
    from django.http import Http404

    order = new_order(cast)
    with pytest.raises(Http404):
        services.order_claim(acting_user=staff["k2_agent"], order=order)
    assert WorkOrder.objects.get(pk=order.pk).status == "new"


# --- Coordination (协商联动)


def test_coordination_then_merged_reply(cast, staff, django_capture_on_commit_callbacks):
    order = new_order(cast, category="组织关系转接")
    agent = staff["k1_agent"]
    services.order_claim(acting_user=agent, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        asks = services.order_coordinate(
            acting_user=agent,
            order=order,
            offices=[
                Office.objects.create(org=cast.org["K1"], name="组织科", liaison_name="张三"),
                Office.objects.create(org=cast.org["P"], name="组织二处", liaison_name="李四"),
            ],
            question="跨省转接需要哪些材料？",
        )
    assert order.status == "coordinating" and len(asks) == 2
    assert Notification.objects.filter(user=staff["p_handler"], kind="consult.coordination")
    with pytest.raises(ValidationError) as exc:
        services.order_reply(acting_user=agent, order=order, text="先答复")
    assert exc.value.message_dict == {"text": [services.MSG_PENDING_OFFICES.format(n=2)]}
    services.coordination_answer(
        acting_user=cast.user["handler"], coordination=asks[0], answer="介绍信由县委组织部开具。"
    )
    with pytest.raises(ValidationError):  # the handler at K1 does not speak for the province
        services.coordination_answer(
            acting_user=cast.user["handler"], coordination=asks[0], answer="again"
        )
    services.coordination_answer(
        acting_user=staff["p_handler"], coordination=asks[1], answer="跨省转接通过全国系统办理。"
    )
    draft = services.merged_draft(order)
    assert draft == "【组织科】介绍信由县委组织部开具。\n【组织二处】跨省转接通过全国系统办理。"
    services.order_reply(acting_user=agent, order=order, text=draft)
    assert order.status == "answered"
    # The province handler, consulted, sees the order though it is routed to the county.
    assert selectors.order_get(staff["p_handler"], order.pk) == order


def test_coordination_outside_scope_is_404(cast, staff):
    from django.http import Http404

    order = new_order(cast)
    services.order_claim(acting_user=staff["k1_agent"], order=order)
    asks = services.order_coordinate(
        acting_user=staff["k1_agent"],
        order=order,
        offices=[Office.objects.create(org=cast.org["K1"], name="组织科", liaison_name="张三")],
        question="请提供意见",
    )
    with pytest.raises(Http404):
        services.coordination_answer(
            acting_user=staff["k2_agent"], coordination=asks[0], answer="不相干的意见"
        )


# --- Escalation and reminders (jobs)


def _at(*args):
    return dt.datetime(*args, tzinfo=TZ)


def test_escalation_on_breach_is_idempotent(cast, staff, monkeypatch):
    from dangjian.desk import tasks

    friday = _at(2026, 11, 20, 15, 30)
    monkeypatch.setattr(services, "_now", lambda: friday)
    order = new_order(cast)  # K1, normal: first response due Monday 11:00
    assert order.first_response_due == _at(2026, 11, 23, 11, 0)
    assert tasks.escalate_breached(at=_at(2026, 11, 23, 11, 0)) == 0
    slot = _at(2026, 11, 23, 11, 15)
    assert tasks.escalate_breached(at=slot) == 1
    order.refresh_from_db()
    assert order.escalation_level == 1 and order.escalated_to == cast.org["C1"]
    city = Notification.objects.filter(kind="consult.escalated", user=cast.user["agent"])
    assert city.count() == 1
    assert tasks.escalate_breached(at=slot) == 0  # the same slot again: nothing new
    assert city.count() == 1
    assert order in selectors.escalated_to_me(cast.user["agent"])
    # A workday later still unclaimed: the province.
    assert tasks.escalate_breached(at=_at(2026, 11, 24, 11, 15)) == 1
    order.refresh_from_db()
    assert order.escalated_to == cast.org["P"]
    assert Notification.objects.filter(kind="consult.escalated", user=staff["p_agent"]).count() == 1
    assert tasks.escalate_breached(at=_at(2026, 12, 30, 11, 15)) == 0  # already at the top
    assert list(order.events.values_list("action", flat=True)).count("escalate") == 2


def test_each_escalation_is_a_warning_at_the_desk_it_reached_until_answered(
    cast, staff, monkeypatch
):
    from dangjian.core.models import Warning
    from dangjian.desk import tasks

    monkeypatch.setattr(services, "_now", lambda: _at(2026, 11, 20, 15, 30))
    order = new_order(cast)
    slot = _at(2026, 11, 23, 11, 15)
    tasks.escalate_breached(at=slot)
    tasks.escalate_breached(at=slot)  # the job again for the same slot: still one warning
    open_ones = Warning.objects.filter(kind="consult.overdue", resolved_at__isnull=True)
    assert list(open_ones.values_list("org", flat=True)) == [cast.org["C1"].pk]
    tasks.escalate_breached(at=_at(2026, 11, 24, 11, 15))
    assert set(open_ones.values_list("org", flat=True)) == {cast.org["C1"].pk, cast.org["P"].pk}
    order.refresh_from_db()
    services.order_claim(acting_user=staff["p_agent"], order=order)
    services.order_reply(acting_user=staff["p_agent"], order=order, text="答复内容")
    assert not open_ones.exists()
    assert Warning.objects.filter(kind="consult.overdue", resolution="auto").count() == 2


def test_an_answered_order_does_not_escalate(cast, staff, monkeypatch):
    monkeypatch.setattr(services, "_now", lambda: _at(2026, 11, 20, 15, 30))
    order = new_order(cast)
    services.order_claim(acting_user=staff["k1_agent"], order=order)
    services.order_reply(acting_user=staff["k1_agent"], order=order, text="答复内容")
    assert services.escalate_breached(now=_at(2026, 12, 30, 9, 0)) == 0


def test_rating_reminder_after_n_workdays_once(cast, staff, monkeypatch):
    from dangjian.desk import tasks

    monkeypatch.setattr(services, "_now", lambda: _at(2026, 11, 20, 15, 30))
    order = new_order(cast)
    services.order_claim(acting_user=staff["k1_agent"], order=order)
    services.order_reply(acting_user=staff["k1_agent"], order=order, text="答复内容")
    assert tasks.rating_reminders(at=_at(2026, 11, 24, 10, 0)) == 0  # two workdays
    assert tasks.rating_reminders(at=_at(2026, 11, 25, 10, 0)) == 1
    assert tasks.rating_reminders(at=_at(2026, 11, 25, 10, 0)) == 0
    assert tasks.rating_reminders(at=_at(2026, 11, 26, 10, 0)) == 0
    reminders = Notification.objects.filter(kind="consult.rate_reminder")
    assert list(reminders.values_list("user", flat=True)) == [cast.user["member"].pk]


# --- Hotline, public site, scope


def test_hotline_call_keeps_the_number_encrypted_and_finds_history(cast, staff):
    agent = cast.user["agent"]
    first = services.hotline_log(
        acting_user=agent,
        caller_name="张先生",
        phone="139 1234 5678",
        category="党费",
        summary="退休后党费怎么交",
        reply="按退休费总额计算。",
    )
    assert first.status == "answered" and first.phone_masked == "139****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM consult_workorder WHERE id = %s", [first.pk])
        assert "13912345678" not in cursor.fetchone()[0]
    second = services.hotline_log(
        acting_user=agent,
        caller_name="张先生",
        phone="13912345678",
        category="党费",
        summary="又来问党费",
    )
    assert selectors.caller_history(agent, phone="+86 13912345678", exclude=second.pk) == [first]
    assert selectors.caller_history(staff["k2_agent"], phone="13912345678") == []


@pytest.mark.parametrize(
    "fields, errors",
    [
        ({"caller_name": "", "phone": "13912345678"}, {"caller_name"}),
        ({"caller_name": "李", "phone": ""}, {"phone"}),
        ({"caller_name": "李", "phone": "12345"}, {"phone"}),
        ({"caller_name": "李", "phone": "0871-12345678", "summary": "问"}, {"summary"}),
    ],
)
def test_public_orders_need_a_name_and_a_phone(cast, fields, errors):
    kwargs = {"summary": "想咨询入党的条件", **fields}
    with pytest.raises(ValidationError) as exc:
        services.order_create(acting_user=None, source="public", **kwargs)
    assert set(exc.value.message_dict) == errors
    assert not WorkOrder.objects.exists()


def test_anonymous_public_order_goes_to_the_province_and_replies_by_sms(
    cast, django_capture_on_commit_callbacks
):
    order = services.order_create(
        acting_user=None,
        source="public",
        caller_name="李女士",
        phone="13800001111",
        summary="想咨询入党的条件",
    )
    assert order.org == cast.org["P"]
    services.order_claim(acting_user=cast.user["province_admin"], order=order)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_reply(acting_user=cast.user["province_admin"], order=order, text="答复内容")
    assert sms_outbox and sms_outbox[-1][0] == "13800001111"


def test_a_county_agent_sees_only_its_county(cast, staff):
    k1 = new_order(cast)  # 五华区 member → K1
    k2 = new_order(cast, asker_org=cast.org["B3"])  # 盘龙区 branch → K2
    k3 = new_order(cast, asker_org=cast.org["B4"])  # 麒麟区 → K3

    def visible(key):
        return set(selectors.staff_order_queryset(staff[key] if key in staff else cast.user[key]))

    assert visible("k1_agent") == {k1}
    assert visible("k2_agent") == {k2}
    assert visible("agent") == {k1, k2}  # the city of 昆明
    assert visible("p_agent") == {k1, k2, k3}
    assert set(selectors.queue(staff["k1_agent"])) == {k1}
    assert set(selectors.order_queryset(cast.user["member"])) == {k1, k2, k3}  # own questions
    assert set(selectors.order_queryset(cast.user["outsider"])) == set()


def test_publish_to_the_public_list_and_turn_into_a_kb_draft(cast, staff):
    order = new_order(cast, summary="张三同志问：党费基数怎么核定？")
    agent = staff["k1_agent"]
    with pytest.raises(ValidationError):
        services.order_publish(acting_user=agent, order=order, public=True)
    services.order_claim(acting_user=agent, order=order)
    services.order_reply(acting_user=agent, order=order, text="按上年度月平均工资核定。")
    services.order_publish(
        acting_user=agent, order=order, public=True, public_question="党费基数怎么核定？"
    )
    assert list(selectors.public_questions()) == [order]
    assert selectors.public_questions().first().public_question == "党费基数怎么核定？"
    entry = services.order_to_kb(acting_user=agent, order=order)
    assert entry.status == "draft" and entry.answer == "按上年度月平均工资核定。"
    assert entry.question == "党费基数怎么核定？" and entry.org == cast.org["K1"]
    assert OrderEvent.objects.filter(order=order, action="publish").exists()


def test_stats_of_a_subtree(cast, staff):
    k1 = new_order(cast)
    new_order(cast, asker_org=cast.org["B4"])
    services.order_claim(acting_user=staff["k1_agent"], order=k1)
    services.order_reply(acting_user=staff["k1_agent"], order=k1, text="答复内容")
    services.order_rate(acting_user=cast.user["member"], order=k1, rating=4)
    bot_services.conversation_handoff(
        user=cast.user["member"], conversation=ask_unknown(cast.user["member"])
    )
    since = timezone.now() - dt.timedelta(days=1)
    until = timezone.now() + dt.timedelta(days=1)
    figures = stats.figures(cast.user["agent"], org=cast.org["C1"], since=since, until=until)
    assert figures.orders == 2  # k1 and the hand-off; the 曲靖 order is outside
    assert figures.by_source["web"] == 1 and figures.by_source["handoff"] == 1
    assert figures.satisfaction_rate == 1.0 and figures.rating_avg == 4
    assert figures.resolution_met == 1
    assert figures.conversations == 1 and figures.handoff_rate == 1.0
    everything = stats.figures(staff["p_agent"], org=cast.org["P"], since=since, until=until)
    assert everything.orders == 3
