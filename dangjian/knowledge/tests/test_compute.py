"""Answers that compute: the asker's numbers and category read from the question, the dues
module's rule applied and shown; and the question core the retrieval sees."""

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.core.periods import cn_day
from dangjian.dues import rules as dues_rules
from dangjian.knowledge import compute
from dangjian.knowledge.models import Message
from dangjian.knowledge.retrieval.question import amounts, question_core
from dangjian.knowledge.services import bot
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base
from dangjian.recruitment import rules as recruitment_rules


@pytest.mark.parametrize(
    ("question", "values"),
    [
        ("俺在厂里一个月到手三千五，党费交几块钱", [Decimal(3500)]),
        ("每月退休金五千五", [Decimal(5500)]),
        ("月薪1.2万", [Decimal(12000)]),
        ("一个月两千六百块", [Decimal(2600)]),
        ("到手大概四千出头", [Decimal(4000)]),
        ("实发4300块", [Decimal(4300)]),
        ("我是2019年6月入的党", []),  # a year is not money
        ("三会一课一年开几次", []),
    ],
)
def test_amounts_in_a_question(question, values):
    assert amounts(question) == values


def test_the_core_drops_the_story_fillers_and_amounts():
    assert question_core("俺在厂里一个月到手三千五，党费交几块钱") == "党费交几块钱"
    assert question_core("您好，请问党费怎么交啊？") == "党费怎么交"
    assert question_core("我在广州打工三年了，老家支部一直联系不上我，我的党员身份还算不算") == (
        "我的党员身份还算不算"
    )
    assert question_core("三会一课") == "三会一课"  # nothing asks: kept whole


@pytest.mark.parametrize(
    ("question", "category", "base", "amount"),
    [
        ("俺在厂里一个月到手三千五，党费交几块钱", "employed", "3500.00", "35.00"),
        ("我每个月工资扣完税八千二，党费该交多少", "employed", "8200.00", "123.00"),
        ("工资3000元党费交多少", "employed", "3000.00", "15.00"),  # 含3000: 0.5%
        ("工资3000.01元党费交多少", "employed", "3000.01", "30.00"),
        (
            "我老伴是退休教师，每月退休金五千五，她的党费该交多少，是不是和上班的时候一样",
            "retired",
            "5500.00",
            "55.00",
        ),
        ("退休金5000党费交多少", "retired", "5000.00", "25.00"),
        ("我是个体户，上季度平均每月纯收入六千，党费交多少", "self_employed", "6000.00", "90.00"),
        ("学生党员每个月党费交几毛钱", "student", None, "0.20"),
        ("我家吃低保，党费交多少", "relief", None, "0.20"),
    ],
)
def test_dues_are_computed_with_the_dues_rules(question, category, base, amount):
    got = compute.dues(question)
    assert got is not None
    assert (got.category, got.base_yuan, got.amount_yuan) == (category, base, amount)
    if base is not None:
        expected = dues_rules.monthly_amount(category, dues_rules.yuan_to_fen(base))
        assert got.rule == expected.rule and expected.rule in got.text
    assert amount in got.text


def test_without_a_figure_the_rates_are_shown_and_the_figure_asked_for():
    general = compute.dues("党费怎么交")
    assert general is not None and general.amount_yuan is None
    for *_, rule in (*dues_rules.EMPLOYED_BRACKETS, *dues_rules.RETIRED_BRACKETS):
        assert rule in general.text
    retired = compute.dues("退休党员党费按什么比例交")
    assert retired.category == "retired" and "离退休费5000元以下" in retired.text
    assert "3000元以下" not in retired.text


@pytest.mark.parametrize(
    "question",
    [
        "忘了交党费可以补交吗",
        "党费交给谁",
        "我退休后又被单位返聘，有退休金也有工资，党费怎么交",  # two incomes: the base explains
        "年终奖要不要算进党费基数",
        "主题党日怎么开展",
        "我在厂里一个月到手三千五，能贷多少款",
        "我今年一共交了多少党费",  # the record, not the rule
    ],
)
def test_other_questions_are_left_to_the_base(question):
    assert compute.dues(question) is None


def test_the_bot_answers_with_the_computed_amount_and_its_rule(cast):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)  # would hand off
    result = bot.ask(
        user=cast.user["member"], question="俺在厂里一个月到手三千五，党费交几块钱", engine=engine
    )
    assert not result.handed_off and result.work_order_id is None
    assert "35.00 元" in result.answer and "3000元以上至5000元" in result.answer
    data = result.as_json()
    assert data["computed"]["amount"] == "35.00" and "中组发〔2008〕3号" in data["source"]
    assert Message.objects.get(pk=data["message_id"]).confident


def test_the_readme_example_is_answered(cast):
    """The README's "党费怎么交": answered with the rates, not handed off."""
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)  # retrieval would hand off
    result = bot.ask(user=cast.user["member"], question="党费怎么交", engine=engine)
    assert not result.handed_off and result.work_order_id is None
    assert "3000元以下（含3000元）" in result.answer and "离退休费5000元以下" in result.answer


TODAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("question", "kind", "start", "result"),
    [
        # 细则第十三条: a year of cultivation; the candidate day is the same day a year on.
        (
            "我是2025年3月10日被确定为入党积极分子的，什么时候能成为发展对象",
            "candidate",
            dt.date(2025, 3, 10),
            dt.date(2026, 3, 10),
        ),
        # "已经八个月了": a start eight months before today.
        (
            "我被确定为积极分子已经八个月了，再过多久可以成为发展对象",
            "candidate",
            dt.date(2026, 4, 7),
            dt.date(2027, 4, 7),
        ),
        # 党章第七条: a year from the branch meeting; 29 Feb falls back to 28 Feb.
        (
            "2024.2.29支部大会通过我为预备党员，预备期哪天满",
            "probation",
            dt.date(2024, 2, 29),
            dt.date(2025, 2, 28),
        ),
        (
            "我2024年7月1号支部大会通过的，预备期从哪天开始算一年",
            "probation",
            dt.date(2024, 7, 1),
            dt.date(2025, 7, 1),
        ),
        (
            "我去年十月成为预备党员，什么时候转正",
            "probation",
            dt.date(2025, 10, 1),
            dt.date(2026, 10, 1),
        ),
        # 细则第二十六条: three months after the branch meeting (31 Oct → 31 Jan; 30 Nov → 28 Feb).
        (
            "支部大会2026年11月30日通过我入党，党委最迟什么时候要批",
            "approval",
            dt.date(2026, 11, 30),
            dt.date(2027, 2, 28),
        ),
        # 细则第三十四条: conversion approved within three months (31 Jan → 30 Apr).
        (
            "2026年1月31日支部大会讨论了我的转正，上级党委什么时候批",
            "conversion_approval",
            dt.date(2026, 1, 31),
            dt.date(2026, 4, 30),
        ),
        # 细则第八条: a talk within a month of the application.
        (
            "我2026年11月20日交的入党申请书，什么时候找我谈话",
            "talk",
            dt.date(2026, 11, 20),
            dt.date(2026, 12, 20),
        ),
    ],
)
def test_dates_are_computed_with_the_recruitment_rules(question, kind, start, result):
    got = compute.dates(question, TODAY)
    assert got is not None
    assert (got.kind, got.start, got.result) == (kind, start, result)
    assert cn_day(result) in got.text and got.rule in got.text
    assert got.as_json()["date"] == result.isoformat()


def test_the_computed_day_is_the_rules_own_boundary():
    """The day the bot names is the first day the recruitment rules accept the step."""
    start = dt.date(2025, 3, 10)
    got = compute.dates("2025年3月10日确定为积极分子，哪天能当发展对象", TODAY)
    assert got.result == recruitment_rules.candidate_from(start)
    assert recruitment_rules.step_errors(
        "candidate",
        recruitment_rules.Facts(birth_date=dt.date(2000, 1, 1), activist_on=start, review_count=2),
        got.result - dt.timedelta(days=1),
        TODAY,
        recruitment_rules.Input(),
    )
    assert not recruitment_rules.step_errors(
        "candidate",
        recruitment_rules.Facts(birth_date=dt.date(2000, 1, 1), activist_on=start, review_count=2),
        got.result,
        TODAY,
        recruitment_rules.Input(),
    )


def test_a_bare_month_counts_from_the_first_and_says_so():
    got = compute.dates("我是2025年6月被定为入党积极分子的，什么时候能成为发展对象", TODAY)
    assert got.start == dt.date(2025, 6, 1) and "按6月1日计" in got.text


def test_a_deadline_on_a_rest_day_is_marked_from_the_official_calendar():
    # 2025-07-01 + 3 months = 2025-10-01 (国庆); 2025-07-14 + 3 months = Tuesday 14 Oct.
    holiday = compute.dates("支部大会2025年7月1日通过的，党委审批期限到哪天", TODAY)
    assert holiday.result == dt.date(2025, 10, 1)
    assert "2025年10月1日（星期三，休息日）" in holiday.text
    workday = compute.dates("支部大会2025年7月14日通过的，党委审批期限到哪天", TODAY)
    assert "2025年10月14日（星期二）" in workday.text


@pytest.mark.parametrize(
    "question",
    [
        "我是2019年6月入的党，2020年6月转正，党龄从哪年算",  # 党龄: the base explains it
        "我预备期2026年3月就满了，什么时候交转正申请",  # a stated end, not a start
        "预备期到2027年3月，什么时候能转正",
        "预备期满了党支部一直不讨论转正怎么办",  # no start stated
        "我是去年五月入党的预备党员，转正需要干点啥",  # not asking when
        "我2027年5月1日支部大会通过，预备期哪天满",  # a start after today
        "我2024年7月1号办的身份证，什么时候到期",  # no 发展党员 step
    ],
)
def test_other_date_questions_are_left_to_the_base(question):
    assert compute.dates(question, TODAY) is None


def test_the_bot_answers_with_the_computed_date_and_its_article(cast):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=0.1)  # would hand off
    result = bot.ask(
        user=cast.user["member"],
        question="支部大会2024年7月1日通过我为预备党员，预备期哪天满",
        engine=engine,
    )
    assert not result.handed_off and result.work_order_id is None
    assert "2025年7月1日" in result.answer and "党章第七条" in result.answer
    data = result.as_json()
    assert data["computed"]["kind"] == "probation" and data["computed"]["date"] == "2025-07-01"
    assert "发展党员工作细则" in data["source"]
