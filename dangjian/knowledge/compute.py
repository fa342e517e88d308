"""Answers that compute: where the answer depends on the asker's own numbers.

"俺在厂里一个月到手三千五，党费交几块钱" has one right answer, 35.00 元, and no fixed text in
the base can give it. A question about the amount of one's dues (党费 + how much / how to
pay / which rate) is answered from the dues module's rules
(``dangjian.dues.rules.monthly_amount``, 中组发〔2008〕3号), with the rule it applied:

- the member's category from the words they use (退休/离休/养老金 → 离退休, 农民/种地 →
  农民, 学生 → 学生, 下岗/失业 → 下岗失业, 低保/救济 → 享受最低生活保障, 个体/自由职业/
  打零工 → 个体/自由职业, otherwise 在职), and
- the monthly amount stated (三千五, 4300块, 1.2万: ``question.amounts``).

Without an amount, the answer lists the rates of the category (or of every category) and
asks for the figure. A question naming both a wage and a pension (返聘) is left to the
base, whose entry explains how the two are combined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from dangjian.dues import rules as dues_rules
from dangjian.knowledge.retrieval.normalize import normalize
from dangjian.knowledge.retrieval.question import amounts

SOURCE_DUES = "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）"

_DUES = re.compile(r"党费")
_ASKS_AMOUNT = re.compile(
    r"多少|几块|几毛|几元|几分|怎么交|怎么缴|怎样交|如何交|咋交|咋缴|怎么算|咋算|如何算|怎么计算"
    r"|标准|比例|百分之|交几|缴几|该交|要交|应交|应缴"
)
# Questions about dues that are not about the amount: left to the base.
_OTHER_DUES = re.compile(
    r"补交|补缴|漏交|没交|不交|欠|用在|用到|用途|花|公开|收据|发票|凭证|代交|帮我交|特殊党费"
    r"|交给谁|交到哪|交给|交到|哪里交|在哪交|网上|手机|记录|提醒|基数|奖金|社保|公积金"
    r"|多交|一次交|一年|按季度|季度交|按月|交了|交过|已交|缴了|什么时候|哪个月|从哪|减免|免交|困难|核定|谁定|管理|义务"
    r"|为什么|意义|流动|外出|在外|打工|出国|国外|境外|期间|收了|用了|收支|转接|转关系|预备党员|积极分子"
)
_CATEGORIES = (
    (dues_rules.Category.RELIEF, re.compile(r"低保|最低生活保障|救济|抚恤")),
    (dues_rules.Category.UNEMPLOYED, re.compile(r"下岗|失业|没工作|没有工作|没收入|没有收入")),
    (dues_rules.Category.STUDENT, re.compile(r"学生|本科|研究生|读研|读博|上大学")),
    (dues_rules.Category.FARMER, re.compile(r"农民|种地|种田|务农|农村党员")),
    (dues_rules.Category.RETIRED, re.compile(r"退休|离休|退修|养老金|离退休")),
    (
        dues_rules.Category.SELF_EMPLOYED,
        re.compile(r"个体|自由职业|灵活就业|做生意|开店|私营企业主|打零工|零工"),
    ),
)
_WAGE = re.compile(r"工资|月薪|薪水|收入|到手|实发|上班|在职|返聘")


@dataclass(frozen=True)
class Computed:
    """A computed answer: its text (with the rule), the figures and where the rule is from."""

    text: str
    category: str
    base_yuan: str | None
    amount_yuan: str | None
    rule: str
    source: str = SOURCE_DUES

    def as_json(self) -> dict:
        return {
            "kind": "dues",
            "category": self.category,
            "base": self.base_yuan,
            "amount": self.amount_yuan,
            "rule": self.rule,
            "source": self.source,
        }


def _category(text: str) -> dues_rules.Category | None:
    """The member's dues category from the words used; None when two kinds of income are
    named (a wage and a pension: the base explains how they combine)."""
    found = [cat for cat, pattern in _CATEGORIES if pattern.search(text)]
    if dues_rules.Category.RETIRED in found and ("返聘" in text or "工资" in text):
        return None
    return found[0] if found else dues_rules.Category.EMPLOYED


def _rates(category: dues_rules.Category) -> list[str]:
    if category == dues_rules.Category.RETIRED:
        return [rule for *_, rule in dues_rules.RETIRED_BRACKETS]
    if category in dues_rules.BASE_CATEGORIES:
        return [rule for *_, rule in dues_rules.EMPLOYED_BRACKETS]
    if category == dues_rules.Category.FARMER:
        return [dues_rules.RULE_FARMER]
    return [dues_rules.RULE_FIXED[category]]


def _all_rates() -> str:
    lines = [
        "在职党员（每月工资收入，税后）：" + "；".join(_rates(dues_rules.Category.EMPLOYED)),
        "离退休党员（每月离退休费）：" + "；".join(_rates(dues_rules.Category.RETIRED)),
        dues_rules.RULE_FARMER,
        "学生、下岗失业、依靠抚恤或救济生活的党员每月交纳党费0.2元",
        "个体/自由职业按上季度月平均纯收入，比照在职党员的比例",
    ]
    return "\n".join(f"- {line}" for line in lines)


def dues(question: str) -> Computed | None:
    """The dues answer for ``question``, or None when it is not about the amount of dues."""
    text = normalize(question or "")
    if not _DUES.search(text) or not _ASKS_AMOUNT.search(text) or _OTHER_DUES.search(text):
        return None
    category = _category(text)
    if category is None:
        return None
    label = dues_rules.Category(category).label
    figures = amounts(question)
    explicit = any(pattern.search(text) for cat, pattern in _CATEGORIES if cat == category) or bool(
        _WAGE.search(text)
    )
    if category in dues_rules.BASE_CATEGORIES and figures:
        base = figures[0].quantize(Decimal("0.01"))
        amount = dues_rules.monthly_amount(category, dues_rules.yuan_to_fen(base))
        base_yuan = dues_rules.fen_to_yuan(dues_rules.yuan_to_fen(base))
        amount_yuan = dues_rules.fen_to_yuan(amount.fen)
        what = "离退休费" if category == dues_rules.Category.RETIRED else "工资收入（税后）"
        text_out = (
            f"按{label}党员计算：每月{what} {base_yuan} 元，每月应交纳党费 **{amount_yuan} 元**。\n\n"
            f"依据的规定：{amount.rule}（按比例计算后四舍五入到分）。\n\n"
            "计算基数以党支部按规定核定的为准（在职党员为每月工资收入中相对固定、经常性的部分，"
            "扣除个人缴纳的社会保险和公积金等后的数额）。"
        )
        return Computed(text_out, category, base_yuan, amount_yuan, amount.rule)
    if category not in dues_rules.BASE_CATEGORIES:
        amount = dues_rules.monthly_amount(category)
        amount_yuan = dues_rules.fen_to_yuan(amount.fen)
        text_out = (
            f"{label}党员每月交纳党费 **{amount_yuan} 元**"
            + ("（由党支部在0.2元至1元之间确定，这里按最低额）" if category == "farmer" else "")
            + f"。\n\n依据的规定：{amount.rule}。"
        )
        return Computed(text_out, category, None, amount_yuan, amount.rule)
    if explicit:
        rule = "；".join(_rates(category))
        text_out = (
            f"{label}党员按每月{'离退休费' if category == 'retired' else '工资收入（税后）'}"
            f"分档交纳党费：{rule}。\n\n告诉我您每月的数额（例如“每月到手3500元”），我来帮您算出具体金额。"
        )
        return Computed(text_out, category, None, None, rule)
    text_out = (
        "党费按党员的身份和每月收入分档交纳，交给所在党支部（也可以在本平台上在线交纳）：\n\n"
        f"{_all_rates()}\n\n告诉我您的身份和每月收入（例如“在职，每月到手3500元”），"
        "我来帮您算出每月应交多少。"
    )
    return Computed(text_out, "", None, None, "中组发〔2008〕3号 第一条至第五条")
