"""The conditions of 自行脱党 (党章第九条), a registry the owning apps fill in.

"党员如果没有正当理由，连续六个月不参加党的组织生活，或不交纳党费，或不做党所分配的工作，
就被认为是自行脱党。" Each condition belongs to the app that holds its facts: organisational
life to orglife, dues to dues, work assigned to this app. Each registers one function::

    lapse.register_condition(
        "dues", "不交纳党费", months_without=dues_selectors.months_unpaid
    )

``months_without(member_ids, as_of) -> {member_id: months}`` answers, for a batch of
members (a few branches' worth), how many complete calendar months up to ``as_of`` each
has gone without (see ``rules``: last active in January → 6 on 1 August). Members it
knows nothing about are simply absent. It must answer the whole batch in a constant
number of queries: the daily job calls it per batch of branches, never per member.

A member is flagged for a condition at six months or more (``rules.is_lapsed``) unless
a good reason (``LapseExcuse``) recorded for that condition holds on ``as_of``.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dangjian.core import warnings

MonthsWithout = Callable[[list[int], dt.date], dict[int, int]]

KIND_PREFIX = "mobility.lapse."


@dataclass(frozen=True)
class Condition:
    key: str
    label: str  # what the member did not do: "参加党的组织生活"
    months_without: MonthsWithout

    @property
    def warning_kind(self) -> str:
        return f"{KIND_PREFIX}{self.key}"


_CONDITIONS: dict[str, Condition] = {}


def register_condition(key: str, label: str, months_without: MonthsWithout) -> Condition:
    """Register a condition (idempotent for the same function) and its kind of warning."""
    condition = Condition(key, label, months_without)
    existing = _CONDITIONS.get(key)
    if existing is not None and existing != condition:
        raise ValueError(f"lapse condition {key!r} registered twice, differently")
    warnings.register_kind(
        condition.warning_kind,
        label=f"疑似自行脱党：连续六个月未{label}",
        doc=f"党章第九条: six consecutive months without {key}; the branch decides.",
    )
    _CONDITIONS[key] = condition
    return condition


def conditions() -> list[Condition]:
    return list(_CONDITIONS.values())


def condition_get(key: str) -> Condition:
    try:
        return _CONDITIONS[key]
    except KeyError:
        raise LookupError(f"没有名为 {key} 的自行脱党情形") from None


def choices() -> list[tuple[str, str]]:
    return [(c.key, f"连续六个月未{c.label}") for c in _CONDITIONS.values()]


def evaluate(member_ids: Iterable[int], as_of: dt.date) -> dict[str, dict[int, int]]:
    """Every condition's months for the batch: ``{condition key: {member_id: months}}``."""
    ids = list(member_ids)
    if not ids:
        return {c.key: {} for c in _CONDITIONS.values()}
    return {c.key: c.months_without(ids, as_of) for c in _CONDITIONS.values()}
