"""Every read of mobile and lost-contact members, always through core.scope.

A registration (and its participation) is seen from both sides: VIEW_MOBILITY over the
member's home branch or over the host organisation, and by the member themself (their
e-card). Lost-contact cases, work assigned and good reasons belong to the home branch.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.scope import Perm
from dangjian.members import selectors as member_selectors
from dangjian.members.choices import CURRENT_STATUSES
from dangjian.members.models import Member
from dangjian.mobility import cards, lapse, rules
from dangjian.mobility.choices import LostStatus, RegistrationStatus
from dangjian.mobility.models import (
    LapseExcuse,
    LostContact,
    MobileGroup,
    Participation,
    Registration,
    SearchAttempt,
    WorkAssignment,
)
from dangjian.orgs.models import Organisation

MEMBER_CHOICES = 10


def _today() -> dt.date:
    return timezone.localdate()


# --- 流动党员 -------------------------------------------------------------------------


def registration_queryset(user) -> QuerySet[Registration]:
    return Registration.objects.visible_to(user, Perm.VIEW_MOBILITY).select_related(
        "member", "member__branch", "host_org", "group"
    )


def registration_list(user, filters: dict | None = None) -> QuerySet[Registration]:
    """Visible registrations, newest first. ``status``; ``side``: ``home`` (members of
    my subtree away elsewhere) or ``host`` (members hosted by my subtree); ``q``: name."""
    filters = filters or {}
    qs = registration_queryset(user)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    paths = scope.scope_paths(user, Perm.VIEW_MOBILITY)
    if filters.get("side") == "home":
        qs = qs.filter(scope.path_q(paths, "member__branch__path"))
    elif filters.get("side") == "host":
        qs = qs.filter(scope.path_q(paths, "host_org__path"))
    if filters.get("q"):
        qs = qs.filter(member__name__icontains=filters["q"].strip())
    return qs


def registration_get(user, pk) -> Registration:
    return scope.get_or_404(registration_queryset(user), pk=pk)


def mine(user) -> Registration | None:
    """The member's own current registration (their e-card), if any."""
    member_id = getattr(user, "member_id", None)
    if not member_id:
        return None
    return (
        registration_queryset(user)
        .filter(member_id=member_id, status=RegistrationStatus.ACTIVE)
        .first()
    )


def can_change_home(user, registration: Registration) -> bool:
    return scope.covers(user, Perm.CHANGE_MOBILITY, registration.member.branch.path)


def can_change_host(user, registration: Registration) -> bool:
    return registration.host_org_id is not None and scope.covers(
        user, Perm.CHANGE_MOBILITY, registration.host_org.path
    )


def can_record(user, registration: Registration) -> bool:
    return can_change_home(user, registration) or can_change_host(user, registration)


def participation_for(registration: Registration) -> QuerySet[Participation]:
    """A registration the caller already fetched through scope: its participation."""
    return registration.participations.select_related("recorded_by")


def participation_counts(registrations) -> dict[int, int]:
    ids = [r.pk for r in registrations]
    return dict(
        Participation.objects.filter(registration_id__in=ids)
        .order_by()
        .values_list("registration_id")
        .annotate(n=Count("pk"))
    )


@dataclass(frozen=True)
class PublicCard:
    """What the public verification page may show: nothing beyond these."""

    name: str
    home: str
    host: str
    valid_from: dt.date
    valid_until: dt.date
    state: str
    state_label: str


def card_by_token(token: str, today: dt.date | None = None) -> PublicCard | None:
    """The card a QR token names, for anyone (no login); None for a forged token."""
    parsed = cards.parse_token(token)
    if parsed is None:
        return None
    pk, nonce = parsed
    reg = (
        Registration.objects.select_related("member", "member__branch", "host_org")
        .filter(pk=pk, nonce=nonce)
        .first()
    )
    if reg is None:
        return None
    state, label = card_state(reg, today)
    return PublicCard(
        name=reg.member.name,
        home=reg.member.branch.name,
        host=reg.host_label,
        valid_from=reg.valid_from,
        valid_until=reg.valid_until,
        state=state,
        state_label=label,
    )


def card_state(registration: Registration, today: dt.date | None = None) -> tuple[str, str]:
    return rules.card_state(
        valid_from=registration.valid_from,
        valid_until=registration.valid_until,
        ended=not registration.is_active,
        today=today or _today(),
        member_current=registration.member.status in CURRENT_STATUSES,
    )


# --- 流动党小组 ------------------------------------------------------------------------


def group_queryset(user) -> QuerySet[MobileGroup]:
    return (
        MobileGroup.objects.visible_to(user, Perm.VIEW_MOBILITY)
        .select_related("host_org", "leader")
        .annotate(
            size=Count("registrations", filter=Q(registrations__status=RegistrationStatus.ACTIVE))
        )
        .order_by("host_org_id", "name")
    )


def group_get(user, pk) -> MobileGroup:
    return scope.get_or_404(group_queryset(user), pk=pk)


def groups_at(host_org: Organisation) -> QuerySet[MobileGroup]:
    return MobileGroup.objects.filter(host_org=host_org).order_by("name")


def group_members(group: MobileGroup) -> QuerySet[Registration]:
    return group.registrations.filter(status=RegistrationStatus.ACTIVE).select_related(
        "member", "member__branch"
    )


# --- 失联党员 -------------------------------------------------------------------------


def lost_queryset(user) -> QuerySet[LostContact]:
    return LostContact.objects.visible_to(user, Perm.VIEW_MOBILITY).select_related(
        "member", "member__branch"
    )


def lost_list(user, filters: dict | None = None) -> QuerySet[LostContact]:
    filters = filters or {}
    qs = lost_queryset(user).annotate(attempt_count=Count("attempts"))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("q"):
        qs = qs.filter(member__name__icontains=filters["q"].strip())
    return qs.order_by("-since", "-pk")


def lost_get(user, pk) -> LostContact:
    return scope.get_or_404(lost_queryset(user), pk=pk)


def attempts_for(case: LostContact) -> QuerySet[SearchAttempt]:
    return case.attempts.select_related("recorded_by")


def can_change_member(user, member: Member) -> bool:
    return scope.covers(user, Perm.CHANGE_MOBILITY, member.branch.path)


def can_change_case(user, case: LostContact) -> bool:
    return case.status == LostStatus.SEARCHING and can_change_member(user, case.member)


# --- Members to act on ------------------------------------------------------------------


def changeable_members(user, q: str) -> list[Member]:
    """Current members matching ``q`` whom the user may register or mark (a short list
    for the pickers: a secretary types a name)."""
    if not q:
        return []
    paths = scope.scope_paths(user, Perm.CHANGE_MOBILITY)
    return list(
        member_selectors.member_queryset(user)
        .filter(scope.path_q(paths, "branch__path"))
        .filter(status__in=CURRENT_STATUSES, name__icontains=q)
        .order_by("name", "pk")[:MEMBER_CHOICES]
    )


def member_for_change(user, member_id) -> Member:
    """A member the user sees (404 otherwise); the service checks the change right."""
    return member_selectors.member_get(user, member_id)


# --- 自行脱党 -------------------------------------------------------------------------


@dataclass(frozen=True)
class LapseRow:
    condition: lapse.Condition
    months: int | None  # None: no record to judge by
    excused: LapseExcuse | None

    @property
    def flagged(self) -> bool:
        return self.months is not None and rules.is_lapsed(self.months) and not self.excused


def member_lapse(member: Member, as_of: dt.date | None = None) -> list[LapseRow]:
    """Each condition's months for one member (already fetched through scope)."""
    as_of = as_of or _today()
    months = lapse.evaluate([member.pk], as_of)
    excuses = {
        e.condition: e
        for e in LapseExcuse.objects.filter(member=member, valid_from__lte=as_of)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=as_of))
        .order_by("valid_from")
    }
    return [
        LapseRow(c, months[c.key].get(member.pk), excuses.get(c.key)) for c in lapse.conditions()
    ]


def excuses_for(member: Member) -> QuerySet[LapseExcuse]:
    return member.lapse_excuses.select_related("recorded_by").order_by("-valid_from", "-id")


def assignment_queryset(user) -> QuerySet[WorkAssignment]:
    return WorkAssignment.objects.visible_to(user, Perm.VIEW_MOBILITY).select_related(
        "member", "member__branch"
    )


def assignment_get(user, pk) -> WorkAssignment:
    return scope.get_or_404(assignment_queryset(user), pk=pk)


def assignments_for(member: Member) -> QuerySet[WorkAssignment]:
    return member.work_assignments.order_by("-assigned_on", "-id")


def lapse_warnings(user, member: Member):
    """Open 自行脱党 warnings about ``member`` the user may see."""
    from dangjian.core import warnings

    return warnings.warning_queryset(user).filter(
        kind__startswith=lapse.KIND_PREFIX,
        resolved_at__isnull=True,
        subject_type=Member._meta.label_lower,
        subject_id=str(member.pk),
    )
