"""Organisational life's subtree figures (core.rollups). Registered in OrglifeConfig.ready.

``orglife.meetings_held``: meetings held, by kind and month. A meeting counts once its
minutes are recorded (已召开), in the month it started (China time), for its branch — a
党小组会 too, since groups sit inside their branch. Quarters and years are summed from
the months when read.

``orglife.compliance``: what compliance (三会一课 and the rest, :mod:`orglife.rules`) is
made of, per organisation and per unit of each requirement, so that a county's or a
city's table is read from rows instead of evaluating every branch's meetings. Its rows
hang on the organisation that owes the meetings — a 党支部, or a 党小组 for 党小组会 —
keyed by the unit (``2026-10``, ``2026Q4``, ``2026``) and ``<kind>.met`` (1 when the
organisation owed the unit and held enough meetings of the kind in it) or, per month,
``<kind>.held`` (meetings of the kind held). Nothing in them depends on today's date:
what is owed comes from the organisations' founding and dissolution dates when read, and
"pending" or "missed" from today's date then (:func:`orglife.selectors.compliance_table`).
The requirements are configuration (``ORGLIFE_FREQUENCIES``): after changing them, run
``dangjian rollups_rebuild``.
"""

from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth

from dangjian.core import rollups
from dangjian.core.calendar import TZ
from dangjian.core.periods import parse_period, period_of
from dangjian.core.scope import Perm
from dangjian.orglife import rules
from dangjian.orglife.choices import MeetingKind, MeetingStatus
from dangjian.orglife.models import Meeting
from dangjian.orgs.choices import OrgType

COMPLIANCE = "orglife.compliance"
MET, HELD = "met", "held"


def compliance_key(kind: str, what: str) -> str:
    return f"{kind}.{what}"


def meetings_held(orgs: QuerySet):
    rows = (
        Meeting.objects.filter(branch__in=orgs, status=MeetingStatus.HELD)
        .annotate(month=TruncMonth("starts_at", tzinfo=TZ))
        .order_by()
        .values_list("branch_id", "month", "kind")
        .annotate(n=Count("pk"))
    )
    return ((branch_id, rollups.local_month(month), kind, n) for branch_id, month, kind, n in rows)


def owing_kinds(org_type: str) -> tuple[str, ...]:
    """The kinds an organisation of this type owes itself: a 党小组 its 党小组会, a 党支部
    everything else."""
    if org_type == OrgType.GROUP:
        return (MeetingKind.GROUP,)
    if org_type == OrgType.BRANCH:
        return tuple(k for k in rules.KINDS if k != MeetingKind.GROUP)
    return ()


def compliance_figures(orgs: QuerySet):
    facts = {
        pk: (org_type, founded_on, dissolved_on)
        for pk, org_type, founded_on, dissolved_on in orgs.filter(
            org_type__in=(OrgType.BRANCH, OrgType.GROUP)
        ).values_list("pk", "org_type", "founded_on", "dissolved_on")
    }
    if not facts:
        return
    rows = (
        Meeting.objects.filter(status=MeetingStatus.HELD)
        .filter(Q(group__in=list(facts)) | Q(branch__in=list(facts), group__isnull=True))
        .annotate(owner=Coalesce("group_id", "branch_id"), month=TruncMonth("starts_at", tzinfo=TZ))
        .order_by()
        .values_list("owner", "month", "kind")
        .annotate(n=Count("pk"))
    )
    freqs = rules.frequencies()
    per_unit: dict[tuple, int] = defaultdict(int)  # (org, kind, unit) → held
    for owner, month, kind, n in rows:
        if owner not in facts:
            continue
        month_key = rollups.local_month(month)
        yield owner, month_key, compliance_key(kind, HELD), n
        freq = freqs.get(kind)
        if kind in owing_kinds(facts[owner][0]) and freq is not None and freq.count > 0:
            per_unit[(owner, kind, period_of(parse_period(month_key).first, freq.unit))] += n
    for (owner, kind, unit), n in per_unit.items():
        _type, founded_on, dissolved_on = facts[owner]
        if n >= freqs[kind].count and rules.owes(
            unit, founded_on=founded_on, dissolved_on=dissolved_on
        ):
            yield owner, unit.key, compliance_key(kind, MET), 1


def register() -> None:
    rollups.register(
        metric="orglife.meetings_held",
        compute=meetings_held,
        perm=Perm.VIEW_ORGLIFE,
        label="已召开的会议",
        monthly=True,
        keys=dict(MeetingKind.choices),
    )
    rollups.register(
        metric=COMPLIANCE,
        compute=compliance_figures,
        perm=Perm.VIEW_ORGLIFE,
        label="组织生活合规（按应开展单位）",
        keys={
            compliance_key(kind, what): f"{label}（{'达标' if what == MET else '已召开'}）"
            for kind, label in MeetingKind.choices
            for what in (MET, HELD)
        },
    )
