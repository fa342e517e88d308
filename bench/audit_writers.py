"""Audit writers bench: audited writes at 1, 4 and 8 writer processes on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:54329/postgres \\
        .venv/bin/python bench/audit_writers.py [--writers 1 4 8] [--seconds 8] [--hold-ms 5]

1. A scratch database on the server of DATABASE_URL and a temporary var/ (audit key,
   checkpoint file): ``migrate``, one user.
2. For each number of writers, three phases in turn, each ``--seconds`` long, with the
   writers started together (each connects and warms up, then waits for "go"):
   - **unaudited** (the baseline): each transaction inserts one row (an inbox message),
     then stays open ``--hold-ms`` (``pg_sleep``) before it commits;
   - **audited, 16 chains**: the same insert, ``audit.record`` for it, the same wait;
   - **audited, 1 chain**: the same with ``DANGJIAN_AUDIT_CHAINS=1`` — every writer
     queues on one head, as the single locked head row did before the chains.
   The wait stands for what follows the audit entry in a real transaction — the round
   trips to a database on another machine and the commit's flush — during which the
   head stays locked. On a 2-core machine the writers' own CPU use soon caps every
   phase; the wait makes the bench measure what the audit log adds: its locking.
3. A table of transactions/s and the audited/unaudited ratio per number of writers;
   then ``audit seal`` and ``audit verify`` on everything written (exit 1 if it fails).

Every loop is bounded in time and count; the scratch database and the temporary
directory are removed at the end.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import dj_database_url
import psycopg

ROOT = Path(__file__).resolve().parent.parent
MAX_PER_WRITER = 200_000

WORKER = """
import sys, time
import django
django.setup()
from django.db import transaction
from dangjian.core import audit
from dangjian.core.models import Notification
from django.db import connection
USER, AUDITED, SECONDS, HOLD = {user}, {audited}, {seconds}, {hold}

def once(i):
    with transaction.atomic():
        note = Notification.objects.create(user_id=USER, kind="bench", title=f"消息 {{i}}")
        if AUDITED:
            audit.record(actor=None, action="bench.write", obj=note, after={{"i": i}})
        if HOLD:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_sleep(%s)", [HOLD])

once(-1)  # connected, warmed up
print("ready", flush=True)
sys.stdin.readline()
done, end = 0, time.monotonic() + SECONDS
while time.monotonic() < end and done < {cap}:
    once(done)
    done += 1
print(done, flush=True)
"""

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from dangjian.accounts.models import User
print(User.objects.create(username="bench-writer").pk)
"""


def admin(url: str):
    cfg = dj_database_url.parse(url)
    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def run_python(code: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout


def phase(
    env: dict, *, writers: int, seconds: float, hold: float, user: int, audited: bool
) -> float:
    """Transactions per second of ``writers`` processes started together."""
    code = WORKER.format(user=user, audited=audited, seconds=seconds, hold=hold, cap=MAX_PER_WRITER)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(writers)
    ]
    for proc in procs:
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(proc.stderr.read())
    start = time.monotonic()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    total = 0
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 120)
        if proc.returncode:
            raise SystemExit(err)
        total += int(out.strip().splitlines()[-1])
    return total / (time.monotonic() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--hold-ms", type=float, default=5.0, help="0: no wait (CPU-bound)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit(
            "需要 PostgreSQL：设置 DATABASE_URL=postgres://…（用其所在服务器建临时库）"
        )
    dbname = f"dangjian_bench_audit_{uuid.uuid4().hex[:10]}"
    with admin(url) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        with tempfile.TemporaryDirectory(prefix="dangjian-bench-audit-") as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": url.rsplit("/", 1)[0] + "/" + dbname,
                "DANGJIAN_VAR_DIR": tmp,
                "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
                "PYTHONPATH": str(ROOT),
            }
            return bench(env, args)
    finally:
        with admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def bench(env: dict, args) -> int:
    user = int(run_python(SETUP, env).strip().splitlines()[-1])
    one_chain = {**env, "DANGJIAN_AUDIT_CHAINS": "1"}
    rows = []
    for writers in args.writers:
        common = {
            "writers": writers,
            "seconds": args.seconds,
            "hold": args.hold_ms / 1000,
            "user": user,
        }
        plain = phase(env, audited=False, **common)
        chains = phase(env, audited=True, **common)
        single = phase(one_chain, audited=True, **common)
        rows.append((writers, plain, chains, single))
        print(f"  {writers} writers: {plain:.1f} / {chains:.1f} / {single:.1f} tx/s", flush=True)
    print()
    print(
        "| writers | unaudited tx/s | audited, 16 chains tx/s | ratio | audited, 1 chain tx/s | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for writers, plain, chains, single in rows:
        print(
            f"| {writers} | {plain:.1f} | {chains:.1f} | {chains / plain:.2f} "
            f"| {single:.1f} | {single / plain:.2f} |"
        )
    first = rows[0][2]
    print()
    print(
        "audited (16 chains) throughput vs 1 writer: "
        + ", ".join(f"{w}× writers → {c / first:.2f}" for w, _, c, _ in rows)
    )
    cli = [sys.executable, "-m", "dangjian", "audit"]
    for action in ("seal", "verify"):
        done = subprocess.run([*cli, action], env=env, capture_output=True, text=True)
        print((done.stdout + done.stderr).strip())
        if done.returncode:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
