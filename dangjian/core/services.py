"""Write recipes every app's services share."""

from collections.abc import Callable, Collection, Mapping
from typing import Any

from django.db.models import Model

from dangjian.core import audit


def check_editable(changes: Mapping[str, Any], editable: Collection[str]) -> None:
    """Refuse field names a service does not edit: a programming error, not user input
    (forms and schemas only offer editable fields), so it is a ValueError, not a 4xx."""
    unknown = set(changes) - set(editable)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")


def model_create(
    *,
    acting_user,
    instance: Model,
    action: str,
    org: Model,
    fields: Collection[str],
    ip: str | None = None,
) -> Model:
    """Validate, save and audit a new row: the counterpart of :func:`model_update`.

    The audit entry's ``after`` holds ``fields`` as saved, so the log shows what the
    row started as without copying every column (file keys, hashes, free text)."""
    instance.full_clean()
    instance.save()
    audit.record(
        actor=acting_user,
        action=action,
        obj=instance,
        org=org,
        after=audit.snapshot(instance, fields),
        ip=ip,
    )
    return instance


def model_update(
    *,
    acting_user,
    instance: Model,
    changes: Mapping[str, Any],
    snapshot: Callable[[Model], dict],
    action: str,
    org: Callable[[], Model],
    validate: Callable[[], None] = lambda: None,
    ip: str | None = None,
) -> bool:
    """Apply ``changes`` to a locked ``instance``, validate, then save and audit it.

    An update that changes nothing writes nothing and leaves no audit entry, so a form
    submitted twice or an import re-run is not a second change in the log. ``validate``
    raises one ValidationError with every problem; ``org`` is read after the change (a
    member moved to another branch is filed under the new one). Returns whether the
    row was written.
    """
    before = snapshot(instance)
    for name, value in changes.items():
        setattr(instance, name, value)
    validate()
    after = snapshot(instance)
    if after == before:
        return False
    instance.save()
    audit.record(
        actor=acting_user,
        action=action,
        obj=instance,
        org=org(),
        before=before,
        after=after,
        ip=ip,
    )
    return True
