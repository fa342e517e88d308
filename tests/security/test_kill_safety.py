"""丢不了: a member import killed with SIGKILL leaves whole batches, and resumes exactly.

A real `dangjian import_members` process against a file-based SQLite database is
killed after at least one batch committed; the database then holds only whole batches
(each batch, its audit entry and the import's progress commit together), the audit
chain verifies, and running the same command again ends with every row exactly once.
The monthly job's kill test is in test_kill_jobs.py.
"""

import csv
import datetime as dt
import signal
import sqlite3
import time

import pytest

from dangjian.core import idcard
from tests.security.scratch import Site

ROWS = 3000
BATCH = 500
BRANCH_CODE = "530102100001"

SETUP = """
import datetime as dt
from django.core.management import call_command
call_command("migrate", verbosity=0)
from dangjian.accounts.models import User
from dangjian.orgs import services as orgs
root = User.objects.create_superuser("root", "root@example.cn", "Test-Passw0rd!")
p = orgs.org_create_root(acting_user=root, name="云南省委", org_type="province",
    code="530000000000", founded_on=dt.date(1990, 1, 1))
c = orgs.org_create(acting_user=root, parent=p, name="昆明市委", org_type="city",
    code="530100000000", founded_on=dt.date(1990, 1, 1))
k = orgs.org_create(acting_user=root, parent=c, name="五华区委", org_type="county",
    code="530102000000", founded_on=dt.date(1990, 1, 1))
b = orgs.org_create(acting_user=root, parent=k, name="华山社区党支部", org_type="branch",
    code=BRANCH_CODE, founded_on=dt.date(1990, 1, 1))
result = b.pk
""".replace("BRANCH_CODE", repr(BRANCH_CODE))

CHECK = """
from dangjian.core import audit, crypto
from dangjian.core.models import ImportJob
from dangjian.members.models import ID_INDEX, Member
members = list(Member.objects.all())
incomplete = [
    m.pk for m in members
    if not (m.name and m.id_number and m.phone and m.address and m.birth_date and m.gender
            and m.id_number_digest == crypto.blind_index(m.id_number, purpose=ID_INDEX))
]
job = ImportJob.objects.first()
result = {
    "ids": [m.id_number for m in members],
    "incomplete": incomplete,
    "job": [job.rows_done, job.state] if job else None,
    "audit_broken": audit.verify() is not None,
}
"""


HEADER = ["姓名", "公民身份号码", "手机号", "民族", "学历", "职业", "入党日期", "转正日期",
          "党籍状态", "所在党支部代码", "家庭住址"]  # fmt: skip


def _write_file(path) -> list[str]:
    """CSV for speed here (the .xlsx reader is tested in dangjian/core/tests/test_excel.py)."""
    ids = []
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(ROWS):
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=i)
            number = idcard.build("530102", birth, 100 + i % 800)
            ids.append(number)
            out.writerow([f"党员{i:04d}", number, f"139{i:08d}", "汉族", "大学本科", "教师",
                          f"{birth.year + 25}-07-01", f"{birth.year + 26}-07-01", "正式党员",
                          BRANCH_CODE, f"云南省昆明市五华区华山南路{i}号"])  # fmt: skip
    return ids


def _rows_done(db) -> int:
    with sqlite3.connect(db, timeout=5) as conn:
        row = conn.execute("SELECT rows_done FROM core_importjob").fetchone()
    return row[0] if row else 0


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path, "sqlite", migrated=True)
    site.python(SETUP)  # migrate, then a tree down to one branch
    yield site
    site.close()


def test_killed_import_leaves_whole_batches_and_resumes(site, tmp_path):
    sheet = tmp_path / "members.csv"
    ids = _write_file(sheet)
    db = site.env["DANGJIAN_SQLITE"]
    args = ("import_members", sheet, "--acting-user", "root", "--batch-size", BATCH)

    proc = site.popen(*args, env={"DANGJIAN_TEST_IMPORT_PAUSE": "0.4"})
    deadline = time.monotonic() + 60
    while _rows_done(db) < BATCH:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no batch committed within 60 s"
        time.sleep(0.02)
    time.sleep(0.25)  # somewhere in the pause or the next batch's write
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    state = site.python(CHECK)
    count = len(state["ids"])
    assert 0 < count < ROWS
    assert count % BATCH == 0, f"{count} rows: a partial batch was committed"
    assert state["job"] == [count, "running"]
    assert state["incomplete"] == []
    assert sorted(state["ids"]) == sorted(ids[:count])  # the first batches, nothing else
    verify = site.run("audit", "verify")
    assert "审计链完整" in verify.stdout

    again = site.run(*args)
    assert f"续传：前 {count} 行" in again.stdout
    state = site.python(CHECK)
    assert len(state["ids"]) == ROWS
    assert sorted(state["ids"]) == sorted(ids)  # every row exactly once
    assert state["job"] == [ROWS, "done"]
    assert state["incomplete"] == []
    assert not state["audit_broken"]
