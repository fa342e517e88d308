"""Two notifications for the same bill at once, from separate processes (PostgreSQL when
DATABASE_URL points at it, as in CI): the bill is paid once and the books balance."""

import json
import subprocess
import sys

import pytest

SETUP = """
import datetime as dt, json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.utils import timezone
from tests.kit import build_cast
from dangjian.dues import providers, services
from dangjian.dues.models import SandboxTrade
cast = build_cast()
member = cast.member["B1m1"]
services.base_set(acting_user=cast.user["root"], member=member, category="employed",
                  effective_month=dt.date(2021, 1, 1), base_fen=300000)
this = timezone.localdate().replace(day=1)
first, _ = services.payment_start(acting_user=cast.user["member"], member=member, months=[this])
second, _ = services.payment_start(acting_user=cast.user["member"], member=member, months=[this])
bodies = []
for payment in (first, second, first):
    trade = SandboxTrade.objects.get(out_trade_no=payment.out_trade_no)
    trade.status = "SUCCESS"
    trade.save()
    body, headers = providers.get("sandbox").notice_for(trade, "SUCCESS")
    bodies.append([body.decode(), headers])
bodies.append(bodies[0])  # the same notification delivered twice at once
result = bodies
"""

WORKER = """
import json, sys, django
django.setup()
from dangjian.dues import services
body, headers = json.loads(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print("@@" + services.notice_receive(provider="sandbox", body=body.encode(), headers=headers))
"""

CHECK = """
from django.db.models import Sum
from dangjian.core import ledger
from dangjian.core.models import LedgerAccount
from dangjian.dues.models import Bill, Payment, SandboxTrade
result = {
    "paid_bills": list(Bill.objects.filter(status="paid").values_list("payment_id", flat=True)),
    "mismatches": len(ledger.verify()),
    "branch": LedgerAccount.objects.get(book="dues", holder__startswith="branch:").balance,
    "members": LedgerAccount.objects.filter(book="dues", holder__startswith="member:")
    .aggregate(s=Sum("balance"))["s"],
    "refunded": sorted(SandboxTrade.objects.values_list("refunded_fen", flat=True)),
}
"""


@pytest.fixture
def site(tmp_path):
    from django.db import connection

    from tests.security.scratch import Site

    scratch = Site(tmp_path, connection.vendor, migrated=True)
    yield scratch
    scratch.close()


@pytest.mark.django_db
def test_concurrent_notifications_pay_a_bill_once(site):
    notices = site.python(SETUP)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(n)],
            env=site.env,
            cwd=site.tmp,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in notices
    ]
    for worker in workers:
        line = worker.stdout.readline()
        assert line == "ready\n", line + worker.stderr.read()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outcomes = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        outcomes.append(next(x for x in out.splitlines() if x.startswith("@@"))[2:])
    state = site.python(CHECK)
    assert sorted(outcomes) == ["already_paid", "duplicate", "paid", "paid"]
    assert len(state["paid_bills"]) == 1  # both orders paid, the bill once: one refunded
    assert state["refunded"] == [0, 1500]
    assert state["branch"] == 1500 and state["members"] == 0
    assert state["mismatches"] == 0
