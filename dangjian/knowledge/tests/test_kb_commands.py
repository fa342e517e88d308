"""`kb_import` and `kb_ask --json` from the command line."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dangjian.knowledge import handoff, index
from dangjian.knowledge.models import Conversation, Entry
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base


@pytest.fixture(autouse=True)
def fresh_index(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    index.reset()
    yield
    index.reset()


def test_kb_ask_prints_the_api_json(cast):
    entries = make_base(cast.org["P"])
    out = StringIO()
    call_command("kb_ask", "如何转接党组织关系？", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["entry_id"] == entries[0].pk
    assert body["handed_off"] is False and body["candidates"] == []
    assert {"answer", "confidence", "conversation_id", "work_order_id", "chat_id"} <= set(body)
    assert Conversation.objects.get().channel == "cli"


def test_kb_ask_hands_off_what_it_does_not_know(cast, monkeypatch):
    monkeypatch.setattr(handoff, "_handler", None)  # no desk: the hand-off is only noted
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.01)], confidence=0.1)
    monkeypatch.setattr(index.LiveIndex, "get", lambda self: engine)
    out = StringIO()
    call_command("kb_ask", "社区食堂几点开门", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["entry_id"] is None and body["handed_off"] is True


def test_kb_ask_refuses_an_empty_question(cast):
    with pytest.raises(CommandError):
        call_command("kb_ask", "  ", stdout=StringIO())


def test_kb_import_lists_bad_rows_and_fails(cast, tmp_path):
    path = tmp_path / "kb.jsonl"
    path.write_text('{"question": "问", "answer": "答"}\n', encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("kb_import", str(path), stdout=StringIO(), stderr=err)
    assert "第1行“question”" in err.getvalue()
    assert not Entry.objects.exists()


def test_kb_import_publishes_to_the_given_org(cast, tmp_path):
    path = tmp_path / "kb.jsonl"
    line = {"question": "好问题是什么？", "answer": "好答案", "owner_office": "组织处"}
    path.write_text(json.dumps(line, ensure_ascii=False), encoding="utf-8")
    call_command(
        "kb_import", str(path), "--org", cast.org["C1"].code, "--publish", stdout=StringIO()
    )
    entry = Entry.objects.get()
    assert (entry.org, entry.office, entry.status) == (cast.org["C1"], "组织处", "published")
