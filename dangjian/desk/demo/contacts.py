"""The contacts of the period: the bot's conversations, hotline calls, messages, the
public site's questions and live chats, each at its simulated moment."""

import datetime as dt
import random

from dangjian.core import calendar, scope
from dangjian.demo import clock
from dangjian.desk.demo.base import (
    CHATS,
    CONVERSATIONS,
    DEMO_DAYS,
    HARD_SHARE,
    HOTLINE_CALLS,
    HOTLINE_DESKS,
    HOTLINE_ON_THE_PHONE,
    MESSAGES,
    ONLINE_HOURS,
    PRIORITY_WEIGHTS,
    PUBLIC_QUESTIONS,
    Desk,
    _backdate_order,
)
from dangjian.desk.demo.lifecycle import _lifecycle
from dangjian.desk.demo.script import (
    CHAT_LINES,
    HARD_QUESTIONS,
    HOTLINE,
    MESSAGE_TOPICS,
    PUBLIC_TOPICS,
)
from dangjian.desk.models import (
    ChatSession,
    OrderSource,
    Priority,
    WorkOrder,
)
from dangjian.desk.services import orders as services_orders
from dangjian.knowledge import demo as kb_demo
from dangjian.knowledge.models import (
    Channel,
    Conversation,
    Message,
)
from dangjian.knowledge.services import bot

# --- When things happen


def _day(rng: random.Random, *, workday: bool) -> dt.date:
    """A day of the period; people write on weekends too, but less."""
    while True:
        day = clock.today() - dt.timedelta(days=rng.randint(1, DEMO_DAYS))
        if calendar.is_workday(day) or (not workday and rng.random() < 0.45):
            return day


def _moment(rng: random.Random, *, office_hours: bool) -> dt.datetime:
    """A time people contact 12371: office hours for calls and chats, evenings too online."""
    day = _day(rng, workday=office_hours)
    if office_hours:
        minute = rng.choice([rng.randint(9 * 60, 11 * 60 + 50), rng.randint(13 * 60 + 30, 17 * 60)])
    else:
        minute = rng.choice(ONLINE_HOURS) * 60 + rng.randint(0, 59)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), calendar.TZ)


def _timeline(desk: Desk) -> list[tuple]:
    """Every contact of the period as (moment, n, job, job's seed), to run in time order."""
    rng = desk.rng
    jobs: list[tuple] = []
    plan = [
        (_conversation, CONVERSATIONS, False),
        (_hotline, HOTLINE_CALLS, True),
        (_public, PUBLIC_QUESTIONS, False),
    ]
    if desk.members:
        plan += [(_message, MESSAGES, False), (_chat, CHATS, True)]
    for job, count, office_hours in plan:
        for _ in range(count):
            moment = _moment(rng, office_hours=office_hours)
            jobs.append((moment, len(jobs), job, rng.getrandbits(32)))
    return jobs


def _handed_off(desk: Desk, result, when: dt.datetime, rng: random.Random, reply: str) -> None:
    desk.tally["handoffs"] += 1
    if result.work_order_id:
        order = WorkOrder.objects.get(pk=result.work_order_id)
        _backdate_order(order, when, restarted=True)
        _lifecycle(desk, order, rng, reply=reply)


# --- The contacts


def _reject_suggestions(user, result, when: dt.datetime):
    """A hard question the bot only half-knows gets 您是不是想问; the asker answers 都不是
    and a person takes over (the third outcome), a minute later."""
    if result.outcome != bot.SUGGEST:
        return result
    rejected = bot.conversation_handoff(user=user, conversation=result.conversation, rejected=True)
    kb_demo.backdate_turn(rejected, when + dt.timedelta(minutes=1), first=False)
    return rejected


def _bot_question(desk: Desk, rng: random.Random) -> tuple[str, str]:
    """(question, the answer an agent would give): a hard one, or a base topic's phrasing."""
    if rng.random() < HARD_SHARE or not desk.entries:
        question, _category, reply = rng.choice(HARD_QUESTIONS)
        return question, reply
    entry = rng.choices(desk.entries, weights=desk.weights)[0]
    return rng.choice([entry.question, *(entry.alternatives or [])]), f"您好！{entry.answer}"


def _conversation(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """A member or a visitor asks the bot one to three questions; it answers or hands off."""
    user = rng.choice(desk.members) if desk.members and rng.random() < 0.7 else None
    channel = Channel.APP if user is not None and rng.random() < 0.6 else Channel.WEB
    conversation = None
    desk.tally["conversations"] += 1
    for _turn in range(rng.choices((1, 2, 3), weights=(70, 25, 5))[0]):
        question, reply = _bot_question(desk, rng)
        result = bot.ask(
            user=user,
            question=question,
            conversation=conversation,
            channel=channel,
            engine=desk.engine,
        )
        kb_demo.backdate_turn(result, when, first=conversation is None)
        conversation = result.conversation
        result = _reject_suggestions(user, result, when)
        if result.handed_off:
            _handed_off(desk, result, when, rng, reply)
            return
        if rng.random() < 0.3:
            bot.message_feedback(message=result.message, helpful=rng.random() < 0.88)
        when += dt.timedelta(seconds=rng.randint(40, 240))


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"0871-6{rng.randint(0, 9999999):07d}"
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


def _hotline(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """An agent logs a call: answered on the phone, or filed for follow-up."""
    paths = sorted(desk.agents)
    path = rng.choices(paths, weights=[HOTLINE_DESKS.get(scope.path_depth(p), 1) for p in paths])[0]
    agent = rng.choice(desk.agents[path]) if paths else desk.root_user
    inside = [b for b in desk.branches if b.path.startswith(path)] if paths else desk.branches
    asker_org = rng.choice(inside) if inside and rng.random() < 0.75 else None
    category, summary, reply = rng.choice(HOTLINE)
    on_phone = rng.random() < HOTLINE_ON_THE_PHONE
    order = services_orders.hotline_log(
        acting_user=agent,
        caller_name=desk.fake.name(),
        phone=_phone(rng),
        category=category,
        summary=summary,
        priority=_priority(rng),
        asker_org=asker_org,
        reply=reply if on_phone else "",
    )
    _backdate_order(order, when, restarted=True)
    if not on_phone:
        _lifecycle(desk, order, rng, reply=reply)


def _message(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """有话向党说 / 有事找党帮 from a member, on the website or in the app."""
    kind, category, title, detail, reply = rng.choice(MESSAGE_TOPICS)
    user = rng.choice(desk.members)
    order = services_orders.order_create(
        acting_user=user,
        source=rng.choice((OrderSource.WEB, OrderSource.APP)),
        kind=kind,
        category=category,
        summary=title,
        detail=detail,
        asker=user,
    )
    _backdate_order(order, when, restarted=True)
    _lifecycle(desk, order, rng, reply=reply)


def _public(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """A resident's question from the public site: name and phone, no account."""
    question, detail, reply = rng.choice(PUBLIC_TOPICS)
    order = services_orders.order_create(
        acting_user=None,
        source=OrderSource.PUBLIC,
        caller_name=desk.fake.name(),
        phone=_phone(rng),
        summary=question,
        detail=detail,
    )
    _backdate_order(order, when, restarted=True)
    _lifecycle(desk, order, rng, reply=reply)


def _chat(desk: Desk, when: dt.datetime, rng: random.Random) -> None:
    """The bot is unsure, an agent is online: a live chat, sometimes filed as an order."""
    user = rng.choice(desk.members)
    agent = desk.agent(services_orders.path_of(bot.asker_branch(user)))
    question, _category, reply = rng.choice(HARD_QUESTIONS)
    services_orders.presence_set(user=agent, online=True)
    result = bot.ask(user=user, question=question, channel=Channel.APP, engine=desk.engine)
    kb_demo.backdate_turn(result, when, first=True)
    result = _reject_suggestions(user, result, when)
    services_orders.presence_set(user=agent, online=False)
    if result.chat_id is None:
        _handed_off(desk, result, when, rng, reply)
        return
    desk.tally["chats"] += 1
    chat = ChatSession.objects.get(pk=result.chat_id)
    lines = [(agent, CHAT_LINES[0]), (user, CHAT_LINES[1]), (agent, reply)]
    for n, (speaker, text) in enumerate(lines, 1):
        message = services_orders.chat_post(acting_user=speaker, chat=chat, text=text)
        Message.objects.filter(pk=message.pk).update(created_at=when + dt.timedelta(minutes=n))
    closed = when + dt.timedelta(minutes=len(lines) + 1)
    services_orders.chat_close(
        acting_user=agent, chat=chat, to_order=desk.tally["chats"] == 1 or rng.random() < 0.35
    )
    Message.objects.filter(conversation=chat.conversation, created_at__gt=closed).update(
        created_at=closed
    )
    Conversation.objects.filter(pk=chat.conversation_id).update(updated_at=closed)
    ChatSession.objects.filter(pk=chat.pk).update(
        created_at=when, updated_at=closed, closed_at=closed
    )
    if chat.work_order_id:
        order = chat.work_order
        _backdate_order(order, closed, restarted=True)
        if order.is_open:  # what the agent promised to check comes back as a work order
            _lifecycle(desk, order, rng, reply=reply)  # (else: answered in the chat)


def _priority(rng: random.Random) -> str:
    return rng.choices(Priority.values, weights=[PRIORITY_WEIGHTS[p] for p in Priority.values])[0]
