"""Dues reports for any subtree and period, from the ``dues.bills`` rollup (never a scan
of bills): due, collected, unpaid and the collection rate, for the organisation and
each child; the quarterly comparison (进展、问题: which children fell behind); Excel
export and the printable collection receipt (PDF).
"""

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

from dangjian.core import exports, pdf, periods, rollups
from dangjian.dues.metrics import METRIC
from dangjian.dues.rules import fen_to_yuan
from dangjian.orgs.models import Organisation


def rate(collected: int, due: int) -> Decimal | None:
    """收缴率 as a fraction with 4 decimals (None when nothing is due)."""
    if not due:
        return None
    return (Decimal(collected) / Decimal(due)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _row(org, figures: dict[str, int]) -> dict:
    due, collected = figures.get("due", 0), figures.get("collected", 0)
    r = rate(collected, due)
    return {
        "org_id": org.pk,
        "name": org.name,
        "due": fen_to_yuan(due),
        "collected": fen_to_yuan(collected),
        "unpaid": fen_to_yuan(figures.get("unpaid", 0)),
        "rate": None if r is None else str(r),
    }


def report(user, org, period: str) -> dict:
    """The organisation's subtree figures and each child's, for ``period``."""
    period = periods.parse_period(period)
    children = list(Organisation.objects.get_children(org).order_by("path"))
    figures = rollups.breakdowns(user, [org, *children], METRIC, period)
    return {
        "period": period.key,
        "total": _row(org, figures[org.pk]),
        "children": [_row(child, figures[child.pk]) for child in children],
    }


def period_choices(today, years: int = 3) -> list[tuple[str, list[tuple[str, str]]]]:
    """The report's period picker: the last ``years`` years, their quarters and months up
    to now, newest first, grouped (年度 / 季度 / 月份)."""
    first = today.year - years + 1
    quarter = (today.month - 1) // 3 + 1
    groups = {"季度": [], "月份": []}
    for year in range(today.year, first - 1, -1):
        for q in range(4 if year < today.year else quarter, 0, -1):
            groups["季度"].append(periods.quarter_period(year, q))
        for m in range(12 if year < today.year else today.month, 0, -1):
            groups["月份"].append(periods.month_period(year, m))
    years_list = [periods.year_period(y) for y in range(today.year, first - 1, -1)]
    return [
        (name, [(p.key, p.label) for p in items])
        for name, items in (("年度", years_list), *groups.items())
    ]


def _previous_quarter(period: periods.Period) -> periods.Period:
    quarter = (period.first.month - 1) // 3 + 1
    if quarter == 1:
        return periods.quarter_period(period.first.year - 1, 4)
    return periods.quarter_period(period.first.year, quarter - 1)


def quarterly_comparison(user, org, quarter: str) -> dict:
    """This quarter against the previous one for each child: its rate, the change, and
    whether it fell behind (its rate dropped, or is below the organisation's own)."""
    this = periods.parse_period(quarter)
    if this.unit != periods.PeriodUnit.QUARTER:
        raise ValueError("请按季度比较，如 2026Q4")
    before = _previous_quarter(this)
    children = list(Organisation.objects.get_children(org).order_by("path"))
    now = rollups.breakdowns(user, [org, *children], METRIC, this)
    then = rollups.breakdowns(user, children, METRIC, before)
    overall = rate(now[org.pk].get("collected", 0), now[org.pk].get("due", 0))
    rows = []
    for child in children:
        r_now = rate(now[child.pk].get("collected", 0), now[child.pk].get("due", 0))
        r_then = rate(then[child.pk].get("collected", 0), then[child.pk].get("due", 0))
        behind = r_now is not None and (
            (r_then is not None and r_now < r_then) or (overall is not None and r_now < overall)
        )
        rows.append({"org": child, "rate": r_now, "previous": r_then, "behind": behind})
    return {"period": this, "previous": before, "rate": overall, "rows": rows}


def report_xlsx(user, org, period: str) -> bytes:
    from openpyxl import Workbook

    data = report(user, org, period)
    book = Workbook()
    sheet = book.active
    sheet.title = "党费收缴"
    sheet.append([exports.safe_cell(exports.watermark_text(user))])
    sheet.append(["组织", "期间", "应缴（元）", "已缴（元）", "欠缴（元）", "收缴率"])
    for row in [data["total"], *data["children"]]:
        sheet.append(
            [
                exports.safe_cell(row["name"]),
                data["period"],
                Decimal(row["due"]),
                Decimal(row["collected"]),
                Decimal(row["unpaid"]),
                None if row["rate"] is None else float(row["rate"]),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def receipt_context(payment) -> dict:
    """What the receipt prints: months as people write them (2026年11月), amount in 元."""
    months = [dt.date.fromisoformat(month) for month in payment.months]
    return {
        "payment": payment,
        "amount": fen_to_yuan(payment.amount_fen),
        "months": [f"{month.year}年{month.month}月" for month in sorted(months)],
    }


def receipt_pdf(payment) -> bytes:
    """The printable collection receipt (党费收据) of a payment, as PDF (WeasyPrint)."""
    return pdf.render_pdf(
        "dues/receipt.html", receipt_context(payment), stylesheet="css/pdf-dues-receipt.css"
    )
