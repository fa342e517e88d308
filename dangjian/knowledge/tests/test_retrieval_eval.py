"""`dangjian kb_eval` on a tiny pairs file: the protocol's figures as JSON."""

import json

from django.core.management import call_command


def test_kb_eval_json(tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "如何转接党组织关系\t组织关系怎么转移\t1\n"
        "怎么缴纳党费\t党费按什么标准交纳\t1\n"
        "什麼是三會一課\t三会一课包括哪些内容\t1\n"
        "怎么缴纳党费\t入党介绍人由谁担任\t0\n"
        "今天天气怎么样\t主题党日多久开展一次\t0\n"
        "坏行没有标签\n",
        encoding="utf-8",
    )
    call_command("kb_eval", "--pairs", str(pairs), "--json")
    out = capsys.readouterr()
    figures = json.loads(out.out)
    assert set(figures) == {"r1", "r5", "mrr10", "pair_acc", "auc", "n_queries"}
    assert figures["n_queries"] == 3
    assert figures["r1"] == 100.0
    assert figures["mrr10"] == 100.0
    assert figures["auc"] == 1.0
    assert "kb_eval" in out.err  # progress goes to stderr


def test_the_pool_is_built_in_the_engine_given():
    """An empty Engine is falsy: the given one (e.g. another encoder's) must still be used."""
    from dangjian.knowledge.retrieval import Engine
    from dangjian.knowledge.retrieval.evaluation import PairSet, build_pool_engine

    given = Engine()
    data = PairSet(
        pairs=[("党费怎么交", "如何交党费", 1)], pool=["如何交党费"], queries=[("党费怎么交", 0)]
    )
    assert build_pool_engine(data, given) is given
    assert len(given) == 1
