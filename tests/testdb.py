"""Migrated SQLite databases made once per test run and copied: applying the 81
migrations to a fresh database costs about ten CPU-seconds each time.

The first xdist worker to set up its test database migrates it as always and leaves a
copy of the result (a *template*) in a directory the whole run shares; the other worker
copies that file into its own in-memory test database instead of migrating (SQLite's
backup API: the same pages, so the same schema and the same rows the migrations wrote).
Scratch deployments (tests/security/scratch.py) share their migrated database the same
way. PostgreSQL test databases are migrated as before (the CI's second pass).

The directory is made by the first pytest process (the xdist controller) and named in
the environment its workers inherit; it is removed when that process ends, so a template
never outlives the migrations it was made from.
"""

import atexit
import fcntl
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from unittest import mock

from django.core import management

ENV = "DANGJIAN_TEST_TEMPLATES"


def make_directory() -> None:
    """Name this run's template directory in the environment, unless an enclosing pytest
    process already did (an xdist worker inherits its controller's)."""
    if ENV not in os.environ:
        path = tempfile.mkdtemp(prefix="dangjian-templates-")
        atexit.register(shutil.rmtree, path, True)
        os.environ[ENV] = path


@contextmanager
def template(name: str, make: Callable[[Path], None]) -> Iterator[Path]:
    """Template ``name`` of this run, made by ``make(path)`` in the first process to ask.

    The other processes wait on a lock while it is made; ``make`` writes to a temporary
    name, so one that fails half-way leaves nothing another process would take for a
    template. The lock is held while the caller copies it (the ``with`` body).
    """
    directory = Path(os.environ[ENV])
    path = directory / f"{name}.sqlite3"
    with open(directory / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not path.exists():
                partial = path.with_suffix(".partial")
                partial.unlink(missing_ok=True)
                make(partial)
                os.replace(partial, path)
            yield path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def copy(source: Path | sqlite3.Connection, target: Path | sqlite3.Connection) -> None:
    """Copy one SQLite database over another (a path or an open connection on either
    side) with the backup API: consistent, a WAL file left beside the source included."""
    with _opened(source) as src, _opened(target) as dst:
        src.backup(dst)


@contextmanager
def _opened(db: Path | sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    if isinstance(db, sqlite3.Connection):
        yield db
    else:
        with closing(sqlite3.connect(db)) as conn:
            yield conn


def migrate_from_template(connection) -> None:
    """Make the next ``create_test_db`` of this SQLite connection copy the run's migrated
    template instead of migrating (Django's creation steps otherwise as they are: the
    test database's name, the cache table, the connection). The first process to get
    here makes the template: it migrates its own test database and saves a copy."""
    creation = connection.creation
    real_create = creation.create_test_db
    real_call_command = management.call_command

    def create_test_db(*args, **kwargs):
        del creation.create_test_db  # once: the class's method again from now on
        made = []

        def make(path: Path) -> None:
            made.append(real_create(*args, **kwargs))
            copy(connection.connection, path)

        with template("test-database", make) as path:
            if made:
                return made[0]

            def call_command(name, *cargs, **options):
                if name != "migrate":
                    return real_call_command(name, *cargs, **options)
                connection.ensure_connection()
                copy(path, connection.connection)

            with mock.patch.object(management, "call_command", call_command):
                return real_create(*args, **kwargs)

    creation.create_test_db = create_test_db
