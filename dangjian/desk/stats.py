"""The 12371 statistics of any subtree and period, as the seed reports them: 受理量 and
办理率 (handled / received), on-time rates, satisfaction, the bot's resolution rate,
daily averages, each agent's workload, the queue now and the waiting time (creation to
the first claim or reply: median and p90), by channel and by category; with the bot's
top questions and gaps (read through the knowledge base's selectors).

Every figure of a subtree is counted from the rows the user sees (``visible_to``, the
staff rule only: one's own questions do not count). Pages and the API both call these:
``period`` parses the dates, ``figures`` counts, ``payload`` shapes, ``workbook`` exports.
"""

import datetime as dt
import io
import math
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet
from django.http import HttpResponse
from django.utils import timezone

from dangjian.core import exports, scope
from dangjian.core.apitools import invalid
from dangjian.core.scope import ALL, Perm
from dangjian.desk import selectors
from dangjian.desk.models import (
    OPEN_STATUSES,
    UNCLAIMED_STATUSES,
    ChatSession,
    OrderEvent,
    OrderSource,
    OrderStatus,
    WorkOrder,
)
from dangjian.knowledge import selectors as kb_selectors
from dangjian.orgs.models import Organisation

TOP_LIMIT = 20
AGENT_LIMIT = 200
STATS_MAX_DAYS = 366
MSG_PERIOD = "起始日期不能晚于截止日期"
MSG_PERIOD_LONG = f"统计区间不能超过{STATS_MAX_DAYS}天"
HANDLED = (OrderStatus.ANSWERED, OrderStatus.CLOSED)
FIRST_RESPONSE_ACTIONS = ("claim", "reply")


def period(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    """[since, until] as aware datetimes (default: the last 30 days); 422 when absurd."""
    until = until or timezone.localdate()
    since = since or until - dt.timedelta(days=29)
    if since > until:
        raise invalid(("query", "since"), MSG_PERIOD)
    if (until - since).days >= STATS_MAX_DAYS:
        raise invalid(("query", "since"), MSG_PERIOD_LONG)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tz)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tz)
    return start, end


def quick_periods(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The periods a hotline centre reports on (the day's shift, the week, the month's and
    the year's report), one click each instead of two dates typed."""
    month = today.replace(day=1)
    last_month_end = month - dt.timedelta(days=1)
    return [
        ("今日", today, today),
        ("近7天", today - dt.timedelta(days=6), today),
        ("本月", month, today),
        ("上月", last_month_end.replace(day=1), last_month_end),
        ("本年", today.replace(month=1, day=1), today),
    ]


def latest_received(user, org: Organisation, before: dt.datetime) -> dt.date | None:
    """The day the subtree's latest order before ``before`` came in: a period with nothing
    received points there (a small county's quiet month, a demo seeded weeks ago) instead
    of leaving the reader to guess dates."""
    latest = (
        selectors.staff_order_queryset(user)
        .filter(org__path__startswith=org.path, created_at__lt=before, merged_into__isnull=True)
        .aggregate(at=Max("created_at"))["at"]
    )
    return timezone.localdate(latest) if latest else None


def rate(part: int, whole: int) -> float | None:
    """A share with 4 decimals (0.96 is 96%); None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def percentile(values: list[float], p: float) -> float | None:
    """The ``p`` quantile by linear interpolation between the closest ranks (what
    PostgreSQL's percentile_cont and numpy's default compute); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = p * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Breakdown:
    """One channel's or category's figures."""

    key: str
    label: str
    received: int
    handled: int
    resolution_met: int
    resolution_total: int
    rated: int
    satisfied: int

    @property
    def handling_rate(self):
        return rate(self.handled, self.received)

    @property
    def resolution_rate(self):
        return rate(self.resolution_met, self.resolution_total)

    @property
    def satisfaction_rate(self):
        return rate(self.satisfied, self.rated)


@dataclass
class AgentLoad:
    """One agent's work in the period: claims, replies (a reopened order answered again
    counts twice), the distinct orders answered, live chats taken."""

    user_id: int
    name: str
    claims: int = 0
    replies: int = 0
    orders: int = 0
    chats: int = 0


@dataclass
class Stats:
    org: Organisation
    since: dt.datetime
    until: dt.datetime
    orders: int
    by_source: dict[str, int]
    by_status: dict[str, int]
    by_category: list[dict]
    conversations: int
    bot_resolved: int
    handed_off: int
    first_response_met: int
    first_response_total: int
    resolution_met: int
    resolution_total: int
    rated: int
    satisfied: int
    rating_avg: float | None
    top_questions: list[dict]
    unanswered: list[dict]
    handled: int = 0
    days: int = 1
    replies: int = 0
    channels: list[Breakdown] = field(default_factory=list)
    categories: list[Breakdown] = field(default_factory=list)
    agents: list[AgentLoad] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # seconds, one per order responded to
    queue_now: int = 0
    in_progress_now: int = 0
    overdue_now: int = 0
    longest_wait_now: float | None = None  # seconds

    @property
    def handling_rate(self):
        """办理率: the orders received in the period that are answered or closed."""
        return rate(self.handled, self.orders)

    @property
    def bot_resolution_rate(self):
        return rate(self.bot_resolved, self.conversations)

    @property
    def handoff_rate(self):
        return rate(self.handed_off, self.conversations)

    @property
    def first_response_rate(self):
        return rate(self.first_response_met, self.first_response_total)

    @property
    def resolution_rate(self):
        return rate(self.resolution_met, self.resolution_total)

    @property
    def satisfaction_rate(self):
        return rate(self.satisfied, self.rated)

    def daily(self, count: int) -> float:
        return round(count / self.days, 1)

    @property
    def wait_median(self):
        return percentile(self.waits, 0.5)

    @property
    def wait_p90(self):
        return percentile(self.waits, 0.9)


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _breakdown_out(rows: list[Breakdown]) -> list[dict]:
    return [
        {
            "key": b.key,
            "label": b.label,
            "count": b.received,
            "handled": b.handled,
            "handling_rate": b.handling_rate,
            "resolution_rate": b.resolution_rate,
            "satisfaction_rate": b.satisfaction_rate,
        }
        for b in rows
    ]


def payload(figures: Stats) -> dict:
    statuses = dict(OrderStatus.choices)
    return {
        "org_id": figures.org.pk,
        "org_name": figures.org.name,
        "since": timezone.localtime(figures.since).date(),
        "until": timezone.localtime(figures.until).date() - dt.timedelta(days=1),
        "days": figures.days,
        "orders": figures.orders,
        "handled": figures.handled,
        "handling_rate": figures.handling_rate,
        "daily_orders": figures.daily(figures.orders),
        "daily_conversations": figures.daily(figures.conversations),
        "daily_replies": figures.daily(figures.replies),
        "by_source": _breakdown_out(figures.channels),
        "by_status": [
            {"key": k, "label": statuses[k], "count": n} for k, n in figures.by_status.items()
        ],
        "by_category": _breakdown_out(figures.categories),
        "conversations": figures.conversations,
        "bot_resolution_rate": figures.bot_resolution_rate,
        "handoff_rate": figures.handoff_rate,
        "first_response_rate": figures.first_response_rate,
        "resolution_rate": figures.resolution_rate,
        "satisfaction_rate": figures.satisfaction_rate,
        "rating_avg": figures.rating_avg,
        "wait_median_seconds": _seconds(figures.wait_median),
        "wait_p90_seconds": _seconds(figures.wait_p90),
        "queue_now": figures.queue_now,
        "in_progress_now": figures.in_progress_now,
        "overdue_now": figures.overdue_now,
        "longest_wait_now_seconds": _seconds(figures.longest_wait_now),
        "agents": [vars(a) for a in figures.agents],
        "top_questions": [
            {"question": t["question"], "count": t["n"]} for t in figures.top_questions
        ],
        "unanswered": [{"question": t["question"], "count": t["n"]} for t in figures.unanswered],
    }


def stats_orgs(user) -> QuerySet[Organisation]:
    """Organisations whose statistics the user may read (the tops of their scope)."""
    paths = scope.scope_paths(user, Perm.VIEW_CONSULT)
    if paths is ALL:
        return Organisation.objects.get_root_nodes()
    return Organisation.objects.filter(path__in=paths)


def stats_org(user, org_id=None) -> Organisation:
    """The subtree to count: the one asked for (404 outside scope) or the user's top."""
    if org_id is None:
        org = stats_orgs(user).order_by("depth", "path").first()
        if org is None:
            return scope.get_or_404(Organisation.objects.none(), pk=0)
        return org
    visible = Organisation.objects.visible_to(user, Perm.VIEW_CONSULT)
    return scope.get_or_404(visible, pk=org_id)


def _counts(now) -> dict:
    return {
        "total": Count("id"),
        "handled": Count("id", filter=Q(status__in=HANDLED)),
        "fr_total": Count(
            "id", filter=Q(first_response_at__isnull=False) | Q(first_response_due__lt=now)
        ),
        "fr_met": Count("id", filter=Q(first_response_at__lte=F("first_response_due"))),
        "res_total": Count("id", filter=Q(answered_at__isnull=False) | Q(resolution_due__lt=now)),
        "res_met": Count("id", filter=Q(answered_at__lte=F("resolution_due"))),
        "rated": Count("id", filter=Q(rating__isnull=False)),
        "satisfied": Count("id", filter=Q(rating__gte=4)),
    }


def order_stats(orders: QuerySet[WorkOrder]) -> dict:
    now = timezone.now()
    return orders.aggregate(**_counts(now), rating_avg=Avg("rating"))


def _breakdowns(orders: QuerySet[WorkOrder], key: str, labels=None, limit=None) -> list:
    now = timezone.now()
    rows = orders.values(key).annotate(**_counts(now)).order_by("-total", key)
    if limit:
        rows = rows[:limit]
    return [
        Breakdown(
            key=row[key],
            label=(labels or {}).get(row[key], row[key]) or "未分类",
            received=row["total"],
            handled=row["handled"],
            resolution_met=row["res_met"],
            resolution_total=row["res_total"],
            rated=row["rated"],
            satisfied=row["satisfied"],
        )
        for row in rows
    ]


def _agents(user, subtree: QuerySet[WorkOrder], org, since, until) -> list[AgentLoad]:
    """Claims and replies recorded in the period on the subtree's orders, and the live
    chats taken there, per person (the busiest first)."""
    events = OrderEvent.objects.filter(
        order__in=subtree.values("pk"),
        at__gte=since,
        at__lt=until,
        action__in=("claim", "reply"),
        actor__isnull=False,
    )
    loads: dict[int, AgentLoad] = {}
    for row in events.values("actor_id", "actor__username", "actor__display_name").annotate(
        claims=Count("id", filter=Q(action="claim")),
        replies=Count("id", filter=Q(action="reply")),
        orders=Count("order_id", filter=Q(action="reply"), distinct=True),
    ):
        loads[row["actor_id"]] = AgentLoad(
            user_id=row["actor_id"],
            name=row["actor__display_name"] or row["actor__username"],
            claims=row["claims"],
            replies=row["replies"],
            orders=row["orders"],
        )
    chats = ChatSession.objects.visible_to(user, Perm.VIEW_CONSULT, also=False).filter(
        conversation__org__path__startswith=org.path, created_at__gte=since, created_at__lt=until
    )
    for row in chats.values("agent_id", "agent__username", "agent__display_name").annotate(
        n=Count("id")
    ):
        load = loads.setdefault(
            row["agent_id"],
            AgentLoad(
                user_id=row["agent_id"], name=row["agent__display_name"] or row["agent__username"]
            ),
        )
        load.chats = row["n"]
    ordered = sorted(
        loads.values(), key=lambda a: (-(a.replies + a.claims + a.chats), a.name, a.user_id)
    )
    return ordered[:AGENT_LIMIT]


def _waits(orders: QuerySet[WorkOrder]) -> list[float]:
    """Seconds from each order's creation to its first claim or reply (its history, so
    an order reopened later keeps its first wait)."""
    rows = orders.annotate(
        first=Min("events__at", filter=Q(events__action__in=FIRST_RESPONSE_ACTIONS))
    ).filter(first__isnull=False)
    return [
        max(0.0, (first - created).total_seconds())
        for created, first in rows.values_list("created_at", "first")
    ]


def _queue_now(subtree: QuerySet[WorkOrder], now) -> dict:
    waiting = Q(status__in=UNCLAIMED_STATUSES)
    working = Q(status__in=[s for s in OPEN_STATUSES if s not in UNCLAIMED_STATUSES])
    return subtree.aggregate(
        queue=Count("id", filter=waiting),
        working=Count("id", filter=working),
        overdue=Count(
            "id",
            filter=(waiting & Q(first_response_due__lt=now))
            | (working & Q(resolution_due__lt=now)),
        ),
        oldest=Min("created_at", filter=waiting),
    )


def _days(since: dt.datetime, until: dt.datetime, now: dt.datetime) -> int:
    """Days of the period that have begun (a period running on into the future counts
    only the days up to today)."""
    end = min(until, max(now, since))
    return max(1, math.ceil((end - since).total_seconds() / 86400))


def figures(user, *, org: Organisation, since: dt.datetime, until: dt.datetime) -> Stats:
    """The 12371 figures of ``org``'s subtree over [since, until) (org already in scope).

    受理量 counts the orders received in the period; 办理率 the share of them answered or
    closed. A duplicate merged into another order is not a question of its own: it counts
    in neither. SLA attainment counts orders whose deadline has passed or that met it;
    satisfaction is the share of ratings of 4 or 5. Workload counts what was done in the
    period, whenever the order came in; the queue is as it stands now.
    """
    now = timezone.now()
    subtree = selectors.staff_order_queryset(user).filter(org__path__startswith=org.path)
    orders = subtree.filter(created_at__gte=since, created_at__lt=until, merged_into__isnull=True)
    counts = order_stats(orders)
    by_status = dict(orders.values_list("status").annotate(n=Count("id")).order_by())
    channels = _breakdowns(orders, "source", dict(OrderSource.choices))
    present = {c.key for c in channels}
    sources = dict(OrderSource.choices)
    channels += [
        Breakdown(key, sources[key], 0, 0, 0, 0, 0, 0)
        for key in OrderSource.values
        if key not in present
    ]
    categories = _breakdowns(orders, "category", limit=TOP_LIMIT)
    agents = _agents(user, subtree, org, since, until)
    queue = _queue_now(subtree, now)
    bot = kb_selectors.bot_figures(org, since=since, until=until, limit=TOP_LIMIT)
    return Stats(
        org=org,
        since=since,
        until=until,
        orders=counts["total"],
        handled=counts["handled"],
        days=_days(since, until, now),
        replies=sum(a.replies for a in agents),
        by_source={c.key: c.received for c in channels},
        by_status={s: by_status.get(s, 0) for s in OrderStatus.values},
        by_category=[{"category": c.key, "n": c.received} for c in categories],
        channels=channels,
        categories=categories,
        agents=agents,
        waits=_waits(orders),
        queue_now=queue["queue"],
        in_progress_now=queue["working"],
        overdue_now=queue["overdue"],
        longest_wait_now=(now - queue["oldest"]).total_seconds() if queue["oldest"] else None,
        conversations=bot.conversations,
        bot_resolved=bot.resolved,
        handed_off=bot.handed_off,
        first_response_met=counts["fr_met"],
        first_response_total=counts["fr_total"],
        resolution_met=counts["res_met"],
        resolution_total=counts["res_total"],
        rated=counts["rated"],
        satisfied=counts["satisfied"],
        rating_avg=round(counts["rating_avg"], 2) if counts["rating_avg"] is not None else None,
        top_questions=bot.top_questions,
        unanswered=bot.unanswered,
    )


# --- The Excel export


def pct_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def duration_text(seconds: float | None) -> str:
    """3 小时 5 分 / 12 分钟 / 40 秒 (— for none)."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} 秒"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} 小时 {minutes} 分"
    return f"{hours // 24} 天 {hours % 24} 小时"


def summary_rows(figures: Stats) -> list[tuple[str, str]]:
    """The headline figures as the page and the workbook show them."""
    return [
        ("受理量", str(figures.orders)),
        ("已办理（已答复、已办结）", str(figures.handled)),
        ("办理率", pct_text(figures.handling_rate)),
        ("日均受理", str(figures.daily(figures.orders))),
        ("日均智能应答会话", str(figures.daily(figures.conversations))),
        ("日均人工答复", str(figures.daily(figures.replies))),
        ("按时受理率", pct_text(figures.first_response_rate)),
        ("按时答复率", pct_text(figures.resolution_rate)),
        (
            "满意率",
            pct_text(figures.satisfaction_rate)
            + (f"（平均 {figures.rating_avg} 分）" if figures.rating_avg is not None else ""),
        ),
        ("智能应答会话", str(figures.conversations)),
        ("机器人解决率", pct_text(figures.bot_resolution_rate)),
        ("转人工率", pct_text(figures.handoff_rate)),
        ("等待时长中位数（提交至受理）", duration_text(figures.wait_median)),
        ("等待时长 P90", duration_text(figures.wait_p90)),
        ("当前排队（待受理）", str(figures.queue_now)),
        ("当前办理中", str(figures.in_progress_now)),
        ("当前已超时", str(figures.overdue_now)),
        ("当前最长等待", duration_text(figures.longest_wait_now)),
    ]


def workbook(user, figures: Stats) -> bytes:
    """The figures as an .xlsx: 概况, 按渠道, 按分类, 坐席工作量, each sheet headed by the
    exporter's watermark (who, when, 仅限工作使用)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    mark = exports.watermark_text(user)
    since = timezone.localtime(figures.since).date()
    until = timezone.localtime(figures.until).date() - dt.timedelta(days=1)
    book = Workbook()
    sheets = [
        ("概况", ["指标", "数值"], summary_rows(figures)),
        *[
            (
                title,
                ["名称", "受理量", "已办理", "办理率", "按时答复率", "满意率"],
                [
                    (
                        b.label,
                        b.received,
                        b.handled,
                        pct_text(b.handling_rate),
                        pct_text(b.resolution_rate),
                        pct_text(b.satisfaction_rate),
                    )
                    for b in rows
                ],
            )
            for title, rows in (("按渠道", figures.channels), ("按分类", figures.categories))
        ],
        (
            "坐席工作量",
            ["坐席", "受理", "答复", "答复的工单", "在线会话"],
            [(a.name, a.claims, a.replies, a.orders, a.chats) for a in figures.agents],
        ),
    ]
    for index, (title, heading, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append([exports.safe_cell(mark)])
        sheet.append([exports.safe_cell(f"{figures.org.name} · {since} 至 {until}")])
        sheet.append(heading)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([exports.safe_cell(value) for value in row])
        sheet.column_dimensions["A"].width = 30
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.FORMATS["xlsx"])
    response["Content-Disposition"] = 'attachment; filename="consult-stats.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response
