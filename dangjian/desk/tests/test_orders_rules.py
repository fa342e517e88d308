"""Routing and SLA rules: the responsible level, timers on the official calendar."""

import datetime as dt

import pytest
from django.test import override_settings

from dangjian.core import cases
from dangjian.core.calendar import TZ
from dangjian.desk import rules

# The asker's chain in the cast: 云南省委 › 昆明市委 › 五华区委 › 华山街道党委 › 第一党支部.
CHAIN = [
    ("0001", "province"),
    ("00010001", "city"),
    ("000100010001", "county"),
    ("0001000100010001", "committee"),
    ("00010001000100010001", "branch"),
]


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    "category, expected",
    [
        ("组织关系转接", "000100010001"),  # the county issues and receives letters
        ("入党申请与发展党员", "000100010001"),
        ("党员权利与义务", "00010001"),  # the city
        ("平台使用", "0001"),  # the province's 党员教育中心
        ("没有配置的分类", "000100010001"),  # default: the asker's county
    ],
)
def test_tiered_route_by_category_to_the_responsible_level(category, expected):
    assert rules.route(category, CHAIN, "0001", rules.TIERED) == expected


def test_tiered_route_without_a_county_goes_to_the_nearest_level_above():
    chain = [("0001", "province"), ("00010002", "city"), ("000100020001", "branch")]
    assert rules.route("党费", chain, "0001", rules.TIERED) == "00010002"


def test_route_without_an_organisation_goes_to_the_province():
    assert rules.route("党费", [], "0001") == "0001"


@override_settings(CONSULT_ACCEPTANCE="tiered", CONSULT_SLA={"routing": {"党费": "province"}})
def test_tiered_routing_is_configuration():
    assert rules.route("党费", CHAIN, "0001") == "0001"


def test_sla_by_priority_and_category():
    assert rules.sla_for("urgent") == rules.Sla(1, 7)
    assert rules.sla_for("normal", "党费") == rules.Sla(4, 21)
    assert rules.sla_for("normal", "组织关系转接").resolution_hours == 35
    assert rules.sla_for("bogus") == rules.sla_for("normal")


@override_settings(
    CONSULT_SLA={"priorities": {"normal": {"first_response_hours": 2, "resolution_hours": 14}}}
)
def test_sla_is_configuration():
    assert rules.sla_for("normal") == rules.Sla(2, 14)


def test_friday_afternoon_order_waits_over_the_weekend():
    # Friday 20 November 2026, 15:30: 2 working hours left that day, 2 more on Monday.
    first, resolution = rules.deadlines(at(2026, 11, 20, 15, 30), rules.sla_for("normal"))
    assert first == at(2026, 11, 23, 11, 0)
    # 21 hours = the 2 left on Friday, then 7 + 7 on Mon/Tue, then 5 on Wednesday.
    assert resolution == at(2026, 11, 25, 15, 30)


def test_an_adjusted_weekend_workday_counts():
    # Friday 26 September 2025, 16:00; Sunday 28 September was an official workday (调休).
    first, _ = rules.deadlines(at(2025, 9, 26, 16, 0), rules.sla_for("normal"))
    assert first == at(2025, 9, 28, 11, 30)


def test_the_national_day_holiday_stops_the_clock():
    # Tuesday 30 September 2025, 16:00; 1–8 October off, work resumes Thursday 9 October.
    first, _ = rules.deadlines(at(2025, 9, 30, 16, 0), rules.sla_for("normal"))
    assert first == at(2025, 10, 9, 11, 30)


def breached_at(*, first_response_due, resolution_due, first_response_at, answered_at, now):
    """The engine's breach over an order's two timers (受理, 答复)."""
    timers = [(first_response_due, first_response_at), (resolution_due, answered_at)]
    return cases.breached_at(timers, now)


def escalation_level(breach, now, *, max_level):
    return cases.escalation_level(
        breach, now, max_level=max_level, step_hours=rules.policy().step_hours
    )


def rating_reminder_due(answered_on, today):
    return cases.reminder_due(answered_on, today, rules.policy().reminder_workdays)


def test_breach_is_the_first_deadline_missed():
    due1, due2 = at(2026, 11, 23, 11), at(2026, 11, 25, 15, 30)
    kwargs = {"first_response_due": due1, "resolution_due": due2, "answered_at": None}
    assert breached_at(**kwargs, first_response_at=None, now=due1) is None
    later = due1 + dt.timedelta(minutes=1)
    assert breached_at(**kwargs, first_response_at=None, now=later) == due1
    claimed = at(2026, 11, 23, 10)
    assert breached_at(**kwargs, first_response_at=claimed, now=later) is None
    assert breached_at(**kwargs, first_response_at=claimed, now=due2 + (later - due1)) == due2


def test_escalation_climbs_one_level_per_workday_while_breached():
    breach = at(2026, 11, 20, 17, 0)  # Friday
    assert escalation_level(breach, breach, max_level=2) == 0
    assert escalation_level(breach, at(2026, 11, 20, 17, 15), max_level=2) == 1
    # The weekend does not count: Monday 16:59 is 6.5 working hours later.
    assert escalation_level(breach, at(2026, 11, 23, 16, 59), max_level=2) == 1
    assert escalation_level(breach, at(2026, 11, 23, 17, 0), max_level=2) == 2
    assert escalation_level(breach, at(2026, 12, 31, 17), max_level=2) == 2  # the top
    assert escalation_level(breach, at(2026, 12, 31, 17), max_level=0) == 0


def test_rating_reminder_after_three_workdays():
    friday = dt.date(2026, 11, 20)
    assert not rating_reminder_due(friday, dt.date(2026, 11, 24))  # Tue: 2 workdays
    assert rating_reminder_due(friday, dt.date(2026, 11, 25))  # Wed: 3 workdays


@pytest.mark.parametrize("rating, reopened", [(1, True), (2, True), (3, False), (5, False)])
def test_rating_two_or_less_reopens(rating, reopened):
    assert rules.reopens(rating) is reopened
