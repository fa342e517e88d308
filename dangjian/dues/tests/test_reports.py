"""Dues reports from core.rollups: a subtree's figures are the sum over its branches, a
county admin's never include another county, the quarterly comparison, Excel and PDF."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from dangjian.core import rollups
from dangjian.dues import reports, services
from tests.kit import BRANCHES, login_verified

pytestmark = pytest.mark.django_db
MONTHS = [dt.date(2025, m, 1) for m in (4, 5, 6, 7, 8, 9)]  # 2025Q2 and 2025Q3


@pytest.fixture
def dues_world(cast):
    """Every branch's two members billed for six months; B1 pays all of Q2 but only July
    of Q3, B2 pays everything, B3 and B4 pay Q3 only."""
    root = cast.user["root"]
    for b in BRANCHES:
        for i, base in ((1, 300000), (2, 1200000)):
            member = cast.member[f"{b}m{i}"]
            services.base_set(
                acting_user=root,
                member=member,
                category="employed",
                effective_month=dt.date(2021, 1, 1),
                base_fen=base,
            )
    for month in MONTHS:
        services.bills_issue(month=month)
    paid = {
        "B1": MONTHS[:4],
        "B2": MONTHS,
        "B3": MONTHS[3:],
        "B4": MONTHS[3:],
    }
    for b, months in paid.items():
        for i in (1, 2):
            services.payment_record(
                acting_user=root, member=cast.member[f"{b}m{i}"], months=months, channel="bank"
            )
    rollups.refresh()
    return cast


def figures(user, org, period):
    data = reports.report(user, org, period)
    return data["total"], {row["org_id"]: row for row in data["children"]}


def test_subtree_figures_are_the_sum_of_their_branches(dues_world):
    cast = dues_world
    root = cast.user["root"]
    for period in ("2025-07", "2025Q3", "2025"):
        total, _ = figures(root, cast.org["P"], period)
        branch_totals = [figures(root, cast.org[b], period)[0] for b in BRANCHES]
        for key in ("due", "collected", "unpaid"):
            assert float(total[key]) == pytest.approx(sum(float(t[key]) for t in branch_totals))
    q3, _ = figures(root, cast.org["P"], "2025Q3")
    # per month: 15.00 + 240.00 per branch, 4 branches; Q3 = 3 months
    assert q3["due"] == "3060.00"
    assert q3["collected"] == "2550.00"  # B1 only July, the others all of Q3
    assert q3["rate"] == "0.8333"


def test_a_county_admin_never_sees_another_county(dues_world, client):
    cast = dues_world
    county = cast.user["county_admin"]  # K1: B1, B2
    total, _ = figures(county, cast.org["K1"], "2025")
    assert total["due"] == "3060.00"  # 2 branches × 6 months × 255.00
    # asked about the whole province, they get their own subtree's part only
    province, _ = figures(county, cast.org["P"], "2025")
    assert province["due"] in ("0.00", "3060.00")
    sibling = figures(county, cast.org["K2"], "2025")
    assert sibling[0]["due"] == "0.00"
    login_verified(client, county)
    assert client.get(f"/dues/report/{cast.org['K3'].pk}/").status_code == 404


def test_quarterly_comparison_names_the_branches_that_fell_behind(dues_world):
    cast = dues_world
    result = reports.quarterly_comparison(cast.user["root"], cast.org["T1"], "2025Q3")
    rows = {r["org"].pk: r for r in result["rows"]}
    assert rows[cast.org["B1"].pk]["behind"] is True  # 100% → 33%
    assert rows[cast.org["B2"].pk]["behind"] is False
    with pytest.raises(ValueError):
        reports.quarterly_comparison(cast.user["root"], cast.org["T1"], "2025-07")


def test_excel_export_and_receipt_pdf(dues_world, client):
    cast = dues_world
    login_verified(client, cast.user["county_admin"])
    response = client.get(f"/dues/report/{cast.org['K1'].pk}/?period=2025Q3&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "组织" and rows[2][0] == cast.org["K1"].name
    payment = services.payment_record(
        acting_user=cast.user["branch_admin"],
        member=cast.member["B1m1"],
        months=[MONTHS[4]],
        channel="cash",
        payer_kind="relative",
        payer_name="李四",
    )
    response = client.get(f"/dues/payments/{payment.pk}/receipt.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    month = dt.date.fromisoformat(payment.months[0])
    assert reports.receipt_context(payment)["months"] == [f"{month.year}年{month.month}月"]
    api = client.get(f"/api/v1/dues/report?org_id={cast.org['K1'].pk}&period=2025Q3")
    assert api.status_code == 200 and api.json()["total"]["due"] == "1530.00"
    assert client.get(f"/api/v1/dues/report?org_id={cast.org['K1'].pk}&period=x").status_code == 422
    xlsx = client.get(f"/api/v1/dues/report.xlsx?org_id={cast.org['K1'].pk}&period=2025")
    assert xlsx.status_code == 200
