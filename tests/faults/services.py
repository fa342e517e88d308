"""The real services of the fault suite, each on 127.0.0.1 at a free port: a PostgreSQL
cluster of its own (initdb/pg_ctl, as the postgres user when run as root), a
redis-server, gunicorn and a Celery worker and beat. Each can be stopped, killed and
started again; everything is stopped at the end."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
APP_ROLE = "dangjian"  # the app's own role; the suite's checks and the hog are superuser


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if versions:
        return versions[-1]
    found = shutil.which("pg_ctl")
    if not found:
        raise RuntimeError("PostgreSQL's programs (initdb, pg_ctl) are not installed")
    return Path(found).parent


class Postgres:
    def __init__(self, work: Path, max_connections: int):
        self.bin = _pg_bin()
        self.port = free_port()
        self.data = work / "pg"
        self.data.mkdir()
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.data, "postgres", "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.max_connections = max_connections

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def init(self) -> None:
        subprocess.run(
            [
                *self.as_postgres,
                str(self.bin / "initdb"),
                *("-D", str(self.data), "-A", "trust", "-U", "postgres"),
                *("-E", "UTF8", "--locale=C.UTF-8"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()
        with self.connect() as admin:
            admin.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
            admin.execute(f"CREATE DATABASE dangjian OWNER {APP_ROLE}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k /tmp -c listen_addresses={HOST} -c fsync=off "
            f"-c max_connections={self.max_connections} -c superuser_reserved_connections=3"
        )
        self._ctl("-l", str(self.data / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=HOST, port=self.port, user="postgres", dbname=dbname, autocommit=True
        )

    @property
    def url(self) -> str:
        return f"postgres://{APP_ROLE}@{HOST}:{self.port}/dangjian"


class Process:
    """A child process in its own process group (so a kill takes its children too)."""

    def __init__(self, name: str, command: list[str], env: dict, log: Path):
        self.name, self.command, self.env, self.log = name, command, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def redis(work: Path, port: int) -> Process:
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server is not installed")
    command = [server, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    return Process("redis", command, dict(os.environ), work / "redis.log")


def gunicorn(env: dict, port: int, log: Path, workers: int, threads: int) -> Process:
    command = [
        str(BIN / "gunicorn"),
        "dangjian.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    return Process("gunicorn", command, env, log)


def celery(env: dict, log: Path, *args: str) -> Process:
    command = [str(BIN / "python"), "-m", "celery", "-A", "dangjian", *args, "-l", "WARNING"]
    return Process(f"celery {args[0]}", command, env, log)
