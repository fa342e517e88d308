"""丢不了: a backup restores to exactly what it recorded, and a damaged one is caught.

Runs the real commands against a scratch deployment holding the test cast: SQLite by
default, PostgreSQL when the suite runs with DATABASE_URL=postgres://… (a scratch
database on that server; pg_dump/pg_restore must be installed — a missing one fails
with a clear message, never a skip).
"""

import json
import os

import pytest

from dangjian.core import backup
from tests.security.scratch import Site

VENDOR = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"

BUILD = "from tests.kit import build_cast\nbuild_cast()\nresult = 1"
STATE = """
from dangjian.core import backup
from dangjian.members.models import Member
members = {m.pk: [m.name, m.id_number, m.phone] for m in Member.objects.order_by("pk")}
result = {"members": members, "stats": backup.stats_of()[0]}
"""
DAMAGE = (
    """
from dangjian.members.models import Member
first, *rest = Member.objects.order_by("pk")
Member.objects.filter(pk=first.pk).update(name="被改动的名字")
Member.objects.filter(pk=rest[-1].pk).delete()
"""
    + STATE
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("site"), VENDOR, migrated=True)
    site.run("migrate", "--noinput")
    site.python(BUILD)
    yield site
    site.close()


def test_backup_restore_round_trip(site):
    path = site.tmp / "backups" / "dangjian.bak"
    original = site.python(STATE)["members"]

    made = site.run("backup", path)
    assert "备份完成" in made.stdout
    manifest = json.loads(backup.manifest_path(path).read_text())
    assert manifest["vendor"] == VENDOR
    assert manifest["tables"]["members_member"]["rows"] == len(original) == 8
    assert manifest["tables"]["core_auditentry"]["rows"] > 0
    assert "members.0003_member_address" in manifest["migrations"]
    assert len(manifest["keys"]["fingerprint"]) == 64 and manifest["keys"]["kids"]
    assert "备份校验通过" in site.run("backup", "--verify", path).stdout

    damaged = site.python(DAMAGE)
    assert damaged["members"] != original
    assert damaged["stats"] != manifest["tables"]

    refused = site.run("restore", path, check=False)  # no --yes and no terminal
    assert refused.returncode == 1
    assert "未确认" in refused.stderr

    restored = site.run("restore", path, "--yes")
    assert "校验通过" in restored.stdout
    state = site.python(STATE)
    assert state["members"] == original  # the changed and the deleted rows are back
    assert state["stats"] == manifest["tables"]  # counts and checksums, every table
    assert "审计链完整" in site.run("audit", "verify").stdout


def test_a_corrupted_backup_is_detected(site):
    path = site.tmp / "corrupt.bak"
    site.run("backup", path)
    before = site.python(STATE)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    verify = site.run("backup", "--verify", path, check=False)
    assert verify.returncode == 1
    assert backup.MSG_FILE_CHANGED in verify.stderr
    restore = site.run("restore", path, "--yes", check=False)
    assert restore.returncode == 1
    assert backup.MSG_FILE_CHANGED in restore.stderr
    assert site.python(STATE) == before  # nothing was touched


def test_a_restore_that_does_not_match_names_the_table(site):
    """The post-restore check compares every table; the first difference is named."""
    path = site.tmp / "mismatch.bak"
    site.run("backup", path)
    mpath = backup.manifest_path(path)
    manifest = json.loads(mpath.read_text())
    manifest["tables"]["members_member"]["rows"] += 1
    mpath.write_text(json.dumps(manifest))

    restore = site.run("restore", path, "--yes", check=False)
    assert restore.returncode == 1
    assert "恢复后校验失败：members_member：行数" in restore.stderr
    verify = site.run("backup", "--verify", path, check=False)
    assert verify.returncode == 1
    assert "members_member" in verify.stderr


def test_postgres_programs_are_found_or_named():
    if VENDOR != "postgresql":
        assert backup.vendor_of({"ENGINE": "django.db.backends.sqlite3"}) == "sqlite"
        return
    for name in ("pg_dump", "pg_restore"):
        assert os.access(backup.pg_binary(name), os.X_OK)


AFTER_BACKUP = """
from django.db import transaction
from dangjian.core import audit
with transaction.atomic():
    audit.record(actor=None, action="test.after_backup")
result = audit.seal()["n"]
"""


def test_the_audit_checkpoints_travel_with_the_backup(site):
    """The checkpoint file is in the set; a restore releases exactly the checkpoints the
    restored log never reached, so `audit verify` passes again — and checks the rest."""
    sealed = site.run("audit", "seal")
    assert "已写检查点" in sealed.stdout
    path = site.tmp / "with-checkpoints.bak"
    made = site.run("backup", path)
    copy = backup.checkpoints_path(path)
    live = site.tmp / "var" / "audit_checkpoints.jsonl"
    manifest = json.loads(backup.manifest_path(path).read_text())
    assert str(copy) in made.stdout and manifest["audit"]["file"] == copy.name
    assert copy.read_bytes() == live.read_bytes()
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    upto = manifest["audit"]["upto"]

    later = site.python(AFTER_BACKUP)  # a checkpoint of entries the backup does not hold
    assert later == upto + 1
    site.run("restore", path, "--yes")
    lines = [json.loads(x) for x in live.read_text().splitlines()]
    assert (lines[-1]["kind"], lines[-1]["upto"]) == ("restore", upto)
    assert "审计链完整" in site.run("audit", "verify").stdout

    copy.write_text(copy.read_text().replace('"count":', '"count":1'))
    verify = site.run("backup", "--verify", path, check=False)
    assert verify.returncode == 1
    assert "审计检查点文件与清单不符" in verify.stderr
