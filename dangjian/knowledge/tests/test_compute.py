"""Answers that compute: the asker's numbers and category read from the question, the dues
module's rule applied and shown; and the question core the retrieval sees."""

from decimal import Decimal

import pytest

from dangjian.dues import rules as dues_rules
from dangjian.knowledge import compute
from dangjian.knowledge.models import Message
from dangjian.knowledge.retrieval.question import amounts, question_core
from dangjian.knowledge.services import bot
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base


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
