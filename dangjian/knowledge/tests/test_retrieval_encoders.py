"""The static (distilled) query encoder: token vectors from USE, cached, characters as fall-back."""

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
