"""Checks on the curated starter base: joining the party, transfers, mobile members, dues.

The file ships as package data and is imported into the knowledge base as written, so its
shape is checked here rather than trusted: a malformed line would fail the import or leave
the bot with an entry that cannot be cited.
"""

import json
import re
from collections import Counter
from difflib import SequenceMatcher
from functools import cache
from importlib.resources import files

import pytest

STARTER_FILE = "joining-and-relations.jsonl"
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
    "入党申请与发展党员",
    "异地入党",
    "组织关系转接",
    "流动党员与失联党员",
    "党费",
}
# Two questions this alike would compete for the same asker and split the bot's confidence.
NEAR_DUPLICATE_RATIO = 0.9
SENTENCE_END = re.compile(r"[。！？]")


@cache
def entries() -> tuple[dict, ...]:
    """Parse the shipped file once; each line must be one JSON object."""
    text = (files("dangjian.consult.starter") / STARTER_FILE).read_text(encoding="utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def sentence_count(answer: str) -> int:
    """Count sentences the way a reader would: text between Chinese full stops."""
    return len([part for part in SENTENCE_END.split(answer) if part.strip(" ”’")])


def test_file_has_enough_entries():
    assert len(entries()) >= MINIMUM_ENTRIES


def test_every_entry_has_exactly_the_expected_fields():
    wrong = [e.get("question") for e in entries() if set(e) != FIELDS]
    assert wrong == []


@pytest.mark.parametrize("field", ["question", "answer", "category", "source", "owner_office"])
def test_text_fields_are_non_empty_strings(field):
    bad = [
        e["question"] for e in entries() if not isinstance(e[field], str) or not e[field].strip()
    ]
    assert bad == []


def test_validity_dates_are_open():
    assert all(e["valid_from"] is None and e["valid_until"] is None for e in entries())


def test_categories_are_in_the_allowed_set_and_all_used():
    used = Counter(e["category"] for e in entries())
    assert set(used) == CATEGORIES
    assert min(used.values()) >= 15  # each topic is covered, not a token entry


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


def alternatives_problem(entry: dict) -> bool:
    """True when the phrasings are too few/many, repeated, blank or just the question."""
    alternatives = entry["alternatives"]
    return (
        not 2 <= len(alternatives) <= 4
        or len(set(alternatives)) != len(alternatives)
        or any(not a.strip() or a == entry["question"] for a in alternatives)
    )


def test_alternatives_are_two_to_four_distinct_other_phrasings():
    assert [e["question"] for e in entries() if alternatives_problem(e)] == []


def test_an_alternative_never_repeats_another_entrys_question():
    questions = {e["question"] for e in entries()}
    clashes = [a for e in entries() for a in e["alternatives"] if a in questions]
    assert clashes == []


def test_answers_are_two_to_six_sentences():
    bad = [e["question"] for e in entries() if not 2 <= sentence_count(e["answer"]) <= 6]
    assert bad == []


def test_sources_cite_a_regulation_an_office_rule_or_the_platform_guide():
    markers = ("《", "中组部", "本平台使用说明")
    bad = [e["question"] for e in entries() if not any(m in e["source"] for m in markers)]
    assert bad == []


def test_dues_rates_match_the_2008_regulation():
    """The rate bands are the most asked facts; a typo here would be repeated to thousands."""
    answer = next(e["answer"] for e in entries() if e["question"] == "在职党员每月交多少党费？")
    for band in (
        "3000元以下（含3000元）交纳0.5%",
        "5000元（含5000元）交纳1%",
        "交纳1.5%",
        "交纳2%",
    ):
        assert band in answer
