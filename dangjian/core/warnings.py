"""Warnings (预警): one model and one set of services for every automatic warning.

An app registers each kind of warning it raises, with a Chinese label, in its
``warnings.py`` (imported at start-up, like ``events.py``)::

    THEME_DAY_MISSING = warnings.register_kind(
        "orglife.theme_day_missing", label="主题党日未按时开展"
    )

and raises it from a job or a service — one call, idempotent by ``dedupe_key``::

    warnings.warning_raise(kind="consult.overdue", org=order.org, subject=order,
                           due=order.resolution_due, dedupe_key=f"consult.overdue:{order.pk}")

A warning is open until resolved: automatically when its condition ends
(:func:`warnings_clear`), or by a person holding ``CHANGE_ORG`` over its organisation who
handled or dismissed it with a note (:func:`warning_resolve`); it may be given to a
person (:func:`warning_assign`). Leaders and admins see the warnings of their subtree
(``Perm.VIEW_WARNING``); members do not.

Every write is audited in its transaction. The inbox messages go into that same
transaction, so they exist exactly when the warning (or its change) commits — never for
a rolled-back write, and a job killed after a commit never leaves a warning without its
message. The domain events ``warning.raised``, ``warning.assigned`` and
``warning.resolved`` are delivered to subscribers after the commit (``core.events``).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from dangjian.core import audit, events, notify, scope
from dangjian.core.errors import raise_if
from dangjian.core.models import Warning
from dangjian.core.scope import Perm

Severity = Warning.Severity
Resolution = Warning.Resolution

MSG_RESOLVED = "该预警已解除，不能再处理或指派"
MSG_RESOLUTION = "请选择处理结果：已处理或忽略"
MSG_NOTE = "请填写处理说明"
MSG_NOTE_LONG = "处理说明不能超过500字"
MSG_ASSIGNEE = "不能指派给该用户：请从本组织及上级组织的负责人、管理员中选择"
MSG_NO_CHANGE = "您没有处理该预警的权限"
NOTE_MAX = 500
PERSON_RESOLUTIONS = (Resolution.HANDLED, Resolution.DISMISSED)


# --- Kinds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarningKind:
    """A kind of warning an app raises: ``<app>.<what>``, its label and default severity."""

    name: str
    label: str
    severity: int = Severity.WARNING
    doc: str = ""

    @property
    def notice_kind(self) -> str:
        return notice_kind(self.name)


def notice_kind(kind: str) -> str:
    """The inbox category of a warning's messages: ``<app>.warning``."""
    return f"{kind.split('.', 1)[0]}.warning"


_KINDS: dict[str, WarningKind] = {}


def register_kind(
    name: str, *, label: str, severity: int = Severity.WARNING, doc: str = ""
) -> WarningKind:
    """Register a kind (idempotent for the same registration; a different one is an error)."""
    if "." not in name or len(name) > Warning._meta.get_field("kind").max_length:
        raise ValueError(f"warning kind {name!r}: use '<app>.<what>', at most 64 characters")
    kind = WarningKind(name, label, int(severity), doc)
    if _KINDS.get(name, kind) != kind:
        raise ValueError(f"warning kind {name!r} registered twice, differently")
    _KINDS[name] = kind
    return kind


def kind_get(name: str) -> WarningKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"没有注册名为 {name} 的预警类型") from None


def kinds() -> list[WarningKind]:
    return sorted(_KINDS.values(), key=lambda k: k.name)


def kind_label(name: str) -> str:
    kind = _KINDS.get(name)
    return kind.label if kind else name


# --- Events ------------------------------------------------------------------------------

_COMMON = {
    "warning_id": (int, "预警编号"),
    "kind": (str, "预警类型（如 orglife.theme_day_missing）"),
    "org_id": (int, "预警所属组织编号"),
}
RAISED = events.declare(
    "warning.raised",
    label="产生预警",
    payload={
        **_COMMON,
        "subject_type": (str, "对象类型（app_label.model，可为空）"),
        "subject_id": (str, "对象编号（可为空）"),
        "severity": (int, "等级：1 提示、2 预警、3 严重"),
    },
    doc="A new warning was raised (a repeated raise with the same dedupe key is not).",
)
ASSIGNED = events.declare(
    "warning.assigned",
    label="预警已指派",
    payload={**_COMMON, "assignee_id": (int | None, "责任人用户编号（空：取消指派）")},
)
RESOLVED = events.declare(
    "warning.resolved",
    label="预警已解除",
    payload={**_COMMON, "resolution": (str, "解除方式：auto、handled、dismissed")},
)


def _publish(event: events.EventType, warning: Warning, **extra) -> None:
    event.publish(warning_id=warning.pk, kind=warning.kind, org_id=warning.org_id, **extra)


# --- Reads -------------------------------------------------------------------------------


def warning_queryset(user, perm: Perm | None = None) -> QuerySet[Warning]:
    """The warnings ``user`` may see under ``perm`` (orglife lists its own under its perm)."""
    return Warning.objects.visible_to(user, perm or Perm.VIEW_WARNING).select_related(
        "org", "assignee"
    )


def warning_get(user, pk) -> Warning:
    return scope.get_or_404(warning_queryset(user), pk=pk)


def can_change(user, warning: Warning) -> bool:
    """Resolving and assigning need the change right over the warning's organisation."""
    return scope.covers(user, Perm.CHANGE_ORG, warning.org.path)


def sees_any(user) -> bool:
    return bool(scope.scope_paths(user, Perm.VIEW_WARNING))


def _warning_roles() -> list[str]:
    return scope.roles_with(Perm.VIEW_WARNING)


def assignable_users(acting_user, warning: Warning) -> QuerySet:
    """Who the warning may be given to: active leaders and admins of its organisation or
    of an organisation above it — only those within the acting user's own scope, so the
    list never shows anyone above them."""
    org = warning.org
    chain = scope.ancestor_paths(org.path, include_self=True)
    paths = [p for p in chain if scope.covers(acting_user, Perm.VIEW_WARNING, p)]
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__role__in=_warning_roles(),
            role_assignments__org__path__in=paths,
            role_assignments__org__dissolved_on__isnull=True,
        )
        .distinct()
        .order_by("username")
    )


# --- Writes ------------------------------------------------------------------------------


def _subject(subject: models.Model | None, label: str | None) -> tuple[str, str, str]:
    if subject is None:
        return "", "", label or ""
    return subject._meta.label_lower, str(subject.pk), (label or str(subject))[:200]


def _detail_url(warning: Warning) -> str:
    return reverse("warning_detail", args=[warning.pk])


def _snapshot(warning: Warning) -> dict:
    return audit.snapshot(
        warning,
        ["kind", "title", "severity", "due", "assignee", "resolved_at", "resolution"],
    )


@transaction.atomic
def warning_raise(
    *,
    kind: str,
    org,
    dedupe_key: str,
    subject: models.Model | None = None,
    subject_label: str | None = None,
    title: str = "",
    period: str = "",
    due=None,
    severity: int | None = None,
    assignee=None,
    recipients: Iterable = (),
    url: str = "",
    now=None,
) -> Warning:
    """Raise a warning once per ``(kind, dedupe_key)`` and tell the assignee and
    ``recipients``; returns it (the existing one when the key was raised before).

    Idempotent: a repeated call changes nothing and sends no second message (each
    recipient's message is deduplicated by the same key), so a job may re-run freely.
    A condition that recurs after its warning was resolved needs a new key (put the
    period, the attempt or the escalation level in it). The first raise decides the
    fields; a later one with other values does not update them.
    """
    spec = kind_get(kind)
    if not dedupe_key or len(dedupe_key) > Warning._meta.get_field("dedupe_key").max_length:
        raise ValueError("dedupe_key must be 1–120 characters")
    warning = Warning.objects.filter(kind=kind, dedupe_key=dedupe_key).first()
    created = False
    if warning is None:
        if assignee is not None and not scope.covers(assignee, Perm.VIEW_WARNING, org.path):
            raise ValidationError({"assignee": MSG_ASSIGNEE})
        subject_type, subject_id, label = _subject(subject, subject_label)
        try:
            with transaction.atomic():
                warning = Warning.objects.create(
                    kind=kind,
                    org=org,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    subject_label=label,
                    title=(title or (f"{label}：{spec.label}" if label else spec.label))[:200],
                    period=period,
                    severity=severity if severity is not None else spec.severity,
                    raised_at=now or timezone.now(),
                    due=due,
                    assignee=assignee,
                    dedupe_key=dedupe_key,
                )
                created = True
        except IntegrityError:  # a concurrent raise with the same key won the race
            warning = Warning.objects.get(kind=kind, dedupe_key=dedupe_key)
    if created:
        audit.record(
            actor=None,
            action="warning.raise",
            obj=warning,
            org=org,
            after={**_snapshot(warning), "dedupe_key": dedupe_key},
        )
        _publish(
            RAISED,
            warning,
            subject_type=warning.subject_type,
            subject_id=warning.subject_id,
            severity=warning.severity,
        )
    if warning.is_open:
        users = [*recipients, *([warning.assignee] if warning.assignee_id else [])]
        notify.send(
            users,
            kind=spec.notice_kind,
            title=f"{spec.label}预警",
            body=warning.title,
            url=url or _detail_url(warning),
            dedupe_key=dedupe_key,
        )
    return warning


def _lock_for_change(acting_user, warning: Warning) -> Warning:
    """The row, locked, once the acting user may change it (404 if not even visible)."""
    scope.authorize(acting_user, Perm.CHANGE_ORG, warning.org.path, view_perm=Perm.VIEW_WARNING)
    locked = (
        Warning.objects.select_for_update(no_key=True, of=("self",))
        .select_related("org")
        .get(pk=warning.pk)
    )
    raise_if({"__all__": MSG_RESOLVED} if not locked.is_open else {})
    return locked


def _tell(user, warning: Warning, title: str, acting_user=None) -> None:
    """A message to ``user`` about ``warning`` (not to whoever did it themself)."""
    if user is None or (acting_user is not None and user.pk == acting_user.pk):
        return
    notify.send(
        [user],
        kind=notice_kind(warning.kind),
        title=title,
        body=warning.title,
        url=_detail_url(warning),
    )


@transaction.atomic
def warning_assign(*, acting_user, warning: Warning, assignee, ip: str | None = None) -> Warning:
    """Give the warning to ``assignee`` (None: to nobody) and tell them.

    The assignee must be a leader or admin of the warning's organisation or of one above
    it, within the acting user's scope (:func:`assignable_users`).
    """
    warning = _lock_for_change(acting_user, warning)
    if (
        assignee is not None
        and not assignable_users(acting_user, warning).filter(pk=assignee.pk).exists()
    ):
        raise ValidationError({"assignee": MSG_ASSIGNEE})
    if warning.assignee_id == (assignee.pk if assignee else None):
        return warning
    before = _snapshot(warning)
    warning.assignee = assignee
    warning.save(update_fields=["assignee", "updated_at"])
    audit.record(
        actor=acting_user,
        action="warning.assign",
        obj=warning,
        org=warning.org,
        before=before,
        after=_snapshot(warning),
        ip=ip,
    )
    _tell(assignee, warning, f"您有一条预警需要处理：{kind_label(warning.kind)}", acting_user)
    _publish(ASSIGNED, warning, assignee_id=assignee.pk if assignee else None)
    return warning


def _close(warning: Warning, *, resolution: str, note: str, by, now) -> dict:
    before = _snapshot(warning)
    warning.resolved_at = now or timezone.now()
    warning.resolution = resolution
    warning.resolution_note = note
    warning.resolved_by = by
    warning.save(
        update_fields=["resolved_at", "resolution", "resolution_note", "resolved_by", "updated_at"]
    )
    return before


@transaction.atomic
def warning_resolve(
    *,
    acting_user,
    warning: Warning,
    resolution: str,
    note: str,
    ip: str | None = None,
    now=None,
) -> Warning:
    """A person closes the warning: handled (已处理) or dismissed (已忽略), with a note
    saying what was done or why; the assignee, if someone else, is told."""
    warning = _lock_for_change(acting_user, warning)
    note = (note or "").strip()
    errors = {}
    if resolution not in PERSON_RESOLUTIONS:
        errors["resolution"] = MSG_RESOLUTION
    if not note:
        errors["note"] = MSG_NOTE
    elif len(note) > NOTE_MAX:
        errors["note"] = MSG_NOTE_LONG
    raise_if(errors)
    before = _close(warning, resolution=resolution, note=note, by=acting_user, now=now)
    audit.record(
        actor=acting_user,
        action="warning.resolve",
        obj=warning,
        org=warning.org,
        before=before,
        after={**_snapshot(warning), "note": note},
        ip=ip,
    )
    label = Resolution(resolution).label
    _tell(
        warning.assignee, warning, f"您负责的预警{label}：{kind_label(warning.kind)}", acting_user
    )
    _publish(RESOLVED, warning, resolution=Resolution(resolution).value)
    return warning


@transaction.atomic
def warnings_clear(
    *,
    kind: str,
    org=None,
    subject: models.Model | None = None,
    dedupe_key: str | None = None,
    period: str | None = None,
    now=None,
) -> int:
    """Auto-resolve the open warnings of ``kind`` whose condition has ended — those of
    ``org``, about ``subject``, with ``dedupe_key`` or for ``period`` (all given must
    match; at least one is required). Returns how many were cleared."""
    kind_get(kind)
    lookup: dict = {}
    if org is not None:
        lookup["org"] = org
    if subject is not None:
        lookup["subject_type"], lookup["subject_id"], _ = _subject(subject, None)
    if dedupe_key is not None:
        lookup["dedupe_key"] = dedupe_key
    if period is not None:
        lookup["period"] = period
    if not lookup:
        raise ValueError("warnings_clear needs org, subject, dedupe_key or period")
    rows = Warning.objects.select_for_update(no_key=True, of=("self",)).select_related(
        "org", "assignee"
    )
    cleared = 0
    for warning in rows.filter(kind=kind, resolved_at__isnull=True, **lookup).order_by("pk"):
        before = _close(warning, resolution=Resolution.AUTO, note="", by=None, now=now)
        audit.record(
            actor=None,
            action="warning.resolve",
            obj=warning,
            org=warning.org,
            before=before,
            after=_snapshot(warning),
        )
        _tell(warning.assignee, warning, f"您负责的预警已自动解除：{kind_label(warning.kind)}")
        _publish(RESOLVED, warning, resolution=Resolution.AUTO.value)
        cleared += 1
    return cleared


def require_change(user, warning: Warning) -> None:
    """For pages and the API: refuse (403) a visible warning the user may not change."""
    if not can_change(user, warning):
        raise PermissionDenied(MSG_NO_CHANGE)
