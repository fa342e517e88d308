"""Backups that restore (丢不了): consistent copies, a manifest, and verification.

- SQLite: Python's sqlite3 online backup API — a consistent copy while the site runs.
- PostgreSQL: ``pg_dump -Fc`` inside an exported REPEATABLE READ snapshot, so the dump
  and the manifest's checksums describe the same instant; restore with ``pg_restore
  --clean --if-exists --no-owner --single-transaction`` (all or nothing). The password
  goes through PGPASSWORD, never the command line.

Next to each backup ``<file>.manifest.json`` records when, which database, the applied
migrations, per-table row counts and a SHA-256 over each table's rows (ordered by
primary key, every value normalised to text — computed in Python the same way for
both databases), the backup file's own SHA-256, and a fingerprint of the key ids (not
the keys) in the key file. Restoring checks the file against the manifest first, then
recomputes every table's count and checksum and names the first that differs.

The audit log's checkpoint file (``core.checkpoints``) is part of the set: it is copied
to ``<file>.audit-checkpoints.jsonl`` *before* the database snapshot is taken, so every
checkpoint in the copy describes entries the backup holds. Restoring notes the restore
in the live checkpoint file (checkpoints after the copy's last line stop binding: the
restored database never had their entries), and puts the copy back first if the live
file is gone. The audit key is never part of the set: keep it apart.
"""

import datetime as dt
import decimal
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from contextlib import closing, contextmanager
from pathlib import Path

from django.conf import settings

from dangjian.core import checkpoints, crypto
from dangjian.core.excel import sha256_of
from dangjian.core.secrets import PRIVATE_FILE, private_dir, write_private

FORMAT = 1
PAGE = 5000
Progress = Callable[[str], None]

MSG_NO_MANIFEST = "找不到备份清单：{path}"
MSG_FILE_CHANGED = "备份文件的 SHA-256 与清单不符：文件已损坏或被改动"
MSG_VENDOR = "备份来自 {backup}，当前数据库是 {current}：不能跨数据库恢复"
MSG_NO_BINARY = (
    "找不到 PostgreSQL 客户端程序 {name}：请安装 postgresql-client（版本不低于服务器），"
    "或设置 DANGJIAN_PG_BIN 为其所在目录"
)


class BackupError(Exception):
    """A backup could not be made, read, or verified."""


def manifest_path(path: Path) -> Path:
    return Path(f"{path}.manifest.json")


def _db(db: dict | None) -> dict:
    return db or settings.DATABASES["default"]


def vendor_of(db: dict) -> str:
    engine = db["ENGINE"]
    if "sqlite3" in engine:
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"不支持的数据库：{engine}")


# --- Per-table counts and checksums, computed alike for both databases


def _norm(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _tables(cur, vendor: str) -> dict[str, list[str]]:
    """Table name → its primary-key columns (empty: order by every column)."""
    tables = {}
    if vendor == "sqlite":
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        for (name,) in cur.fetchall():
            cur.execute(f'PRAGMA table_info("{name}")')
            pk = sorted((r[5], r[1]) for r in cur.fetchall() if r[5])
            tables[name] = [c for _, c in pk]
    else:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        for (name,) in cur.fetchall():
            cur.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
                [f'"{name}"'],
            )
            tables[name] = [r[0] for r in cur.fetchall()]
    return dict(sorted(tables.items()))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_stats(conn, vendor: str) -> dict[str, dict]:
    """``{table: {"rows": n, "sha256": hex}}`` for every table of a DB-API connection."""
    cur = conn.cursor()
    mark = "?" if vendor == "sqlite" else "%s"
    stats = {}
    for table, pk in _tables(cur, vendor).items():
        digest, count = hashlib.sha256(), 0
        if len(pk) == 1:  # keyset pages: constant memory on big tables
            last = None
            while True:
                where = "" if last is None else f" WHERE {_q(pk[0])} > {mark}"
                cur.execute(
                    f"SELECT * FROM {_q(table)}{where} ORDER BY {_q(pk[0])} LIMIT {PAGE}",
                    [] if last is None else [last],
                )
                rows = cur.fetchall()
                if not rows:
                    break
                index = [d[0] for d in cur.description].index(pk[0])
                for row in rows:
                    digest.update(("\x1f".join(map(_norm, row)) + "\x1e").encode())
                count += len(rows)
                last = rows[-1][index]
        else:
            order = ", ".join(_q(c) for c in pk)
            cur.execute(f"SELECT * FROM {_q(table)}" + (f" ORDER BY {order}" if order else ""))
            lines = ["\x1f".join(map(_norm, row)) for row in cur.fetchall()]
            if not pk:
                lines.sort()
            for line in lines:
                digest.update((line + "\x1e").encode())
            count = len(lines)
        stats[table] = {"rows": count, "sha256": digest.hexdigest()}
    return stats


def _migrations(conn) -> list[str]:
    cur = conn.cursor()
    try:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY id")
    except Exception:  # an empty database
        return []
    return [f"{app}.{name}" for app, name in cur.fetchall()]


def compare(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """Differences, table by table in name order: the first names the first bad table."""
    problems = []
    for table, want in expected.items():
        got = actual.get(table)
        if got is None:
            problems.append(f"{table}：恢复后缺少该表")
        elif got["rows"] != want["rows"]:
            problems.append(f"{table}：行数 {got['rows']}，清单为 {want['rows']}")
        elif got["sha256"] != want["sha256"]:
            problems.append(f"{table}：校验和不符（行数相同 {got['rows']}，内容不同）")
    return problems


# --- Connections and PostgreSQL programs


def pg_binary(name: str) -> str:
    """pg_dump / pg_restore: DANGJIAN_PG_BIN, else the newest /usr/lib/postgresql/*/bin,
    else PATH. Missing → a clear error (never a silent skip)."""
    candidates = []
    if os.environ.get("DANGJIAN_PG_BIN"):
        candidates.append(Path(os.environ["DANGJIAN_PG_BIN"]) / name)
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) for x in Path(p).parent.name.split(".") if x.isdigit()],
    )
    candidates += [Path(p) / name for p in reversed(versions)]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(MSG_NO_BINARY.format(name=name))


def _pg_args(db: dict, dbname: str | None = None) -> tuple[list[str], dict]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return [*args, "-d", dbname or db["NAME"]], env


def _pg_connect(db: dict, dbname: str | None = None, **kwargs):
    import psycopg

    return psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=dbname or db["NAME"],
        options="-c TimeZone=UTC",
        **kwargs,
    )


def _repeatable_read():
    import psycopg

    return psycopg.IsolationLevel.REPEATABLE_READ


def _run(cmd: list[str], env: dict) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(
            f"{Path(cmd[0]).name} 失败（{result.returncode}）：{result.stderr.strip()}"
        )


def _readonly(path: Path) -> str:
    return f"file:{Path(path).resolve()}?mode=ro"


def _sqlite_copy(source: str, target) -> None:
    """sqlite3's online backup API: a consistent copy, taken under SQLite's locks."""
    with (
        closing(sqlite3.connect(source, uri=source.startswith("file:"), timeout=60)) as src,
        closing(sqlite3.connect(target, timeout=60)) as dst,
    ):
        src.backup(dst)


def _sqlite_path(db: dict) -> str:
    name = str(db["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("内存数据库无法备份")
    return name


# --- Backup


def _keys_section() -> dict:
    kids = sorted(crypto.keyring().keys)
    return {"fingerprint": crypto.fingerprint(kids), "kids": kids}


def checkpoints_path(path: Path) -> Path:
    return Path(f"{path}.audit-checkpoints.jsonl")


def _copy_checkpoints(path: Path) -> dict:
    """Copy the audit checkpoint file into the set (before the snapshot: see above)."""
    source, target = checkpoints.path(), checkpoints_path(path)
    target.unlink(missing_ok=True)
    if not source.exists():
        return {"file": None, "sha256": None, "upto": 0}
    data = source.read_bytes()
    lines = [json.loads(x) for x in data.decode().splitlines() if x.strip()]
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return {
        "file": target.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "upto": lines[-1]["n"] if lines else 0,
    }


def create(path: Path, *, db: dict | None = None, progress: Progress | None = None) -> dict:
    """Write a backup to ``path`` and its manifest beside it; returns the manifest."""
    db = _db(db)
    vendor = vendor_of(db)
    path = Path(path).resolve()
    private_dir(path.parent)
    audit_section = _copy_checkpoints(path)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=PRIVATE_FILE)  # owner-only before a byte of data is in it
    if vendor == "sqlite":
        _sqlite_copy(_sqlite_path(db), partial)  # one consistent snapshot, writers go on
        with closing(sqlite3.connect(partial)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
            stats, migrations = table_stats(conn, vendor), _migrations(conn)
    else:
        with _pg_connect(db) as conn:
            conn.isolation_level = _repeatable_read()  # one snapshot for dump and sums
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            args, env = _pg_args(db)
            _run(
                [pg_binary("pg_dump"), "-Fc", f"--snapshot={snapshot}", "-f", str(partial), *args],
                env,
            )
            if progress:
                progress("pg_dump 完成，计算各表校验和…")
            stats, migrations = table_stats(conn, vendor), _migrations(conn)
            conn.rollback()
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, path)
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "vendor": vendor,
        "database": Path(str(db["NAME"])).name,
        "file": path.name,
        "file_sha256": sha256_of(path),
        "file_size": path.stat().st_size,
        "migrations": migrations,
        "keys": _keys_section(),
        "audit": audit_section,
        "tables": stats,
    }
    write_private(manifest_path(path), json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def read_manifest(path: Path) -> dict:
    """The manifest of ``path``, after checking the backup file is the one it describes."""
    mpath = manifest_path(path)
    if not mpath.exists():
        raise BackupError(MSG_NO_MANIFEST.format(path=mpath))
    manifest = json.loads(mpath.read_text())
    if not Path(path).exists() or sha256_of(Path(path)) != manifest["file_sha256"]:
        raise BackupError(MSG_FILE_CHANGED)
    return manifest


def key_warnings(manifest: dict) -> list[str]:
    missing = sorted(set(manifest["keys"]["kids"]) - set(crypto.keyring().keys))
    if not missing:
        return []
    return [
        f"备份中的加密字段用到的密钥 {', '.join(missing)} 不在当前密钥文件中："
        "恢复后这些值将无法解密，请同时恢复对应时期的密钥文件"
    ]


# --- Restore and verify


def stats_of(db: dict | None = None, dbname: str | None = None) -> tuple[dict, list[str]]:
    """Counts and checksums of a live database (or another on the same server)."""
    db = _db(db)
    if vendor_of(db) == "sqlite":
        with closing(sqlite3.connect(dbname or _sqlite_path(db), timeout=30)) as conn:
            return table_stats(conn, "sqlite"), _migrations(conn)
    with _pg_connect(db, dbname) as conn:
        conn.isolation_level = _repeatable_read()
        result = table_stats(conn, "postgresql"), _migrations(conn)
        conn.rollback()
        return result


def restore(path: Path, *, db: dict | None = None) -> tuple[dict, list[str]]:
    """Replace the database with the backup, then verify it: (manifest, problems)."""
    db = _db(db)
    manifest = read_manifest(path)
    vendor = vendor_of(db)
    if manifest["vendor"] != vendor:
        raise BackupError(MSG_VENDOR.format(backup=manifest["vendor"], current=vendor))
    from django.db import connections

    connections.close_all()
    if vendor == "sqlite":
        _sqlite_copy(_readonly(path), _sqlite_path(db))  # under the database's own locks
    else:
        args, env = _pg_args(db)
        restore_cmd = [pg_binary("pg_restore"), "--clean", "--if-exists", "--no-owner"]
        _run([*restore_cmd, "--single-transaction", "--exit-on-error", *args, str(path)], env)
    actual, _ = stats_of(db)
    _note_audit_restore(Path(path), manifest)
    return manifest, compare(manifest["tables"], actual)


def _note_audit_restore(path: Path, manifest: dict) -> None:
    """Tell the checkpoint file which checkpoints the restored log can still reach."""
    from dangjian.core import audit

    section = manifest.get("audit") or {"file": None, "upto": 0}
    copy = checkpoints_path(path)
    live = checkpoints.path()
    if not live.exists() and section["file"] and copy.exists():
        live.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(live, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(copy.read_bytes())
    try:
        audit.note_restore(upto=section["upto"], backup=path.name)
    except Exception as exc:  # the key file missing or unreadable: say so, loudly
        raise BackupError(f"数据库已恢复，但无法在审计检查点文件中记录此次恢复：{exc}") from exc


def audit_problems(path: Path, manifest: dict) -> list[str]:
    """The checkpoint copy of a backup set, checked against its manifest."""
    section = manifest.get("audit")
    if not section or not section["file"]:
        return []
    copy = checkpoints_path(path)
    if not copy.exists():
        return [f"备份集中缺少审计检查点文件：{copy}"]
    if hashlib.sha256(copy.read_bytes()).hexdigest() != section["sha256"]:
        return ["备份集中的审计检查点文件与清单不符：文件已损坏或被改动"]
    return []


@contextmanager
def _scratch(db: dict):
    """A temporary database of the same kind: a temp file, or a PostgreSQL database."""
    if vendor_of(db) == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dangjian-verify-") as tmp:
            yield str(Path(tmp) / "verify.sqlite3")
        return
    name = f"dangjian_verify_{uuid.uuid4().hex[:12]}"
    with _pg_connect(db, "postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _pg_connect(db, "postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def verify(path: Path, *, db: dict | None = None) -> tuple[dict, list[str]]:
    """Restore the backup into a scratch database and compare it with its manifest."""
    db = _db(db)
    manifest = read_manifest(path)
    if manifest["vendor"] != vendor_of(db):
        raise BackupError(MSG_VENDOR.format(backup=manifest["vendor"], current=vendor_of(db)))
    if problems := audit_problems(Path(path), manifest):
        return manifest, problems
    with _scratch(db) as target:
        if manifest["vendor"] == "sqlite":
            _sqlite_copy(_readonly(path), target)
            with closing(sqlite3.connect(target)) as conn:
                check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                return manifest, [f"SQLite 完整性检查失败：{check}"]
        else:
            args, env = _pg_args(db, target)
            restore_cmd = [pg_binary("pg_restore"), "--no-owner", "--exit-on-error"]
            _run([*restore_cmd, "--single-transaction", *args, str(path)], env)
        actual, _ = stats_of(db, target)
    return manifest, compare(manifest["tables"], actual)
