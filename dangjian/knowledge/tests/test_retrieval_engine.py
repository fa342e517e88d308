"""The retrieval engine on a small party-affairs base: hits, dedupe, updates, persistence, confidence."""

import threading

import pytest

from dangjian.knowledge.retrieval import Answer, Doc, Engine

KB = [
    Doc(1, "如何转接党组织关系", ("组织关系怎么转移", "党员组织关系转出需要什么手续")),
    Doc(2, "党费按什么标准交纳", ("每月交多少党费",)),
    Doc(3, "申请入党需要具备什么条件", ("入党的条件是什么",)),
    Doc(4, "什么是三会一课", ("三会一课包括哪些内容",)),
    Doc(5, "流动党员怎样参加组织生活", ()),
    Doc(6, "主题党日多久开展一次", ()),
    Doc(7, "预备党员的预备期是多长时间", ("预备期多久",)),
    Doc(8, "12371党员服务热线可以咨询哪些问题", ()),
    Doc(9, "失联党员如何处置", ()),
    Doc(10, "入党介绍人由谁担任", ()),
]


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.build(KB)
    return e


def test_len_and_shape(engine):
    assert len(engine) == len(KB)
    answer = engine.ask("党费交纳标准是什么", k=3)
    assert isinstance(answer, Answer)
    assert answer.best is not None and answer.best.id == 2
    assert len(answer.candidates) <= 3
    assert answer.candidates[0] == answer.best
    scores = [h.score for h in answer.candidates]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("党组织关系转接怎么办理", 1),  # synonym 党组织关系 / 转接
        ("怎么缴纳党费", 2),  # 缴纳党费 ~ 交党费
        ("外出党员如何过组织生活", 5),  # 外出党员 = 流动党员
        ("什麼是三會一課", 4),  # traditional characters
        ("ＰＡＲＴＹ　12371热线能咨询什么", 8),  # full width
        ("预备期多长", 7),
    ],
)
def test_synonym_and_paraphrase_hits(engine, query, expected):
    assert engine.ask(query).best.id == expected


def test_alternative_returns_entry_once(engine):
    answer = engine.ask("组织关系怎么转移", k=10)
    ids = [h.id for h in answer.candidates]
    assert ids[0] == 1
    assert len(ids) == len(set(ids))


def test_unrelated_query_is_not_confident_but_paraphrase_is(engine):
    weather = engine.ask("今天天气怎么样")
    paraphrase = engine.ask("入党要满足哪些条件")
    assert not weather.confident
    assert weather.confidence < 0.2
    assert paraphrase.best.id == 3
    assert paraphrase.confident
    assert paraphrase.confidence > weather.confidence + 0.5


def test_confidence_bounded_and_monotone(engine):
    for q in ["", "？？？", "今天天气怎么样", "党费", "什么是三会一课", "a" * 500]:
        answer = engine.ask(q)
        assert 0.0 <= answer.confidence <= 1.0
        assert all(0.0 <= h.confidence <= 1.0 for h in answer.candidates)
    # better best hit, same margin → not lower; wider margin, same best → not lower
    z = [-4.0, -1.0, 0.0, 2.0, 6.0]
    by_best = [engine._answer_confidence(v, v - 1.0) for v in z]
    by_margin = [engine._answer_confidence(2.0, 2.0 - m) for m in [0.0, 0.5, 1.0, 3.0, 20.0]]
    assert by_best == sorted(by_best)
    assert by_margin == sorted(by_margin)
    assert engine.ask("什么是三会一课").confident == (
        engine.ask("什么是三会一课").confidence >= engine.threshold
    )


def test_empty_engine_and_empty_query():
    empty = Engine()
    assert len(empty) == 0
    assert empty.ask("党费怎么交") == Answer(None, 0.0, False, [])
    assert Engine().ask("   ").best is None


def test_upsert_and_remove_without_rebuild():
    e = Engine()
    e.build(KB)
    main_rows = e._snap.word_index.n_main
    e.upsert([Doc(11, "党员有哪些权利", ("党员的权利是什么",))])
    assert e._snap.word_index.n_main == main_rows  # went to the delta segment
    assert len(e) == 11
    assert e.ask("党员享有什么权利").best.id == 11
    # replacing an entry drops its old phrasings
    e.upsert([Doc(2, "党员的党龄怎么计算")])
    assert e.ask("党龄从什么时候算起").best.id == 2
    assert 2 not in [h.id for h in e.ask("每月交多少党费", k=10).candidates if h.confidence > 0.5]
    e.remove([11, 999])
    assert len(e) == 10
    assert 11 not in [h.id for h in e.ask("党员有哪些权利", k=10).candidates]


def test_compaction_keeps_answers():
    e = Engine()
    e.build(KB[:3])
    e.upsert([Doc(100 + i, f"第{i}号测试问题关于党费交纳") for i in range(300)])
    assert e._snap.word_index.n_delta == 0  # folded into a new main segment
    assert len(e) == 303
    assert e.ask("如何转接党组织关系").best.id == 1


def test_save_load_round_trip(engine, tmp_path):
    engine.save(tmp_path / "idx")
    loaded = Engine.load(tmp_path / "idx")
    assert len(loaded) == len(engine)
    for q in ["怎么缴纳党费", "组织关系怎么转移", "今天天气怎么样"]:
        a, b = engine.ask(q), loaded.ask(q)
        assert [h.id for h in a.candidates] == [h.id for h in b.candidates]
        assert a.confidence == pytest.approx(b.confidence, abs=1e-5)
    assert loaded._snap.docs[1].alternatives == KB[0].alternatives


def test_reads_during_writes_are_safe():
    e = Engine()
    e.build(KB)
    errors: list[Exception] = []

    def reader():
        try:
            for _ in range(30):
                assert e.ask("怎么缴纳党费").best is not None
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(10):
        e.upsert([Doc(200 + i, f"测试并发写入问题{i}")])
        e.remove([200 + i])
    for t in threads:
        t.join()
    assert errors == []
    assert len(e) == len(KB)


def test_match_scores_a_given_entry(engine):
    assert engine.match("怎么缴纳党费", 2) > engine.match("怎么缴纳党费", 9)
    assert engine.match("怎么缴纳党费", 12345) == 0.0


def test_an_index_saved_before_answers_were_indexed_is_refused(tmp_path):
    """Format 1 had no answers: loading it would silently weaken the domain stage, so it is
    refused (the live index then rebuilds from the database)."""
    import json

    engine = Engine()
    engine.build([Doc(1, "党费按月交纳吗", answer="按月交纳。")])
    engine.save(tmp_path)
    meta = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert meta["docs"][0][5] == "按月交纳。"
    assert Engine.load(tmp_path).ask("党费按月交纳吗").best.id == 1
    meta["format"] = 1
    meta["docs"] = [row[:5] for row in meta["docs"]]
    (tmp_path / "index.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ValueError):
        Engine.load(tmp_path)
