"""Normalisation and tokenisation: the forms the two real banks and members actually type."""

import pytest

from dangjian.knowledge.retrieval import normalize
from dangjian.knowledge.retrieval.tokens import grams, load_synonyms, words


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "abc123"),  # full width → half width, lower case
        ("黨員組織關係轉接", "党员组织关系转接"),  # traditional → simplified
        ("党费\u00a0\u00a0\u00a0\u00a0交纳", "党费 交纳"),  # U+00A0 runs → one blank
        ("入党誓词是____。", "入党誓词是"),  # underscore blank
        ("党的最高理想是（　　）", "党的最高理想是"),  # empty full-width parentheses
        ("党的最高理想是()", "党的最高理想是"),
        ("“三会一课”是什么？！", "三会一课 是什么"),  # punctuation → blank
        ("  \t多个\u3000空白\n ", "多个 空白"),
        ("", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_normalize_is_idempotent():
    text = "黨費（　）怎麼交？ＡＢ\u00a0\u00a0c"
    assert normalize(normalize(text)) == normalize(text)


def test_domain_terms_stay_whole():
    assert "三会一课" in words("什么是三会一课")
    assert "主题党日" in words("主题党日怎么开展")
    assert "12371" in words("12371热线电话")


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("党组织关系", "组织关系"),
        ("缴纳党费", "交纳党费"),
        ("外出党员", "流动党员"),
        ("转移", "转接"),
    ],
)
def test_synonyms_fold_to_canonical(variant, canonical):
    assert load_synonyms()[variant] == canonical
    assert canonical in words(normalize(f"{variant}怎么办"))


def test_grams_are_uni_and_bigrams_per_chunk():
    assert grams("党费 怎么") == ("党", "费", "党费", "怎", "么", "怎么")
