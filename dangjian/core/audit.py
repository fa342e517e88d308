"""Append-only, keyed, hash-chained audit log: every write, reveal, export and login (赖不掉).

Call :func:`record` inside the service's transaction, so an entry exists exactly when
the change it describes was committed.

**Chains.** The log is ``settings.AUDIT_CHAINS`` (16) parallel chains. Each has a head
row (:class:`~dangjian.core.models.AuditHead`: last ``seq`` and hash); a writer locks
the first head nobody else holds (``FOR NO KEY UPDATE SKIP LOCKED``; it waits only when
every head is taken), appends entry ``seq + 1`` to that chain and moves the head. So
audited writes run in parallel instead of queueing on one row. On SQLite a write
transaction already excludes every other one, and a plain transaction is enough.

**Keyed hashes.** An entry's hash is HMAC-SHA256, under a key kept in a file outside
the database (``core.auditkey``), of the previous hash on its chain and the entry's
canonical JSON (chain, seq, time, actor, action, object, organisation id and path,
before/after, address, request id). An edited, deleted, inserted or reordered entry
breaks its chain at that point, and someone who can write to the database but not
read the key cannot recompute the chain after an edit.

**Checkpoints.** Every five minutes :func:`seal` (a periodic job) writes every chain's
(seq, hash) and the total count to a signed line of a file outside the database and
to the ``dangjian.audit`` logger (``core.checkpoints``). :func:`check` (``dangjian
audit verify``) walks every chain and requires the log to reach every checkpoint: a
deleted tail, a deleted head, an emptied log or a rewritten head is a failure once a
checkpoint covers it. Entries written since the last checkpoint are covered by their
chain alone (an edit is caught; a deleted tail together with a rewound head is not).

**Lock order.** The audit head is always the last lock a transaction takes. Before
taking it, :func:`record` makes PostgreSQL run the transaction's deferred foreign-key
checks (``SET CONSTRAINTS ALL IMMEDIATE``), so the row locks those checks take (``FOR
KEY SHARE`` on the rows referenced) are held before the head, not requested at commit
while holding it; the entry's own foreign keys carry no database constraint, so
appending locks nothing else; then the deferred mode is restored. A transaction
holding a head therefore never waits for another lock, and one waiting for a head
holds nothing a head holder needs: audit is in no lock cycle (issue 19: a check-in
holding a meeting ``FOR UPDATE`` and a comment holding the head and wanting ``FOR KEY
SHARE`` on that meeting at commit). A service calls :func:`record` as its last write;
several records in one transaction reuse the head it already holds.

**Context.** The actor, client address and request id come from the request context
(``core.context``, set by middleware) when the caller does not give them.
"""

import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from dangjian.core import auditkey, checkpoints, context
from dangjian.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
MASK = "***"
ENTRY_PURPOSE = "audit-entry"
UNSET: Any = object()  # ``actor`` not given: take it from the request context

MSG_OUTSIDE_TRANSACTION = "audit.record must be called inside the write's transaction"
MSG_NO_HEAD = "审计链头全部缺失，无法写入审计日志：请运行 dangjian audit verify 并从备份恢复"


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


# --- Hashes


def _canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=_json_default)


def _legacy_digest(entry: AuditEntry) -> str:
    """The hash of an entry written before chains and keys (``key_id`` empty): plain
    SHA-256 of the previous hash and the old body. Such entries exist only at the start
    of chain 0; the first keyed entry after them covers their last hash."""
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
    return hashlib.sha256((entry.prev_hash + _canonical(body)).encode()).hexdigest()


def digest(entry: AuditEntry) -> str:
    """The hash ``entry`` must carry: keyed HMAC over its chain link and content."""
    if not entry.key_id:
        return _legacy_digest(entry)
    body = {
        "v": 2,
        "chain": entry.chain,
        "seq": entry.seq,
        "key": entry.key_id,
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "org": entry.org_id,
        "org_path": entry.org_path,
        "before": entry.before,
        "after": entry.after,
        "ip": entry.ip,
        "request_id": entry.request_id,
    }
    try:
        return auditkey.sign(entry.key_id, ENTRY_PURPOSE, entry.prev_hash + _canonical(body))
    except LookupError:
        return ""  # signed with a key we do not hold: it cannot match


# --- Heads


def chain_count() -> int:
    return max(1, int(settings.AUDIT_CHAINS))


def ensure_heads(count: int | None = None) -> None:
    """Create the head of every chain below ``count`` that has neither head nor entries.

    A chain whose entries exist but whose head is gone is left without one: writers
    skip it and :func:`check` reports it (a deleted head is evidence, not a gap to fill).
    """
    count = count or chain_count()
    have = set(AuditHead.objects.values_list("chain", flat=True))
    missing = [
        c for c in range(count) if c not in have and not AuditEntry.objects.filter(chain=c).exists()
    ]
    if missing:
        AuditHead.objects.bulk_create(
            [AuditHead(chain=c, seq=0, last_hash=GENESIS) for c in missing], ignore_conflicts=True
        )


def _preferred_chain(count: int) -> int:
    """Where this connection starts looking: its last chain (so records in one
    transaction stay on the head it holds), else a spread by process and thread."""
    hint = getattr(connection, "_dangjian_audit_chain", None)
    if hint is None or hint >= count:
        hint = hash((os.getpid(), threading.get_ident())) % count
    return hint


def _select_head(cur, count: int, start: int, *, skip: bool, prelude: str = "") -> tuple | None:
    table = AuditHead._meta.db_table
    lock = ""
    if connection.vendor == "postgresql":
        lock = " FOR NO KEY UPDATE" + (" SKIP LOCKED" if skip else "")
    sql = (
        f"SELECT chain, seq, last_hash FROM {table} WHERE chain < {int(count)}"
        f" ORDER BY (chain + {int(count - start)}) % {int(count)} LIMIT 1{lock}"
    )
    cur.execute(prelude + sql)
    if prelude:
        cur.nextset()
    return cur.fetchone()


def _take_head(cur) -> tuple[int, int, str]:
    """Lock a head for this transaction: the first free one, else wait for one."""
    count = chain_count()
    start = _preferred_chain(count)
    prelude = "SET CONSTRAINTS ALL IMMEDIATE; " if connection.vendor == "postgresql" else ""
    row = _select_head(cur, count, start, skip=True, prelude=prelude)
    if row is None and not AuditHead.objects.filter(chain__lt=count).exists():
        ensure_heads(count)
        row = _select_head(cur, count, start, skip=True)
    if row is None:  # every head is held by a running transaction: queue on one
        row = _select_head(cur, count, start, skip=False)
    if row is None:
        raise RuntimeError(MSG_NO_HEAD)
    connection._dangjian_audit_chain = row[0]
    return row


def _move_head(cur, chain: int, seq: int, last_hash: str) -> None:
    table = AuditHead._meta.db_table
    sql = (
        f"UPDATE {table} SET seq = {int(seq)}, last_hash = '{int(last_hash, 16):064x}'"
        f" WHERE chain = {int(chain)}"
    )
    if connection.vendor == "postgresql":
        sql += "; SET CONSTRAINTS ALL DEFERRED"  # Django's foreign keys' normal mode
    cur.execute(sql)


# --- Writing


def _org_at(path: str):
    """The organisation at ``path`` now (callers that give only the path)."""
    if not path:
        return None
    model = apps.get_model(settings.ORG_MODEL)
    return model.objects.filter(path=path).only("pk").first()


def record(
    *,
    actor=UNSET,
    action: str,
    obj: Model | None = None,
    org=None,
    org_path: str = "",
    before: dict | None = None,
    after: dict | None = None,
    ip: str | None = None,
    request_id: str = "",
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction, as its last write.

    ``actor``: the acting user, ``None`` for the system; not given → the request
    context's user. ``ip`` and ``request_id`` not given → the request context's.
    ``org`` is the organisation concerned (``org_path`` is then its path); a caller
    giving only ``org_path`` gets the organisation at that path looked up.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(MSG_OUTSIDE_TRANSACTION)
    ctx = context.current()
    if actor is UNSET:
        actor = ctx.actor if ctx else None
    user = actor if getattr(actor, "is_authenticated", False) else None
    if org is None:
        org = _org_at(org_path)
    entry = AuditEntry(
        key_id=auditkey.keys().current,
        at=timezone.now(),
        actor=user,
        actor_label=user.get_username() if user else "system",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        org=org,
        org_path=org.path if org is not None else org_path,
        before=before,
        after=after,
        ip=ip if ip is not None else (ctx.ip if ctx else None),
        request_id=request_id or (ctx.request_id if ctx else ""),
    )
    with connection.cursor() as cur:
        entry.chain, seq, entry.prev_hash = _take_head(cur)
        entry.seq = seq + 1
        entry.hash = digest(entry)
        entry.save(force_insert=True)
        _move_head(cur, entry.chain, entry.seq, entry.hash)
    return entry


# --- Verifying


@dataclass(frozen=True)
class ChainBreak:
    """One place where the log stops holding: an entry, a chain's end, or a checkpoint."""

    entry: AuditEntry | None
    reason: str
    chain: int | None = None

    def where(self) -> str:
        if self.entry is not None:
            return f"链 {self.entry.chain} 第 {self.entry.seq} 条（#{self.entry.pk} {self.entry}）"
        if self.chain is not None:
            return f"链 {self.chain}"
        return "检查点"

    def __str__(self) -> str:
        return f"{self.where()}：{self.reason}"


@dataclass
class Report:
    """What :func:`check` found: the entries walked and every problem, in order."""

    entries: int = 0
    chains: int = 0
    checkpoints: int = 0
    latest: dict | None = None
    problems: list[ChainBreak] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass
class _Walk:
    """One chain's walk: where it stands, and what it has found."""

    chain: int
    seq: int = 0
    hash: str = GENESIS
    keyed: bool = False
    count: int = 0
    problems: list[ChainBreak] = field(default_factory=list)

    def step(self, entry: AuditEntry) -> None:
        """Check ``entry`` against the chain so far, then move on from it (a break is
        reported once: the walk resumes from the entry as stored)."""
        reason = None
        if entry.prev_hash != self.hash:
            reason = "前一条哈希不符：其前面的记录被删除、插入或调换"
            if entry.seq != self.seq + 1:
                reason += f"（序号应为 {self.seq + 1}）"
        elif entry.seq != self.seq + 1:
            reason = f"序号不连续：应为 {self.seq + 1}"
        elif not entry.key_id and (self.keyed or self.chain != 0):
            reason = "未加密钥的旧格式记录出现在新记录之后：该记录是伪造的"
        elif digest(entry) != entry.hash:
            reason = "内容与哈希不符：该记录被修改，或不是用审计密钥写入的"
        if reason:
            self.problems.append(ChainBreak(entry, reason))
        self.keyed = self.keyed or bool(entry.key_id)
        self.seq, self.hash = entry.seq, entry.hash
        self.count += 1


def _entries(chain: int | None = None, after_seq: int = 0, upto: int | None = None) -> Iterator:
    qs = AuditEntry.objects.order_by("chain", "seq")
    if chain is not None:
        qs = qs.filter(chain=chain, seq__gt=after_seq)
    if upto is not None:
        qs = qs.filter(seq__lte=upto)
    return qs.iterator(chunk_size=2000)


def _head_problem(walk: _Walk, head: AuditHead | None) -> ChainBreak | None:
    if head is None:
        if walk.count:
            return ChainBreak(None, "链头缺失：链头被删除", walk.chain)
        return None
    if head.seq > walk.seq:
        return ChainBreak(
            None,
            f"链尾缺失：链头记到第 {head.seq} 条，日志只到第 {walk.seq} 条（最后的记录被删除）",
            walk.chain,
        )
    if head.seq != walk.seq or head.last_hash != walk.hash:
        return ChainBreak(None, "链头与最后一条记录不符：链头被改动", walk.chain)
    return None


def _checkpoint_problems(binding: list[dict], seen: dict, total: int) -> list[ChainBreak]:
    """Every binding checkpoint must still be reached; ``seen`` maps the (chain, seq)
    they name to the hash the log holds there now."""
    problems, unreached = [], {}
    for line in binding:
        for chain, (seq, want) in line["chains"].items():
            if seq == 0:
                continue
            got = seen.get((int(chain), seq))
            if got is None:
                unreached[int(chain)] = (line["n"], seq)
            elif got != want:
                problems.append(
                    ChainBreak(
                        None,
                        f"第 {seq} 条与检查点 #{line['n']} 不符：该处记录被改写",
                        int(chain),
                    )
                )
    for chain, (n, seq) in sorted(unreached.items()):
        problems.append(
            ChainBreak(None, f"检查点 #{n} 记录该链到第 {seq} 条，日志已到不了：记录被删除", chain)
        )
    if binding and total < binding[-1]["count"]:
        latest = binding[-1]
        what = "审计日志为空" if total == 0 else f"日志只有 {total} 条"
        problems.append(
            ChainBreak(None, f"{what}，少于检查点 #{latest['n']} 记录的 {latest['count']} 条")
        )
    return problems


def check() -> Report:
    """Walk every chain, compare each with its head and with every binding checkpoint."""
    lines, file_problems = checkpoints.read()
    binding = checkpoints.binding(lines)
    wanted = {(int(c), s) for line in binding for c, (s, _) in line["chains"].items() if s}
    heads = {h.chain: h for h in AuditHead.objects.all()}
    report = Report(checkpoints=len(binding), latest=binding[-1] if binding else None)
    report.problems += [ChainBreak(None, p) for p in file_problems]
    seen: dict[tuple[int, int], str] = {}
    walks: dict[int, _Walk] = {}
    for entry in _entries():
        walk = walks.setdefault(entry.chain, _Walk(entry.chain))
        walk.step(entry)
        if (entry.chain, entry.seq) in wanted:
            seen[(entry.chain, entry.seq)] = entry.hash
    for chain in sorted(set(walks) | set(heads)):
        walk = walks.get(chain, _Walk(chain))
        report.problems += walk.problems
        problem = _head_problem(walk, heads.get(chain))
        if problem:
            report.problems.append(problem)
    report.entries = sum(w.count for w in walks.values())
    report.chains = len(set(walks) | set(heads))
    report.problems += _checkpoint_problems(binding, seen, report.entries)
    return report


def verify() -> ChainBreak | None:
    """The first problem :func:`check` finds, or None if the log is intact."""
    problems = check().problems
    return problems[0] if problems else None


# --- Sealing


class AuditBroken(Exception):
    """The log changed since the last checkpoint in a way its chains show: not sealed."""


def _segment_problems(heads: list[AuditHead], base: dict | None) -> list[ChainBreak]:
    """Walk each chain from the last checkpoint to its head as read (entries written
    since then are not part of this seal)."""
    problems = []
    for head in heads:
        seq, last = (base or {}).get("chains", {}).get(str(head.chain), (0, GENESIS))
        walk = _Walk(head.chain, seq=seq, hash=last, keyed=base is not None)
        for entry in _entries(head.chain, after_seq=seq, upto=head.seq):
            walk.step(entry)
        problems += walk.problems
        if (walk.seq, walk.hash) != (head.seq, head.last_hash):
            problems.append(ChainBreak(None, "链头与日志不符：记录或链头被改动", head.chain))
    return problems


def seal(*, at: dt.datetime | None = None) -> dict | None:
    """Write a checkpoint of every chain's end; None when nothing changed since the last.

    Idempotent (a re-run with nothing new writes nothing). The segment since the last
    checkpoint is verified first: a broken log is reported (AuditBroken), never signed.
    """
    ensure_heads()
    heads = list(AuditHead.objects.order_by("chain"))
    previous = checkpoints.last_line()
    base = previous if previous and previous["kind"] == checkpoints.CHECKPOINT else None
    problems = _segment_problems(heads, base)
    if problems:
        raise AuditBroken("；".join(map(str, problems[:10])))
    chains = {str(h.chain): [h.seq, h.last_hash] for h in heads}
    if base is not None and base["chains"] == chains:
        return None
    return checkpoints.append(
        checkpoints.CHECKPOINT,
        slot=(at or timezone.now()).isoformat(),
        count=sum(h.seq for h in heads),
        chains=chains,
        root=checkpoints.root_of(chains),
    )


def restart(*, reason: str) -> dict:
    """Record that the log was wiped on purpose: earlier checkpoints stop binding.

    Only whoever can write the checkpoint file and holds the key can do this; the demo
    reset (development only) calls it once its wipe has committed.
    """
    return checkpoints.append(checkpoints.RESTART, reason=reason)


def note_restore(*, upto: int, backup: str) -> dict:
    """Record a restore from a backup taken when checkpoint ``upto`` was the latest:
    the checkpoints after it describe entries the restored database never had."""
    return checkpoints.append(checkpoints.RESTORE, upto=upto, backup=backup)
