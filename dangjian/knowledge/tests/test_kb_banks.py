"""The public question banks as the lower tier: converted, imported idempotently, and
answered only when sure and never above a curated entry that fits (issue 11 part 9)."""

import json

import pytest
from django.core.management import CommandError, call_command

from dangjian.knowledge import index, sources
from dangjian.knowledge.models import Entry, EntryStatus, EntryTier
from dangjian.knowledge.services import banks
from dangjian.knowledge.tests.kb_helpers import make_entry
from dangjian.knowledge.tiers import TieredEngine

XXQG = {
    "中国共产党的最高理想和最终目标是实现\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0。|共产主义|小康社会": "共产主义",
    "中国共产党成立于1921年。|正确|错误": "正确",
    "选择词语的正确词形。|枯燥|枯躁": "枯燥",
    "选择词语的正确词形。|部署|布署": "部署",
}
PEOPLE = [
    {
        "title": "遵义会议召开于(    )年。",
        "type": 1,
        "optionA": "1934",
        "optionB": "1935",
        "optionC": "",
        "optionD": "",
        "rightOption": "2",
    },
    {"title": "  ", "type": 1, "optionA": "甲", "rightOption": "1"},
]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / sources.XXQG_FILE).write_text(json.dumps(XXQG, ensure_ascii=False), "utf-8")
    lines = [json.dumps(item, ensure_ascii=False) + "," for item in PEOPLE]
    (tmp_path / sources.PEOPLE_FILE).write_text("\n".join(lines), "utf-8")
    return tmp_path


def test_items_are_normalised_with_their_options(folder):
    rows = sources.load_all(folder)
    questions = [r["question"] for r in rows]
    assert "中国共产党的最高理想和最终目标是实现（ ）。" in questions
    assert "遵义会议召开于（ ）年。" in questions
    zunyi = next(r for r in rows if r["question"].startswith("遵义"))
    assert zunyi["answer"] == "答案：1935（选项：A. 1934；B. 1935）"
    assert zunyi["category"] == "单选题"
    judge = next(r for r in rows if r["question"].startswith("中国共产党成立"))
    assert judge["category"] == "判断题"
    assert len(rows) == 5  # the blank stem is dropped


def test_a_long_stem_is_cut_and_given_whole_in_the_answer():
    item = sources.row("题" * 250, "答案：甲", category="选择题", tags=[], source="")
    assert len(item["question"]) == sources.QUESTION_MAX
    assert item["answer"].startswith("题目：" + "题" * 250)


def test_the_import_is_published_imported_and_idempotent(cast, folder):
    root = cast.org["P"]
    first = banks.bank_import(acting_user=None, org=root, rows=sources.load_all(folder))
    assert (first.created, first.repeated, first.existing) == (4, 1, 0)
    imported = Entry.objects.filter(tier=EntryTier.IMPORTED)
    assert imported.count() == 4
    assert set(imported.values_list("status", flat=True)) == {EntryStatus.PUBLISHED}
    assert all(e.versions.count() == 1 for e in imported)
    again = banks.bank_import(acting_user=None, org=root, rows=sources.load_all(folder))
    assert (again.created, again.existing) == (0, 5)  # the repeated stem too
    assert Entry.objects.count() == 4


def test_an_imported_stem_equal_to_a_curated_question_is_not_doubled(cast, folder):
    make_entry(cast.org["P"], question="遵义会议召开于（ ）年。")
    outcome = banks.bank_import(acting_user=None, org=cast.org["P"], rows=sources.load_all(folder))
    assert outcome.existing == 1 and outcome.created == 3


def test_an_editor_below_the_root_cannot_import_for_the_root(cast, folder):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises((PermissionDenied, Http404)):
        banks.bank_import(acting_user=cast.user["member"], org=cast.org["P"], rows=[])


def test_the_command_imports_and_refuses_a_missing_folder(cast, folder, tmp_path, capsys):
    call_command("kb_import_banks", "--folder", str(folder))
    assert "新增 4 条" in capsys.readouterr().out
    call_command("kb_import_banks", "--folder", str(folder))
    assert "新增 0 条，已有 5 条" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("kb_import_banks", "--folder", str(tmp_path / "none"))


def test_the_live_index_holds_the_tiers_apart(cast, folder, tmp_path):
    make_entry(cast.org["P"], question="党费怎么交？")
    banks.bank_import(acting_user=None, org=cast.org["P"], rows=sources.load_all(folder))
    holder = index.LiveIndex(tmp_path / "kb-index", max_age=0)
    engine = holder.get()
    assert (len(engine.curated), len(engine.bank)) == (1, 4)
    holder.save()
    loaded = index.LiveIndex(tmp_path / "kb-index", max_age=0).get()
    assert (len(loaded.curated), len(loaded.bank)) == (1, 4)


class _Fixed:
    """An engine stand-in answering one fixed Answer."""

    def __init__(self, answer, size=1):
        self.answer, self.size = answer, size

    def ask(self, query, k=5):
        return self.answer

    def __len__(self):
        return self.size


def _answer(doc_id, confidence, match, confident):
    from dangjian.knowledge.retrieval.engine import Answer, Hit

    hit = Hit(doc_id, f"问题{doc_id}", 1.0, match)
    return Answer(best=hit, confidence=confidence, confident=confident, candidates=[hit])


def test_a_confident_curated_answer_stands():
    tiered = TieredEngine(_Fixed(_answer(1, 0.8, 0.9, True)), _Fixed(_answer(2, 0.99, 0.99, True)))
    assert tiered.ask("q").best.id == 1


def test_the_imported_tier_answers_only_when_sure_and_no_curated_entry_fits():
    sure = _answer(2, 0.95, 0.95, True)
    nothing_fits = _answer(1, 0.1, 0.2, False)
    assert TieredEngine(_Fixed(nothing_fits), _Fixed(sure)).ask("q").best.id == 2
    fits = _answer(1, 0.3, 0.6, False)
    answer = TieredEngine(_Fixed(fits), _Fixed(sure)).ask("q")
    assert answer.best.id == 1 and not answer.confident
    assert [h.id for h in answer.candidates] == [1, 2]  # offered after the curated one
    barely = _answer(2, 0.85, 0.95, True)  # confident by the curated threshold, not by BANK_MIN
    assert not TieredEngine(_Fixed(nothing_fits), _Fixed(barely)).ask("q").confident


def test_the_imported_tier_does_not_answer_with_a_stem_that_does_not_match():
    """A stem far ahead of the other candidates makes its decision sure, but it is no answer
    unless it asks what the question asks (去哪家医院看颈椎病好 vs a stem on 颈椎病 care)."""
    nothing_fits = _answer(1, 0.1, 0.2, False)
    ahead_but_unlike = _answer(2, 0.93, 0.14, True)
    answer = TieredEngine(_Fixed(nothing_fits), _Fixed(ahead_but_unlike)).ask("q")
    assert not answer.confident and answer.best.id == 1


def test_make_demo_skips_a_missing_folder_and_saves_the_index(
    cast, folder, tmp_path, settings, capsys
):
    call_command("kb_import_banks", "--folder", str(tmp_path / "none"), "--if-available")
    assert "跳过题库导入" in capsys.readouterr().out
    assert not Entry.objects.filter(tier=EntryTier.IMPORTED).exists()

    settings.VAR_DIR = tmp_path
    index.reset()
    call_command("kb_import_banks", "--folder", str(folder), "--save-index")
    assert "已建立并保存" in capsys.readouterr().out
    meta = json.loads((tmp_path / f"{index.INDEX_DIR}{index.META_SUFFIX}").read_text())
    assert meta["size"] == Entry.objects.filter(status=EntryStatus.PUBLISHED).count()
    index.reset()
