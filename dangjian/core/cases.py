"""The case engine: a declared table of states and transitions, history, deadlines on the
workday calendar, escalation up the tree, assignment, rating and reopening.

Work orders (12371), resident appeals (受理 → 移交 → 办理 → 办结 → 反馈评价), transfer
approvals, recruitment steps and appointments are all *cases*: something somebody must
handle, within a time, in steps that are allowed only from some states. Each app
declares its workflow once — states with Chinese labels, transitions with the states
they leave from, the state they reach, guards and effects — and moves its cases only
through :func:`transition` (and :func:`rate`, :func:`escalate`), which lock the row,
check the move, write the case's history and the audit entry in one transaction, and
refuse an illegal move with :class:`TransitionRefused` (a Django ``ValidationError``:
pages show its Chinese message at the field, the API answers 422 at that field).

The pieces an app provides:

- a model subclassing :class:`CaseModel` (the common columns: status, assignee,
  deadlines, escalation level, rating, reopen count) with a foreign key ``org`` (or
  another name, given as ``org_field``) to the organisation that handles the case;
- a history model subclassing :class:`CaseEvent` with a foreign key to the case. History
  lives in the app's own table, not in a core table with a generic reference: rows keep
  a real foreign key (cascade, join, index, integrity), a case's history is read in one
  indexed query next to the case it belongs to, and core holds no rows of other apps;
- a :class:`Workflow` naming both, with its hooks (escalation, rating reminder).

Guards are ``guard(case, actor, **kwargs) -> str | Refusal | None`` (a refusal in
Chinese, or None to allow) and decide whether the move may happen now; effects are
``effect(case, *, actor, now, reason, **kwargs) -> str | None`` and validate the move's
own input and apply it (a string returned becomes the history note). Both run under
the row lock, after the state check, in the order declared.
"""

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.calendar import add_workdays, work_hours_between
from dangjian.core.errors import raise_if
from dangjian.core.scope import path_above

RATING_MIN, RATING_MAX = 1, 5
COMMENT_MAX = 500
NOTE_MAX = 2000

MSG_ILLEGAL = "当前状态为“{status}”，不能{action}"
MSG_RATING = f"评分应为 {RATING_MIN} 到 {RATING_MAX} 的整数"
MSG_COMMENT_LONG = f"评价意见不能超过{COMMENT_MAX}个字"
MSG_ASSIGNEE_REQUIRED = "请选择承办人"
MSG_ESCALATED = "超时未办，升级至{org}"


# --- Declaring a workflow


class Refusal(NamedTuple):
    """A guard's refusal that belongs to an input field rather than to the status."""

    message: str
    field: str = "status"


class TransitionRefused(ValidationError):
    """An illegal move: wrong state, or a guard said no. Carries the Chinese message at
    ``field`` (``status`` unless the guard named an input), so pages and the API
    report it like any other rule."""

    def __init__(self, message: str, *, field: str = "status", transition: str = ""):
        super().__init__({field: [message]})
        self.field = field
        self.refusal = message
        self.transition = transition


Guard = Callable[..., "str | Refusal | None"]
Effect = Callable[..., "str | None"]


@dataclass(frozen=True)
class State:
    """A state of a case. ``timed``: its deadlines run (and escalate) while in it."""

    label: str
    terminal: bool = False
    timed: bool = True


@dataclass(frozen=True)
class Transition:
    """A move from any of ``sources`` to ``target`` (None: a recorded step that keeps the
    state, like a reassignment). ``refusal`` is the message when the case is in another
    state: a template with ``{status}`` (the current state's label), or a function
    ``(case, actor) -> str``; by default :data:`MSG_ILLEGAL`."""

    sources: tuple[str, ...]
    target: str | None
    label: str
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    refusal: str | Callable[[Any, Any], str] = ""
    field: str = "status"


@dataclass(frozen=True)
class Deadline:
    """A timer: the moment in ``due`` is met once ``met_by`` is stamped."""

    due: str
    met_by: str


@dataclass(frozen=True)
class Policy:
    """The numbers of a workflow, which its app configures (and cites in its rules):
    escalate one more level every ``step_hours`` working hours while breached; remind to
    rate after ``reminder_workdays``; ``reopens(rating)`` says whether a rating reopens."""

    step_hours: float = 7.0
    reminder_workdays: int = 3
    reopens: Callable[[int], bool] = field(default=lambda rating: False)


@dataclass(frozen=True)
class Workflow:
    """One kind of case: its model, history model, states and transitions.

    ``timers(case, start)`` gives the deadlines of a case (re)started at ``start``, as
    ``{due field: moment}`` (count them with core.calendar's working hours); ``policy()``
    is called when needed, so settings overrides apply. ``rate``/``reopen`` name the
    transitions a rating takes (closing, and reopening on a poor rating).
    ``on_escalate(case, *, level, upper, now)`` runs when a case climbs (set where it
    now sits, notify, raise a warning); ``on_rating_reminder(case, *, now) -> int`` sends
    a reminder and returns how many were sent (use a dedupe key: jobs may re-run).
    """

    name: str
    model: str
    history: str
    initial: str
    states: Mapping[str, State]
    transitions: Mapping[str, Transition]
    deadlines: tuple[Deadline, ...] = ()
    timers: Callable[[Any, dt.datetime], Mapping[str, dt.datetime]] | None = None
    policy: Callable[[], Policy] = Policy
    org_field: str = "org"
    audited: tuple[str, ...] = ("status", "assignee", "escalation_level", "rating")
    rate: str = ""
    reopen: str = ""
    rating_since: str = "answered_at"
    on_escalate: Callable[..., None] | None = None
    on_rating_reminder: Callable[..., int] | None = None

    def __post_init__(self):
        known = set(self.states)
        if self.initial not in known:
            raise ValueError(f"{self.name}: initial state {self.initial!r} is not declared")
        for name, step in self.transitions.items():
            unknown = (set(step.sources) | ({step.target} - {None})) - known
            if unknown:
                raise ValueError(f"{self.name}.{name}: undeclared states {sorted(unknown)}")
        for name in (self.rate, self.reopen):
            if name and name not in self.transitions:
                raise ValueError(f"{self.name}: transition {name!r} is not declared")
        label = self.model.lower()
        if label in _WORKFLOWS and _WORKFLOWS[label].name != self.name:
            raise ValueError(f"{self.model} already runs on {_WORKFLOWS[label].name}")
        _WORKFLOWS[label] = self

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def history_class(self) -> type[models.Model]:
        return apps.get_model(self.history)

    def label(self, status: str) -> str:
        state = self.states.get(status)
        return state.label if state is not None else status

    def open_states(self) -> list[str]:
        """States whose deadlines run (where a case can be overdue)."""
        return [name for name, s in self.states.items() if s.timed and not s.terminal]


_WORKFLOWS: dict[str, Workflow] = {}


def workflow_of(case: models.Model) -> Workflow:
    try:
        return _WORKFLOWS[case._meta.label_lower]
    except KeyError:
        raise LookupError(f"{case._meta.label} has no declared workflow") from None


# --- The common columns


class CaseModel(models.Model):
    """The columns every case has; an app's case model subclasses it (overriding
    ``status`` to give its choices) and adds its own, with a foreign key to the
    organisation that handles it."""

    status = models.CharField("状态", max_length=20, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_response_due = models.DateTimeField("受理时限", null=True, blank=True)
    resolution_due = models.DateTimeField("答复时限", null=True, blank=True, db_index=True)
    first_response_at = models.DateTimeField("受理时间", null=True, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField("已升级层级", default=0)
    rating = models.PositiveSmallIntegerField("满意度评分", null=True, blank=True)
    rating_comment = models.CharField("评价意见", max_length=COMMENT_MAX, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重新办理次数", default=0)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="%(app_label)s_%(class)s_rating_1_5",
            ),
        ]


class CaseEvent(models.Model):
    """One step of a case's history (状态记录); the app's subclass adds the foreign key
    to its case model."""

    action = models.CharField("操作", max_length=32)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间", db_index=True)

    class Meta:
        abstract = True


# --- Ready-made effects and guards


def take(case, *, actor, now: dt.datetime, **_) -> None:
    """受理/认领: the actor becomes the assignee; the first taking is the first response."""
    case.assignee = actor
    case.first_response_at = case.first_response_at or now


def hand_over(case, *, assignee=None, **_) -> str:
    """转派: another person takes over (``assignee=`` in the transition's kwargs)."""
    if assignee is None:
        raise_if({"assignee": MSG_ASSIGNEE_REQUIRED})
    case.assignee = assignee
    return f"转交{assignee}"


def restart(case, *, now: dt.datetime, **_) -> None:
    """重新办理: back to the queue with fresh timers, to be taken and escalated anew."""
    case.reopen_count += 1
    case.first_response_at = None
    case.escalation_level = 0
    start_timers(case, now)


def assignee_only(message: str) -> Guard:
    """A guard: only the case's assignee may take this step."""

    def guard(case, actor, **_) -> str | None:
        return None if case.assignee_id == getattr(actor, "pk", None) else message

    return guard


# --- Moving a case


def _org(wf: Workflow, case):
    return getattr(case, wf.org_field)


def _lock(wf: Workflow, case) -> None:
    """Re-read the case under a row lock (its organisation joined, not locked): of two
    concurrent moves the second sees what the first committed."""
    model = type(case)
    locked = model._base_manager.select_related(wf.org_field).select_for_update(
        no_key=True, of=("self",)
    )
    case.refresh_from_db(from_queryset=locked)


def _actor(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def start_timers(case, start: dt.datetime) -> None:
    """Set the case's deadlines for a (re)start at ``start``."""
    wf = workflow_of(case)
    if wf.timers is not None:
        for name, due in wf.timers(case, start).items():
            setattr(case, name, due)


def _history_fk(wf: Workflow) -> str:
    model = wf.model_class
    for f in wf.history_class._meta.concrete_fields:
        if f.is_relation and f.related_model is model:
            return f.name
    raise LookupError(f"{wf.history} has no foreign key to {wf.model}")


def record(
    case,
    action: str,
    *,
    actor,
    from_status: str | None = None,
    note: str = "",
    now: dt.datetime | None = None,
    before: dict | None = None,
    ip: str | None = None,
):
    """Write one history row and its audit entry (``<workflow>.<action>``) for a step of
    the case, inside the caller's transaction. Steps that change no state (an office's
    input, publishing) are recorded here too, so the history is complete."""
    wf = workflow_of(case)
    actor = _actor(actor)
    event = wf.history_class.objects.create(
        **{_history_fk(wf): case},
        action=action,
        from_status=case.status if from_status is None else from_status,
        to_status=case.status,
        actor=actor,
        note=note[:NOTE_MAX],
        at=now or timezone.now(),
    )
    audit.record(
        actor=actor,
        action=f"{wf.name}.{action}",
        obj=case,
        org=_org(wf, case),
        before=before,
        after=audit.snapshot(case, wf.audited),
        ip=ip,
    )
    return event


@transaction.atomic
def open_case(case, *, actor, now: dt.datetime | None = None, ip: str | None = None):
    """Save a new case in the workflow's initial state with its timers started."""
    wf = workflow_of(case)
    now = now or timezone.now()
    case.status = wf.initial
    start_timers(case, now)
    case.save()
    record(case, "create", actor=actor, from_status="", now=now, ip=ip)
    return case


def _refusal(wf: Workflow, step: Transition, case, actor) -> str:
    if callable(step.refusal):
        return step.refusal(case, actor)
    template = step.refusal or MSG_ILLEGAL
    return template.format(status=wf.label(case.status), action=step.label)


def _check(wf: Workflow, name: str, case, actor, kwargs: dict) -> Transition:
    try:
        step = wf.transitions[name]
    except KeyError:
        raise ValueError(f"{wf.name} has no transition {name!r}") from None
    if case.status not in step.sources:
        raise TransitionRefused(_refusal(wf, step, case, actor), field=step.field, transition=name)
    for guard in step.guards:
        refused = guard(case, actor, **kwargs)
        if isinstance(refused, Refusal):
            raise TransitionRefused(refused.message, field=refused.field, transition=name)
        if refused:
            raise TransitionRefused(refused, field=step.field, transition=name)
    return step


def allowed(case, actor) -> frozenset[str]:
    """The moves open to ``actor`` now, for pages to show the right buttons (the move
    itself checks again under the lock). Guards run without input: a refusal about an
    input (a :class:`Refusal` naming another field than the move's) does not hide the
    move, since its form asks for that input."""
    wf = workflow_of(case)
    open_now = set()
    for name, step in wf.transitions.items():
        if case.status not in step.sources:
            continue
        refusals = (guard(case, actor) for guard in step.guards)
        if all(
            not refused or (isinstance(refused, Refusal) and refused.field != step.field)
            for refused in refusals
        ):
            open_now.add(name)
    return frozenset(open_now)


def _apply(wf, name, step, case, *, actor, reason, now, ip, kwargs, target, note=""):
    before, from_status = audit.snapshot(case, wf.audited), case.status
    note = note or reason
    for effect in step.effects:
        note = effect(case, actor=actor, now=now, reason=reason, **kwargs) or note
    if target is not None:
        case.status = target
        if wf.states[target].terminal:
            case.closed_at = now
        elif wf.states[from_status].terminal:
            case.closed_at = None
    case.save()
    record(
        case, name, actor=actor, from_status=from_status, note=note, now=now, before=before, ip=ip
    )
    return case


@transaction.atomic
def transition(
    case,
    name: str,
    *,
    actor,
    reason: str = "",
    now: dt.datetime | None = None,
    ip: str | None = None,
    **kwargs,
):
    """Move ``case`` by the declared transition ``name``: lock the row, check the state
    and the guards (:class:`TransitionRefused` if not allowed), run the effects, save,
    and write history and audit. ``kwargs`` go to the guards and the effects."""
    wf = workflow_of(case)
    _lock(wf, case)
    step = _check(wf, name, case, actor, {**kwargs, "reason": reason})
    return _apply(
        wf,
        name,
        step,
        case,
        actor=actor,
        reason=reason,
        now=now or timezone.now(),
        ip=ip,
        kwargs=kwargs,
        target=step.target,
    )


def _clean_rating(rating, comment: str) -> str:
    errors = {}
    if (
        not isinstance(rating, int)
        or isinstance(rating, bool)
        or not RATING_MIN <= rating <= RATING_MAX
    ):
        errors["rating"] = MSG_RATING
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = MSG_COMMENT_LONG
    raise_if(errors)
    return comment


@transaction.atomic
def rate(
    case,
    rating: int,
    *,
    actor,
    comment: str = "",
    now: dt.datetime | None = None,
    ip: str | None = None,
):
    """评价 1–5 with a comment, by the workflow's ``rate`` transition (which closes the
    case); a rating the policy calls unsatisfied records the rating and reopens the case
    through the ``reopen`` transition instead, the comment as the reason."""
    wf = workflow_of(case)
    _lock(wf, case)
    step = _check(wf, wf.rate, case, actor, {"rating": rating, "comment": comment})
    comment = _clean_rating(rating, comment)
    now = now or timezone.now()
    case.rating, case.rating_comment, case.rated_at = rating, comment, now
    low = wf.reopen and wf.policy().reopens(rating)
    _apply(
        wf,
        wf.rate,
        step,
        case,
        actor=actor,
        reason="",
        now=now,
        ip=ip,
        kwargs={"rating": rating, "comment": comment},
        target=None if low else step.target,
        note=f"{rating}分 {comment}".strip(),
    )
    if low:
        transition(
            case, wf.reopen, actor=actor, reason=comment or f"评分{rating}分", now=now, ip=ip
        )
    return case


# --- Deadlines, escalation and reminders


def breached_at(
    timers: Iterable[tuple[dt.datetime | None, dt.datetime | None]], now: dt.datetime
) -> dt.datetime | None:
    """When a case first broke one of its ``(due, met)`` timers as of ``now``, or None.
    A timer is broken once its moment passed unmet, or was met late."""
    moments = [due for due, met in timers if due is not None and (met or now) > due]
    return min(moments) if moments else None


def case_breached_at(case, now: dt.datetime) -> dt.datetime | None:
    wf = workflow_of(case)
    return breached_at(((getattr(case, d.due), getattr(case, d.met_by)) for d in wf.deadlines), now)


def escalation_level(
    breach: dt.datetime | None, now: dt.datetime, *, max_level: int, step_hours: float
) -> int:
    """How many levels up a breached case should be by ``now``: one at the breach, one
    more every ``step_hours`` working hours while it stays breached, never above
    ``max_level``. A pure function of the times, so a job re-run for the same slot
    computes the same level and escalates nothing twice."""
    if breach is None or now <= breach or max_level <= 0:
        return 0
    levels = 1 + math.floor(work_hours_between(breach, now) / step_hours)
    return min(levels, max_level)


def reminder_due(since: dt.date, today: dt.date, workdays: int) -> bool:
    """Whether something waiting since ``since`` needs a reminder ``workdays`` later."""
    return today >= add_workdays(since, workdays)


def org_above(org, levels: int):
    """The organisation ``levels`` steps above ``org`` in the tree as it is now (its
    materialized path cut short), or None above the root. The one place escalation
    finds where a case goes: after a move, the new ancestors, not the old ones."""
    above = path_above(org.path, levels) if levels > 0 else ""
    return type(org).objects.get(path=above) if above else None


@transaction.atomic
def escalate(case, *, now: dt.datetime) -> bool:
    """Raise an overdue case to the level its breach has reached by ``now`` and call the
    workflow's hook. Already there (or not overdue, or no longer open): nothing happens,
    so the job may run any number of times for a slot."""
    wf = workflow_of(case)
    _lock(wf, case)
    if case.status not in wf.open_states():
        return False
    org = _org(wf, case)
    level = escalation_level(
        case_breached_at(case, now),
        now,
        max_level=org.depth - 1,
        step_hours=wf.policy().step_hours,
    )
    if level <= case.escalation_level:
        return False
    before = audit.snapshot(case, wf.audited)
    upper = org_above(org, level)
    case.escalation_level = level
    if wf.on_escalate is not None:
        wf.on_escalate(case, level=level, upper=upper, now=now)
    case.save()
    record(
        case,
        "escalate",
        actor=None,
        note=MSG_ESCALATED.format(org=upper),
        now=now,
        before=before,
    )
    return True


def escalate_overdue(wf: Workflow, *, now: dt.datetime, queryset=None) -> int:
    """The escalation job's body: every open case past a deadline climbs; returns how
    many moved. ``queryset`` narrows the candidates."""
    if not wf.deadlines:
        return 0
    overdue = Q()
    for d in wf.deadlines:
        overdue |= Q(**{f"{d.met_by}__isnull": True, f"{d.due}__lt": now})
    qs = wf.model_class._base_manager.all() if queryset is None else queryset
    candidates = qs.filter(overdue, status__in=wf.open_states()).select_related(wf.org_field)
    return sum(escalate(case, now=now) for case in candidates.iterator(chunk_size=500))


def remind_unrated(wf: Workflow, *, now: dt.datetime, queryset=None) -> int:
    """The rating-reminder job's body: cases waiting for a rating for the policy's
    workdays get the workflow's reminder; returns how many were sent."""
    if not wf.rate or wf.on_rating_reminder is None:
        return 0
    today = timezone.localdate(now)
    workdays = wf.policy().reminder_workdays
    qs = wf.model_class._base_manager.all() if queryset is None else queryset
    pending = qs.filter(
        status__in=wf.transitions[wf.rate].sources,
        rating__isnull=True,
        **{f"{wf.rating_since}__isnull": False},
    )
    sent = 0
    for case in pending.iterator(chunk_size=500):
        since = timezone.localdate(getattr(case, wf.rating_since))
        if reminder_due(since, today, workdays):
            sent += wf.on_rating_reminder(case, now=now)
    return sent
