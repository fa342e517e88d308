"""Every read of 发展党员, always through core.scope."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from dangjian.core import rollups, scope
from dangjian.core import warnings as core_warnings
from dangjian.core.scope import Perm
from dangjian.recruitment import rules
from dangjian.recruitment.models import Applicant, Document, RecruitmentPlan, StepRecord
from dangjian.recruitment.warnings import STEP_OVERDUE


def applicant_queryset(user) -> QuerySet[Applicant]:
    """Applications the user may see: their scope's branches, plus their own."""
    return Applicant.objects.visible_to(user, Perm.VIEW_RECRUITMENT).select_related("branch")


def applicant_list(user, *, org=None, stage: int | None = None, q: str = "") -> QuerySet:
    qs = applicant_queryset(user)
    if org is not None:
        qs = qs.filter(branch__path__startswith=org.path)
    if stage is not None:
        qs = qs.filter(status__in=[s for s in STAGE_STATES.get(stage, ())])
    if q:
        qs = qs.filter(name__contains=q)
    return qs.order_by("-updated_at", "-id")


STAGE_STATES = {
    n: tuple(s.key for s in rules.SEQUENCE if rules.stage_of(s.key) == n and s.key != "archive")
    for n in rules.STAGES
}


def applicant_get(user, pk) -> Applicant:
    return scope.get_or_404(applicant_queryset(user), pk=pk)


def can_change(user, applicant: Applicant) -> bool:
    return scope.covers(user, Perm.CHANGE_RECRUITMENT, applicant.branch.path)


def timeline(applicant: Applicant) -> list[StepRecord]:
    """Every step done, in the order it happened, with its documents (全程纪实)."""
    return list(
        applicant.steps.select_related("actor")
        .prefetch_related(Prefetch("documents", queryset=Document.objects.select_related("file")))
        .order_by("done_on", "number", "id")
    )


def documents(applicant: Applicant) -> QuerySet[Document]:
    return applicant.documents.select_related("file", "uploaded_by").order_by("created_at", "id")


def document_get(applicant: Applicant, pk) -> Document:
    return scope.get_or_404(documents(applicant), pk=pk)


def history(applicant: Applicant):
    return applicant.events.select_related("actor").order_by("at", "id")


@dataclass(frozen=True)
class StepView:
    """One of the 25 steps as the timeline shows it: done (with its records) or not."""

    step: rules.Step
    records: list
    current: bool


def steps_view(applicant: Applicant, records: list[StepRecord]) -> list[StepView]:
    by_number: dict[int, list] = {}
    for record in records:
        by_number.setdefault(record.number, []).append(record)
    upcoming = applicant.upcoming if applicant.is_open else None
    return [
        StepView(step, by_number.get(step.number, []), upcoming is not None and step == upcoming)
        for step in rules.STEPS
    ]


# --- The pipeline of a subtree


@dataclass(frozen=True)
class Pipeline:
    org: object
    year: int
    stages: list[tuple[str, str, int]]  # (key, label, count)
    admitted: int
    plan: RecruitmentPlan | None
    overdue: QuerySet

    @property
    def plan_share(self) -> int | None:
        if self.plan is None or not self.plan.quota:
            return None
        return round(100 * self.admitted / self.plan.quota)


def pipeline(user, org, year: int | None = None) -> Pipeline:
    """Counts per stage (rollups), the year's admissions against the plan, the open
    overdue warnings of the subtree."""
    year = year or timezone.localdate().year
    figures = rollups.breakdown(user, org, "recruitment.stage")
    stages = [(str(n), label, figures.get(str(n), 0)) for n, label in rules.STAGE_SHORT.items()]
    admitted = rollups.total(user, org, "recruitment.admitted", str(year))
    plan = (
        RecruitmentPlan.objects.visible_to(user, Perm.VIEW_RECRUITMENT)
        .filter(org=org, year=year)
        .first()
    )
    overdue = (
        core_warnings.warning_queryset(user)
        .filter(kind=STEP_OVERDUE.name, resolved_at__isnull=True, org__path__startswith=org.path)
        .select_related("org")
        .order_by("-raised_at", "-id")
    )
    return Pipeline(org, year, stages, admitted, plan, overdue)


def plans(user) -> QuerySet[RecruitmentPlan]:
    return RecruitmentPlan.objects.visible_to(user, Perm.VIEW_RECRUITMENT).select_related("org")


def default_org(user):
    """The organisation a user's pipeline opens on: the top of their recruitment scope."""
    from dangjian.orgs.models import Organisation

    paths = scope.scope_paths(user, Perm.VIEW_RECRUITMENT)
    if paths is scope.ALL:
        return Organisation.objects.filter(depth=1).order_by("path").first()
    if not paths:
        return None
    return Organisation.objects.filter(path__in=paths).order_by("depth", "path").first()


def today() -> dt.date:
    return timezone.localdate()
