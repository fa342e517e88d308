"""Routing and SLA rules of 12371 work orders (工单), as pure functions.

Sources:
- 中共中央组织部《关于开通"12371"党建咨询服务电话的通知》(2009) and seed 000 (云南
  "12371"): the service runs at four levels — 中组部, 省, 州（市）, 县（市、区） organisation
  departments — "由各级组织部门面向基层党员群众分级提供专业化咨询服务"; since 2017 the
  province accepts every consultation centrally and passes what it cannot answer to the
  responsible office or level ("答复不了的就转到……协调解决，办理情况还要回复党员，做到条条有
  反馈、事事有着落").
- Who handles what follows the regulations each topic comes from: 组织关系转接 and 流动党员
  are handled by the county (《中国共产党党员组织关系介绍信管理办法》: the 县级以上党委组织
  部门 issue and receive cross-area letters); 发展党员 pre-review and approval sit with the
  county (《中国共产党发展党员工作细则》第二十四条、第二十九条: 县级党委组织部门预审); 党费
  collection with the county (中组发〔2008〕3号 第十一条); 党员教育、平台使用 with the
  province (云南 "12371" 党员教育中心, seed 000).
- Acceptance (受理): since 2017 云南 upgraded "各级组织部门分级服务" to "省级集中受理咨询"
  (seed 000): every question is accepted at the province centre, which answers it or
  consults the responsible office (业务处室, each with a named 责任人 and 联络员: the
  "协商联动机制"). :data:`CENTRAL` is therefore the default; :data:`TIERED` (分级受理,
  the 2009 model above) stays available to a local deployment that prefers it
  (``settings.CONSULT_ACCEPTANCE = "tiered"``).
- SLA: the seed's "每个问题力争在线答复" and a reply to every asker; deadlines count
  working hours on the official calendar (core.calendar), so a Friday-afternoon order is
  not late on Monday morning and the National Day week stops the clock.

Timers are configuration (``settings.CONSULT_SLA`` overrides :data:`SLA_DEFAULTS`); the
values here are the defaults. The arithmetic of breaches, escalation steps and reminders
is the core case engine's (dangjian.core.cases); :func:`policy` gives it these numbers.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from dangjian.core.calendar import HOURS_PER_WORKDAY, add_work_hours
from dangjian.core.cases import Policy

# How questions are accepted: centrally at the province (the default since 2017) or at
# the level responsible for each category (分级受理, before 2017).
CENTRAL, TIERED = "central", "tiered"
ACCEPTANCE_MODES = {CENTRAL: "省级集中受理", TIERED: "分级受理"}
DEFAULT_ACCEPTANCE = CENTRAL

# Levels of the organisation departments that run 12371, from the top.
PROVINCE, CITY, COUNTY = "province", "city", "county"
LEVELS = (PROVINCE, CITY, COUNTY)

# 分级受理 only: 咨询分类 → the level responsible for answering it (default: the asker's
# county). The
# categories are the knowledge base's (dangjian/knowledge/starter/), so a bot hand-off
# routes by the category of the entry it came closest to.
ROUTING_DEFAULTS: dict[str, str] = {
    "入党申请与发展党员": COUNTY,
    "异地入党": COUNTY,
    "组织关系转接": COUNTY,
    "流动党员与失联党员": COUNTY,
    "党费": COUNTY,
    "三会一课": COUNTY,
    "主题党日": COUNTY,
    "组织生活会与民主评议": COUNTY,
    "党组织设置": COUNTY,
    "党员权利与义务": CITY,
    "干部人才": CITY,
    "党员教育": PROVINCE,
    "平台使用": PROVINCE,
    "意见建议": PROVINCE,
}
DEFAULT_LEVEL = COUNTY

# 咨询分类: the choices of the hotline form, the order page and the API (an unknown one is
# refused). The knowledge base's categories (dangjian/knowledge/starter/), then what the
# seed's hotline also receives (干部人才, 党员教育, 意见建议, 为民服务, 党内关怀帮扶, 基层组织
# 建设: "传播党的声音、收集社情民意"), then 其他. ``settings.CONSULT_CATEGORIES`` replaces it.
CATEGORY_DEFAULTS: tuple[str, ...] = (
    "入党申请与发展党员",
    "异地入党",
    "组织关系转接",
    "流动党员与失联党员",
    "党费",
    "三会一课",
    "主题党日",
    "组织生活会与民主评议",
    "党组织设置",
    "党员权利与义务",
    "党员教育",
    "干部人才",
    "基层组织建设",
    "党内关怀帮扶",
    "平台使用",
    "为民服务",
    "意见建议",
    "其他",
)
CATEGORY_MAX = 40

# 协商联动: an office answers within this many workdays unless the agent sets another
# deadline (1 to CONSULTATION_MAX_WORKDAYS); overdue, it is reminded and a warning raised.
CONSULTATION_WORKDAYS = 2
CONSULTATION_MAX_WORKDAYS = 10

PRIORITIES = ("urgent", "normal", "low")


@dataclass(frozen=True)
class Sla:
    """Working hours allowed for the first response (受理) and the resolution (答复)."""

    first_response_hours: float
    resolution_hours: float


SLA_DEFAULTS: dict[str, Sla] = {
    "urgent": Sla(first_response_hours=1, resolution_hours=7),  # same working day
    "normal": Sla(first_response_hours=4, resolution_hours=21),  # three workdays
    "low": Sla(first_response_hours=7, resolution_hours=35),  # five workdays
}
# A category may carry its own timers (a transfer needs another office's letter).
SLA_CATEGORY_DEFAULTS: dict[str, Sla] = {
    "组织关系转接": Sla(first_response_hours=4, resolution_hours=35),
}
# While still breached, an order climbs one more level every this many working hours.
ESCALATION_STEP_HOURS = 7.0
# The asker is reminded to rate an answer after this many workdays (once per answer).
RATING_REMINDER_WORKDAYS = 3
# A rating at or below this reopens the order (不满意).
UNSATISFIED_AT = 2


def _config() -> dict:
    return getattr(settings, "CONSULT_SLA", {}) or {}


def acceptance() -> str:
    """省级集中受理 (``central``, the default) or 分级受理 (``tiered``), by configuration."""
    mode = getattr(settings, "CONSULT_ACCEPTANCE", DEFAULT_ACCEPTANCE)
    return mode if mode in ACCEPTANCE_MODES else DEFAULT_ACCEPTANCE


def categories() -> tuple[str, ...]:
    """The 咨询分类 offered and accepted, in the order the form lists them."""
    configured = getattr(settings, "CONSULT_CATEGORIES", None)
    return tuple(configured) if configured else CATEGORY_DEFAULTS


def is_category(value: str) -> bool:
    """A known category, or none given ('' is 未分类)."""
    return value == "" or value in categories()


def known_category(value: str) -> str:
    """``value`` when it is a known category, else '' (a bot hand-off whose entry carries a
    category the desk does not list is filed unclassified, not refused)."""
    return value if value in categories() else ""


def routing_table() -> dict[str, str]:
    return {**ROUTING_DEFAULTS, **_config().get("routing", {})}


def responsible_level(category: str) -> str:
    """The level (province/city/county) that answers questions of ``category``."""
    level = routing_table().get(category, _config().get("default_level", DEFAULT_LEVEL))
    return level if level in LEVELS else DEFAULT_LEVEL


def route(
    category: str, chain: list[tuple[str, str]], root_path: str, mode: str | None = None
) -> str:
    """The path of the organisation department a question is routed to.

    ``chain`` is the asker's organisation and its ancestors as ``(path, org_type)``,
    from the top down. 省级集中受理 (the default ``mode``): the province of the chain (its
    top when it has none), whatever the category. 分级受理: the ancestor at the
    category's responsible level; if the asker has no organisation there (a branch
    directly under a city, say), the nearest level above it that exists. With no known
    organisation at all (an anonymous resident, a caller who did not say), the root,
    which accepts centrally in both modes.
    """
    if (mode or acceptance()) == CENTRAL:
        provinces = [path for path, org_type in chain if org_type == PROVINCE]
        return provinces[-1] if provinces else (chain[0][0] if chain else root_path)
    wanted = responsible_level(category)
    found = ""
    for level in LEVELS[: LEVELS.index(wanted) + 1]:
        for path, org_type in chain:
            if org_type == level:
                found = path
    return found or (chain[0][0] if chain else root_path)


def consultation_workdays(value: int | None) -> int | None:
    """The workdays an office is given: the default for ``None``; ``None`` when out of
    range (1 to CONSULTATION_MAX_WORKDAYS), for the caller to refuse."""
    if value is None:
        return CONSULTATION_WORKDAYS
    return value if 1 <= value <= CONSULTATION_MAX_WORKDAYS else None


def consultation_due(start: dt.datetime, workdays: int) -> dt.datetime:
    """An office's deadline: ``workdays`` full working days from ``start`` on the official
    calendar (a Friday-afternoon request for two days is due Tuesday afternoon)."""
    return add_work_hours(start, workdays * HOURS_PER_WORKDAY)


def sla_for(priority: str, category: str = "") -> Sla:
    """The timers of an order: the category's own if configured, else the priority's."""
    config = _config()
    by_category = {**SLA_CATEGORY_DEFAULTS, **config.get("categories", {})}
    by_priority = {**SLA_DEFAULTS, **config.get("priorities", {})}
    chosen = by_category.get(category) or by_priority.get(priority) or by_priority["normal"]
    return chosen if isinstance(chosen, Sla) else Sla(**chosen)


def deadlines(start: dt.datetime, sla: Sla) -> tuple[dt.datetime, dt.datetime]:
    """(first response due, resolution due) counted in working hours from ``start``."""
    return (
        add_work_hours(start, sla.first_response_hours),
        add_work_hours(start, sla.resolution_hours),
    )


def reopens(rating: int) -> bool:
    """A rating of 2 or less means 不满意: the order goes back to the queue."""
    return rating <= UNSATISFIED_AT


def policy() -> Policy:
    """The engine's numbers for work orders: escalate one level per ``escalation_step_hours``
    working hours while breached, remind to rate after ``rating_reminder_workdays``,
    reopen on :func:`reopens`."""
    config = _config()
    return Policy(
        step_hours=config.get("escalation_step_hours", ESCALATION_STEP_HOURS),
        reminder_workdays=config.get("rating_reminder_workdays", RATING_REMINDER_WORKDAYS),
        reopens=reopens,
    )
