"""What each role's first screen shows, read only through the other apps' selectors.

- a member (a user linked to a member record): the next meetings they are called to with
  a 签到 button while check-in is open, unread messages, 每日一答, their own 档案, dues
  owed;
- a branch secretary (a role that may plan meetings, held at a 党支部): the branch's duties
  of the running month, quarter and year, meetings to record, members to follow up;
- a 12371 agent: the queue and what is overdue;
- a leader (a role that sees warnings, above a branch): the subtree's figures from the
  rollups, its open warnings by kind, and each child's figures to drill down into.

A user holding several roles sees every panel that applies. The home app owns no table.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.accounts.selectors import roles_of
from dangjian.core import notify, rollups, scope, warnings
from dangjian.core.periods import month_period, year_period
from dangjian.core.scope import STEPLEN, Perm, Role, role_perms
from dangjian.orglife import selectors as orglife
from dangjian.orglife.choices import MeetingStatus
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

MAX_PANELS = 3  # branches or subtrees shown in full; the rest are links
UNREAD_SHOWN = 3
POLICY_SHOWN = 3
FOLLOW_UP_SHOWN = 5
QUEUE_SHOWN = 5
CHILDREN_SHOWN = 40


def _installed(app: str) -> bool:
    return apps.is_installed(f"dangjian.{app}")


@dataclass
class Roles:
    """Which panels apply: the member record, the branches run, the subtrees led."""

    member_id: int | None
    branches: list[Organisation] = field(default_factory=list)
    subtrees: list[Organisation] = field(default_factory=list)
    agent: bool = False


def roles(user) -> Roles:
    assignments = [a for a in roles_of(user) if a.org.dissolved_on is None]
    result = Roles(member_id=getattr(user, "member_id", None))
    for a in assignments:
        perms = role_perms(a.role)
        if a.org.org_type == OrgType.BRANCH and Perm.CHANGE_ORGLIFE in perms:
            result.branches.append(a.org)
        elif Perm.VIEW_WARNING in perms and a.org.org_type != OrgType.GROUP:
            result.subtrees.append(a.org)
        if a.role == Role.AGENT:
            result.agent = True
    if user.is_superuser:
        result.subtrees = list(Organisation.objects.filter(depth=1).order_by("path"))
    tops = scope.prefix_free(o.path for o in result.subtrees)
    result.subtrees = [o for o in result.subtrees if o.path in tops]
    return result


# --- A member ---------------------------------------------------------------------------


@dataclass
class MemberPanel:
    member_id: int
    meetings: list
    unread: int
    unread_items: list
    daily: object | None  # knowledge.selectors.Today: the member's own 每日一答
    policy: list  # the latest 政策解读 articles
    owed: object | None  # dues.selectors.Owed, or None without the dues app
    owed_yuan: str = ""


def member_panel(user) -> MemberPanel:
    unread = notify.inbox(user).filter(read_at__isnull=True)
    daily, policy = None, []
    if _installed("knowledge"):
        from dangjian.knowledge.selectors import daily_today, policy_public

        daily = daily_today(user)
        policy = list(policy_public().order_by("-publish_date", "-id")[:POLICY_SHOWN])
    owed, owed_yuan = None, ""
    if _installed("dues"):
        from dangjian.dues.rules import fen_to_yuan
        from dangjian.dues.selectors import my_owed

        owed = my_owed(user)
        owed_yuan = fen_to_yuan(owed.fen)
    return MemberPanel(
        member_id=user.member_id,
        meetings=orglife.my_next_meetings(user),
        unread=notify.unread_count(user),
        unread_items=list(unread.order_by("-created_at", "-pk")[:UNREAD_SHOWN]),
        daily=daily,
        policy=policy,
        owed=owed,
        owed_yuan=owed_yuan,
    )


# --- A branch secretary -----------------------------------------------------------------


@dataclass
class BranchPanel:
    branch: Organisation
    duties: list
    to_record: int
    to_record_items: list
    upcoming: list
    arrears: int | None
    lost: int | None
    follow_up: int
    follow_up_items: list

    @property
    def done(self) -> list:
        return [d for d in self.duties if d.done]


def branch_panel(user, branch: Organisation) -> BranchPanel:
    """A branch the user runs (from their own role assignment, so within scope)."""
    to_record, to_record_items = orglife.to_record(user, branch)
    upcoming = list(
        orglife.meeting_list(user, {"org": branch, "upcoming": True})
        .filter(status=MeetingStatus.PLANNED)
        .order_by("starts_at", "pk")[:3]
    )
    arrears = None
    if _installed("dues"):
        from dangjian.dues.selectors import arrears_members

        arrears = arrears_members(user, org=branch)
    lost = None
    if _installed("mobility"):
        from dangjian.mobility.choices import LostStatus
        from dangjian.mobility.selectors import lost_queryset

        lost = (
            lost_queryset(user)
            .filter(status=LostStatus.SEARCHING, member__branch__path__startswith=branch.path)
            .count()
        )
    open_ = warnings.warning_queryset(user).filter(
        resolved_at__isnull=True, org__path__startswith=branch.path
    )
    return BranchPanel(
        branch=branch,
        duties=orglife.branch_duties(branch),
        to_record=to_record,
        to_record_items=to_record_items,
        upcoming=upcoming,
        arrears=arrears,
        lost=lost,
        follow_up=open_.count(),
        follow_up_items=list(open_.order_by("-raised_at", "-pk")[:FOLLOW_UP_SHOWN]),
    )


# --- A 12371 agent ----------------------------------------------------------------------


@dataclass
class AgentPanel:
    queue: int
    queue_overdue: int
    queue_items: list
    assigned: int
    assigned_overdue: int
    escalated: int


def agent_panel(user) -> AgentPanel:
    from dangjian.desk import selectors as desk

    now = timezone.now()
    queue = desk.queue(user)
    waiting = queue.aggregate(
        n=Count("pk"), overdue=Count("pk", filter=Q(first_response_due__lt=now))
    )
    mine = desk.assigned(user).aggregate(
        n=Count("pk"), overdue=Count("pk", filter=Q(resolution_due__lt=now))
    )
    return AgentPanel(
        queue=waiting["n"],
        queue_overdue=waiting["overdue"],
        queue_items=list(queue[:QUEUE_SHOWN]),
        assigned=mine["n"],
        assigned_overdue=mine["overdue"],
        escalated=desk.escalated_to_me(user).count(),
    )


# --- A leader ---------------------------------------------------------------------------


@dataclass
class Row:
    """An organisation's figures: current members, meetings held this month and this
    year, dues collected of last month's (fen), open warnings."""

    org: Organisation
    members: int | None = None
    held_this_month: int = 0
    held_this_year: int = 0
    dues_due: int = 0
    dues_collected: int = 0
    warnings: int = 0

    @property
    def dues_rate(self) -> int | None:
        return round(100 * self.dues_collected / self.dues_due) if self.dues_due else None


@dataclass
class LeaderPanel:
    total: Row
    children: list[Row]
    more_children: bool  # more children than those shown
    this_month: object  # core.periods.Period
    this_year: object
    last_month: object
    held_by_kind: list  # (label, n) this month
    warnings_by_kind: list  # (kind, label, n)
    sees_members: bool


def _last_month(today: dt.date):
    first = today.replace(day=1) - dt.timedelta(days=1)
    return month_period(first.year, first.month)


def leader_panel(user, org: Organisation, today: dt.date | None = None) -> LeaderPanel:
    """``org``'s subtree (the caller checked it is visible): its figures from the rollups,
    its open warnings by kind and by child. A constant number of queries."""
    from dangjian.members.selectors import member_counts

    today = today or timezone.localdate()
    this_month = month_period(today.year, today.month)
    this_year = year_period(today.year)
    last_month = _last_month(today)
    below = (
        Organisation.objects.visible_to(user, Perm.VIEW_ORG)
        .filter(path__startswith=org.path, depth=org.depth + 1, dissolved_on__isnull=True)
        .exclude(org_type=OrgType.GROUP)
        .order_by("path")
    )
    children = list(below[: CHILDREN_SHOWN + 1])  # one more tells whether there are more
    more_children = len(children) > CHILDREN_SHOWN
    children = children[:CHILDREN_SHOWN]
    orgs = [org, *children]
    rows = {o.pk: Row(o) for o in orgs}
    for pk, n in member_counts(user, orgs).items():
        rows[pk].members = n
    held = rollups.breakdowns(user, orgs, "orglife.meetings_held", this_month)
    held_year = rollups.breakdowns(user, orgs, "orglife.meetings_held", this_year)
    for pk, row in rows.items():
        row.held_this_month = sum(held[pk].values())
        row.held_this_year = sum(held_year[pk].values())
    if _installed("dues"):
        dues = rollups.breakdowns(user, orgs, "dues.bills", last_month)
        for pk, row in rows.items():
            row.dues_due = dues[pk].get("due", 0)
            row.dues_collected = dues[pk].get("collected", 0)
    open_ = warnings.warning_queryset(user).filter(
        resolved_at__isnull=True, org__path__startswith=org.path
    )
    by_kind = dict(open_.order_by().values_list("kind").annotate(n=Count("pk")))
    rows[org.pk].warnings = sum(by_kind.values())
    if children:
        width = len(org.path) + STEPLEN
        per_child = (
            open_.filter(org__depth__gt=org.depth)
            .annotate(prefix=Substr("org__path", 1, width))
            .order_by()
            .values_list("prefix")
            .annotate(n=Count("pk"))
        )
        by_path = {c.path: rows[c.pk] for c in children}
        for prefix, n in per_child:
            if prefix in by_path:
                by_path[prefix].warnings = n
    labels = dict(rollups.get_metric("orglife.meetings_held").keys)
    return LeaderPanel(
        total=rows[org.pk],
        children=[rows[c.pk] for c in children],
        more_children=more_children,
        this_month=this_month,
        this_year=this_year,
        last_month=last_month,
        held_by_kind=[(labels.get(k, k), n) for k, n in held_year[org.pk].items() if n],
        warnings_by_kind=sorted(
            ((k, warnings.kind_label(k), n) for k, n in by_kind.items()), key=lambda t: -t[2]
        ),
        sees_members=scope.covers(user, Perm.VIEW_MEMBER, org.path),
    )


def leader_org(user, org_id: int) -> Organisation:
    """The subtree a leader drills down into: 404 unless it is within their warnings'
    scope (the leader's view is figures and warnings)."""
    return scope.get_or_404(
        Organisation.objects.visible_to(user, Perm.VIEW_WARNING).exclude(org_type=OrgType.GROUP),
        pk=org_id,
    )


def leader_crumbs(user, org: Organisation) -> list[Organisation]:
    """The organisations above ``org`` the user may also drill into (nothing above their
    scope leaks)."""
    return list(
        Organisation.objects.visible_to(user, Perm.VIEW_WARNING)
        .filter(path__in=scope.ancestor_paths(org.path))
        .order_by("depth")
    )
