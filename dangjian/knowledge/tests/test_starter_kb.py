"""Checks on the curated starter base of 党务问答 shipped with the platform.

The starter files are package data imported into the knowledge base as written, and the
bot loads them all into one base; so their shape is checked here across files rather than
trusted (a malformed line would fail the import or leave an entry that cannot be cited),
and the facts members ask most — dues rates, the recruitment time limits, meeting
frequencies and quorums, thresholds for setting up organisations, the five disciplinary
measures — are pinned so that a careless edit cannot teach the bot a wrong rule.
"""

import json
import re
from collections import Counter
from collections.abc import Callable
from difflib import SequenceMatcher
from functools import cache
from importlib.resources import files

import pytest

STARTER_PACKAGE = "dangjian.knowledge.starter"
# Each shipped file and the fewest entries it may hold.
STARTER_FILES = {
    "joining-and-relations.jsonl": 160,
    "orglife-and-platform.jsonl": 160,
    "discipline-elections-education.jsonl": 30,
}
MINIMUM_TOTAL = 300
MINIMUM_PER_CATEGORY = 15  # each topic is covered, not a token entry
FIELDS = {
    "question",
    "answer",
    "alternatives",
    "category",
    "tags",
    "source",
    "owner_office",
    "valid_from",
    "valid_until",
}
CATEGORIES = {
    "入党申请与发展党员",
    "异地入党",
    "组织关系转接",
    "流动党员与失联党员",
    "党费",
    "三会一课",
    "主题党日",
    "组织生活会与民主评议",
    "党员权利与义务",
    "党组织设置",
    "平台使用",
    "党内选举与纪律",
    "党员教育管理",
}
SOURCE_MARKERS = ("《", "中组部", "本平台使用说明")
PLATFORM_GUIDE = "本平台使用说明"
# Two questions this alike would compete for the same asker and split the bot's confidence.
NEAR_DUPLICATE_RATIO = 0.9
SENTENCE_END = re.compile(r"[。！？]")


@cache
def entries_by_file() -> dict[str, tuple[dict, ...]]:
    """Parse every shipped file once; each non-blank line must be one JSON object."""
    folder = files(STARTER_PACKAGE)
    return {
        path.name: tuple(
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line
        )
        for path in folder.iterdir()
        if path.name.endswith(".jsonl")
    }


@cache
def entries() -> tuple[dict, ...]:
    """All entries of all files, as the bot sees them: one base."""
    return tuple(e for name in sorted(entries_by_file()) for e in entries_by_file()[name])


def entry(question: str) -> dict:
    """The entry with exactly this question (StopIteration if it was renamed or removed)."""
    return next(e for e in entries() if e["question"] == question)


def answer_to(question: str) -> str:
    return entry(question)["answer"]


def sentence_count(answer: str) -> int:
    """Count sentences the way a reader would: text between Chinese full stops."""
    return len([part for part in SENTENCE_END.split(answer) if part.strip(" ”’")])


# --- Shape ---------------------------------------------------------------------------


def test_both_starter_files_ship_and_hold_enough_entries():
    by_file = entries_by_file()
    assert set(STARTER_FILES) <= set(by_file)
    assert all(len(by_file[name]) >= least for name, least in STARTER_FILES.items())
    assert len(entries()) >= MINIMUM_TOTAL


def test_every_line_is_a_json_object():
    assert all(isinstance(e, dict) for e in entries())


def test_every_entry_has_exactly_the_expected_fields():
    assert [e.get("question") for e in entries() if set(e) != FIELDS] == []


@pytest.mark.parametrize("field", ["question", "answer", "category", "source", "owner_office"])
def test_text_fields_are_non_empty_strings(field):
    bad = [
        e["question"] for e in entries() if not isinstance(e[field], str) or not e[field].strip()
    ]
    assert bad == []


def test_validity_dates_are_open():
    assert all(e["valid_from"] is None and e["valid_until"] is None for e in entries())


def test_categories_are_in_the_allowed_set_and_each_is_covered():
    used = Counter(e["category"] for e in entries())
    assert set(used) == CATEGORIES
    assert min(used.values()) >= MINIMUM_PER_CATEGORY


def test_a_category_belongs_to_one_file():
    """Each helper's file owns its topics, so an edit to one topic stays in one file."""
    owners: dict[str, set[str]] = {}
    for name, file_entries in entries_by_file().items():
        for e in file_entries:
            owners.setdefault(e["category"], set()).add(name)
    assert {c: names for c, names in owners.items() if len(names) > 1} == {}


def test_tags_are_a_non_empty_list_of_strings():
    bad = [
        e["question"]
        for e in entries()
        if not isinstance(e["tags"], list)
        or not e["tags"]
        or not all(isinstance(t, str) and t.strip() for t in e["tags"])
    ]
    assert bad == []


def test_answers_are_two_to_six_sentences():
    assert [e["question"] for e in entries() if not 2 <= sentence_count(e["answer"]) <= 6] == []


# --- Questions and phrasings, across files ---------------------------------------------


def test_questions_are_unique_across_files():
    counts = Counter(e["question"] for e in entries())
    assert [q for q, n in counts.items() if n > 1] == []


def nearly_equal_to(b: str) -> Callable[[str], bool]:
    """``a`` → SequenceMatcher(None, a, b) ratio at or above the threshold, the cheap upper
    bounds first. The matcher indexes its second sequence when it is set, so ``b`` is
    indexed once for every ``a`` compared with it (a million comparisons below)."""
    matcher = SequenceMatcher(None, "", b)

    def close(a: str) -> bool:
        matcher.set_seq1(a)
        return (
            matcher.real_quick_ratio() >= NEAR_DUPLICATE_RATIO
            and matcher.quick_ratio() >= NEAR_DUPLICATE_RATIO
            and matcher.ratio() >= NEAR_DUPLICATE_RATIO
        )

    return close


def test_no_near_duplicate_questions_across_files():
    questions = [e["question"] for e in entries()]
    close = [
        (a, b) for j, b in enumerate(questions) for a in filter(nearly_equal_to(b), questions[:j])
    ]
    assert close == []


def alternatives_problem(e: dict) -> bool:
    """True when the phrasings are too few/many, repeated, blank or just the question.

    Up to eight: the short forms and the ways members, applicants, retirees and migrant
    workers put it (咋转组织关系, a one-line story) are what the bot matches against; more
    than that is an entry asking several things."""
    alternatives = e["alternatives"]
    return (
        not isinstance(alternatives, list)
        or not 2 <= len(alternatives) <= 8
        or len(set(alternatives)) != len(alternatives)
        or any(not isinstance(a, str) or not a.strip() for a in alternatives)
        or e["question"] in alternatives
    )


def test_alternatives_are_two_to_eight_distinct_other_phrasings():
    assert [e["question"] for e in entries() if alternatives_problem(e)] == []


def test_a_phrasing_belongs_to_one_entry_only_across_files():
    """No alternative repeats another entry's question or alternative, in any file."""
    owner: dict[str, str] = {}
    clashes = []
    for e in entries():
        for phrasing in (e["question"], *e["alternatives"]):
            if owner.setdefault(phrasing, e["question"]) != e["question"]:
                clashes.append(phrasing)
    assert clashes == []


def test_no_alternative_is_a_near_copy_of_another_entrys_question():
    close = []
    for question in [e["question"] for e in entries()]:
        near = nearly_equal_to(question)
        others = [e for e in entries() if e["question"] != question]
        close += [(a, question) for e in others for a in e["alternatives"] if near(a)]
    assert close == []


# --- Sources ---------------------------------------------------------------------------


def test_sources_cite_a_regulation_an_office_rule_or_the_platform_guide():
    assert [
        e["question"] for e in entries() if not any(m in e["source"] for m in SOURCE_MARKERS)
    ] == []


def test_platform_answers_cite_the_platform_guide():
    bad = [
        e["question"]
        for e in entries()
        if e["category"] == "平台使用" and PLATFORM_GUIDE not in e["source"]
    ]
    assert bad == []


def test_sources_name_regulations_by_their_full_titles():
    """A bare 《条例》 or 《细则》 cannot be looked up by the member who reads the answer."""
    bare = re.compile(r"《(条例|细则|规定|党章)》")
    assert [e["question"] for e in entries() if bare.search(e["source"])] == []


# A regulation whose every citation must name the article (第X条), chapter (第X章) or part
# (第X编): its articles were checked against the 2023 text (README: 党务知识库的覆盖).
ARTICLE_CHECKED = ("《中国共产党纪律处分条例》",)
# Entries whose source names no article, chapter or part yet (中组部 notices without numbered
# articles, and provisions whose article could not be checked): may shrink, never grow.
MOST_UNPLACED = 52
PART_OF_TEXT = re.compile(r"第[一二三四五六七八九十]+[条章编]")
DISCIPLINE_REVISION = "《中国共产党纪律处分条例》（2023年修订）"


def citations(source: str) -> list[str]:
    """One source's citations, as written: separated by full-width semicolons."""
    return [part.strip() for part in source.split("；") if part.strip()]


def test_citations_of_the_checked_regulations_name_an_article_or_chapter():
    bare = [
        (e["question"], part)
        for e in entries()
        for part in citations(e["source"])
        if part.startswith(ARTICLE_CHECKED) and not PART_OF_TEXT.search(part)
    ]
    assert bare == []


def test_the_disciplinary_regulation_is_cited_in_its_2023_revision():
    """The 2023 revision renumbered articles; an undated citation could be read in the old."""
    undated = [
        e["question"]
        for e in entries()
        for part in citations(e["source"])
        if part.startswith("《中国共产党纪律处分条例》")
        and not part.startswith(DISCIPLINE_REVISION)
    ]
    assert undated == []


def test_sources_without_an_article_or_chapter_do_not_grow():
    """Platform answers cite the guide; the rest name where in a text the rule stands, apart
    from a remainder that may only shrink (a new entry must say where its rule stands)."""
    unplaced = [
        e["question"]
        for e in entries()
        if not PART_OF_TEXT.search(e["source"]) and PLATFORM_GUIDE not in e["source"]
    ]
    assert len(unplaced) <= MOST_UNPLACED


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("党员的纪律处分有哪几种？", "（2023年修订）第八条"),
        ("受到警告或严重警告处分有什么影响？", "（2023年修订）第十条"),
        ("撤销党内职务处分是什么意思？", "（2023年修订）第十一条"),
        ("留党察看是什么处分，期间有什么限制？", "（2023年修订）第十二条"),
        ("被开除党籍后还能重新入党吗？", "（2023年修订）第十三条"),
        ("在职党员每月交多少党费？", "(中组发〔2008〕3号)第二条"),
        ("退休党员党费怎么交？", "(中组发〔2008〕3号)第五条"),
        ("农民党员每月交多少党费？", "(中组发〔2008〕3号)第六条"),
        ("一次交纳1000元以上的党费怎么处理？", "(中组发〔2008〕3号)第十一条"),
        ("经多方查找仍联系不上的失联党员怎么处理？", "工作条例》第二十四条"),
        ("什么是党员组织关系？", "工作条例》第二十五条"),
        ("党员被留置或者逮捕期间还有选举权吗？", "选举工作条例》第五条"),
        ("讨论接收预备党员的支部大会要多少人到会才能开？", "工作细则》第二十条"),
    ],
)
def test_verified_articles_are_cited(question, article):
    """The article numbers checked against the texts; a renumbering shows here first."""
    assert article in entry(question)["source"]


def test_part_nine_facts():
    """Quorum of the admission and confirmation meetings, the 5-year and 2-year rules."""
    assert "超过应到会有表决权人数的半数" in answer_to(
        "讨论接收预备党员的支部大会要多少人到会才能开？"
    )
    assert "超过5年仍未返回" in answer_to("出国学习研究多年不回来的党员党籍怎么处理？")
    assert "二年内" in answer_to("留党察看期满后怎么恢复党员权利，恢复后有什么限制？")
    assert "500名以上" in answer_to("什么情况下基层党组织可以召开党员代表大会进行选举？")
    assert "一般不得超过6个月" in answer_to("忘了交党费可以补交吗？")


# --- Facts: dues (中组发〔2008〕3号) -----------------------------------------------------


def test_dues_rates_of_employed_members_match_the_2008_regulation():
    """The rate bands are the most asked facts; a typo here would be repeated to thousands."""
    answer = answer_to("在职党员每月交多少党费？")
    for band in (
        "3000元以下（含3000元）交纳0.5%",
        "5000元（含5000元）交纳1%",
        "交纳1.5%",
        "交纳2%",
    ):
        assert band in answer


def test_a_salary_on_a_band_boundary_pays_the_lower_rate():
    answer = answer_to("工资正好3000元或5000元，党费按哪个比例交？")
    assert "每月15元" in answer
    assert "每月50元" in answer
    assert "每月150元" in answer


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("退休党员党费怎么交？", ["5000元以下（含5000元）交纳0.5%", "5000元以上交纳1%"]),
        ("农民党员每月交多少党费？", ["0.2元至1元"]),
        ("学生党员每月交多少党费？", ["0.2元"]),
        ("失业党员、领取低保的党员交多少党费？", ["0.2元"]),
        ("个体工商户、私营企业主党员党费怎么算？", ["上一季度个人月平均纯收入"]),
        ("工资调整了，党费从什么时候按新标准交？", ["从变化之月起"]),
        ("预备党员要交党费吗，从什么时候开始交？", ["从支部大会通过其为预备党员之日起"]),
        ("一次交纳1000元以上的党费怎么处理？", ["1000元以上", "全部上缴中央"]),
    ],
)
def test_other_dues_rules_match_the_2008_regulation(question, facts):
    answer = answer_to(question)
    assert all(fact in answer for fact in facts)


# --- Facts: recruitment (发展党员工作细则, 党章) ------------------------------------------


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("多大年龄可以申请入党？", ["年满十八周岁"]),
        ("递交入党申请书后多久会有人找我谈话？", ["一个月内"]),
        ("入党积极分子要培养考察多长时间？", ["一年以上"]),
        ("党支部多久对入党积极分子考察一次？", ["每半年"]),
        ("发展对象要参加多长时间的集中培训？", ["不少于三天", "24个学时"]),
        ("党委审批接收预备党员有时间限制吗？", ["三个月内", "不得超过六个月"]),
        ("预备党员的预备期有多长，从哪天开始算？", ["一年", "从支部大会通过其为预备党员之日算起"]),
        ("什么情况下会延长预备期，最长多久？", ["不能少于半年", "最长不超过一年"]),
        ("党龄从什么时候开始计算？", ["从预备期满转为正式党员之日算起"]),
    ],
)
def test_recruitment_time_limits(question, facts):
    answer = answer_to(question)
    assert all(fact in answer for fact in facts)


def test_the_admission_vote_counts_members_who_should_attend():
    answer = answer_to("接收预备党员的支部大会表决怎样才算通过？")
    assert "超过应到会有表决权的正式党员的半数" in answer


def test_the_twenty_five_steps_are_all_listed():
    answer = answer_to("发展党员的5个阶段25个步骤是什么？")
    steps = answer.split("25个步骤依次为：", 1)[1].rstrip("。").split("、")
    assert len(steps) == 25


# --- Facts: mobile and lost-contact members (党章第九条, 党员教育管理工作条例) ---------------


def test_self_lapse_is_six_months_without_reason():
    answer = answer_to("什么是自行脱党，和失联有什么关系？")
    assert "没有正当理由，连续六个月不参加党的组织生活" in answer


def test_lost_contact_members_are_suspended_then_struck_off_after_two_years():
    assert "连续6个月以上" in answer_to("什么是失联党员？")
    answer = answer_to("经多方查找仍联系不上的失联党员怎么处理？")
    assert "停止党籍" in answer
    assert "停止党籍2年后" in answer


# --- Facts: organisational life (支部工作条例) -------------------------------------------


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("支部党员大会多久召开一次？", ["一般每季度召开1次"]),
        ("党支部委员会会议多久召开一次？", ["一般每月召开1次", "半数以上委员到会"]),
        ("党小组会多久开一次，主要做什么？", ["一般每月召开1次"]),
        ("党课多长时间上一次？", ["每季度至少1次", "以所在省、市组织部门的规定为准"]),
        ("主题党日每个月都要开展吗？", ["每月相对固定1天"]),
        ("什么是组织生活会，多久召开一次？", ["每年至少召开1次", "第四季度"]),
        ("什么是民主评议党员，多久开展一次？", ["一般每年开展1次"]),
    ],
)
def test_meeting_frequencies_follow_the_branch_regulation(question, facts):
    """《中国共产党支部工作条例（试行）》第十一条至第十九条: the defaults orglife enforces."""
    answer = answer_to(question)
    assert all(fact in answer for fact in facts)


def test_the_vote_rule_counts_members_who_should_attend():
    """A majority of those who SHOULD attend (第十一条), not of those present."""
    answer = answer_to("党员大会表决需要多少人到会、多少票才算通过？")
    assert "半数以上有表决权的党员到会" in answer
    assert "超过应到会有表决权的党员的半数" in answer
    assert "预备党员" in answer


def test_platform_answers_state_the_platforms_own_rules():
    """DESIGN.md: 60+ exempt from phone check-in; a branch founded this month is exempt."""
    assert "60岁以上" in answer_to("60岁以上的老党员也要用手机签到吗？")
    assert "从下个月起" in answer_to("新成立的党支部当月就要开展三会一课吗？")
    assert "20日" in answer_to("本平台每月20日的主题党日提醒是怎么回事？")


# --- Facts: organisation setup, elections, discipline -----------------------------------


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("成立党支部需要几名党员？", ["正式党员3人以上"]),
        ("正式党员不足3人的单位怎么办？", ["联合党支部", "一般不超过5个"]),
        ("一个党支部最多可以有多少党员？", ["一般不超过50人"]),
        ("什么情况下党支部要设立支部委员会？", ["正式党员7人以上", "3至5人"]),
        ("什么时候设立党总支、什么时候设立基层党委？", ["100人以上", "50人以上"]),
        ("党支部换届选举大会需要多少人到会？", ["五分之四"]),
        ("党内选举得多少票才能当选？", ["超过实到会有选举权的人数的一半"]),
        ("党支部委员会每届任期几年？", ["三年至五年", "5年", "3年"]),
    ],
)
def test_organisation_thresholds(question, facts):
    answer = answer_to(question)
    assert all(fact in answer for fact in facts)


def test_the_term_of_office_cites_article_thirty_one_of_the_constitution():
    assert "《中国共产党章程》第三十一条" in entry("党支部委员会每届任期几年？")["source"]


def test_the_five_disciplinary_measures_are_listed_in_order():
    answer = answer_to("党员的纪律处分有哪几种？")
    assert "警告、严重警告、撤销党内职务、留党察看、开除党籍" in answer


def test_negligent_crime_thresholds_state_which_side_three_years_falls():
    answer = answer_to("党员犯罪被判刑，党籍怎么处理？")
    assert "三年以上（不含三年）" in answer
    assert "三年以下（含三年）" in answer


def test_duties_and_rights_cite_articles_three_and_four_of_the_constitution():
    assert answer_to("党章规定党员必须履行哪八项义务？").count("（") >= 8
    assert "第三条" in entry("党章规定党员必须履行哪八项义务？")["source"]
    assert "第四条" in entry("党章规定党员享有哪八项权利？")["source"]


def test_the_hotline_number_is_12371():
    assert "12371" in answer_to("12371是什么电话？")
