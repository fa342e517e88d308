"""党费 rules under 中组发〔2008〕3号《关于中国共产党党费收缴、使用和管理的规定》.

Pure functions, no ORM. Money is integer fen throughout.

- 在职党员 (employed): the fixed regular part of the monthly after-tax salary (基数);
  ≤ 3000 元 → 0.5%; 3000.01–5000 → 1%; 5000.01–10000 → 1.5%; > 10000 → 2% of the base.
- 个体/自由职业 (self-employed): the previous quarter's average monthly net income, at
  the employed brackets.
- 离退休党员 (retired): the monthly pension; ≤ 5000 → 0.5%; > 5000 → 1%.
- 农民党员 (farmers): a monthly amount the branch sets within 0.2–1 元 (default 0.2).
- 学生、下岗失业、享受最低生活保障 (students, unemployed, relief): 0.2 元 a month.

Rounding (stated here, applied everywhere): base × rate is rounded half up to the
fen (四舍五入到分). Brackets are inclusive at their upper bound ("3000元以下（含3000元）").
A member may declare a higher voluntary monthly amount; it replaces the computed one
when larger. Probationary members pay from the month of admission.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import models


class Category(models.TextChoices):
    EMPLOYED = "employed", "在职"
    RETIRED = "retired", "离退休"
    SELF_EMPLOYED = "self_employed", "个体/自由职业"
    FARMER = "farmer", "农民"
    STUDENT = "student", "学生"
    UNEMPLOYED = "unemployed", "下岗失业"
    RELIEF = "relief", "享受最低生活保障"


FIXED_FEN = 20  # 0.2 元 a month
FARMER_MIN_FEN, FARMER_MAX_FEN = 20, 100
MAX_BASE_FEN = 10**10  # 1 亿元 a month: far beyond any salary, far below overflow

# (upper bound in fen inclusive or None, rate numerator per 1000, Chinese rule)
EMPLOYED_BRACKETS = (
    (300000, 5, "月工资收入（税后）3000元以下（含3000元）者，交纳月工资收入的0.5%"),
    (500000, 10, "3000元以上至5000元（含5000元）者，交纳1%"),
    (1000000, 15, "5000元以上至10000元（含10000元）者，交纳1.5%"),
    (None, 20, "10000元以上者，交纳2%"),
)
RETIRED_BRACKETS = (
    (500000, 5, "离退休费5000元以下（含5000元）者，交纳0.5%"),
    (None, 10, "离退休费5000元以上者，交纳1%"),
)
RULE_FARMER = "农民党员每月交纳党费0.2元至1元，由党支部确定"
RULE_FIXED = {
    Category.STUDENT: "学生党员每月交纳党费0.2元",
    Category.UNEMPLOYED: "下岗失业的党员每月交纳党费0.2元",
    Category.RELIEF: "依靠抚恤或救济生活的党员每月交纳党费0.2元",
}
RULE_SELF_EMPLOYED_PREFIX = "个体/自由职业按上季度月平均纯收入计："
RULE_VOLUNTARY = "本人自愿多交，按自愿交纳额"
BASE_CATEGORIES = (Category.EMPLOYED, Category.RETIRED, Category.SELF_EMPLOYED)

MSG_BASE_REQUIRED = "请填写交纳基数（元）"
MSG_BASE_RANGE = "交纳基数应在 0 至 1 亿元之间"
MSG_FARMER_RANGE = "农民党员的月交纳额应在 0.2 元至 1 元之间"
MSG_YUAN_FORMAT = "金额应为元，最多两位小数，如 3000.00"


@dataclass(frozen=True)
class Amount:
    fen: int
    rate: Decimal | None  # 0.005 …; None for a fixed amount
    rule: str


def yuan_to_fen(text) -> int:
    """'3000.01' → 300001; refuses more than two decimals (ValueError)."""
    try:
        value = Decimal(str(text).strip())
    except ArithmeticError:
        raise ValueError(MSG_YUAN_FORMAT) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(MSG_YUAN_FORMAT)
    return int(value * 100)


def fen_to_yuan(fen: int) -> str:
    """300001 → '3000.01'."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _apply(base_fen: int, brackets) -> Amount:
    for upper, permille, rule in brackets:
        if upper is None or base_fen <= upper:
            fen = int((Decimal(base_fen) * permille / 1000).quantize(Decimal(1), ROUND_HALF_UP))
            return Amount(fen, Decimal(permille) / 1000, rule)
    raise AssertionError("unreachable: the last bracket is open")


def monthly_amount(
    category: str,
    base_fen: int | None = None,
    *,
    farmer_fen: int = FIXED_FEN,
    voluntary_fen: int | None = None,
) -> Amount:
    """The monthly dues for a member of ``category`` with ``base_fen`` (fen)."""
    category = Category(category)
    if category in BASE_CATEGORIES:
        if base_fen is None:
            raise ValueError(MSG_BASE_REQUIRED)
        if not 0 <= base_fen <= MAX_BASE_FEN:
            raise ValueError(MSG_BASE_RANGE)
        if category == Category.RETIRED:
            amount = _apply(base_fen, RETIRED_BRACKETS)
        else:
            amount = _apply(base_fen, EMPLOYED_BRACKETS)
            if category == Category.SELF_EMPLOYED:
                amount = Amount(amount.fen, amount.rate, RULE_SELF_EMPLOYED_PREFIX + amount.rule)
    elif category == Category.FARMER:
        if not FARMER_MIN_FEN <= farmer_fen <= FARMER_MAX_FEN:
            raise ValueError(MSG_FARMER_RANGE)
        amount = Amount(farmer_fen, None, RULE_FARMER)
    else:
        amount = Amount(FIXED_FEN, None, RULE_FIXED[category])
    if voluntary_fen is not None and voluntary_fen > amount.fen:
        return Amount(voluntary_fen, None, RULE_VOLUNTARY)
    return amount


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every first-of-month from ``first``'s month to ``last``'s month, inclusive."""
    out, month = [], month_start(first)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def first_billable_month(joined_on: dt.date) -> dt.date:
    """Probationary members pay from the month of admission (成为预备党员之月)."""
    return month_start(joined_on)
