"""丢不了: the monthly 主题党日 warning job killed with SIGKILL midway, then run again,
leaves exactly one warning and one notice per branch.

A real `dangjian run_jobs orglife.theme_day_warnings --at ...` process against a
file-based SQLite database is killed after some branches were warned (a test-only
pause between branches makes "midway" reliable). Each branch's warning, notice and
audit entry commit together, so the kill leaves only whole branches; the slot stays
due (no finished run), and the re-run completes the rest without duplicating anyone.
"""

import signal
import sqlite3
import time

import pytest

from tests.security.scratch import Site

BRANCHES = 12
SLOT = "2026-11-20T09:00"

SETUP = """
import datetime as dt
from django.core.management import call_command
call_command("migrate", verbosity=0)
from dangjian.accounts import services as accounts
from dangjian.accounts.models import User
from dangjian.orgs import services as orgs
root = User.objects.create_superuser("root", "root@example.cn", "Test-Passw0rd!")
made = dict(founded_on=dt.date(1990, 1, 1))
p = orgs.org_create_root(acting_user=root, name="云南省委", org_type="province",
    code="530000000000", **made)
c = orgs.org_create(acting_user=root, parent=p, name="昆明市委", org_type="city",
    code="530100000000", **made)
k = orgs.org_create(acting_user=root, parent=c, name="五华区委", org_type="county",
    code="530102000000", **made)
t = orgs.org_create(acting_user=root, parent=k, name="华山街道党委", org_type="committee",
    code="530102100000", **made)
for i in range(BRANCHES):
    b = orgs.org_create(acting_user=root, parent=t, name=f"第{i + 1}党支部",
        org_type="branch", code=f"5301021001{i:02d}", **made)
    admin = accounts.user_create(acting_user=root, username=f"admin{i}",
        password="Test-Passw0rd!", validate_password=False)
    accounts.role_grant(acting_user=root, user=admin, org=b, role="admin")
result = True
""".replace("BRANCHES", str(BRANCHES))

CHECK = """
from django.db.models import Count
from dangjian.core import audit
from dangjian.core.models import JobRun, Notification
from dangjian.core.models import Warning
warnings = list(Warning.objects.values_list("org_id", flat=True))
notices = list(
    Notification.objects.filter(kind="orglife.warning")
    .values("user__username").annotate(n=Count("id")).values_list("user__username", "n")
)
result = {
    "warnings": warnings,
    "notices": dict(notices),
    "runs": list(JobRun.objects.values_list("status", flat=True)),
    "audit_broken": audit.verify() is not None,
}
"""


def _warnings(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM core_warning").fetchone()[0]
    except sqlite3.OperationalError:  # locked for a moment by the job's write
        return 0


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path, "sqlite", migrated=True)
    site.python(SETUP)
    yield site
    site.close()


def test_killed_warning_job_reruns_to_exactly_one_warning_per_branch(site):
    db = site.env["DANGJIAN_SQLITE"]
    args = ("run_jobs", "orglife.theme_day_warnings", "--at", SLOT)

    proc = site.popen(*args, env={"DANGJIAN_TEST_JOB_PAUSE": "0.3"})
    deadline = time.monotonic() + 60
    while _warnings(db) < 3:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no warning committed within 60 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    state = site.python(CHECK)
    done = len(state["warnings"])
    assert 3 <= done < BRANCHES
    assert len(state["notices"]) == done  # each warned branch's notice committed with it
    assert set(state["notices"].values()) == {1}
    assert state["runs"] == ["running"]  # the slot is still due
    assert not state["audit_broken"]

    again = site.run(*args)
    assert "已完成" in again.stdout
    state = site.python(CHECK)
    assert sorted(state["warnings"]) == sorted(set(state["warnings"]))
    assert len(state["warnings"]) == BRANCHES  # exactly one per branch
    assert state["notices"] == {f"admin{i}": 1 for i in range(BRANCHES)}
    assert "done" in state["runs"]
    assert not state["audit_broken"]

    site.run(*args, "--force")  # even a forced re-run adds nothing
    assert site.python(CHECK)["notices"] == {f"admin{i}": 1 for i in range(BRANCHES)}
