"""The desk demo's shared ground: its period and "now", the people and the bot it draws
on (``Desk``), and moving what a service stamped back to the simulated moment."""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from faker import Faker

from dangjian.accounts.models import RoleAssignment
from dangjian.core import notify, scope
from dangjian.core.scope import Role
from dangjian.demo import clock
from dangjian.desk import rules
from dangjian.desk.models import (
    Coordination,
    Office,
    OrderEvent,
    WorkOrder,
)
from dangjian.knowledge.models import (
    Entry,
    EntryKind,
    EntryStatus,
)
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

# --- The 12371 service desk: work orders, agents, live chats ---------------------------
#
# Thirteen weeks of traffic up to the demo's "now" (the start of its today, ``clock.now``): members
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
# after the real clock (a run is anchored at a day already begun). Audit entries
# and notifications keep the real time: the audit chain hashes its times, and the inbox
# shows when the demo was written.

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


def _members(seed: int, count: int) -> list:
    users = list(
        get_user_model()
        .objects.filter(member__isnull=False, is_active=True, is_superuser=False)
        .order_by("pk")[:200]
    )
    return random.Random(seed).sample(users, min(count, len(users)))


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


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``days`` before the demo's "now", at hour:minute."""
    return clock.now() - dt.timedelta(days=days) + dt.timedelta(hours=hour, minutes=minute)
