"""The 12371 statistics of any subtree and period: volumes by channel, status and category,
SLA attainment and satisfaction (work orders), with the bot's resolution and hand-off rates,
top questions and gaps (read through the knowledge base's selectors). Pages and the API
both call these: ``period`` parses the dates, ``figures`` counts, ``payload`` shapes."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.apitools import invalid
from dangjian.core.scope import ALL, Perm
from dangjian.desk import selectors
from dangjian.desk.models import OrderSource, OrderStatus, WorkOrder
from dangjian.knowledge import selectors as kb_selectors
from dangjian.orgs.models import Organisation

TOP_LIMIT = 20
STATS_MAX_DAYS = 366
MSG_PERIOD = "起始日期不能晚于截止日期"
MSG_PERIOD_LONG = f"统计区间不能超过{STATS_MAX_DAYS}天"


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


def payload(figures: "Stats") -> dict:
    sources, statuses = dict(OrderSource.choices), dict(OrderStatus.choices)
    return {
        "org_id": figures.org.pk,
        "org_name": figures.org.name,
        "since": timezone.localtime(figures.since).date(),
        "until": timezone.localtime(figures.until).date() - dt.timedelta(days=1),
        "orders": figures.orders,
        "by_source": [
            {"key": k, "label": sources[k], "count": n} for k, n in figures.by_source.items()
        ],
        "by_status": [
            {"key": k, "label": statuses[k], "count": n} for k, n in figures.by_status.items()
        ],
        "by_category": [
            {"key": c["category"], "label": c["category"] or "未分类", "count": c["n"]}
            for c in figures.by_category
        ],
        "conversations": figures.conversations,
        "bot_resolution_rate": figures.bot_resolution_rate,
        "handoff_rate": figures.handoff_rate,
        "first_response_rate": figures.first_response_rate,
        "resolution_rate": figures.resolution_rate,
        "satisfaction_rate": figures.satisfaction_rate,
        "rating_avg": figures.rating_avg,
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

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def bot_resolution_rate(self):
        return self._rate(self.bot_resolved, self.conversations)

    @property
    def handoff_rate(self):
        return self._rate(self.handed_off, self.conversations)

    @property
    def first_response_rate(self):
        return self._rate(self.first_response_met, self.first_response_total)

    @property
    def resolution_rate(self):
        return self._rate(self.resolution_met, self.resolution_total)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.rated)


def order_stats(orders: QuerySet[WorkOrder]) -> dict:
    now = timezone.now()
    return orders.aggregate(
        total=Count("id"),
        fr_total=Count(
            "id", filter=Q(first_response_at__isnull=False) | Q(first_response_due__lt=now)
        ),
        fr_met=Count("id", filter=Q(first_response_at__lte=F("first_response_due"))),
        res_total=Count("id", filter=Q(answered_at__isnull=False) | Q(resolution_due__lt=now)),
        res_met=Count("id", filter=Q(answered_at__lte=F("resolution_due"))),
        rated=Count("id", filter=Q(rating__isnull=False)),
        satisfied=Count("id", filter=Q(rating__gte=4)),
        rating_avg=Avg("rating"),
    )


def figures(user, *, org: Organisation, since: dt.datetime, until: dt.datetime) -> Stats:
    """The 12371 figures of ``org``'s subtree over [since, until) (org already in scope).

    SLA attainment counts orders whose deadline has passed or that met it; satisfaction
    is the share of ratings of 4 or 5.
    """
    orders = selectors.staff_order_queryset(user).filter(
        org__path__startswith=org.path, created_at__gte=since, created_at__lt=until
    )
    figures = order_stats(orders)
    by_source = dict(orders.values_list("source").annotate(n=Count("id")).order_by())
    by_status = dict(orders.values_list("status").annotate(n=Count("id")).order_by())
    by_category = list(
        orders.values("category").annotate(n=Count("id")).order_by("-n", "category")[:TOP_LIMIT]
    )
    bot = kb_selectors.bot_figures(org, since=since, until=until, limit=TOP_LIMIT)
    return Stats(
        org=org,
        since=since,
        until=until,
        orders=figures["total"],
        by_source={s: by_source.get(s, 0) for s in OrderSource.values},
        by_status={s: by_status.get(s, 0) for s in OrderStatus.values},
        by_category=by_category,
        conversations=bot.conversations,
        bot_resolved=bot.resolved,
        handed_off=bot.handed_off,
        first_response_met=figures["fr_met"],
        first_response_total=figures["fr_total"],
        resolution_met=figures["res_met"],
        resolution_total=figures["res_total"],
        rated=figures["rated"],
        satisfied=figures["satisfied"],
        rating_avg=round(figures["rating_avg"], 2) if figures["rating_avg"] is not None else None,
        top_questions=bot.top_questions,
        unanswered=bot.unanswered,
    )
