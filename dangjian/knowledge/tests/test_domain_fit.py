"""The answer decision fitted on hotline questions: cross-validated on a fixed part of the
evaluation set it must answer most in-base questions rightly, few wrongly, and hand off the
out-of-scope ones; and the shipped fit is the one the bot uses."""

from pathlib import Path

import pytest

from dangjian.knowledge.retrieval import Engine, domain_fit
from dangjian.knowledge.retrieval.calibration import Calibration

ROOT = Path(__file__).resolve().parents[3]
STARTER = ROOT / "dangjian" / "knowledge" / "starter"
EVAL = ROOT / "bench" / "data" / "hotline_eval.tsv"


@pytest.fixture(scope="module")
def docs():
    return domain_fit.starter_docs(STARTER)


@pytest.fixture(scope="module")
def questions(docs):
    return domain_fit.read_eval(EVAL, {d.question: d.id for d in docs})


def test_the_set_is_what_the_issue_asks_for(questions):
    inside = [q for q in questions if q.entry is not None]
    assert len(inside) >= 400 and len(questions) - len(inside) >= 150
    assert len({q.text for q in questions}) == len(questions)


def test_the_set_never_repeats_a_phrasing_of_the_base(docs, questions):
    from dangjian.knowledge.retrieval import normalize

    phrasings = {normalize(t) for d in docs for t in (d.question, *d.alternatives)}
    assert not [q.text for q in questions if normalize(q.text) in phrasings]


def test_cross_validated_figures_on_a_fixed_subset_meet_a_floor(docs, questions):
    """Every third question, 3 folds: a floor well below the full set's figures (bench/README),
    so that a regression of the reranker, the decision or the core extraction shows."""
    subset = questions[::3]
    samples = domain_fit.collect(domain_fit.base_engine(docs), subset)
    cv = domain_fit.cross_validate(samples, folds=3)
    assert cv["n_in"] >= 150 and cv["n_out"] >= 50
    assert cv["top1"] >= 85
    assert cv["right"] >= 55
    assert cv["wrong"] <= 4
    assert cv["out_handed_off"] >= 90


def test_the_shipped_decision_is_the_domain_fit():
    domain = Calibration.load().domain
    assert domain is not None and 0 < domain.threshold < 1
    assert domain.provenance["cross_validated"]["n_in"] >= 400


def test_the_engine_answers_with_the_domain_stage(docs):
    engine = Engine()
    engine.build(docs)
    answer = engine.ask("我是大一新生，在学校怎么申请入党，找辅导员吗")
    assert answer.best.question == "大学生在哪里申请入党？"
    assert engine.threshold == Calibration.load().domain.threshold
    assert not engine.ask("明天昆明下不下雨").confident
