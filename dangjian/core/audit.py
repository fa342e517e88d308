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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain stops holding: the first bad entry, or a missing tail."""

    entry: AuditEntry | None
    reason: str


def verify() -> ChainBreak | None:
    """Walk the chain; return where it first breaks, or None if intact.

    An entry breaks the chain if its ``prev_hash`` is not its predecessor's hash
    (deleted or reordered entries) or its own hash does not match its content (edited).
    Deleting entries from the end leaves the chain consistent, so the head row, which
    holds the last hash written, is compared too.
    """
    prev = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return ChainBreak(entry, "前一条哈希不符：其前面的记录被删除、插入或调换")
        if _digest(prev, entry) != entry.hash:
            return ChainBreak(entry, "内容与哈希不符：该记录被修改")
        prev = entry.hash
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != prev:
        return ChainBreak(None, "链尾缺失：最后写入的记录已被删除")
    return None
