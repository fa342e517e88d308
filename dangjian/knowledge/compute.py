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

A question about *when* a 发展党员 time limit falls, with a start the asker states (a date,
"去年十月", or "已经八个月了"), is answered from the recruitment app's rules
(``dangjian.recruitment.rules``: ``candidate_from``, ``probation_end``,
``conversion_apply_from``, ``approval_due``, ``conversion_approval_due``, ``talk_due``), the
article cited, and a computed day that is a rest day in the official calendar
(``dangjian.core.calendar``) marked as such (``dates``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from dangjian.core import calendar
from dangjian.core.periods import cn_day
from dangjian.dues import rules as dues_rules
from dangjian.knowledge.retrieval.normalize import normalize
from dangjian.knowledge.retrieval.question import amounts, parse_number
from dangjian.recruitment import rules as recruitment_rules

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


# --- Dates from a stated start (发展党员 time rules) -------------------------------------

SOURCE_RECRUITMENT = "《中国共产党发展党员工作细则》（中办发〔2014〕31号）"
_CN_SMALL = "一二两三四五六七八九十"
_NUM = rf"\d{{1,4}}|[{_CN_SMALL}]{{1,3}}"
# 2024年7月1日 / 2024年7月 / 去年十月 / 今年3月5号; the year is required (a bare month is
# too often a month still to come: "明年三月预备期满").
_DATE_CN = re.compile(
    rf"(\d{{4}}|今年|去年|前年)\s*年?\s*({_NUM})\s*月份?\s*(?:({_NUM})\s*(?:日|号))?"
)
_DATE_FIGURES = re.compile(r"(\d{4})\s(\d{1,2})\s(\d{1,2})(?!\d)")  # 2024-07-01 after normalize
# "已经八个月了", "快一年了", "半年多了": a start that many months ago.
_AGO = re.compile(rf"(?:已经|已|快|都)?\s*({_NUM}|半)\s*(个月|年)(?:多|了)")
_WHEN = re.compile(
    r"什么时候|啥时候|哪天|哪一天|几号|何时|多久|多长时间|几个月|到什么时候|到哪天|截止|最迟|最晚"
    r"|期限|时限|时间限制|还要等|还得等|能不能|可不可以|可以吗|从哪天|哪年|哪个月|几月|到期"
)
_ROLE_WORDS = {
    "activist": re.compile(r"积极分子"),
    "candidate": re.compile(r"发展对象"),
    "probation": re.compile(r"预备期|预备党员|转正"),
    "approval": re.compile(r"(?<!评)批(?![评判])"),
    "vote": re.compile(r"支部大会|党员大会|通过|讨论"),
    "applied": re.compile(r"申请书|递交申请|交了申请|写了申请|申请入党"),
    "talk": re.compile(r"谈话|找我谈"),
}
_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class ComputedDates:
    """A date answer: the day(s) computed from the asker's start, and the article applied."""

    text: str
    kind: str  # candidate / probation / approval / conversion_approval / talk
    start: dt.date
    result: dt.date
    rule: str
    source: str = SOURCE_RECRUITMENT

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "date": self.result.isoformat(),
            "rule": self.rule,
            "source": self.source,
        }


def _small(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token == "半":
        return None
    value = parse_number(token)
    return int(value) if value is not None else None


# A day the asker gives as the end ("预备期到2026年3月", "2026年3月就满了") is no start.
_END_BEFORE = re.compile(r"(?:到|至|截至|截止)\s*$")
_END_AFTER = re.compile(r"^\s*(?:就|才|便)?\s*(?:满|到期|届满|结束)")


def stated_day(text: str, today: dt.date) -> tuple[dt.date, bool] | None:
    """The first calendar day stated in normalised ``text`` and whether its day of the month
    was given (a bare 年月 counts from the 1st), or None (none, or one stated as an end)."""
    m = _DATE_FIGURES.search(text) or _DATE_CN.search(text)
    if m and (_END_BEFORE.search(text[: m.start()]) or _END_AFTER.match(text[m.end() :])):
        return None
    m = _DATE_FIGURES.search(text)
    if m:
        year, month, day = (int(g) for g in m.groups())
        exact = True
    else:
        m = _DATE_CN.search(text)
        if not m:
            return None
        relative = {"今年": 0, "去年": 1, "前年": 2}
        year = today.year - relative[m[1]] if m[1] in relative else int(m[1])
        month = _small(m[2])
        day = _small(m[3]) if m[3] else 1
        exact = m[3] is not None
    try:
        return dt.date(year, month or 0, day or 0), exact
    except (TypeError, ValueError):
        return None


def _months_ago(text: str, today: dt.date) -> dt.date | None:
    m = _AGO.search(text)
    if not m:
        return None
    months = 6 if m[1] == "半" else _small(m[1])
    if not months:
        return None
    months *= 12 if m[2] == "年" else 1
    return recruitment_rules.add_months(today, -months) if months <= 60 else None


def _day(day: dt.date) -> str:
    """2025年7月1日（星期二）, with 休息日 when the official calendar has it off."""
    off = "" if calendar.is_workday(day) else "，休息日"
    return f"{cn_day(day)}（星期{_WEEKDAYS[day.weekday()]}{off}）"


def _kind(text: str) -> str | None:
    has = {k: bool(p.search(text)) for k, p in _ROLE_WORDS.items()}
    if has["probation"] and "转正" in text and has["approval"]:
        return "conversion_approval"
    if has["approval"] and has["vote"] and not has["probation"] and not has["activist"]:
        return "approval"
    if has["activist"] and has["candidate"]:
        return "candidate"
    if has["probation"] and not has["activist"]:
        return "probation"
    if has["applied"] and has["talk"]:
        return "talk"
    return None


def dates(question: str, today: dt.date) -> ComputedDates | None:
    """The date answer for a question about when a 发展党员 time limit falls, from a start
    the asker states (a date, or "已经八个月了"), with the article applied; else None."""
    text = normalize(question or "")
    if not _WHEN.search(text) or "党龄" in text:
        return None
    kind = _kind(text)
    if kind is None:
        return None
    stated = stated_day(text, today)
    start, exact, approx = None, False, False
    if stated is not None:
        start, exact = stated
    elif ago := _months_ago(text, today):
        start, approx = ago, True
    if start is None or start > today:
        return None
    r = recruitment_rules
    since = "（您说的约" + cn_day(start) + "）" if approx else ""
    whole_month = "" if exact or approx else f"（只说了月份，按{start.month}月1日计）"
    said = f"{cn_day(start)}{whole_month}{since}"
    if kind == "candidate":
        day = r.candidate_from(start)
        rule = f"细则第十三条：入党积极分子经过{r.CULTIVATION_YEARS}年以上培养教育和考察"
        body = (
            f"从确定为入党积极分子的{said}起，培养考察满{r.CULTIVATION_YEARS}年是 **{_day(day)}**，"
            "从这天起，支部才可以在听取党小组、培养联系人、党员和群众意见的基础上讨论确定为发展对象。"
            f"\n\n此前还应有至少{r.MIN_REVIEWS}次考察记录（细则第十二条：每半年考察一次）。"
            "满一年是最短时间，不是一满就自动成为发展对象。"
        )
    elif kind == "probation":
        day = r.probation_end(start)
        apply_from = r.conversion_apply_from(day)
        rule = "党章第七条、细则第二十九条：预备期为一年，从支部大会通过其为预备党员之日算起"
        body = (
            f"预备期从支部大会通过您为预备党员的{said}算起，一年，到 **{_day(day)}** 届满。"
            f"\n\n预备期满时本人提出书面转正申请（本平台从{_day(apply_from)}起可以提交，细则第三十二条），"
            "支部大会在届满后讨论转正；预备期可以延长一次，为6至12个月（细则第三十三条）。"
        )
    elif kind == "approval":
        day = r.approval_due(start)
        latest = r.add_months(start, r.APPROVAL_MAX_MONTHS)
        rule = (
            f"细则第二十六条：上级党委在支部大会通过后{r.APPROVAL_MONTHS}个月内审批，"
            f"特殊情况可延长，但不超过{r.APPROVAL_MAX_MONTHS}个月"
        )
        body = (
            f"支部大会{said}通过后，上级党委应在 **{_day(day)}** 前审批；"
            f"遇特殊情况可以延长，但最迟不超过 **{_day(latest)}**。"
            "\n\n超过期限仍未审批的，可以向党支部或上级党委组织部门询问。"
        )
    elif kind == "conversion_approval":
        day = r.conversion_approval_due(start)
        rule = (
            f"细则第三十四条：上级党委在支部大会讨论转正后{r.CONVERSION_APPROVAL_MONTHS}个月内审批"
        )
        body = f"支部大会{said}讨论通过转正后，上级党委应在 **{_day(day)}** 前审批。"
    else:
        day = r.talk_due(start)
        rule = f"细则第八条：党组织收到入党申请书后，{r.TALK_MONTHS}个月内派人同入党申请人谈话"
        body = f"党组织{said}收到入党申请书后，应在 **{_day(day)}** 前派人同您谈话。"
    text_out = f"{body}\n\n依据的规定：{rule}。\n\n具体日期以党组织的记录为准。"
    return ComputedDates(text_out, kind, start, day, rule)
