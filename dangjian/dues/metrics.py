"""Dues figures for any subtree (core.rollups): per bill month, in fen, the amount due,
collected and unpaid. Registered in DuesConfig.ready; services mark the member's branch.

A bill counts for its member's current branch in its own month (the month it is dues
for), so "collected" for 2026-11 is what was paid of November's bills, whenever paid.
"""

from django.db.models import QuerySet, Sum

from dangjian.core import rollups
from dangjian.core.scope import Perm
from dangjian.dues.models import Bill, BillStatus

METRIC = "dues.bills"
KEYS = {"due": "应缴（分）", "collected": "已缴（分）", "unpaid": "欠缴（分）"}


def bills(orgs: QuerySet):
    rows = (
        Bill.objects.filter(member__branch__in=orgs)
        .order_by()
        .values_list("member__branch_id", "month", "status")
        .annotate(n=Sum("amount_fen"))
    )
    for branch_id, month, status, n in rows:
        period = f"{month.year}-{month.month:02d}"
        yield branch_id, period, "due", n
        yield branch_id, period, "collected" if status == BillStatus.PAID else "unpaid", n


def register() -> None:
    rollups.register(
        metric=METRIC, compute=bills, perm=Perm.VIEW_DUES, label="党费收缴", monthly=True, keys=KEYS
    )
