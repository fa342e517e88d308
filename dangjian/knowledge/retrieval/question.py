"""What a member's question asks, without the story around it, and the numbers in it.

Members ask the hotline the way they talk: "我爸今年七十三了，是退了休的老党员，一个月退休工资
大概四千块钱，他问我党费应该交多少". The story (who, where, how much, since when) matters to a
person and to a computed answer, but drowns the question for retrieval. ``question_core``
keeps the clauses that ask something (an interrogative word or particle) and drops greetings,
fillers, the story clauses and amounts; ``amounts`` reads the money figures (三千五, 4千出头,
1.2万, 8200) for the answers that compute (``dangjian.knowledge.compute``).

Both work on ``normalize``d text: full width folded, traditional → simplified, punctuation
turned into spaces, so a clause is a space-separated chunk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache

from .normalize import normalize

# Opening words that carry no question: greetings, "may I ask", politeness.
_FILLER_HEAD = re.compile(
    r"^(?:(?:你好|您好|各位好|大家好|老师好|同志好|领导好|请问一下|请问|麻烦问一下|麻烦问下|麻烦"
    r"|想问一下|想问下|想问问|我想问一下|我想问下|我想问问|我想问|我想咨询一下|我想咨询|咨询一下"
    r"|问一下|问下|请教一下|请教|打扰一下|打扰了|我想了解一下|我想知道|想知道|那个|就是)\s*)+"
)
# Closing particles and thanks.
_FILLER_TAIL = re.compile(r"(?:啊|呀|呢|吧|哈|啦|哦|噢|嘛|咧|谢谢了?|谢谢您|多谢)+$")
# A clause that asks: interrogative words, question particles, A-not-A forms.
_ASKS = re.compile(
    r"怎么|怎样|咋|如何|什么|啥|哪|几|多少|多久|多长|多大|多高|谁|吗|么|是否|为何|为什么"
    r"|能不能|能否|可不可以|可以不|行不行|要不要|算不算|有没有|是不是|会不会|该不该|用不用"
    r"|需不需要|还能|还算|有效吗|不$|没$|否$|有啥|咋办|办法"
    r"|([\u4e00-\u9fff])不\1"  # any A-not-A: 够不够, 靠不靠谱, 合不合适
)
# What is left of an asking clause that asks nothing of its own ("正常吗", "怎么办", "靠谱吗",
# "这样行不行"): the question is in the clause before it.
_GENERIC = re.compile(
    r"这样|那样|这个|那个|这种|那种|情况|真的|到底|究竟|正常|靠谱|合理|合适|要紧|问题|影响"
    r"|应该|应当|可以|现在|我们|我|你|他|她|这|那|该|办|行|对|好|呢|吗|了|的|啊|呀|还|是|会|有"
)
# Money and other amounts: 3500, 8200元, 1.2万, 三千五, 两千六百, 四千出头, 七千多.
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_NUMBER = f"[{_CN_DIGITS}十百千万]+"
_AMOUNT = re.compile(
    rf"(?:\d+(?:点\d+)?\s*(?:万|千|k)?|{_CN_NUMBER})\s*(?:块钱|块|元|多|出头|来块|左右)*"
    r"(?![\d年月号日岁个次天人名届期周])"
)
_ARABIC = re.compile(r"(\d+(?:点\d+)?)\s*(万|千|k)?")
_DECIMAL_POINT = re.compile(r"(?<=\d)[.．。](?=\d)")
_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def _normalize(question: str) -> str:
    """``normalize``, keeping a decimal point (1.2万) that it would turn into a space."""
    return normalize(_DECIMAL_POINT.sub("点", question or ""))


def _core_clause(clause: str) -> str:
    clause = _FILLER_HEAD.sub("", clause)
    return _FILLER_TAIL.sub("", clause).strip()


def _generic(clause: str) -> bool:
    """An asking clause with no content of its own ("到现在也没人找我谈话 正常吗")."""
    return len(_GENERIC.sub("", _ASKS.sub("", clause))) < 2


def _drop_amounts(text: str) -> str:
    """Amounts of money and long numbers carry the asker's facts, not the question."""

    def keep_small(m: re.Match) -> str:
        token = m.group(0)
        value = parse_number(token)
        money = any(u in token for u in ("块", "元", "千", "万", "百"))
        return "" if money or (value is not None and value >= 100) else token

    return _AMOUNT.sub(keep_small, text)


@lru_cache(maxsize=16384)
def question_core(question: str) -> str:
    """The normalised clauses of ``question`` that ask something, amounts and fillers removed.

    A question with no asking clause keeps all its clauses; an empty result falls back to the
    whole normalised question.
    """
    text = _normalize(question)
    clauses = [c for c in (_core_clause(c) for c in text.split()) if c]
    asking: list[str] = []
    for i, clause in enumerate(clauses):
        if not _ASKS.search(clause):
            continue
        if i and _generic(clause) and clauses[i - 1] not in asking:
            asking.append(clauses[i - 1])
        asking.append(clause)
    core = " ".join(_drop_amounts(c) for c in (asking or clauses))
    core = " ".join(core.split())
    return core or text


def parse_number(token: str) -> Decimal | None:
    """The value of one amount token: "3500", "1.2万", "三千五", "两千六百", "4千" (else None)."""
    token = token.strip()
    m = _ARABIC.match(token)
    if m:
        value = Decimal(m.group(1).replace("点", "."))
        unit = m.group(2)
        if unit == "万":
            value *= 10000
        elif unit in ("千", "k"):
            value *= 1000
        if unit in ("千", "万") and (rest := token[m.end() :]) and rest[0] in _DIGIT_VALUE:
            value += _DIGIT_VALUE[rest[0]] * (1000 if unit == "万" else 100)
        return value
    cn = re.match(_CN_NUMBER, token)
    if not cn:
        return None
    return _parse_chinese(cn.group(0))


def _parse_chinese(text: str) -> Decimal | None:
    """三千五 → 3500 (a trailing digit is one unit below the last), 一万二 → 12000,
    三千零五十 → 3050, 十二 → 12."""
    total = section = 0
    digit: int | None = None
    last_unit = 1
    for ch in text:
        if ch in _DIGIT_VALUE:
            digit = _DIGIT_VALUE[ch]
        elif ch in _UNIT_VALUE:
            unit = _UNIT_VALUE[ch]
            if unit == 10000:
                total = (total + section + (digit or 0)) * 10000
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
            last_unit = unit
        else:
            return None
    if digit is not None:
        section += digit * (last_unit // 10 if last_unit >= 10 else 1)
    value = total + section
    return Decimal(value) if value or "零" in text or "〇" in text else None


def amounts(question: str) -> list[Decimal]:
    """Every amount of money (at least 1 元, stated with a unit or as a figure ≥ 100) in
    ``question``, in order: "一个月到手三千五" → [3500]."""
    text = _normalize(question)
    out: list[Decimal] = []
    for m in _AMOUNT.finditer(text):
        token = m.group(0)
        value = parse_number(token)
        if value is None or value < 1:
            continue
        money = any(u in token for u in ("块", "元", "千", "万", "百"))
        if money or value >= 100:
            out.append(value)
    return out


# Who is asking and at what stage: the facts a story holds that tell sibling entries apart
# (在职 vs 退休 dues, 积极分子 vs 预备党员 time limits, at home vs 外出). Read from the whole
# question (the story included) and from an entry's phrasings.
# Countries members go to or take the nationality of (去德国 → abroad, 加拿大籍 → foreign).
_COUNTRIES = (
    "美国|德国|日本|英国|法国|韩国|俄罗斯|澳大利亚|澳洲|加拿大|新加坡|意大利|西班牙|新西兰"
    "|马来西亚|泰国|越南|缅甸|老挝|柬埔寨|菲律宾|印尼|印度尼西亚|荷兰|瑞士|瑞典"
)
_SLOTS = {
    "retired": re.compile(r"退休|离休|退修|养老金|老干部|离退休|养老"),
    "employed": re.compile(r"在职|上班|工资|月薪|薪水|单位|公司|厂里"),
    "farmer": re.compile(r"农民|种地|种田|务农|农村"),
    "student": re.compile(r"学生|大学|高校|毕业|研究生|本科|在校|读研|读博|大四|大三|学校"),
    "away": re.compile(r"流动|外出|打工|务工|外地|异地|在外|流入|流出|跑车|出差"),
    "abroad": re.compile(
        rf"出国|国外|境外|留学|海外|移民|(?:去|到|在)(?:{_COUNTRIES}|欧洲|非洲|美洲|东南亚|中东)"
    ),
    "jobless": re.compile(r"下岗|失业|没工作|没有工作|低保|救济"),
    "applicant": re.compile(r"申请书|申请人|申请入党|写申请|交申请"),
    "activist": re.compile(r"积极分子"),
    "candidate": re.compile(r"发展对象"),
    "probationary": re.compile(r"预备党员|预备期|转正"),
    "lost": re.compile(r"失联|联系不上|失去联系|找不到"),
    "move": re.compile(r"调动|跳槽|换单位|换了工作|新单位|转到|转出|转入|接转|调到"),
    "gig": re.compile(r"骑手|外卖|快递|网约车|新就业|跑单|送餐|美团|饿了么|滴滴|货拉拉|闪送|代驾"),
    "self_employed": re.compile(r"个体|自由职业|开店|做生意|灵活就业|零工|没单位|没有单位|饭馆"),
    "rehired": re.compile(r"返聘|又有工资|同时有工资|同时领|又领"),
    "owner": re.compile(r"老板|企业主|私营|私企老板|雇主|开了.{0,4}公司|开公司|开厂"),
    "foreign": re.compile(rf"国籍|外籍|[美加英日德法澳]籍|入籍|(?:{_COUNTRIES})籍"),
    "religion": re.compile(r"宗教|信佛|佛教|基督|信教|庙|教堂|伊斯兰|信仰"),
    "military": re.compile(r"部队|当兵|退伍|军人|服役|退役"),
    "frail": re.compile(r"卧床|行动不便|腿脚|年老体弱|生病|住院|身体不好"),
    "money": re.compile(r"党费|交多少|缴多少|几块|元"),
    "time": re.compile(r"多久|多长时间|几年|几个月|什么时候|何时|期限|时限|哪天"),
    "persuaded": re.compile(r"劝"),
    "unqualified": re.compile(r"不合格"),
    "platform": re.compile(r"平台|[Aa][Pp][Pp]|登录|登陆|账号|帐号|小程序"),
    "spending": re.compile(r"用在|用到|用于|花在|花到|使用|开支|下拨|拨下|返还"),
    # the organisation acts on a member (党组织怎样查找失联党员), not the member on themself
    "branch_side": re.compile(
        r"(?:支部|党组织|党委|书记)(?:应该|应当|要|该|需要)?(?:怎样|怎么|如何)去?(?:找|查|处理|处置)"
        r"|(?:支部|党组织|党委)(?:应该|应当|要|该|需要)(?:找|查|处理|处置)"
    ),
}


@lru_cache(maxsize=16384)
def slots(text: str) -> frozenset[str]:
    """The slot names (``_SLOTS``) normalised ``text`` mentions."""
    return frozenset(name for name, pattern in _SLOTS.items() if pattern.search(text))


@lru_cache(maxsize=1)
def _general_frequencies() -> tuple[dict[str, int], int]:
    """Word frequencies of jieba's general dictionary (not the domain one ``tokens`` adds to
    it), and their total: how common a word is in Chinese at large. Read once per process;
    jieba is imported here, not with the module, so a process that never asks the bot
    (every management command) does not load it."""
    import jieba

    table: dict[str, int] = {}
    with jieba.get_dict_file() as fh:
        for line in fh:
            word, count, *_ = line.decode("utf-8").split(" ")
            table[word] = int(count)
    return table, sum(table.values())


def salience(words: Iterable[str], idf: Callable[[str], float]) -> float:
    """How much more common the question's most domain-like word is in the base than in
    Chinese at large: the highest log-ratio of a word's document frequency among the base's
    phrasings (``exp(-idf)``) to its frequency in the general dictionary.

    Out-of-scope questions share the members' everyday words with the base (退休金, 密码, 工资)
    but rarely a word the base uses far more than Chinese does (党费, 预备期, 三会一课); the
    answer decision reads it beside ``known_share``, which counts any word the base holds.
    """
    table, total = _general_frequencies()
    return max((-idf(w) - math.log((table.get(w, 0) + 1) / total) for w in words), default=0.0)
