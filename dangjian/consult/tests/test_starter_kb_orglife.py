"""Checks on the curated starter base: organisational life, members' rights, organisation
setup and using the platform.

The file ships as package data and is imported into the knowledge base as written, so its
shape is checked here rather than trusted, and the facts members ask most (meeting
frequencies, quorums, thresholds for setting up organisations, the five disciplinary
measures) are pinned so that a careless edit cannot teach the bot a wrong rule.
"""

import json
import re
from collections import Counter
from difflib import SequenceMatcher
from functools import cache
from importlib.resources import files

import pytest

STARTER_PACKAGE = "dangjian.consult.starter"
STARTER_FILE = "orglife-and-platform.jsonl"
MINIMUM_ENTRIES = 160
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
    "三会一课",
    "主题党日",
    "组织生活会与民主评议",
    "党员权利与义务",
    "党组织设置",
    "平台使用",
}
# Two questions this alike would compete for the same asker and split the bot's confidence.
NEAR_DUPLICATE_RATIO = 0.9
SENTENCE_END = re.compile(r"[。！？]")


@cache
def entries() -> tuple[dict, ...]:
    """Parse the shipped file once; each line must be one JSON object."""
    text = (files(STARTER_PACKAGE) / STARTER_FILE).read_text(encoding="utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


@cache
def sibling_questions() -> frozenset[str]:
    """Questions of the other starter files: the bot loads them all into one base."""
    folder = files(STARTER_PACKAGE)
    return frozenset(
        json.loads(line)["question"]
        for path in folder.iterdir()
        if path.name.endswith(".jsonl") and path.name != STARTER_FILE
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )


def answer_to(question: str) -> str:
    """The answer of the entry with exactly this question (KeyError-like failure if absent)."""
    return next(e["answer"] for e in entries() if e["question"] == question)


def sentence_count(answer: str) -> int:
    """Count sentences the way a reader would: text between Chinese full stops."""
    return len([part for part in SENTENCE_END.split(answer) if part.strip(" ”’")])


def test_file_has_enough_entries():
    assert len(entries()) >= MINIMUM_ENTRIES


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
    assert min(used.values()) >= 15


def test_tags_are_a_non_empty_list_of_strings():
    bad = [
        e["question"]
        for e in entries()
        if not e["tags"] or not all(isinstance(t, str) and t.strip() for t in e["tags"])
    ]
    assert bad == []


def test_questions_are_unique():
    counts = Counter(e["question"] for e in entries())
    assert [q for q, n in counts.items() if n > 1] == []


def test_no_near_duplicate_questions():
    questions = [e["question"] for e in entries()]
    close = [
        (a, b)
        for i, a in enumerate(questions)
        for b in questions[i + 1 :]
        if SequenceMatcher(None, a, b).ratio() >= NEAR_DUPLICATE_RATIO
    ]
    assert close == []


def test_no_question_repeats_or_nearly_repeats_another_starter_file():
    others = sibling_questions()
    close = [
        (e["question"], other)
        for e in entries()
        for other in others
        if SequenceMatcher(None, e["question"], other).ratio() >= NEAR_DUPLICATE_RATIO
    ]
    assert close == []


def alternatives_problem(entry: dict) -> bool:
    """True when the phrasings are too few/many, repeated, blank or just the question."""
    alternatives = entry["alternatives"]
    return (
        not isinstance(alternatives, list)
        or not 2 <= len(alternatives) <= 4
        or len(set(alternatives)) != len(alternatives)
        or any(not a.strip() or a == entry["question"] for a in alternatives)
    )


def test_alternatives_are_two_to_four_distinct_other_phrasings():
    assert [e["question"] for e in entries() if alternatives_problem(e)] == []


def test_a_phrasing_belongs_to_one_entry_only():
    owner: dict[str, str] = {}
    clashes = []
    for e in entries():
        for phrasing in (e["question"], *e["alternatives"]):
            if owner.setdefault(phrasing, e["question"]) != e["question"]:
                clashes.append(phrasing)
    assert clashes == []


def test_answers_are_two_to_six_sentences():
    bad = [e["question"] for e in entries() if not 2 <= sentence_count(e["answer"]) <= 6]
    assert bad == []


def test_sources_cite_a_regulation_an_office_rule_or_the_platform_guide():
    markers = ("《", "中组部", "本平台使用说明")
    assert [e["question"] for e in entries() if not any(m in e["source"] for m in markers)] == []


def test_platform_answers_cite_the_platform_guide():
    bad = [
        e["question"]
        for e in entries()
        if e["category"] == "平台使用" and "本平台使用说明" not in e["source"]
    ]
    assert bad == []


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


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("成立党支部需要几名党员？", ["正式党员3人以上"]),
        ("正式党员不足3人的单位怎么办？", ["联合党支部", "一般不超过5个"]),
        ("什么情况下党支部要设立支部委员会？", ["正式党员7人以上", "3至5人"]),
        ("什么时候设立党总支、什么时候设立基层党委？", ["100人以上", "50人以上"]),
        ("党支部换届选举大会需要多少人到会？", ["五分之四"]),
        ("党支部委员会每届任期几年？", ["三年至五年", "5年", "3年"]),
    ],
)
def test_organisation_thresholds(question, facts):
    answer = answer_to(question)
    assert all(fact in answer for fact in facts)


def test_the_five_disciplinary_measures_are_listed_in_order():
    answer = answer_to("党员的纪律处分有哪几种？")
    assert "警告、严重警告、撤销党内职务、留党察看、开除党籍" in answer


def test_duties_and_rights_cite_articles_three_and_four_of_the_constitution():
    assert answer_to("党章规定党员必须履行哪八项义务？").count("（") >= 8
    assert "第三条" in next(
        e["source"] for e in entries() if e["question"] == "党章规定党员必须履行哪八项义务？"
    )
    assert "第四条" in next(
        e["source"] for e in entries() if e["question"] == "党章规定党员享有哪八项权利？"
    )


def test_the_hotline_number_is_12371():
    assert "12371" in answer_to("12371是什么电话？")
