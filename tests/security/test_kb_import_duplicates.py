"""A source that repeats questions imports, with a report (issue 10).

``bench/kb_sources.py OUT.jsonl`` then ``dangjian kb_import OUT.jsonl`` imported nothing:
the question banks repeat generic stems (选择词语的正确词形。 190 times), and each repeat
was a duplicate error aborting the whole file. Repeats within a file are now merged
(same answer) or skipped (different answer) and reported; duplicates of entries already
in the database still abort, so re-importing a file never doubles it.
"""

import json

import pytest
from django.core.management import CommandError, call_command

from dangjian.knowledge import imports
from dangjian.knowledge.models import Entry


def _line(question, answer, **more) -> str:
    return json.dumps({"question": question, "answer": answer, **more}, ensure_ascii=False)


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "bank.jsonl"
    lines = [
        _line("选择词语的正确词形。", "答案：枯燥", tags=["词语"]),
        _line("如何交纳党费", "按月交纳", alternatives=["党费怎么交"]),
        _line("选择词语的正确词形。", "答案：部署"),  # same stem, another answer → skipped
        _line("如何交纳党费 ", "按月交纳", alternatives=["党费交多少"], tags=["党费"]),  # merged
        _line("选择词语的正确词形。", "答案：安详"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_documented_path_imports_and_reports(cast, source, capsys):
    call_command("kb_import", str(source), "--org", cast.org["P"].code)
    out = capsys.readouterr().out
    assert "导入 2 条" in out
    assert "3 行与前面的问题重复，已合并或跳过" in out
    assert "第3行：与第1行问题相同而答案不同，已跳过" in out
    assert "第4行：与第2行问题、答案相同，已合并到第2行" in out
    dues = Entry.objects.get(question="如何交纳党费")
    assert dues.alternatives == ["党费怎么交", "党费交多少"]
    assert dues.tags == ["党费"]
    assert Entry.objects.get(question="选择词语的正确词形。").answer == "答案：枯燥"


def test_reimport_still_refuses_instead_of_doubling(cast, source):
    call_command("kb_import", str(source), "--org", cast.org["P"].code)
    with pytest.raises(CommandError):
        call_command("kb_import", str(source), "--org", cast.org["P"].code)
    assert Entry.objects.count() == 2


def test_notes_are_returned_to_every_caller(cast, source):
    outcome = imports.import_file(acting_user=None, org=cast.org["P"], path=source)
    assert (outcome.created, len(outcome.notes), outcome.errors) == (2, 3, [])
    assert [n.row for n in outcome.notes] == [3, 4, 5]
