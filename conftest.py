"""Test setup: one shared cast per database, cheap password hashing, fresh caches (the
private var/ of each test process is set up in tests/settings.py)."""

import itertools
import os

import pytest
from _pytest.nodeid import NodeId


def pytest_itemcollected(item):
    """Tests that share a module- or class-scoped fixture of ours run on one xdist worker
    (``--dist loadgroup``, pyproject.toml): spread over both, each worker built the fixture
    again — seeding the demo or growing the query-count world costs a minute. Transactional
    tests stay spread: the group goes first, and they flush the cast other tests read.

    xdist groups by an ``@group`` suffix of the node id, set from the ``xdist_group`` mark
    through ``item._nodeid``, an attribute pytest 9 no longer reads (it keeps ``_id``), so
    the suffix is set here, as each item is collected.
    """
    info = getattr(item, "_fixtureinfo", None)
    if info is None or not getattr(item.config.option, "loadgroup", False):  # an xdist worker
        return
    if {"transactional_db", "live_server"} & set(info.names_closure):
        return
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return
    for defs in info.name2fixturedefs.values():
        if defs[-1].scope in ("module", "class") and _ours(defs[-1].func):
            item._id = NodeId.parse(f"{item.nodeid}@{item.module.__name__}")
            return


def _ours(func) -> bool:
    return func.__module__.split(".")[0] in ("dangjian", "tests", "conftest")


def pytest_configure(config):
    """Cheap password hashing in tests (same algorithm and format; see tests/hashers.py);
    the run's directory of migrated templates (tests/testdb.py)."""
    from django.conf import settings

    from tests import testdb

    testdb.make_directory()

    settings.PASSWORD_HASHERS = [
        "tests.hashers.FastArgon2PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """A SQLite test database starts as a copy of the run's migrated template (made by
    the first worker to get here) instead of applying every migration again."""
    from django.db import connection

    from tests import testdb

    if connection.vendor == "sqlite":
        testdb.migrate_from_template(connection)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Build the cast once per test database; each test then runs in a rolled-back transaction."""
    from tests.kit import build_cast

    with django_db_blocker.unblock():
        pytest.dangjian_cast = build_cast()


@pytest.fixture
def cast(db):
    """The shared cast (tree, members, users), reloaded fresh for this test."""
    from tests.kit import reload

    return reload(pytest.dangjian_cast)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (in the local-memory cache) and the SMS outbox never leak from
    one test to the next; text messages go to that in-memory outbox."""
    from django.core.cache import cache
    from django.test import override_settings

    from dangjian.core.notify import sms_outbox

    cache.clear()
    sms_outbox.clear()
    with override_settings(SMS_BACKEND="dangjian.core.notify.LocmemSmsBackend"):
        yield
    cache.clear()


@pytest.fixture
def login(client):
    """Log ``client`` in as a user of the cast (session auth, as the pages use), with the
    second factor passed for users who need one (tests.kit.login_verified)."""
    from tests.kit import login_verified

    def _login(user):
        return login_verified(client, user)

    return _login


@pytest.fixture
def bearer(db):
    """Authorization headers with a fresh API token for ``user``."""
    from dangjian.accounts.services import token_issue

    def _bearer(user) -> dict:
        raw, _ = token_issue(user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return _bearer


_checkpoint_files = itertools.count()


@pytest.fixture(autouse=True)
def _audit_checkpoints():
    """Each test its own (initially absent) audit checkpoint file: a checkpoint sealed in a
    test describes entries its rolled-back transaction takes away again."""
    from pathlib import Path

    from django.test import override_settings

    run_dir = Path(os.environ["DANGJIAN_VAR_DIR"]) / "audit-checkpoints"
    path = run_dir / f"{next(_checkpoint_files)}.jsonl"
    with override_settings(AUDIT_CHECKPOINT_FILE=path):
        yield path
