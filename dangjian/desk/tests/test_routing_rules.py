"""Central acceptance's rules: where a question is accepted, the 咨询分类 list, the
workdays an office has to answer (each at its boundaries, with known answers)."""

import datetime as dt

import pytest
from django.test import override_settings

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


@pytest.mark.parametrize("category", ["组织关系转接", "党费", "干部人才", "平台使用", ""])
def test_central_acceptance_is_the_default_for_every_category(category):
    assert rules.acceptance() == rules.CENTRAL
    assert rules.route(category, CHAIN, "0001") == "0001"


def test_central_acceptance_without_an_organisation_is_the_root():
    assert rules.route("党费", [], "0009") == "0009"


def test_central_acceptance_in_a_deployment_rooted_below_a_province():
    """A city's own deployment (its tree's top is the city) accepts at its top."""
    chain = [("0002", "city"), ("00020001", "county"), ("000200010001", "branch")]
    assert rules.route("党费", chain, "0002") == "0002"


def test_central_acceptance_takes_the_province_under_a_national_root():
    chain = [("0001", "national"), ("00010003", "province"), ("000100030001", "city")]
    assert rules.route("党费", chain, "0001") == "00010003"


@override_settings(CONSULT_ACCEPTANCE="tiered")
def test_tiered_acceptance_is_a_setting():
    assert rules.acceptance() == rules.TIERED
    assert rules.route("组织关系转接", CHAIN, "0001") == "000100010001"
    assert rules.route("平台使用", CHAIN, "0001") == "0001"


@override_settings(CONSULT_ACCEPTANCE="everywhere")
def test_an_unknown_mode_falls_back_to_central():
    assert rules.acceptance() == rules.CENTRAL


def test_the_categories_hold_the_knowledge_base_and_the_seed():
    names = rules.categories()
    assert names[0] == "入党申请与发展党员" and names[-1] == "其他"
    for kb in ("组织关系转接", "党费", "三会一课", "平台使用", "流动党员与失联党员"):
        assert kb in names
    assert {"党员教育", "意见建议", "为民服务"} <= set(names)
    assert all(len(name) <= rules.CATEGORY_MAX for name in names)
    assert len(set(names)) == len(names)


def test_a_category_is_known_or_blank():
    assert rules.is_category("党费") and rules.is_category("")
    assert not rules.is_category("党费 ") and not rules.is_category("天气")
    assert rules.known_category("天气") == "" and rules.known_category("党费") == "党费"


@override_settings(CONSULT_CATEGORIES=["党费", "其他"])
def test_the_categories_are_configuration():
    assert rules.categories() == ("党费", "其他")
    assert not rules.is_category("组织关系转接")


@pytest.mark.parametrize(
    "given, days", [(None, 2), (0, None), (1, 1), (10, 10), (11, None), (-1, None)]
)
def test_consultation_workdays_between_one_and_ten(given, days):
    assert rules.consultation_workdays(given) == days


@pytest.mark.parametrize(
    "start, workdays, due",
    [
        (at(2026, 11, 20, 9, 0), 1, at(2026, 11, 20, 17, 30)),  # a whole Friday
        (at(2026, 11, 20, 15, 0), 2, at(2026, 11, 24, 15, 0)),  # Friday → Tuesday
        (at(2026, 11, 20, 17, 30), 1, at(2026, 11, 23, 17, 30)),  # at closing: Monday
        (at(2026, 11, 21, 10, 0), 1, at(2026, 11, 23, 17, 30)),  # a Saturday waits
        (at(2026, 11, 23, 12, 30), 1, at(2026, 11, 24, 12, 0)),  # lunch does not count
    ],
)
def test_consultation_due_on_the_workday_calendar(start, workdays, due):
    assert rules.consultation_due(start, workdays) == due
