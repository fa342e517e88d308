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

from dangjian.core.periods import cn_day
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


# --- 组织关系转入: a paper letter from outside the platform
#
# The letter states its own validity (set by the issuing organisation, never more than
# 3 months: the same cap as ours); the member must report (报到) to the receiving side
# within it — valid through its last day. A letter reported on after that day is refused:
# the member goes back to the issuing organisation for a new one (the same rule as our
# own letters' 回执, ``workflow.MSG_LETTER_EXPIRED``).

MSG_IN_ISSUED_FUTURE = "介绍信开具日期不能晚于今天"
MSG_IN_VALID_BEFORE = "有效期至不能早于介绍信开具日期"
MSG_IN_VALID_CAP = "介绍信有效期最长3个月（应不晚于{cap}），请核对介绍信"
MSG_IN_REPORTED_EARLY = "报到日期不能早于介绍信开具日期"
MSG_IN_REPORTED_FUTURE = "报到日期不能晚于今天"
MSG_IN_EXPIRED = "介绍信已过有效期（有效期至{until}），不能接收；请党员持介绍信到原党组织重新开具"


def incoming_letter_errors(
    *, issued_on: dt.date, valid_until: dt.date, reported_on: dt.date, today: dt.date
) -> dict[str, str]:
    """Field → message for every rule an incoming letter breaks (empty: acceptable)."""
    errors: dict[str, str] = {}
    if issued_on > today:
        errors["letter_issued_on"] = MSG_IN_ISSUED_FUTURE
    cap = add_months(issued_on, MAX_MONTHS)
    if valid_until < issued_on:
        errors["letter_valid_until"] = MSG_IN_VALID_BEFORE
    elif valid_until > cap:
        errors["letter_valid_until"] = MSG_IN_VALID_CAP.format(cap=cn_day(cap))
    if reported_on < issued_on:
        errors["reported_on"] = MSG_IN_REPORTED_EARLY
    elif reported_on > today:
        errors["reported_on"] = MSG_IN_REPORTED_FUTURE
    elif valid_until >= issued_on and not is_valid(valid_until, reported_on):
        errors["reported_on"] = MSG_IN_EXPIRED.format(until=cn_day(valid_until))
    return errors


def incoming_chain_start(levels: list[str]) -> int:
    """Where the receiving side's checks start on the branch's line (``levels``, root
    first, the branch last): at its 县级党委 — a letter from another system is received
    by a 县级以上党委组织部, which passes it down to the branch — or, with none, at the
    top of the line."""
    for i, level in enumerate(levels):
        if level == "county":
            return i
    return 0
