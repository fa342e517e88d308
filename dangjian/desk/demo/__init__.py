"""Demo data of the 12371 service desk (``make demo``), through the services.

The hotline's five-option voice menu; a few members' conversations with the bot on the
last evening (some answered, some handed off); a few items of the 问题优化清单; and
thirteen weeks of the service desk — work orders from every channel in every state,
coordination, ratings, live chats, canned replies (see "The 12371 service desk" below,
which also explains how past timestamps are set). Runs after the knowledge base's demo
(the bot answers from its published entries). Deterministic from ``seed``; running it
twice adds nothing the second time.
"""

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from faker import Faker

from dangjian.accounts.models import RoleAssignment
from dangjian.core import calendar, notify, scope
from dangjian.core.scope import Role
from dangjian.demo.generator import REFERENCE_DATE
from dangjian.desk import rules
from dangjian.desk.demo.script import (
    CANNED,
    CHAT_LINES,
    FEEDBACK,
    HARD_QUESTIONS,
    HOTLINE,
    IVR_MENU,
    MESSAGE_TOPICS,
    OFFICE_ANSWERS,
    OFFICES,
    PUBLIC_TOPICS,
    QUESTIONS,
    RATING_COMMENTS,
    REOPEN_REASON,
    REROUTE_REASON,
)
from dangjian.desk.models import (
    CannedReply,
    ChatSession,
    Coordination,
    IvrOption,
    Office,
    OrderEvent,
    OrderSource,
    OrderStatus,
    PlatformFeedback,
    Priority,
    WorkOrder,
)
from dangjian.desk.services import feedback as feedback_services
from dangjian.desk.services import ivr
from dangjian.desk.services import orders as services_orders
from dangjian.desk.services import routing as services_routing
from dangjian.knowledge import demo as kb_demo
from dangjian.knowledge.models import (
    Channel,
    Conversation,
    Entry,
    EntryKind,
    EntryStatus,
    Message,
)
from dangjian.knowledge.services import bot
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation


def seed(*, root_user, seed: int, progress) -> None:
    root = Organisation.objects.get_root_nodes().first()
    if root is None:
        return
    if not IvrOption.objects.filter(org=root).exists():
        ivr.ivr_menu_replace(acting_user=root_user, org=root, options=IVR_MENU)
    _offices(root, root_user)
    _conversations(seed, progress)
    _feedback(seed)
    _service_desk(root, root_user, seed, progress)


def _offices(root: Organisation, root_user) -> None:
    """The province centre's 业务处室 (协商联动), each with its 责任人 and 联络员."""
    if Office.objects.filter(org=root).exists():
        return
    handler = (
        RoleAssignment.objects.filter(org=root, role=Role.HANDLER, user__is_active=True)
        .order_by("user_id")
        .first()
    )
    for number, (name, categories, (lead, lead_phone), (liaison, liaison_phone)) in enumerate(
        OFFICES
    ):
        linked = handler.user if handler is not None and number == 0 else None
        services_routing.office_create(
            acting_user=root_user,
            org=root,
            name=name,
            categories=list(categories),
            lead_name=lead,
            lead_phone=lead_phone,
            liaison=linked,
            liaison_name="" if linked else liaison,
            liaison_phone=liaison_phone,
        )


def _members(seed: int, count: int) -> list:
    users = list(
        get_user_model()
        .objects.filter(member__isnull=False, is_active=True, is_superuser=False)
        .order_by("pk")[:200]
    )
    return random.Random(seed).sample(users, min(count, len(users)))


def _conversations(seed: int, progress) -> None:
    """A few members' questions on the last evening before the demo's "now" (handed-off
    ones wait in the queue as new orders)."""
    if Conversation.objects.exists():
        return
    rng = random.Random(seed)
    answered = handed = 0
    for number, user in enumerate(_members(seed, 6)):
        conversation = None
        when = DEMO_NOW - dt.timedelta(hours=3 * (6 - number))
        for question in rng.sample(QUESTIONS, 2):
            result = bot.ask(user=user, question=question, conversation=conversation)
            kb_demo.backdate_turn(result, when, first=conversation is None)
            conversation = result.conversation
            when += dt.timedelta(minutes=2)
            if result.handed_off:
                handed += 1
                order = WorkOrder.objects.filter(pk=result.work_order_id).first()
                if order is not None and order.created_at > when:
                    _backdate_order(order, when, restarted=True)
                continue
            answered += 1
            bot.message_feedback(message=result.message, helpful=rng.random() < 0.85)
    progress(f"智能问答演示会话：已答 {answered} 问，转人工 {handed} 问")


def _feedback(seed: int) -> None:
    if PlatformFeedback.objects.exists():
        return
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    for user, (kind, text, status) in zip(_members(seed + 1, 3), FEEDBACK, strict=False):
        item = feedback_services.feedback_submit(user=user, kind=kind, text=text)
        if status != "received":
            feedback_services.feedback_set_status(
                acting_user=admin, item=item, status=status, reply="已纳入优化计划"
            )


# --- The 12371 service desk: work orders, agents, live chats ---------------------------
#
# Thirteen weeks of traffic up to the demo's "now" (the start of REFERENCE_DATE): members
# and visitors asking the bot (most answered, some handed off), hotline calls logged by
# the agents, 有话向党说 / 有事找党帮 messages, questions from the public site, a few live
# chats. Each order then lives its life — claimed, coordinated with offices, answered,
# rated, reopened, escalated on breach, published — with delays drawn on the workday
# calendar; a step that would fall after "now" does not happen, so recent orders are
# still new or in hand, as on a real desk.
#
# Timestamps: the order and bot services stamp writes with the real clock; only the jobs
# (escalation, rating reminders) take ``now=``. The demo therefore calls each service,
# then moves what that call stamped back to the simulated moment (the ``_backdate_*``
# helpers): the order's times, its deadlines (recomputed from the moment with the same
# rules), its history rows, coordination requests, conversations, messages and chats.
# Anything the call stamped is later than the moment, because the demo's "now" is never
# after the real clock (seed_demo refuses a clock before REFERENCE_DATE). Audit entries
# and notifications keep the real time: the audit chain hashes its times, and the inbox
# shows when the demo was written.

DEMO_NOW = dt.datetime.combine(REFERENCE_DATE, dt.time.min, calendar.TZ)
DEMO_DAYS = 91
CONVERSATIONS = 170  # a small province's sample: the seed_demo run must stay quick
HOTLINE_CALLS = 45
MESSAGES = 18
PUBLIC_QUESTIONS = 12
CHATS = 4

HARD_SHARE = 0.14  # of the bot's questions
# Questions on these topics come far more often (the seed: transfers, dues, joining).
CATEGORY_WEIGHTS = {
    "组织关系转接": 4.0,
    "党费": 3.5,
    "入党申请与发展党员": 3.5,
    "平台使用": 3.0,
    "流动党员与失联党员": 2.0,
    "异地入党": 1.5,
    "三会一课": 1.5,
}
ONLINE_HOURS = [7, 8, 9, 9, 10, 10, 11, 12, 14, 15, 15, 16, 17, 19, 20, 20, 21, 21, 22]
DESK_DEPTH = 3  # 12371 desks: province, city, county organisation departments
HOTLINE_DESKS = {1: 6, 2: 2, 3: 2}  # which desk takes a call (by depth): mostly the province
PRIORITY_WEIGHTS = {"urgent": 5, "normal": 85, "low": 10}
CASE_DRAFTS = 3

HOTLINE_ON_THE_PHONE = 0.6  # answered during the call; the rest need follow-up

RATING_WEIGHTS = {5: 52, 4: 24, 3: 11, 2: 8, 1: 5}
COORDINATED = {"组织关系转接", "党费", "入党申请与发展党员", "流动党员与失联党员", "为民服务"}


class QuietSmsBackend(notify.SmsBackend):
    """The demo's callers are fictional: their SMS notices go nowhere (not even the log)."""

    def send(self, phone: str, text: str) -> None:
        return None


@dataclass
class Desk:
    """What the demo draws on: the seeded RNG, the people, the bot, and a tally."""

    root: Organisation
    root_user: object
    rng: random.Random
    fake: Faker
    agents: dict[str, list]  # organisation path → users holding the role exactly there
    handlers: dict[str, list]
    members: list
    branches: list[Organisation]
    entries: list[Entry]
    weights: list[float]
    engine: object
    drafted: set[str] = field(default_factory=set)
    tally: Counter = field(default_factory=Counter)

    def staff(self, path: str, table: dict[str, list]):
        """Someone at the nearest organisation at or above ``path`` holding a desk there."""
        for prefix in reversed(scope.ancestor_paths(path, include_self=True)):
            users = table.get(prefix)
            if users:
                return self.rng.choice(users)
        return self.root_user

    def agent(self, path: str):
        return self.staff(path, self.agents)

    def handler(self, path: str):
        return self.staff(path, self.handlers) if self.handlers else self.agent(path)

    def answerer(self, item: Coordination):
        """Who answers a request for input: the office's 联络员 or 责任人, else a handler."""
        unit = item.unit
        people = unit.contacts if unit is not None else []
        return people[0] if people else self.handler(item.org.path)

    def offices_for(self, category: str) -> list[Office]:
        """The offices responsible for ``category`` (组织二处 when none is)."""
        offices = list(Office.objects.filter(active=True).order_by("org__depth", "pk"))
        chosen = [o for o in offices if category in o.categories]
        return chosen[:2] or offices[:1]


def _service_desk(root: Organisation, root_user, seed: int, progress) -> None:
    """The desk's period in one transaction (all or nothing; the canned replies, written
    first, mark it done)."""
    if CannedReply.objects.filter(org=root).exists():
        return
    started = time.monotonic()
    with override_settings(SMS_BACKEND=f"{__name__}.QuietSmsBackend"), transaction.atomic():
        desk = _desk(root, root_user, seed)
        _canned(desk)
        for when, _n, job, job_seed in sorted(_timeline(desk)):
            job(desk, when, random.Random(job_seed))
        _backlog(desk)
        _close_the_week(desk)
    tally = desk.tally
    progress(
        f"12371 服务台：智能问答 {tally['conversations']} 次会话（转人工 {tally['handoffs']} 次），"
        f"工单 {WorkOrder.objects.count()} 件，在线人工 {tally['chats']} 次，"
        f"用时 {time.monotonic() - started:.1f} 秒"
    )


def _by_path(role: Role) -> dict[str, list]:
    table: dict[str, list] = {}
    grants = RoleAssignment.objects.filter(role=role, user__is_active=True).select_related(
        "user", "org"
    )
    for grant in grants.order_by("org__path", "user_id"):
        if grant.org.depth <= DESK_DEPTH:
            table.setdefault(grant.org.path, []).append(grant.user)
    return table


def _desk(root: Organisation, root_user, seed: int) -> Desk:
    from dangjian.knowledge import index

    rng = random.Random(seed * 7919 + 12371)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    entries = list(
        Entry.objects.filter(status=EntryStatus.PUBLISHED, kind=EntryKind.FAQ).order_by("pk")
    )
    ranks = Counter()
    weights = []
    for entry in entries:  # a few questions per topic are asked far more than the rest
        ranks[entry.category] += 1
        weights.append(CATEGORY_WEIGHTS.get(entry.category, 1.0) / ranks[entry.category])
    branches = list(
        Organisation.objects.filter(org_type=OrgType.BRANCH, dissolved_on__isnull=True).order_by(
            "path"
        )[:400]
    )
    return Desk(
        root=root,
        root_user=root_user,
        rng=rng,
        fake=fake,
        agents=_by_path(Role.AGENT),
        handlers=_by_path(Role.HANDLER),
        members=_members(seed + 2, 200),
        branches=branches,
        entries=entries,
        weights=weights,
        engine=index.live().get(),
    )


def _canned(desk: Desk) -> None:
    """常用答复 for each 12371 desk (the province's for everyone, a few of their own)."""
    for path, users in sorted(desk.agents.items()):
        org = Organisation.objects.get(path=path)
        for level, title, category, text in CANNED:
            if level == org.depth:
                services_orders.canned_create(
                    acting_user=users[0], org=org, title=title, text=text, category=category
                )
    if desk.root.path not in desk.agents:
        for level, title, category, text in CANNED:
            if level == 1:
                services_orders.canned_create(
                    acting_user=desk.root_user,
                    org=desk.root,
                    title=title,
                    text=text,
                    category=category,
                )


# --- When things happen


def _day(rng: random.Random, *, workday: bool) -> dt.date:
    """A day of the period; people write on weekends too, but less."""
    while True:
        day = REFERENCE_DATE - dt.timedelta(days=rng.randint(1, DEMO_DAYS))
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


# --- Moving what a service stamped back to the simulated moment (see the section header)

ORDER_STAMPS = (
    "created_at",
    "updated_at",
    "first_response_at",
    "answered_at",
    "rated_at",
    "closed_at",
)


def _backdate_order(
    order: WorkOrder, when: dt.datetime, *, restarted: bool = False, offices: bool = False
) -> None:
    """The order's times stamped by the last call → ``when``; timers restarted by it
    (creation, reopening) count from ``when`` with the same rules; ``offices``: the call
    asked or answered offices (协商联动)."""
    changes = {f: when for f in ORDER_STAMPS if (getattr(order, f) or when) > when}
    if restarted:
        sla = rules.sla_for(order.priority, order.category)
        changes["first_response_due"], changes["resolution_due"] = rules.deadlines(when, sla)
    WorkOrder.objects.filter(pk=order.pk).update(**changes)
    for name, value in changes.items():
        setattr(order, name, value)
    OrderEvent.objects.filter(order=order, at__gt=when).update(at=when)
    if offices:
        due = rules.consultation_due(when, rules.CONSULTATION_WORKDAYS)
        Coordination.objects.filter(order=order, created_at__gt=when).update(
            created_at=when, updated_at=when, due=due
        )
        Coordination.objects.filter(order=order, answered_at__gt=when).update(
            answered_at=when, updated_at=when
        )


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
    if chat.work_order_id:  # what the agent promised to check comes back as a work order
        order = chat.work_order
        _backdate_order(order, closed, restarted=True)
        _lifecycle(desk, order, rng, reply=reply)


def _priority(rng: random.Random) -> str:
    return rng.choices(Priority.values, weights=[PRIORITY_WEIGHTS[p] for p in Priority.values])[0]


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
                if start >= DEMO_NOW:
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
        if noticed < min(claimed, DEMO_NOW):
            services_orders.order_escalate(order=order, now=noticed)
            _backdate_order(order, noticed)
    if claimed >= DEMO_NOW:
        return None
    agent = _claim(desk, order, claimed)
    if not again and order.category in COORDINATED and rng.random() < 0.25:
        merged = _coordinate(desk, order, rng, agent, claimed)
        if merged is None:
            return None
        answered = max(answered, merged + dt.timedelta(minutes=30))
        reply = f"{reply}\n（已征求{order.coordinations.count()}个处室意见）"
    if answered >= DEMO_NOW:
        return None
    text = f"您好！经再次核实：{reply.removeprefix('您好！')}" if again else reply
    services_orders.order_reply(acting_user=agent, order=order, text=text)
    _backdate_order(order, answered)
    return answered


def _coordinate(desk, order, rng, agent, claimed: dt.datetime) -> dt.datetime | None:
    """协商联动: two offices asked; the moment the last answered, or None if one has not."""
    asked = _after(claimed, rng.uniform(0.2, 2))
    if asked >= DEMO_NOW:
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
        if replied >= DEMO_NOW:
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
    if rated >= DEMO_NOW:
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
    if when >= DEMO_NOW:
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


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``days`` before the demo's "now", at hour:minute."""
    return DEMO_NOW - dt.timedelta(days=days) + dt.timedelta(hours=hour, minutes=minute)


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
    services_orders.escalate_breached(now=DEMO_NOW)
    services_routing.consultations_overdue(now=DEMO_NOW)
    OrderEvent.objects.filter(at__gt=DEMO_NOW).update(at=DEMO_NOW)
    WorkOrder.objects.filter(updated_at__gt=DEMO_NOW).update(updated_at=DEMO_NOW)
    services_orders.remind_unrated(now=DEMO_NOW)
