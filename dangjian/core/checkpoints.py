"""Signed audit checkpoints outside the database: an append-only JSONL file.

Every few minutes ``audit.seal`` appends a line holding each chain's (seq, hash), the
total number of entries and a root over them; ``audit verify`` then requires the log
to still reach every one of them. A copy of each line also goes to the
``dangjian.audit`` logger, so a log collector holds the same anchors. Each line is
signed with the audit key (HMAC-SHA256) and names the signature of the line before
it, so a forged, edited, reordered or removed line is seen too.

Line kinds (``kind``):

- ``checkpoint`` — ``count``, ``chains`` ``{"<chain>": [seq, hash]}``, ``root``;
- ``restart`` — the log was wiped on purpose (a development ``seed_demo --reset``):
  the checkpoints before it no longer bind;
- ``restore`` — the database was restored from a backup taken when checkpoint
  ``upto`` was the latest: later checkpoints before this line no longer bind.

The file (settings.AUDIT_CHECKPOINT_FILE, ``var/audit_checkpoints.jsonl``) is created
with mode 0600 and only ever appended to, under an exclusive ``flock``.
"""

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from dangjian.core import auditkey

log = logging.getLogger("dangjian.audit")

PURPOSE = "audit-checkpoint"
CHECKPOINT, RESTART, RESTORE = "checkpoint", "restart", "restore"
TAIL_BYTES = 1 << 16  # a line is ~1.5 kB for 16 chains: the last one is in the tail


def path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def root_of(chains: dict[str, list]) -> str:
    """One hash over every chain's (seq, hash): what a log line or a report can quote."""
    return hashlib.sha256(canonical(chains).encode()).hexdigest()


def _signed(line: dict) -> dict:
    body = {k: v for k, v in line.items() if k != "sig"}
    return {**body, "sig": auditkey.sign(line["kid"], PURPOSE, canonical(body))}


def signature_ok(line: dict) -> bool:
    body = {k: v for k, v in line.items() if k != "sig"}
    try:
        return auditkey.sign(body["kid"], PURPOSE, canonical(body)) == line.get("sig")
    except (KeyError, LookupError):
        return False


@contextmanager
def _locked() -> Iterator[int]:
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _last_line(fd: int) -> dict | None:
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return None
    start = max(0, size - TAIL_BYTES)
    os.lseek(fd, start, os.SEEK_SET)
    tail = os.read(fd, size - start).decode(errors="replace")
    lines = [x for x in tail.splitlines() if x.strip()]
    return json.loads(lines[-1]) if lines else None


def last_line() -> dict | None:
    """The most recent line of the file (None when there is none yet)."""
    if not path().exists():
        return None
    with _locked() as fd:
        return _last_line(fd)


def append(kind: str, **payload) -> dict:
    """Sign and append one line; also send it to the ``dangjian.audit`` logger."""
    with _locked() as fd:
        previous = _last_line(fd)
        line = _signed(
            {
                "kind": kind,
                "n": (previous["n"] + 1) if previous else 1,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "prev": previous["sig"] if previous else "",
                "kid": auditkey.keys().current,
                **payload,
            }
        )
        os.write(fd, (canonical(line) + "\n").encode())
        os.fsync(fd)
    log.info("audit %s %s", kind, canonical(line))
    return line


def read() -> tuple[list[dict], list[str]]:
    """Every line of the file, and what is wrong with the file itself (in Chinese)."""
    if not path().exists():
        return [], []
    lines, problems, prev_sig, prev_n = [], [], "", 0
    for number, raw in enumerate(path().read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            problems.append(f"检查点文件第 {number} 行不是有效的 JSON：文件被改动或损坏")
            continue
        if not isinstance(line, dict) or not signature_ok(line):
            problems.append(f"检查点文件第 {number} 行签名不符：该行被伪造或改动")
            continue
        if line["prev"] != prev_sig or line["n"] != prev_n + 1:
            problems.append(
                f"检查点文件第 {number} 行（检查点 #{line['n']}）与上一行不相接："
                "其前面的行被删除、插入或调换"
            )
        if line["kind"] == CHECKPOINT and root_of(line["chains"]) != line["root"]:
            problems.append(f"检查点 #{line['n']} 的根哈希与各链不符")
        lines.append(line)
        prev_sig, prev_n = line["sig"], line["n"]
    return lines, problems


def binding(lines: list[dict]) -> list[dict]:
    """The checkpoints the log must still reach: restarts and restores void some."""
    kept: list[dict] = []
    for line in lines:
        if line["kind"] == CHECKPOINT:
            kept.append(line)
        elif line["kind"] == RESTART:
            kept = []
        elif line["kind"] == RESTORE:
            kept = [c for c in kept if c["n"] <= line["upto"]]
    return kept


def latest_checkpoint(lines: list[dict]) -> dict | None:
    kept = binding(lines)
    return kept[-1] if kept else None
