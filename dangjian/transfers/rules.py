"""The rules of 组织关系转接, as pure functions (no ORM).

Sources: 《中国共产党党员组织关系转接工作规定》 (and the 全国党员管理信息系统's practice):

- the 介绍信 (组织关系介绍信) is valid for a limited time, set by the issuing organisation;
  commonly **10 days** when the member moves within a city (县内、市内跨县) and **30 days**
  beyond it (省内跨市、跨省), and **never more than 3 months**. The days are settings
  (``TRANSFERS_LETTER_DAYS = {"near": 10, "far": 30}``); the 3-month cap is not. The
  letter is valid through its last day (issued 11月1日 for 10 days: valid through 11月11日);
- each organisation on the chain decides within ``STEP_WORKDAYS`` workdays; a step left
  longer is overdue and escalates one level up (core.cases);
- the scope of a move is where the two branches' lines meet: the same 县委 → 县内, the
  same 市委 → 市内跨县, the same 省委 → 省内跨市, otherwise 跨省. An out-of-platform move is
  approved up to the level its scope names (转出省外: up to the 省委).
"""

import calendar
import datetime as dt
from collections.abc import Mapping

from dangjian.transfers.choices import TransferScope

DEFAULT_LETTER_DAYS = {"near": 10, "far": 30}
MAX_MONTHS = 3
STEP_WORKDAYS = 5
NEAR_SCOPES = (TransferScope.COUNTY, TransferScope.CITY)
LEVELS = (
    ("county", TransferScope.COUNTY),
    ("city", TransferScope.CITY),
    ("province", TransferScope.PROVINCE),
)
TOP_LEVEL = {
    TransferScope.COUNTY: "county",
    TransferScope.CITY: "city",
    TransferScope.PROVINCE: "province",
    TransferScope.OUT_OF_PROVINCE: "province",
}


def scope_between(
    from_line: Mapping[str, int | None], to_line: Mapping[str, int | None]
) -> TransferScope:
    """The scope of a move between two branches, given each one's 县委/市委/省委 (ids by
    level, None where the branch has none): the lowest level they share."""
    for level, scope in LEVELS:
        mine = from_line.get(level)
        if mine is not None and mine == to_line.get(level):
            return scope
    return TransferScope.OUT_OF_PROVINCE


def top_level(scope: str) -> str:
    """The level up to which an out-of-platform move is approved."""
    return TOP_LEVEL[TransferScope(scope)]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day where it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def letter_days(scope: str, config: Mapping[str, int] | None = None) -> int:
    """The validity in days the configuration gives a letter of that scope (at least 1)."""
    days = {**DEFAULT_LETTER_DAYS, **(config or {})}
    return max(1, int(days["near" if scope in NEAR_SCOPES else "far"]))


def valid_until(issued_on: dt.date, scope: str, config: Mapping[str, int] | None = None) -> dt.date:
    """The last day a letter issued on ``issued_on`` is valid: the configured days, never
    past 3 months."""
    days = issued_on + dt.timedelta(days=letter_days(scope, config))
    return min(days, add_months(issued_on, MAX_MONTHS))


def is_valid(valid_through: dt.date | None, on: dt.date) -> bool:
    """Whether a letter valid through ``valid_through`` is still valid on ``on``."""
    return valid_through is not None and on <= valid_through
