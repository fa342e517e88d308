"""The vectorised query paths give what the plain loops they replaced gave (issue 11 part 10).

Each test computes a value the slow, obvious way and compares: BM25 postings summed term by
term, jieba's own ``cut_for_search``, the per-entry coverage and BM25 loops, and features
computed afresh instead of copied from the candidate stage.
"""

import jieba
import numpy as np
import pytest

from dangjian.knowledge.retrieval import Doc, lexical, normalize, tokens
from dangjian.knowledge.retrieval.engine import (
    K1,
    B,
    Engine,
    _bm25,
    _entry_text,
    _phrasing_coverage,
)
from dangjian.knowledge.retrieval.question import question_core

ROWS = [
    ("党费", "怎么", "交"),
    ("党费", "的", "标准", "是", "什么"),
    ("入党", "申请书", "怎么", "写"),
    ("的", "的", "党费", "交纳"),
    ("预备党员", "转正", "的", "程序"),
    ("怎么", "转", "组织关系"),
]


def _reference_scores(index: lexical.LexicalIndex, toks: list[str], common: float) -> np.ndarray:
    """The postings of each query term summed one term at a time (the code before)."""
    s = index._bm25.scores
    ptr, idx, data = s["indptr"], s["indices"], s["data"]
    ids = index._bm25.get_tokens_ids(toks)
    rare = [t for t in ids if ptr[t + 1] - ptr[t] <= common * index.n_main] or ids
    out = np.zeros(index.n_main)
    for t in rare:
        np.add.at(out, idx[ptr[t] : ptr[t + 1]], data[ptr[t] : ptr[t + 1]])
    return out


@pytest.mark.parametrize(
    "toks", [["党费", "怎么", "交"], ["的", "怎么"], ["党费", "党费", "的"], []]
)
def test_bm25_scores_sum_each_terms_postings(monkeypatch, toks):
    monkeypatch.setattr(lexical, "COMMON_MIN_ROWS", 1)
    monkeypatch.setattr(lexical, "COMMON_SHARE", 0.4)  # 的 and 怎么 (3 of 6 rows) are common
    index = lexical.LexicalIndex(ROWS)
    expected = _reference_scores(index, toks, 0.4) if toks else np.zeros(len(ROWS))
    assert np.allclose(index.scores(toks), expected, atol=1e-6)


def test_bm25_of_common_terms_only_falls_back_to_them(monkeypatch):
    monkeypatch.setattr(lexical, "COMMON_MIN_ROWS", 1)
    monkeypatch.setattr(lexical, "COMMON_SHARE", 0.4)
    scores = lexical.LexicalIndex(ROWS).scores(["的"])
    assert (scores[[1, 3, 4]] > 0).all() and scores[3] > scores[1]


@pytest.mark.parametrize(
    "text", ["交纳党费的标准", "中华人民共和国国务院", "俺在厂里一个月到手三千五 党费交几块钱", ""]
)
def test_search_words_are_jiebas_search_mode_over_the_cached_cut(text):
    tok = tokens._tokenizer()
    expected = tuple(
        tokens._synonyms.get(w, w) for w in tok.cut_for_search(text, HMM=True) if not w.isspace()
    )
    assert tokens.search_words(text) == expected


def _docs() -> list[Doc]:
    return [
        Doc(1, "党费怎么交", ("怎样交纳党费", "党费交给谁"), "党费", ("党费",), "按月交纳党费。"),
        Doc(2, "退休党员党费怎么交", ("退休了党费交多少",), "党费", (), "退休党员按退休费交。"),
        Doc(3, "入党申请书怎么写", ("申请入党写什么",), "发展党员", (), "向党组织提出。"),
        Doc(4, "组织关系怎么转", ("转组织关系",), "组织关系", (), "开具介绍信。"),
    ]


def test_entry_bm25_is_the_sum_over_the_querys_words():
    entries = [_entry_text(d) for d in _docs()]
    query = {"党费", "怎么", "交", "退休"}

    def idf(w: str) -> float:
        return 1.0 + len(w)

    lengths = np.array([e.length for e in entries], dtype=float)
    norm = K1 * (1 - B + B * lengths / lengths.mean())
    expected = np.array(
        [
            sum(idf(w) * e.counts[w] / (e.counts[w] + norm[i]) for w in query if w in e.counts)
            for i, e in enumerate(entries)
        ]
    )
    assert np.allclose(_bm25(query, entries, idf), expected / expected.max())
    assert not _bm25(set(), entries, idf).any()


def test_phrasing_coverage_reads_the_first_best_phrasing_of_each_entry():
    index = lexical.LexicalIndex(ROWS)
    rows = np.array([0, 1, 3, 2, 5])
    sizes = np.array([3, 2])
    z = np.array([0.5, 2.0, 2.0, 1.0, -1.0])  # entry 0: rows 1 and 3 tie, the first (1) wins
    core = {"党费", "标准", "写"}
    idf = index.idf_vector()

    def share(row: int) -> float:
        terms = set(ROWS[row])
        mass = sum(idf[index.vocab[w]] for w in terms)
        return sum(idf[index.vocab[w]] for w in terms & core) / mass

    assert np.allclose(_phrasing_coverage(index, rows, sizes, z, core), [share(1), share(2)])
    assert not _phrasing_coverage(index, rows, sizes, z, {"没有的词"}).any()


def test_features_copied_from_the_candidates_equal_fresh_ones():
    engine = Engine()
    engine.build(_docs())
    snap = engine._snap
    text = normalize("我退休了，党费怎么交")
    core = question_core(text)
    qvec = engine._encode([text])[0]
    _, cand_rows, cand_x = engine._top_entries(snap, text, qvec)
    rows = np.arange(len(snap.norm))  # every phrasing: some candidates, some not
    fresh = engine._features(snap, text, rows, qvec)
    assert np.allclose(engine._features_reusing(snap, text, rows, qvec, (cand_rows, cand_x)), fresh)
    assert not np.isin(rows, cand_rows).all()  # 转组织关系 shares no term: computed afresh
    assert core != text


def test_query_weights_remembered_until_the_idf_changes():
    index = lexical.LexicalIndex(ROWS)
    first = index.query_weights(("党费", "怎么", "新词"))
    assert index.query_weights(("党费", "怎么", "新词")) is first
    index.add([("新词", "党费")])  # a new row: 新词 known now, every idf moves
    known, weights, mass = index.query_weights(("党费", "怎么", "新词"))
    idf = index.idf_vector()
    ids = sorted(index.vocab[w] for w in ("党费", "怎么", "新词"))
    assert known.tolist() == ids and np.allclose(weights, idf[ids])
    assert mass == pytest.approx(float(idf[ids].sum()))
    assert not np.allclose(weights[: len(first[1])], first[1])


def test_overlap_is_the_idf_weighted_jaccard_of_the_token_sets():
    index = lexical.LexicalIndex(ROWS)
    idf = index.idf_vector()
    query = ("党费", "怎么", "交", "没有的词")
    unseen = index._unseen_idf()

    def weight(w: str) -> float:
        return float(idf[index.vocab[w]]) if w in index.vocab else unseen

    def jaccard(row: tuple[str, ...]) -> float:
        inter = sum(weight(w) for w in set(query) & set(row))
        return inter / (sum(map(weight, set(query))) + sum(map(weight, set(row))) - inter)

    rows = np.array([3, 0, 5, 1])
    assert np.allclose(index.overlap(query, rows), [jaccard(ROWS[r]) for r in rows])
    assert not index._scratch.table.any()  # the lookup table is left empty for the next call
    index.add([("新词", "党费")])  # the vocabulary grows past the table: a larger one
    assert index.overlap(("新词",), np.array([len(ROWS)]))[0] > 0
    assert len(index._scratch.table) >= len(index.vocab) and not index._scratch.table.any()


@pytest.mark.parametrize(
    "text",
    ["俺在厂里一个月到手三千五党费交几块钱", "预被期", "中华人民共和国国务院", "交纳党费的标准"],
)
def test_tokenizer_routes_are_jiebas_computed_and_remembered(text):
    tok = tokens._tokenizer()
    graph = jieba.Tokenizer.get_DAG(tok, text)
    expected: dict = {}
    jieba.Tokenizer.calc(tok, text, graph, expected)
    for _ in range(2):  # computed, then remembered
        route: dict = {}
        tok.calc(text, tok.get_DAG(text), route)
        assert tok.get_DAG(text) == graph and route == expected
