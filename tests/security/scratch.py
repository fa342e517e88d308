"""A scratch deployment for tests that run the real `dangjian` commands in subprocesses.

Its own database (a SQLite file, or a fresh PostgreSQL database on the server of
DATABASE_URL), its own var/ (key file, secret), so killing or restoring it never
touches the test database pytest-django set up.

Applying every migration to a fresh SQLite file costs about ten CPU-seconds; a site made
with ``migrated=True`` starts from a copy of a database migrated once per test run with
the real ``migrate`` (the site's own ``migrate`` then finds nothing to apply). Tests
about migrating itself, or about the files ``migrate`` creates, start from nothing.
"""

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import dj_database_url

from tests import testdb

DANGJIAN = [sys.executable, "-m", "dangjian"]
ROOT = Path(__file__).resolve().parents[2]


def _pg_admin(url: str):
    import psycopg

    cfg = dj_database_url.parse(url)
    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _migrated_sqlite(target: Path) -> None:
    """``target``: a copy of a SQLite database with every migration applied by the real
    ``migrate``, made once per test run (tests/testdb.py), owner-only as the site's own
    database would be."""
    with testdb.template("scratch-site", _migrate_into) as template:
        testdb.copy(template, target)
    os.chmod(target, 0o600)


def _migrate_into(path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="dangjian-migrated-") as tmp:
        site = Site(Path(tmp))
        site.run("migrate", "--noinput", "--verbosity", "0")
        testdb.copy(Path(site.env["DANGJIAN_SQLITE"]), path)


class Site:
    """``vendor``: 'sqlite', or 'postgresql' (needs DATABASE_URL pointing at a server).
    ``migrated``: a SQLite site starts with every migration applied (see above)."""

    def __init__(self, tmp: Path, vendor: str = "sqlite", *, migrated: bool = False):
        self.tmp = Path(tmp)
        self.vendor = vendor
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        self.env.pop("DATABASE_URL", None)
        self.env.update(
            DANGJIAN_VAR_DIR=str(self.tmp / "var"),
            DANGJIAN_DEBUG="1",
            DJANGO_SETTINGS_MODULE="dangjian.settings",
            PYTHONPATH=str(ROOT),
        )
        self.dbname = None
        if vendor == "sqlite":
            self.env["DANGJIAN_SQLITE"] = str(self.tmp / "site.sqlite3")
            if migrated:
                _migrated_sqlite(self.tmp / "site.sqlite3")
        else:
            url = os.environ["DATABASE_URL"]
            self.dbname = f"dangjian_scratch_{uuid.uuid4().hex[:10]}"
            with _pg_admin(url) as conn:
                conn.execute(f'CREATE DATABASE "{self.dbname}"')
            self.env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + self.dbname

    def close(self) -> None:
        if self.dbname:
            with _pg_admin(os.environ["DATABASE_URL"]) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')

    def run(self, *args, check=True, timeout=120, env=None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*DANGJIAN, *map(str, args)],
            env={**self.env, **(env or {})},
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"dangjian {' '.join(map(str, args))} exited {result.returncode}\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def popen(self, *args, env=None) -> subprocess.Popen:
        return subprocess.Popen(
            [*DANGJIAN, *map(str, args)],
            env={**self.env, **(env or {})},
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def python(self, code: str):
        """Run ``code`` inside the site's Django; it sets ``result``, returned as JSON."""
        script = (
            "import json, django; django.setup()\n"
            + code
            + "\nprint('@@' + json.dumps(result, default=str))"
        )
        proc = subprocess.run(
            [sys.executable, "-c", script],
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise AssertionError(f"site python failed:\n{proc.stdout}\n{proc.stderr}")
        line = next(x for x in proc.stdout.splitlines() if x.startswith("@@"))
        return json.loads(line[2:])
