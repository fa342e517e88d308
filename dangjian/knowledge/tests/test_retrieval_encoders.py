"""The static (distilled) query encoder: token vectors from USE, cached, characters as fall-back."""

from collections import Counter

import numpy as np
import pytest

from dangjian.knowledge.retrieval import encoders

VOCAB = ["党费", "交纳", "怎么", "天气", "今天", "党", "费", "交", "纳", "天", "气", "今"]


@pytest.fixture
def static(monkeypatch, tmp_path):
    monkeypatch.setattr(encoders, "static_vocabulary", lambda: list(VOCAB))
    monkeypatch.setenv("DANGJIAN_STATIC_CACHE", str(tmp_path))
    return encoders.StaticEncoder()


def test_token_vectors_are_use_of_the_token_and_cached(static, tmp_path):
    use = encoders.get_encoder("use")
    table = np.load(next(tmp_path.glob("static-use-*.npy")))
    assert table.shape == (len(VOCAB), 512)
    assert np.allclose(table[0], use.encode(["党费"])[0], atol=1e-3)
    again = encoders.StaticEncoder()  # read back from the cache, same vectors
    assert np.array_equal(again.encode(["党费怎么交纳"]), static.encode(["党费怎么交纳"]))


def test_sentence_vectors_are_unit_and_group_by_meaning(static):
    dues, dues2, weather, empty = static.encode(["党费怎么交纳", "怎么交党费", "今天天气", ""])
    assert np.isclose(np.linalg.norm(dues), 1.0, atol=1e-5)
    assert not empty.any()
    assert float(dues @ dues2) > float(dues @ weather)


def test_a_word_outside_the_table_is_its_characters(static):
    # 纳费 is no token of the table: it is read as the mean of 纳 and 费
    assert static._parts("纳费")[0] == [VOCAB.index("纳"), VOCAB.index("费")]
    assert static._parts("党费")[0] == [VOCAB.index("党费")]
    assert static._parts("🙂")[0] == []


TEXTS = [
    "党费怎么交",
    "我老伴是退休教师 每月退休金五千五 她的党费该交多少",
    "预备党员转正要交啥材料",
    "",
    "abc 123 党费 党费 党费",
]


@pytest.mark.parametrize("batch", [TEXTS[:1], TEXTS[1:3], TEXTS[3:], TEXTS])
def test_cached_use_forward_gives_the_packages_vectors(batch):
    use = encoders.get_encoder("use")
    package = use._model._model.encode(batch)  # the package's own forward pass
    cached = encoders.CachedUseForward(use._model._model)
    assert np.allclose(cached.encode(batch), package, atol=1e-6)
    assert np.allclose(cached.encode(batch), package, atol=1e-6)  # from the cache this time


def test_cached_use_forward_evicts_the_least_recent_tokens():
    backend = encoders.get_encoder("use")._model._model

    def ids(texts):
        return {i for t in texts for i in backend.sp.encode(t, out_type=int)}

    first, other = ["党费怎么交"], ["入党申请书"]
    capacity = len(ids(first) | {1, 2}) + 2  # bos, eos and two free rows
    assert len(ids(other) - ids(first)) > 2
    cached = encoders.CachedUseForward(backend, capacity=capacity)
    vector = cached.encode(first)
    cached.encode(other)  # evicts some of the first question's tokens
    assert len(cached._slots) == capacity and not ids(first) - {1, 2} <= cached._slots.keys()
    assert np.allclose(cached.encode(first), vector, atol=1e-6)
    many = ["党费怎么交纳 入党申请书怎么写 组织关系怎么转 预备党员转正"]  # more tokens than rows
    assert len(ids(many)) > capacity
    assert np.allclose(cached.encode(many), backend.encode(many), atol=1e-6)


def test_a_query_goes_through_the_cache_and_an_index_build_does_not(monkeypatch):
    use = encoders.get_encoder("use")
    calls = []
    monkeypatch.setattr(encoders.CachedUseForward, "encode", lambda self, t: calls.append(t))
    monkeypatch.setattr(encoders, "_unit", lambda rows: rows)
    use.encode(["党费怎么交", "党费"])
    use.encode(["党费"] * (encoders.QUERY_TEXTS + 1))
    assert calls == [["党费怎么交", "党费"]]


def test_an_index_build_caches_its_phrasings_most_frequent_tokens(monkeypatch):
    from dangjian.knowledge.retrieval import Doc, Engine

    use = encoders.get_encoder("use")
    monkeypatch.setattr(use, "_cached", encoders.CachedUseForward(use._model._model, capacity=3))
    engine = Engine()
    engine.build([Doc(1, "党费党费党费怎么交"), Doc(2, "党费交给谁")])
    tokenize = use._model._model.sp.encode
    counts = Counter(i for t in ("党费党费党费怎么交", "党费交给谁") for i in tokenize(t))
    top = [i for i, _ in counts.most_common(3)]
    assert list(use._cached._slots) == top[::-1]  # the most frequent as the most recent


def test_a_question_and_its_core_share_their_second_layer_rows():
    backend = encoders.get_encoder("use")._model._model
    pair = ["请问预备党员的预备期从什么时候开始计算", "预备党员的预备期从什么时候开始计算"]
    cached = encoders.CachedUseForward(backend)
    groups = [backend.sp.encode(t, out_type=int, add_bos=True, add_eos=True) for t in pair]
    flat = np.asarray(groups[0] + groups[1])
    lens = np.array([len(g) for g in groups])
    starts = np.array([0, lens[0]])
    keep, same = cached._distinct_windows(flat, starts, lens)
    assert len(keep) < len(flat) and same[lens[0] - 1] == same[-1]  # the same last tokens
    assert np.allclose(cached.encode(pair), backend.encode(pair), atol=1e-6)
    cached._hash = np.zeros_like(cached._hash)  # every neighbourhood hashes alike: checked
    keep, same = cached._distinct_windows(flat, starts, lens)
    assert len(keep) == len(flat) and same is None
    assert np.allclose(cached.encode(pair), backend.encode(pair), atol=1e-6)
