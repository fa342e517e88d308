"""Rules of mobile members, lost contact and 自行脱党 — pure functions, no ORM.

Sources:
- 流动党员: 中共中央组织部《关于加强和改进流动党员管理工作的意见》(中组发〔2006〕15号):
  a member going away to work or do business for six months or more, whose place is not
  fixed (or whose relationship cannot yet be transferred), is registered by the home
  organisation (流出地党组织) and given a 流动党员活动证; the host organisation
  (流入地党组织) takes part in managing them. The card is reissued when it expires; here
  one issue is valid for at most ``CARD_MONTHS`` months (configurable default).
- 失联党员: 《中国共产党党员教育管理工作条例》(2019) on members who lost contact: a member
  out of contact for six months or more whom the organisation could not reach by every
  means may have their membership suspended (停止党籍), which the branch proposes and the
  committee above decides. Here a 停止党籍 proposal needs at least ``SUSPENSION_MONTHS``
  months of lost contact and at least one recorded search attempt.
- 自行脱党: 《中国共产党章程》第九条: "党员如果没有正当理由，连续六个月不参加党的组织
  生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。" Each condition alone is
  enough. The platform only flags a member to the branch; people decide.

Months are counted as complete calendar months: a member last active in January has
February to July without activity (six complete months) on 1 August, five on 31 July.
"""

import calendar
import datetime as dt

MOBILE_MIN_MONTHS = 6
CARD_MONTHS = 12
LAPSE_MONTHS = 6
SUSPENSION_MONTHS = 6

MSG_TOO_SHORT = "外出不满6个月的党员不作为流动党员登记（预计返回日期应在外出日期满6个月之后）"
MSG_RETURN_BEFORE = "预计返回日期应晚于外出日期"
MSG_AWAY_FUTURE = "外出日期不能晚于今天"
MSG_RETURN_PAST = "预计返回日期已过，请核实后登记"
MSG_SUSPEND_TOO_EARLY = "失去联系满6个月（{day}起）后，方可提出停止党籍建议"
MSG_SUSPEND_NO_SEARCH = "提出停止党籍建议前，应至少记录一次查找情况"
MSG_OUTCOME_BEFORE = "结果日期不能早于失联日期"
MSG_FUTURE = "日期不能晚于今天"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier); a day the month lacks falls back to
    its last day (31 August + 6 months → 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    """``"2026-02"`` for a month index."""
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def months_after(last_active: dt.date, as_of: dt.date) -> int:
    """Complete calendar months between the month of ``last_active`` and ``as_of``'s month
    (both excluded: the current month is not over)."""
    return max(0, month_index(as_of) - month_index(last_active) - 1)


def months_from(first_day: dt.date, as_of: dt.date) -> int:
    """Complete calendar months from the month of ``first_day`` (included) to ``as_of``'s
    month (excluded)."""
    return max(0, month_index(as_of) - month_index(first_day))


def streak_start(months: int, as_of: dt.date) -> str:
    """The first month (``"2026-02"``) of a run of ``months`` complete months ending with
    the month before ``as_of``: the same whichever day of the month it is computed on."""
    return month_label(month_index(as_of) - months)


def is_lapsed(months: int) -> bool:
    """党章第九条: six consecutive months (or more)."""
    return months >= LAPSE_MONTHS


def is_long_absence(away_since: dt.date, expected_until: dt.date) -> bool:
    """Away for six months or more: the expected return is at least six months later."""
    return expected_until >= add_months(away_since, MOBILE_MIN_MONTHS)


def registration_errors(
    *, away_since: dt.date, expected_until: dt.date, today: dt.date
) -> dict[str, str]:
    errors = {}
    if away_since > today:
        return {"away_since": MSG_AWAY_FUTURE}  # and no arithmetic on a date near year 9999
    if expected_until <= away_since:
        errors["expected_until"] = MSG_RETURN_BEFORE
    elif not is_long_absence(away_since, expected_until):
        errors["expected_until"] = MSG_TOO_SHORT
    elif expected_until < today:
        errors["expected_until"] = MSG_RETURN_PAST
    return errors


def card_valid_until(valid_from: dt.date, expected_until: dt.date) -> dt.date:
    """The card is valid until the expected return, and for at most CARD_MONTHS months."""
    return min(expected_until, add_months(valid_from, CARD_MONTHS) - dt.timedelta(days=1))


def card_state(
    *,
    valid_from: dt.date,
    valid_until: dt.date,
    ended: bool,
    today: dt.date,
    member_current: bool = True,
) -> tuple[str, str]:
    """(state, label) of an e-card on ``today``: valid, expired, ended or not yet valid.
    A card of someone no longer a current member (已转出, 停止党籍 …) is void whatever its
    dates say, even before the home branch ends the registration."""
    if ended:
        return "ended", "已失效（流动登记已结束）"
    if not member_current:
        return "ended", "已失效（已不是本支部在册党员）"
    if today < valid_from:
        return "pending", "尚未生效"
    if today > valid_until:
        return "expired", "已过有效期"
    return "valid", "有效"


def suspension_errors(*, lost_since: dt.date, today: dt.date, attempts: int) -> dict[str, str]:
    """A 停止党籍 proposal: six months out of contact and at least one search recorded."""
    errors = {}
    eligible = add_months(lost_since, SUSPENSION_MONTHS)
    if today < eligible:
        errors["outcome"] = MSG_SUSPEND_TOO_EARLY.format(day=f"{eligible:%Y年%m月%d日}")
    elif attempts < 1:
        errors["outcome"] = MSG_SUSPEND_NO_SEARCH
    return errors
