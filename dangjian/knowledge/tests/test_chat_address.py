"""The bot page keeps its conversation in the address on every render: a plain form POST
without JavaScript (a refused question, the contact card) is drawn at /consult/chat/, so
the page names its own address (?c=) for the address bar and for 大字模式."""

import re

from dangjian.knowledge import index
from dangjian.knowledge.models import Conversation
from dangjian.knowledge.tests.kb_helpers import ScriptedEngine, make_base

UNKNOWN = "社区食堂的营业时间是几点到几点"


def _scripted(cast, monkeypatch, confidence=0.1):
    entries = make_base(cast.org["P"])
    engine = ScriptedEngine([(entries[0], 0.02)], confidence=confidence)
    monkeypatch.setattr(index, "live", lambda: type("L", (), {"get": lambda self: engine})())


def _names(body: str, here: str) -> bool:
    """The page declares ``here`` as its address and 大字模式 returns to it."""
    meta = f'<meta name="here" content="{here}">' in body
    elder = re.search(rf'name="next" value="{re.escape(here)}" data-here', body)
    return meta and elder is not None


def test_a_refused_plain_post_keeps_the_conversation_in_the_address(
    client, cast, login, monkeypatch
):
    _scripted(cast, monkeypatch)
    login(cast.user["member"])
    asked = client.post("/consult/chat/", {"question": UNKNOWN})  # no agent: an order
    conversation = Conversation.objects.get()
    here = f"/consult/chat/?c={conversation.pk}"
    assert asked["Location"] == here + "#latest"
    refused = client.post("/consult/chat/", {"question": "", "c": conversation.pk})
    body = refused.content.decode()
    assert refused.status_code == 422 and UNKNOWN in body  # the transcript is still shown
    assert _names(body, here)
    assert client.post("/accounts/elder/", {"elder": "1", "next": here})["Location"] == here


def test_the_visitors_contact_card_render_keeps_the_conversation(client, cast, monkeypatch):
    _scripted(cast, monkeypatch)
    client.post("/consult/chat/", {"question": UNKNOWN})
    conversation = Conversation.objects.get()
    here = f"/consult/chat/?c={conversation.pk}"
    bad = client.post("/consult/chat/", {"c": conversation.pk, "phone": "123", "action": "x"})
    assert bad.status_code == 422 and _names(bad.content.decode(), here)
    code = client.post("/consult/chat/", {"c": conversation.pk, "lookup": "1"})
    body = code.content.decode()
    assert code.status_code == 200 and "查询码" in body and _names(body, here)


def test_a_fresh_page_names_the_plain_address(client, cast):
    body = client.get("/consult/chat/").content.decode()
    assert _names(body, "/consult/chat/")


def test_a_refused_htmx_question_says_why_in_chinese(client, cast):
    refused = client.post("/consult/chat/", {"question": "   "}, HTTP_HX_REQUEST="true")
    body = refused.content.decode()
    assert refused.status_code == 422 and "请输入您的问题" in body
    assert "<html" not in body  # a fragment for the conversation, not a whole page
    long = client.post("/consult/chat/", {"question": "问" * 501}, HTTP_HX_REQUEST="true")
    assert long.status_code == 422 and "问题不能超过500个字" in long.content.decode()


def test_a_candidate_no_longer_valid_says_so_in_the_conversation(client, cast, monkeypatch):
    """An entry offered as 您是不是想问 and expired before the click: htmx gets the reason
    as a turn, not the whole bot page (a redirect htmx would follow) nested in the log."""
    import datetime as dt

    from dangjian.knowledge.models import Entry
    from dangjian.knowledge.services.bot import MSG_NOT_ANSWERABLE

    _scripted(cast, monkeypatch)
    client.post("/consult/chat/", {"question": UNKNOWN})
    conversation = Conversation.objects.get()
    entry = Entry.objects.order_by("pk").first()
    Entry.objects.filter(pk=entry.pk).update(valid_until=dt.date(2000, 1, 1))
    picked = client.post(
        "/consult/chat/pick/", {"c": conversation.pk, "entry": entry.pk}, HTTP_HX_REQUEST="true"
    )
    body = picked.content.decode()
    assert picked.status_code == 422 and MSG_NOT_ANSWERABLE in body
    assert "<html" not in body and 'role="alert"' in body
