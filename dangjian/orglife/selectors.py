"""Every read of organisational life, always through core.scope.

A meeting is visible to users holding VIEW_ORGLIFE over its branch (上级看下级, never
up or sideways) and to its own expected attendees (a member sees the meetings they are
called to, whatever their roles).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from dangjian.core import rollups, scope, warnings
from dangjian.core.calendar import TZ
from dangjian.core.models import Rollup
from dangjian.core.scope import Perm
from dangjian.members.models import Member
from dangjian.orglife import checkin, metrics, rules
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, MeetingStatus
from dangjian.orglife.models import (
    Attendance,
    Comment,
    Meeting,
    MeetingPhoto,
    Resolution,
    Vote,
)
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

# --- Meetings ------------------------------------------------------------------------


def meeting_queryset(user) -> QuerySet[Meeting]:
    """Meetings the user may see: their VIEW_ORGLIFE subtrees, plus those they attend."""
    return Meeting.objects.visible_to(user, Perm.VIEW_ORGLIFE).select_related(
        "branch", "group", "host", "recorder"
    )


def _local_range(period: rules.Period) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(period.first, dt.time.min, TZ)
    end = dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time.min, TZ)
    return start, end


def meeting_list(user, filters: dict | None = None) -> QuerySet[Meeting]:
    """Visible meetings, newest first, narrowed by ``filters``:

    ``org`` (an Organisation: its subtree), ``kind``, ``status``, ``period`` ("2026-11",
    "2026Q4", "2026" — ValueError with a Chinese message if malformed), ``q`` (topic
    contains), ``mine`` (only meetings the user is called to), ``upcoming`` (not yet
    ended, not cancelled).
    """
    filters = filters or {}
    qs = meeting_queryset(user)
    org = filters.get("org")
    if org is not None and org.org_type == OrgType.GROUP:
        qs = qs.filter(group=org)
    elif org is not None:
        qs = qs.filter(branch__path__startswith=org.path)
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("period"):
        start, end = _local_range(rules.parse_period(filters["period"]))
        qs = qs.filter(starts_at__gte=start, starts_at__lt=end)
    if filters.get("q"):
        qs = qs.filter(topic__icontains=filters["q"].strip())
    if filters.get("mine"):
        qs = qs.filter(attendances__member_id=getattr(user, "member_id", None) or 0)
    if filters.get("upcoming"):
        qs = qs.filter(ends_at__gte=timezone.now()).exclude(status=MeetingStatus.CANCELLED)
    return qs


MEETING_ORDER = ("-starts_at", "-id")


def in_list_order(user, qs: QuerySet[Meeting], org: Organisation | None = None):
    """The meeting list newest first, read as its size calls for
    (:func:`core.scope.in_list_order`): the user's whole scope, or ``org``'s subtree
    when the list is narrowed to one."""
    small = scope.subtree_size(user, Perm.VIEW_ORGLIFE, org) <= scope.SMALL_SUBTREE
    return scope.in_list_order(qs, MEETING_ORDER, small=small)


def meeting_get(user, meeting_id) -> Meeting:
    return scope.get_or_404(meeting_queryset(user), pk=meeting_id)


def can_change(user, meeting: Meeting) -> bool:
    """Plan, edit, cancel: CHANGE_ORGLIFE (管理员) over the branch."""
    return scope.covers(user, Perm.CHANGE_ORGLIFE, meeting.branch.path)


@dataclass(frozen=True)
class QrLink:
    """What the check-in page tells before the tap: ``problem`` is why the scanned code
    cannot check in now (expired, forged, another meeting's, outside the check-in
    window), empty when it can; ``expires_at`` (Unix seconds) when the code lapses."""

    problem: str
    expires_at: int | None


def qr_link(meeting: Meeting, token: str, now: dt.datetime | None = None) -> QrLink:
    from dangjian.orglife.services.attendance import MSG_CHECKIN_CLOSED, MSG_CHECKIN_NOT_OPEN

    now = now or timezone.now()
    try:
        checkin.verify_token(token, meeting, now)
    except checkin.TokenError as exc:
        return QrLink(str(exc), None)
    opens, closes = rules.checkin_window(meeting.starts_at, meeting.ends_at)
    if now < opens:
        return QrLink(MSG_CHECKIN_NOT_OPEN, None)
    if now > closes:
        return QrLink(MSG_CHECKIN_CLOSED, None)
    return QrLink("", checkin.token_expires_at(token))


def can_record(user, meeting: Meeting) -> bool:
    """Record minutes, mark attendance, resolutions, photos: admins or the recorder."""
    own = getattr(user, "member_id", None)
    return (own is not None and own == meeting.recorder_id) or can_change(user, meeting)


def can_plan(user, org: Organisation) -> bool:
    return scope.covers(user, Perm.CHANGE_ORGLIFE, org.path)


def plannable_orgs(user) -> QuerySet[Organisation]:
    """Branches and groups the user may plan meetings for (active ones)."""
    return (
        Organisation.objects.visible_to(user, Perm.CHANGE_ORGLIFE)
        .filter(org_type__in=(OrgType.BRANCH, OrgType.GROUP), dissolved_on__isnull=True)
        .order_by("path")
    )


def roster(org: Organisation) -> QuerySet[Member]:
    """Members selectable as host, recorder or attendee of a meeting of ``org``."""
    from dangjian.orglife.services import roster as _roster

    return _roster(org)


@dataclass(frozen=True)
class Venue:
    place: str
    latitude: float | None
    longitude: float | None
    checkin_radius_m: int


RECENT_VENUES = 8


def recent_venues(user, branch: Organisation, limit: int = RECENT_VENUES) -> list[Venue]:
    """The branch's venues remembered from its meetings (its groups' included), the most
    recently used first: one per place name, with the coordinates it was last used with."""
    meetings = (
        Meeting.objects.visible_to(user, Perm.VIEW_ORGLIFE).filter(branch=branch).exclude(place="")
    )
    latest_at_place = (
        meetings.filter(place=OuterRef("place")).order_by("-starts_at", "-pk").values("pk")[:1]
    )
    rows = (
        meetings.filter(pk=Subquery(latest_at_place))
        .order_by("-starts_at", "-pk")
        .values("place", "latitude", "longitude", "checkin_radius_m")[:limit]
    )
    return [Venue(r["place"], r["latitude"], r["longitude"], r["checkin_radius_m"]) for r in rows]


# --- Attendance ----------------------------------------------------------------------


def attendance_for(meeting: Meeting) -> QuerySet[Attendance]:
    """The attendance list of a meeting the caller has already fetched through scope."""
    return meeting.attendances.select_related("member").order_by("member__name", "member_id")


def my_attendance(user, meeting: Meeting) -> Attendance | None:
    own = getattr(user, "member_id", None)
    if own is None:
        return None
    return meeting.attendances.filter(member_id=own).first()


@dataclass(frozen=True)
class AttendanceSummary:
    """应到 / 实到 / 请假 / 缺席 / 未签到, and phone check-ins.

    ``phone_required`` leaves out members aged 60+ (never required to check in by
    phone); ``missed_phone`` counts only those required who were not checked in by
    phone (QR, location or online), so an elder marked by the recorder is never one.
    """

    expected: int
    present: int
    leave: int
    absent: int
    pending: int
    phone_required: int
    phone_checked: int

    @property
    def rate(self) -> float | None:
        return rules.attendance_rate(self.present, self.expected)

    @property
    def missed_phone(self) -> int:
        return self.phone_required - self.phone_checked


PHONE_METHODS = ("qr", "location", "online")


def attendance_summary(meeting: Meeting) -> AttendanceSummary:
    counts = meeting.attendances.aggregate(
        expected=Count("pk"),
        present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
        leave=Count("pk", filter=Q(status=AttendanceStatus.LEAVE)),
        absent=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
        pending=Count("pk", filter=Q(status=AttendanceStatus.EXPECTED)),
        phone_required=Count("pk", filter=Q(phone_exempt=False)),
        phone_checked=Count("pk", filter=Q(phone_exempt=False, method__in=PHONE_METHODS)),
    )
    return AttendanceSummary(**counts)


@dataclass(frozen=True)
class MemberRate:
    """A member's attendance over a period: held meetings they were called to that
    count for them (rest-day meetings only for 驻村工作队员), attended, on leave."""

    expected: int
    present: int
    leave: int

    @property
    def rate(self) -> float | None:
        return rules.attendance_rate(self.present, self.expected)


def member_attendance_rate(member: Member, period: str | rules.Period) -> MemberRate:
    """For a member the caller may already see (fetched through members.selectors)."""
    if isinstance(period, str):
        period = rules.parse_period(period)
    start, end = _local_range(period)
    counts = Attendance.objects.filter(
        member=member,
        counted=True,
        meeting__status=MeetingStatus.HELD,
        meeting__starts_at__gte=start,
        meeting__starts_at__lt=end,
    ).aggregate(
        expected=Count("pk"),
        present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
        leave=Count("pk", filter=Q(status=AttendanceStatus.LEAVE)),
    )
    return MemberRate(**counts)


def attendance_spans(
    member_ids: list[int], until: dt.date
) -> dict[int, tuple[dt.date | None, dt.date]]:
    """For each member called to any held meeting (that counts for them) up to ``until``:
    (the last day they attended or were excused — 请假 — or None, the first day they were
    called). One grouped query for the batch; members never called are absent.

    For other apps' rules over many members (mobility's 自行脱党 flag); scope is the
    caller's: it names members it already holds.
    """
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, TZ)
    rows = (
        Attendance.objects.filter(
            member_id__in=member_ids,
            counted=True,
            meeting__status=MeetingStatus.HELD,
            meeting__starts_at__lt=end,
        )
        .order_by()
        .values("member_id")
        .annotate(
            last=Max(
                "meeting__starts_at",
                filter=Q(status__in=(AttendanceStatus.PRESENT, AttendanceStatus.LEAVE)),
            ),
            first=Min("meeting__starts_at"),
        )
    )
    return {
        row["member_id"]: (
            timezone.localtime(row["last"], TZ).date() if row["last"] else None,
            timezone.localtime(row["first"], TZ).date(),
        )
        for row in rows
    }


# --- Resolutions, comments, photos ---------------------------------------------------


def resolutions_for(meeting: Meeting, user=None) -> list[Resolution]:
    """The meeting's resolutions; with ``user``, each carries ``my_vote`` (choice or None)."""
    items = list(meeting.resolutions.all())
    own = getattr(user, "member_id", None)
    mine = {}
    if own is not None and items:
        mine = dict(
            Vote.objects.filter(resolution__in=items, member_id=own).values_list(
                "resolution_id", "choice"
            )
        )
    for item in items:
        item.my_vote = mine.get(item.pk)
    return items


def resolution_get(meeting: Meeting, resolution_id) -> Resolution:
    return scope.get_or_404(meeting.resolutions.all(), pk=resolution_id)


def comments_for(meeting: Meeting) -> QuerySet[Comment]:
    """Each comment with its author and the author's member record (the name shown)."""
    return meeting.comments.select_related("author__member")


def photos_for(meeting: Meeting) -> QuerySet[MeetingPhoto]:
    return meeting.photos.select_related("file")


def photo_get(meeting: Meeting, photo_id) -> MeetingPhoto:
    return scope.get_or_404(meeting.photos.select_related("file"), pk=photo_id)


# --- Compliance ----------------------------------------------------------------------


def _facts(orgs) -> tuple[list[rules.BranchFacts], dict[int, Organisation]]:
    """Branches (with their groups) of an ordered organisation list."""
    branches: dict[str, Organisation] = {}
    groups: dict[str, list[rules.OrgFacts]] = {}
    for org in orgs:
        if org.org_type == OrgType.BRANCH:
            branches[org.path] = org
        elif org.org_type == OrgType.GROUP:
            groups.setdefault(scope.path_above(org.path), []).append(
                rules.OrgFacts(org.pk, org.founded_on, org.dissolved_on)
            )
    facts = [
        rules.BranchFacts(b.pk, b.founded_on, b.dissolved_on, tuple(groups.get(path, ())))
        for path, b in branches.items()
    ]
    return facts, {b.pk: b for b in branches.values()}


def _held(root_path: str, period: rules.Period) -> dict[int, dict]:
    """Held meetings in the period per branch: {branch_pk: {(kind, group_pk): [dates]}}."""
    start, end = _local_range(period)
    rows = Meeting.objects.filter(
        branch__path__startswith=root_path,
        status=MeetingStatus.HELD,
        starts_at__gte=start,
        starts_at__lt=end,
    ).values_list("branch_id", "group_id", "kind", "starts_at")
    held: dict[int, dict] = {}
    for branch_id, group_id, kind, starts_at in rows:
        key = (kind, group_id)
        held.setdefault(branch_id, {}).setdefault(key, []).append(
            timezone.localtime(starts_at, TZ).date()
        )
    return held


def _subtree_results(
    root: Organisation, period: rules.Period, today: dt.date
) -> list[tuple[Organisation, rules.Compliance]]:
    """(branch, compliance) for every branch of the subtree existing during the period."""
    orgs = Organisation.objects.filter(
        path__startswith=root.path,
        org_type__in=(OrgType.BRANCH, OrgType.GROUP),
        founded_on__lte=period.last,
    ).exclude(dissolved_on__lt=period.first)
    facts, by_pk = _facts(orgs.order_by("path"))
    held = _held(root.path, period)
    freqs = rules.frequencies()
    return [
        (by_pk[f.pk], rules.evaluate_branch(f, held.get(f.pk, {}), period, today, freqs))
        for f in facts
    ]


def _today() -> dt.date:
    return timezone.localdate()


def branch_compliance(
    org: Organisation, period: str | rules.Period, today: dt.date | None = None
) -> rules.Compliance:
    """Compliance of one branch — or the sum over every branch of ``org``'s subtree.

    Scope is the caller's: use :func:`compliance_table` for a user's view.
    """
    if isinstance(period, str):
        period = rules.parse_period(period)
    results = _subtree_results(org, period, today or _today())
    return rules.aggregate(result for _, result in results)


@dataclass
class ComplianceRow:
    org: Organisation
    compliance: rules.Compliance


@dataclass
class ComplianceTable:
    """A superior's view: the total of ``org``'s subtree, a row per child (each the sum
    of its subtree's branches, for drill-down) and the branches that are behind."""

    org: Organisation
    period: rules.Period
    total: rules.Compliance
    rows: list[ComplianceRow]
    behind: list[ComplianceRow]  # the first BEHIND_SHOWN, by path
    behind_more: int = 0  # behind, not listed (drill down to see them)


# A city has thousands of branches; the list names the first ones, the rows tell where
# the others are.
BEHIND_SHOWN = 100


def compliance_table(
    user, org: Organisation, period: str | rules.Period, today: dt.date | None = None
) -> ComplianceTable:
    """Compliance of ``org``'s subtree for ``period``; 404 if ``org`` is out of scope.

    Read from the ``orglife.compliance`` rollup rows (:func:`_table_from_rollups`) once
    they are built; before that, every branch's meetings are evaluated directly. Both
    give the same table (a property test checks it)."""
    if not scope.covers(user, Perm.VIEW_ORGLIFE, org.path):
        from django.http import Http404

        raise Http404("未找到")
    if isinstance(period, str):
        period = rules.parse_period(period)
    today = today or _today()
    children = list(
        Organisation.objects.filter(path__startswith=org.path, depth=org.depth + 1)
        .exclude(org_type=OrgType.GROUP)
        .order_by("path")
    )
    if rollups.settled():
        return _table_from_rollups(user, org, children, period, today)
    results = _subtree_results(org, period, today)
    rows = [
        ComplianceRow(
            child,
            rules.aggregate(r for b, r in results if b.path.startswith(child.path)),
        )
        for child in children
    ]
    rows = [row for row in rows if row.compliance.branches]
    behind = [ComplianceRow(b, r) for b, r in results if r.branches_behind]
    return ComplianceTable(
        org=org,
        period=period,
        total=rules.aggregate(r for _, r in results),
        rows=rows,
        behind=behind[:BEHIND_SHOWN],
        behind_more=max(len(behind) - BEHIND_SHOWN, 0),
    )


@dataclass
class _Owing:
    """What the organisations under one node (the table's root, a child, a branch) owe
    for a period: branches, and per (kind, unit key) how many organisations owe it."""

    branches: int = 0
    owed: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, other: "_Owing") -> None:
        self.branches += other.branches
        for key, n in other.owed.items():
            self.owed[key] = self.owed.get(key, 0) + n


def _owed_units(
    plan: list[tuple[str, rules.Period]], org_type: str, founded_on, dissolved_on
) -> tuple[tuple[str, str], ...]:
    """The (kind, unit key) of the plan an organisation of this type and lifetime owes
    (organisations share a handful of lifetimes, so the table computes each once)."""
    kinds = metrics.owing_kinds(org_type)
    return tuple(
        (kind, unit.key)
        for kind, unit in plan
        if kind in kinds and rules.owes(unit, founded_on=founded_on, dissolved_on=dissolved_on)
    )


def _compliance_plan(period: rules.Period, today: dt.date) -> list[tuple[str, rules.Period]]:
    """(kind, unit) of every requirement inside the period that has started by today."""
    return [
        (kind, unit)
        for kind, freq in rules.frequencies().items()
        if freq.count > 0
        for unit in rules.units_in(period, freq.unit)
        if unit.first <= today
    ]


def _figures(
    owing: _Owing,
    values: dict[tuple[str, str], int],
    plan: list[tuple[str, rules.Period]],
    period: rules.Period,
    today: dt.date,
    behind: int,
) -> rules.Compliance:
    """A node's compliance from what it owes and its rollup values ((unit, key) → n)."""
    result = rules.Compliance(branches=owing.branches, branches_behind=behind)
    months = [m.key for m in period.months]
    for kind in rules.KINDS:
        held_key = metrics.compliance_key(kind, metrics.HELD)
        result.kinds[kind].held = sum(values.get((m, held_key), 0) for m in months)
    for kind, unit in plan:
        met = values.get((unit.key, metrics.compliance_key(kind, metrics.MET)), 0)
        rules.judge_unit(result.kinds[kind], unit, owing.owed.get((kind, unit.key), 0), met, today)
    return result


def _rollup_values(user, org_ids, keys: list[str]) -> dict[int, dict[tuple[str, str], int]]:
    values: dict[int, dict[tuple[str, str], int]] = {pk: {} for pk in org_ids}
    rows = (
        Rollup.objects.visible_to(user, Perm.VIEW_ORGLIFE)
        .filter(org_id__in=list(org_ids), metric=metrics.COMPLIANCE, period__in=keys)
        .order_by()
        .values_list("org_id", "period", "key", "value")
    )
    for org_id, unit, key, value in rows:
        values[org_id][(unit, key)] = value
    return values


def _branches_behind(
    user, org: Organisation, branches: dict[int, _Owing], ended: list[tuple[str, rules.Period]]
) -> list[int]:
    """The branches (in ``branches``' order) owing more than they met in an ended unit,
    from their own ``met`` rows of those units only."""
    if not ended:
        return []
    checks = [
        ((kind, unit.key), (unit.key, metrics.compliance_key(kind, metrics.MET)))
        for kind, unit in ended
    ]
    met: dict[int, dict[tuple[str, str], int]] = {}
    for branch_id, unit, key, value in (
        Rollup.objects.visible_to(user, Perm.VIEW_ORGLIFE)
        .filter(
            org__path__startswith=org.path,
            org__org_type=OrgType.BRANCH,
            metric=metrics.COMPLIANCE,
            period__in={unit for _o, (unit, _k) in checks},
            key__in={key for _o, (_u, key) in checks},
        )
        .order_by()
        .values_list("org_id", "period", "key", "value")
    ):
        met.setdefault(branch_id, {})[(unit, key)] = value
    none: dict[tuple[str, str], int] = {}
    return [
        branch_id
        for branch_id, owing in branches.items()
        if any(
            owing.owed.get(owed, 0) > met.get(branch_id, none).get(got, 0) for owed, got in checks
        )
    ]


def _table_from_rollups(
    user, org: Organisation, children: list[Organisation], period: rules.Period, today: dt.date
) -> ComplianceTable:
    """The compliance table from rows, not meetings.

    What is owed comes from the organisations' founding and dissolution dates (one
    query over the subtree's branches and groups), what was met and held from the
    rollup values of the root and its children (their subtree sums), and "pending" or
    "missed" from today's date. A branch is behind when it owes more than it met in a
    unit that has ended: those are found from the branches' own ``met`` rows of the
    ended units only, and their full figures read for the list.
    """
    plan = _compliance_plan(period, today)
    facts = list(
        Organisation.objects.filter(
            path__startswith=org.path,
            org_type__in=(OrgType.BRANCH, OrgType.GROUP),
            founded_on__lte=period.last,
        )
        .exclude(dissolved_on__lt=period.first)
        .values_list("pk", "path", "org_type", "founded_on", "dissolved_on")
        .order_by("path")
    )
    branch_at = {path: pk for pk, path, org_type, _f, _d in facts if org_type == OrgType.BRANCH}
    owed_by: dict[tuple, tuple[tuple[str, str], ...]] = {}  # (type, founded, dissolved) → owed
    branches: dict[int, _Owing] = {}
    for pk, path, org_type, founded_on, dissolved_on in facts:
        branch = pk if org_type == OrgType.BRANCH else branch_at.get(scope.path_above(path))
        if branch is None:  # a group whose branch did not exist in the period
            continue
        owing = branches.setdefault(branch, _Owing())
        if org_type == OrgType.BRANCH:
            owing.branches += 1
        signature = (org_type, founded_on, dissolved_on)
        if signature not in owed_by:
            owed_by[signature] = _owed_units(plan, *signature)
        for key in owed_by[signature]:
            owing.owed[key] = owing.owed.get(key, 0) + 1
    # a node (the root, a child) owes what its branches owe
    node_of = {child.path: child.pk for child in children}
    size = len(org.path) + scope.STEPLEN
    nodes: dict[int, _Owing] = {pk: _Owing() for pk in [org.pk, *node_of.values()]}
    branch_node: dict[int, int | None] = {}
    for pk, path, org_type, _f, _d in facts:
        if org_type == OrgType.BRANCH:
            child = branch_node[pk] = node_of.get(path[:size])
            targets = [nodes[org.pk]] if child is None else [nodes[org.pk], nodes[child]]
            for target in targets:
                target.add(branches[pk])
    ended = [(kind, unit) for kind, unit in plan if unit.last < today]
    behind_ids = _branches_behind(user, org, branches, ended)
    behind_under: dict[int, int] = {pk: 0 for pk in nodes}
    behind_under[org.pk] = len(behind_ids)
    for branch_id in behind_ids:
        if (child := branch_node.get(branch_id)) is not None:
            behind_under[child] += 1
    keys = sorted({unit.key for _k, unit in plan} | {m.key for m in period.months})
    values = _rollup_values(user, nodes, keys)
    rows = [
        ComplianceRow(
            child,
            _figures(
                nodes[child.pk], values[child.pk], plan, period, today, behind_under[child.pk]
            ),
        )
        for child in children
    ]
    shown = behind_ids[:BEHIND_SHOWN]  # in path order, as the branches were met
    behind_values = _rollup_values(user, shown, keys)
    behind = [
        ComplianceRow(b, _figures(branches[b.pk], behind_values[b.pk], plan, period, today, 1))
        for b in Organisation.objects.filter(pk__in=shown).order_by("path")
    ]
    return ComplianceTable(
        org=org,
        period=period,
        total=_figures(nodes[org.pk], values[org.pk], plan, period, today, len(behind_ids)),
        rows=[row for row in rows if row.compliance.branches],
        behind=behind,
        behind_more=len(behind_ids) - len(shown),
    )


def default_period(today: dt.date | None = None) -> rules.Period:
    """The period compliance opens on: the last complete month. The running month owes
    what is still to come, so on the 5th it would read 0 %; it stays one choice away
    (its unfinished months count as 进行中, never as missed)."""
    first = (today or _today()).replace(day=1) - dt.timedelta(days=1)
    return rules.month_period(first.year, first.month)


def compliance_root(user) -> Organisation | None:
    """The organisation a user's compliance page opens on (their highest in scope)."""
    paths = scope.scope_paths(user, Perm.VIEW_ORGLIFE)
    if paths is scope.ALL:
        return Organisation.objects.filter(depth=1).order_by("path").first()
    if not paths:
        return None
    return Organisation.objects.filter(path__in=paths).order_by("depth", "path").first()


# --- Warnings ------------------------------------------------------------------------


def warnings_open(user, org: Organisation | None = None) -> QuerySet:
    """Open organisational-life warnings (预警, core warnings of kinds ``orglife.*``) of
    branches in the user's VIEW_ORGLIFE scope (optionally ``org``'s subtree): the branch's
    own members see its warnings here, superiors those of their subtree."""
    qs = warnings.warning_queryset(user, Perm.VIEW_ORGLIFE).filter(
        kind__startswith="orglife.", resolved_at__isnull=True
    )
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    return qs.order_by("-period", "org__path")


# --- For the home page -----------------------------------------------------------------


def my_next_meetings(user, limit: int = 3) -> list[Meeting]:
    """The next meetings the user is called to (not ended, not cancelled), soonest first,
    each with ``my_status`` (their attendance status) and ``checkin_open`` (whether the
    check-in window is open now and they have not checked in). One query."""
    own = getattr(user, "member_id", None)
    if own is None:
        return []
    mine = Attendance.objects.filter(meeting=OuterRef("pk"), member_id=own)
    meetings = list(
        meeting_list(user, {"mine": True, "upcoming": True})
        .annotate(my_status=Subquery(mine.values("status")[:1]))
        .order_by("starts_at", "pk")[:limit]
    )
    now = timezone.now()
    for meeting in meetings:
        opens, closes = rules.checkin_window(meeting.starts_at, meeting.ends_at)
        meeting.checkin_open = (
            opens <= now <= closes and meeting.my_status == AttendanceStatus.EXPECTED
        )
    return meetings


def to_record(user, org: Organisation, limit: int = 5) -> tuple[int, list[Meeting]]:
    """Meetings of ``org``'s subtree that have ended but whose minutes are not recorded
    (still 已安排): how many, and the oldest ``limit``."""
    qs = meeting_list(user, {"org": org}).filter(
        status=MeetingStatus.PLANNED, ends_at__lt=timezone.now()
    )
    return qs.count(), list(qs.order_by("starts_at", "pk")[:limit])


@dataclass(frozen=True)
class Duty:
    """One requirement of the branch's current month, quarter or year: ``required`` units
    owed (per 党小组 for 党小组会), ``met`` of them, due by ``due``."""

    kind: str
    label: str
    unit_label: str
    due: dt.date
    required: int
    met: int
    held: int

    @property
    def done(self) -> bool:
        return self.met >= self.required


def branch_duties(branch: Organisation, today: dt.date | None = None) -> list[Duty]:
    """What the branch owes in the running month, quarter and year (三会一课, 主题党日,
    组织生活会, 民主评议), by the configured frequencies: outstanding ones first, by due
    date. Two queries. The caller has already fetched ``branch`` through scope."""
    today = today or _today()
    year = rules.period_of(today, "year")
    orgs = Organisation.objects.filter(
        path__startswith=branch.path, org_type__in=(OrgType.BRANCH, OrgType.GROUP)
    ).exclude(dissolved_on__lt=year.first)
    facts, _ = _facts(orgs.order_by("path"))
    if not facts:
        return []
    held = _held(branch.path, year).get(branch.pk, {})
    labels = dict(MeetingKind.choices)
    duties = []
    for kind, freq in rules.frequencies().items():
        if freq.count <= 0:
            continue
        unit = rules.period_of(today, freq.unit)
        result = rules.evaluate_branch(facts[0], held, unit, today).kinds[kind]
        if result.required:
            duties.append(
                Duty(
                    kind,
                    labels[kind],
                    unit.label,
                    unit.last,
                    result.required,
                    result.met,
                    result.held,
                )
            )
    return sorted(duties, key=lambda d: (d.done, d.due, rules.KINDS.index(d.kind)))
