"""The members' subtree figures (core.rollups): 党员 by status, age band, sex, ethnicity
and education — the breakdowns of 党内统计. Registered in MembersConfig.ready.

Status counts every record (出党 and 去世 included, so the table accounts for everyone);
the other breakdowns count current members only (正式、预备、流动、失联), as the
statistical returns do. Ages are as of the day the figure is counted; the daily job in
``members.tasks`` re-marks the branches whose members crossed an age band since.
"""

import datetime as dt

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone

from dangjian.core import rollups
from dangjian.core.rollups import CURRENT
from dangjian.core.scope import Perm
from dangjian.members.choices import CURRENT_STATUSES, AgeBand, Education, Gender, Status
from dangjian.members.models import Member
from dangjian.members.rules import add_years, age_band_birth_range

# The ages at which a member enters a band (36, 46, 61).
BAND_STARTS = tuple(int(band.value.split("-")[0]) for band in AgeBand if band.value[0] != "-")


def _grouped(orgs: QuerySet, key, *, current_only: bool = True):
    members = Member.objects.filter(branch__in=orgs)
    if current_only:
        members = members.filter(status__in=CURRENT_STATUSES)
    rows = members.order_by().values_list("branch_id", key).annotate(n=Count("pk"))
    return ((branch_id, CURRENT, value, n) for branch_id, value, n in rows)


def by_status(orgs: QuerySet):
    return _grouped(orgs, "status", current_only=False)


def by_sex(orgs: QuerySet):
    return _grouped(orgs, "gender")


def by_ethnicity(orgs: QuerySet):
    return _grouped(orgs, "ethnicity")


def by_education(orgs: QuerySet):
    return _grouped(orgs, "education")


def age_band_case(today: dt.date) -> Case:
    """The member's age band on ``today``, as an SQL expression."""
    whens = []
    for band in AgeBand:
        earliest, latest = age_band_birth_range(band.value, today)
        condition = Q()
        if earliest is not None:
            condition &= Q(birth_date__gte=earliest)
        if latest is not None:
            condition &= Q(birth_date__lte=latest)
        whens.append(When(condition, then=Value(band.value)))
    return Case(*whens, output_field=CharField())


def today() -> dt.date:
    """The day ages are counted on (a function, so tests can move it)."""
    return timezone.localdate()


def by_age_band(orgs: QuerySet):
    return _grouped(orgs, age_band_case(today()))


def branches_crossing_bands(since: dt.date, until: dt.date) -> QuerySet:
    """Branches with a current member who entered a new age band (turned 36, 46 or 61)
    after ``since`` and on or before ``until``: born in (since − a, until − a]."""
    turned = Q(pk__in=[])
    for age in BAND_STARTS:
        turned |= Q(birth_date__gt=add_years(since, -age), birth_date__lte=add_years(until, -age))
    return (
        Member.objects.filter(turned, status__in=CURRENT_STATUSES)
        .order_by()
        .values_list("branch_id", flat=True)
        .distinct()
    )


def register() -> None:
    rollups.register(
        metric="members.status",
        compute=by_status,
        perm=Perm.VIEW_MEMBER,
        label="党员党籍状态",
        keys=dict(Status.choices),
    )
    rollups.register(
        metric="members.age_band",
        compute=by_age_band,
        perm=Perm.VIEW_MEMBER,
        label="党员年龄段",
        keys=dict(AgeBand.choices),
    )
    rollups.register(
        metric="members.sex",
        compute=by_sex,
        perm=Perm.VIEW_MEMBER,
        label="党员性别",
        keys=dict(Gender.choices),
    )
    rollups.register(
        metric="members.ethnicity",
        compute=by_ethnicity,
        perm=Perm.VIEW_MEMBER,
        label="党员民族",
    )
    rollups.register(
        metric="members.education",
        compute=by_education,
        perm=Perm.VIEW_MEMBER,
        label="党员学历",
        keys=dict(Education.choices),
    )
