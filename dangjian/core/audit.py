"""Append-only, hash-chained audit log: every write, reveal, export and login.

Call :func:`record` inside the service's transaction, so an entry exists exactly when
the change it describes was committed. Entries chain by SHA-256: each hash covers the
previous hash and the entry's canonical JSON, so an edited, deleted or reordered entry
breaks the chain at that point (:func:`verify` names the first bad one).
"""

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from dangjian.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
MASK = "***"


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def snapshot(instance: Model, fields: Iterable[str], *, masked: dict[str, Any] | None = None):
    """A JSON-able picture of ``fields``; sensitive fields go through ``masked``.

    ``masked`` maps a field name to a function giving its displayable (masked) form,
    so the log shows that a value changed without holding the value itself.
    """
    masked = masked or {}
    data = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, Model):
            value = value.pk
        if name in masked and value:
            value = masked[name](value)
        data[name] = json.loads(json.dumps(value, default=_json_default))
    return data


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    body = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "org_path": entry.org_path,
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=_json_default)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(
    *,
    actor,
    action: str,
    obj: Model | None = None,
    org_path: str = "",
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the write's transaction")
    head, _ = AuditHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"last_hash": GENESIS}
    )
    user = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry(
        at=timezone.now(),
        actor=user,
        actor_label=user.get_username() if user else "system",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        org_path=org_path,
        before=before,
        after=after,
        ip=ip,
        prev_hash=head.last_hash,
    )
    entry.hash = _digest(head.last_hash, entry)
    entry.save()
    head.last_hash = entry.hash
    head.save(update_fields=["last_hash"])
    return entry


def verify() -> AuditEntry | None:
    """Walk the chain; return the first entry that does not fit, or None if intact."""
    prev = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or _digest(prev, entry) != entry.hash:
            return entry
        prev = entry.hash
    return None
