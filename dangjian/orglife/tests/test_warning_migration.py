"""Upgrading moves orglife's ComplianceWarning rows onto core warnings (and back again on a
downgrade), keeping the dedupe key, so the month's job finds them and raises nothing twice.

Runs the real migrations on a scratch database in a subprocess (tests/security/scratch.py):
the test database pytest set up is never migrated backwards.
"""

import pytest

from tests.security.scratch import Site

BEFORE = """
import datetime as dt
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
call_command("migrate", "orglife", "0001", verbosity=0)
apps = MigrationExecutor(connection).loader.project_state(
    [("orglife", "0001_initial"), ("core", "0006_warning")]
).apps
Org = apps.get_model("orgs", "Organisation")
Old = apps.get_model("orglife", "ComplianceWarning")
made = dict(founded_on=dt.date(1990, 1, 1), org_type="branch", depth=1, numchild=0)
a = Org.objects.create(path="0001", name="第一党支部", code="530102100001", **made)
b = Org.objects.create(path="0002", name="第二党支部", code="530102100002", **made)
Old.objects.create(branch=a, period="2026-11", kind="theme_day_missing",
                   message="第一党支部2026年11月尚未开展主题党日，请于本月内开展并记录")
Old.objects.create(branch=b, period="2026-12", kind="theme_day_missing", message="十二月",
                   resolved_at=dt.datetime(2026, 12, 21, tzinfo=dt.UTC))
call_command("migrate", verbosity=0)
from dangjian.core.models import Warning
result = {
    "orgs": [a.pk, b.pk],
    "rows": list(Warning.objects.order_by("period").values(
        "kind", "org_id", "subject_type", "subject_id", "subject_label", "title", "period",
        "due", "resolution", "dedupe_key")),
}
"""

RERUN = """
import datetime as dt
from dangjian.core.calendar import TZ
from dangjian.orglife import rules, services
from dangjian.orgs.models import Organisation
from dangjian.core.models import Warning
branch = Organisation.objects.get(path="0001")
services.theme_day_warn(branch=branch, month=rules.parse_period("2026-11"))
result = Warning.objects.count()
"""

DOWN = """
from django.core.management import call_command
from django.db import connection
call_command("migrate", "orglife", "0001", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("SELECT branch_id, period, kind, resolved_at IS NOT NULL"
                   " FROM orglife_compliancewarning ORDER BY period")
    old = cursor.fetchall()
    cursor.execute("SELECT COUNT(*) FROM core_warning")
    left = cursor.fetchone()[0]
result = {"old": old, "left": left}
"""


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path, "sqlite")
    yield site
    site.close()


def test_rows_move_to_core_and_back(site):
    state = site.python(BEFORE)
    a, b = state["orgs"]
    november, december = state["rows"]
    assert november == {
        "kind": "orglife.theme_day_missing",
        "org_id": a,
        "subject_type": "orgs.organisation",
        "subject_id": str(a),
        "subject_label": "第一党支部",
        "title": "第一党支部2026年11月尚未开展主题党日，请于本月内开展并记录",
        "period": "2026-11",
        "due": "2026-11-30 16:00:00+00:00",  # 1 December 00:00 in Beijing
        "resolution": "",
        "dedupe_key": f"orglife.theme_day:{a}:2026-11",
    }
    assert (december["org_id"], december["resolution"]) == (b, "auto")

    assert site.python(RERUN) == 2  # the job's key finds the moved row: nothing new

    state = site.python(DOWN)
    assert state["old"] == [
        [a, "2026-11", "theme_day_missing", False],
        [b, "2026-12", "theme_day_missing", True],
    ]
    assert state["left"] == 0
