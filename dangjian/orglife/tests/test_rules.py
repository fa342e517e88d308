"""Rules of organisational life at their boundaries (rules.py cites the regulations)."""

import datetime as dt

import pytest
from django.test import override_settings

from dangjian.orglife import rules
from dangjian.orglife.choices import MeetingKind as K
from dangjian.orglife.rules import BranchFacts, OrgFacts, parse_period

OLD = dt.date(1990, 1, 1)


def _evaluate(held, period, today, *, founded=OLD, groups=()):
    branch = BranchFacts(1, founded, None, tuple(groups))
    return rules.evaluate_branch(branch, held, parse_period(period), today)


@pytest.mark.parametrize(
    ("text", "first", "last", "unit"),
    [
        ("2026-11", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "month"),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month"),
        ("2026Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "quarter"),
        ("2026q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31), "quarter"),
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "year"),
    ],
)
def test_periods_parse(text, first, last, unit):
    period = parse_period(text)
    assert (period.first, period.last, period.unit) == (first, last, unit)


@pytest.mark.parametrize("text", ["", "2026-13", "2026-00", "2026Q5", "26-11", "2026-1", "x"])
def test_malformed_periods_are_refused_in_chinese(text):
    with pytest.raises(ValueError, match="期间格式"):
        parse_period(text)


def test_period_labels():
    assert parse_period("2026-11").label == "2026年11月"
    assert parse_period("2026Q4").label == "2026年第4季度"
    assert parse_period("2026").label == "2026年"


def test_units_inside_a_period():
    year = parse_period("2026")
    assert len(rules.units_in(year, "month")) == 12
    assert [q.key for q in rules.units_in(year, "quarter")] == [f"2026Q{i}" for i in range(1, 5)]
    assert rules.units_in(parse_period("2026-11"), "quarter") == []  # not judged in a month


def test_default_frequencies_follow_the_regulation():
    f = rules.DEFAULT_FREQUENCIES
    assert f[K.MEMBER_ASSEMBLY] == rules.Frequency("quarter", 1)
    assert f[K.COMMITTEE] == rules.Frequency("month", 1)
    assert f[K.GROUP] == rules.Frequency("month", 1)
    assert f[K.LECTURE] == rules.Frequency("quarter", 1)
    assert f[K.THEME_DAY] == rules.Frequency("month", 1)
    assert f[K.LIFE_MEETING] == rules.Frequency("year", 1)
    assert f[K.APPRAISAL] == rules.Frequency("year", 1)


@override_settings(ORGLIFE_FREQUENCIES={"lecture": ("month", 1)})
def test_frequencies_are_configuration():
    assert rules.frequencies()[K.LECTURE] == rules.Frequency("month", 1)
    result = _evaluate({}, "2026-10", dt.date(2026, 12, 1))
    assert result.kinds[K.LECTURE].missed == 1


def test_committee_monthly_boundary():
    today = dt.date(2026, 12, 1)
    none = _evaluate({}, "2026-11", today)
    one = _evaluate({(K.COMMITTEE, None): [dt.date(2026, 11, 30)]}, "2026-11", today)
    outside = _evaluate({(K.COMMITTEE, None): [dt.date(2026, 12, 1)]}, "2026-11", today)
    assert none.kinds[K.COMMITTEE].missed == 1
    assert one.kinds[K.COMMITTEE].met == 1 and one.kinds[K.COMMITTEE].missed == 0
    assert outside.kinds[K.COMMITTEE].missed == 1


def test_theme_day_is_monthly():
    held = {(K.THEME_DAY, None): [dt.date(2026, 10, 5), dt.date(2026, 12, 5)]}
    result = _evaluate(held, "2026Q4", dt.date(2027, 1, 5))
    assert result.kinds[K.THEME_DAY].required == 3
    assert result.kinds[K.THEME_DAY].met == 2
    assert result.kinds[K.THEME_DAY].missed == 1  # November


def test_assembly_and_lecture_quarterly():
    held = {(K.MEMBER_ASSEMBLY, None): [dt.date(2026, 2, 1)], (K.LECTURE, None): []}
    result = _evaluate(held, "2026Q1", dt.date(2026, 4, 1))
    assert result.kinds[K.MEMBER_ASSEMBLY].met == 1
    assert result.kinds[K.LECTURE].missed == 1
    whole_year = _evaluate(held, "2026", dt.date(2027, 1, 1))
    assert whole_year.kinds[K.MEMBER_ASSEMBLY].required == 4
    assert whole_year.kinds[K.MEMBER_ASSEMBLY].missed == 3


def test_life_meeting_and_appraisal_yearly():
    held = {(K.LIFE_MEETING, None): [dt.date(2026, 12, 20)]}
    result = _evaluate(held, "2026", dt.date(2027, 1, 1))
    assert result.kinds[K.LIFE_MEETING].met == 1
    assert result.kinds[K.APPRAISAL].missed == 1
    assert _evaluate(held, "2026Q4", dt.date(2027, 1, 1)).kinds[K.APPRAISAL].required == 0


def test_group_meetings_are_owed_per_group():
    groups = (OrgFacts(7, OLD), OrgFacts(8, OLD))
    held = {(K.GROUP, 7): [dt.date(2026, 11, 3)]}
    result = _evaluate(held, "2026-11", dt.date(2026, 12, 1), groups=groups)
    assert result.kinds[K.GROUP].required == 2
    assert (result.kinds[K.GROUP].met, result.kinds[K.GROUP].missed) == (1, 1)
    assert _evaluate({}, "2026-11", dt.date(2026, 12, 1)).kinds[K.GROUP].required == 0


def test_running_unit_is_pending_not_missed():
    result = _evaluate({}, "2026-11", dt.date(2026, 11, 15))
    assert result.kinds[K.THEME_DAY].pending == 1
    assert result.kinds[K.THEME_DAY].missed == 0
    assert result.branches_behind == 0


def test_future_units_are_not_owed():
    result = _evaluate({}, "2026Q4", dt.date(2026, 10, 15))
    assert result.kinds[K.COMMITTEE].required == 1  # October only


def test_branch_founded_this_month_is_exempt_until_next_month():
    founded = dt.date(2026, 11, 1)
    this_month = _evaluate({}, "2026-11", dt.date(2026, 12, 1), founded=founded)
    assert this_month.required == 0 and this_month.branches_behind == 0
    next_month = _evaluate({}, "2026-12", dt.date(2027, 1, 1), founded=founded)
    assert next_month.kinds[K.THEME_DAY].missed == 1
    assert rules.required_from(dt.date(2026, 11, 30)) == dt.date(2026, 12, 1)
    assert rules.required_from(dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)


def test_quarter_owed_when_founded_inside_it_before_its_last_month():
    q4 = _evaluate({}, "2026Q4", dt.date(2027, 1, 1), founded=dt.date(2026, 11, 10))
    assert q4.kinds[K.MEMBER_ASSEMBLY].required == 1  # December falls after the exemption
    late = _evaluate({}, "2026Q4", dt.date(2027, 1, 1), founded=dt.date(2026, 12, 10))
    assert late.kinds[K.MEMBER_ASSEMBLY].required == 0


def test_dissolved_branch_owes_nothing_after_dissolution():
    branch = BranchFacts(1, OLD, dt.date(2026, 10, 31))
    result = rules.evaluate_branch(branch, {}, parse_period("2026-11"), dt.date(2026, 12, 1))
    assert result.required == 0


def test_aggregate_is_the_sum():
    a = _evaluate({}, "2026-11", dt.date(2026, 12, 1))
    b = _evaluate({(K.COMMITTEE, None): [dt.date(2026, 11, 2)]}, "2026-11", dt.date(2026, 12, 1))
    total = rules.aggregate([a, b])
    assert total.branches == 2 and total.branches_behind == 2
    assert total.kinds[K.COMMITTEE].met == 1 and total.kinds[K.COMMITTEE].missed == 1
    assert total.required == a.required + b.required


@pytest.mark.parametrize(("day", "warn"), [(19, False), (20, True), (30, True)])
def test_theme_day_warning_from_the_20th(day, warn):
    month = parse_period("2026-11")
    facts = OrgFacts(1, OLD)
    assert rules.needs_theme_day_warning(facts, 0, month, dt.date(2026, 11, day)) is warn
    assert rules.needs_theme_day_warning(facts, 1, month, dt.date(2026, 11, day)) is False


def test_no_warning_for_a_branch_founded_this_month():
    month = parse_period("2026-11")
    facts = OrgFacts(1, dt.date(2026, 11, 2))
    assert not rules.needs_theme_day_warning(facts, 0, month, dt.date(2026, 11, 20))


@pytest.mark.parametrize(
    ("birth", "exempt"),
    [(dt.date(1966, 11, 20), True), (dt.date(1966, 11, 21), False), (dt.date(1950, 1, 1), True)],
)
def test_members_aged_60_are_phone_exempt(birth, exempt):
    assert rules.is_phone_exempt(birth, dt.date(2026, 11, 20)) is exempt


def test_rest_day_meetings_count_for_village_team_only():
    assert rules.counts_for_member(workday=True, village_team=False)
    assert not rules.counts_for_member(workday=False, village_team=False)
    assert rules.counts_for_member(workday=False, village_team=True)


@pytest.mark.parametrize(
    ("votes_for", "eligible", "passes"),
    [(3, 5, True), (2, 4, False), (3, 4, True), (0, 0, False), (1, 1, True), (5, 10, False)],
)
def test_resolution_needs_more_than_half_of_voters(votes_for, eligible, passes):
    assert rules.resolution_passes(votes_for, eligible) is passes


def test_attendance_rate():
    assert rules.attendance_rate(3, 4) == 0.75
    assert rules.attendance_rate(0, 0) is None
