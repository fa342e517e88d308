"""The work-order pages: console, hotline form, handling, my questions, public site, stats."""

import pytest
from django.conf import settings
from django.test import override_settings

from dangjian.desk.models import WorkOrder
from dangjian.desk.services import orders as services


@pytest.fixture(autouse=True)
def tiered(settings):
    """These tests run the desk as a local deployment configures it, 分级受理 (orders go to
    the county, city or province by category); central acceptance: test_routing_*.py."""
    settings.CONSULT_ACCEPTANCE = "tiered"


@pytest.fixture
def order(cast):
    return services.order_create(
        acting_user=cast.user["member"],
        source="web",
        summary="党费基数怎么核定？",
        category="党费",
        asker=cast.user["member"],
    )


def test_console_shows_the_queue_and_polls(client, cast, login, order):
    login(cast.user["agent"])
    page = client.get("/consult/console/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "党费基数怎么核定？" in html and 'hx-trigger="every 15s"' in html
    fragment = client.get("/consult/console/queue/", HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and order.summary in fragment.content.decode()
    panels = client.get("/consult/console/", HTTP_HX_REQUEST="true")
    assert "<html" not in panels.content.decode()


def test_hotline_form_logs_a_call_and_answers_it(client, cast, login):
    login(cast.user["agent"])
    response = client.post(
        "/consult/console/hotline/",
        {
            "phone": "13912345678",
            "caller_name": "张先生",
            "category": "党费",
            "summary": "退休党费怎么交",
            "priority": "normal",
            "reply": "按退休费总额计算。",
        },
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.status == "answered" and order.source == "hotline"
    history = client.get("/consult/console/history/", {"phone": "13912345678"})
    assert order.number in history.content.decode()


def test_hotline_form_bad_number_is_a_chinese_error(client, cast, login):
    login(cast.user["agent"])
    response = client.post(
        "/consult/console/hotline/",
        {
            "phone": "abc",
            "summary": "退休党费怎么交",
            "priority": "normal",
        },
    )
    assert response.status_code == 200
    assert services.MSG_PHONE in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_claim_and_reply_through_the_pages(client, cast, login, order):
    login(cast.user["agent"])
    client.post(f"/consult/orders/{order.pk}/claim/")
    page = client.get(f"/consult/orders/{order.pk}/").content.decode()
    assert 'id="reply-text"' in page and "知识库检索" in page
    short = client.post(f"/consult/orders/{order.pk}/reply/", {"text": "短"}, follow=True)
    assert services.MSG_REPLY_SHORT in short.content.decode()
    client.post(f"/consult/orders/{order.pk}/reply/", {"text": "按上年度月平均工资核定。"})
    order.refresh_from_db()
    assert order.status == "answered"


def test_member_sees_the_reply_rates_and_can_reopen(client, cast, login, order):
    agent = cast.user["agent"]
    services.order_claim(acting_user=agent, order=order)
    services.order_reply(acting_user=agent, order=order, text="按上年度月平均工资核定。")
    login(cast.user["member"])
    page = client.get(f"/consult/my/{order.pk}/").content.decode()
    assert "按上年度月平均工资核定。" in page and "提交评价" in page
    bad = client.post(f"/consult/my/{order.pk}/rate/", {"rating": "9"})
    assert bad.status_code == 422
    assert (
        client.post(
            f"/consult/my/{order.pk}/rate/", {"rating": "2", "comment": "没说清"}
        ).status_code
        == 302
    )
    order.refresh_from_db()
    assert order.status == "reopened"
    assert "我的咨询" in client.get("/consult/my/").content.decode()


def test_someone_elses_question_is_404(client, cast, login, order):
    login(cast.user["branch_admin"])
    assert client.get(f"/consult/my/{order.pk}/").status_code == 404
    assert client.post(f"/consult/my/{order.pk}/rate/", {"rating": "5"}).status_code == 404


def test_member_leaves_a_message(client, cast, login):
    login(cast.user["member"])
    response = client.post("/consult/message/", {"kind": "help", "summary": "想找组织帮忙"})
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and order.kind == "help" and order.source == "web"


def test_public_ask_and_list(client, cast):
    """The phone is confirmed by SMS first (tests/security/test_public_ask.py has the rest)."""
    from dangjian.core.notify import sms_outbox

    fields = {"caller_name": "李女士", "phone": "13800001111", "summary": "想咨询入党的条件"}
    client.post("/consult/public/ask/", {**fields, "action": "send_code"})
    code = sms_outbox[-1][1].split("验证码是 ")[1][:6]
    response = client.post("/consult/public/ask/", {**fields, "code": code})
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.source == "public" and order.org == cast.org["P"]
    missing = client.post("/consult/public/ask/", {"summary": "想咨询入党的条件"})
    assert (
        services.MSG_PHONE_REQUIRED in missing.content.decode()
        or "必填" in missing.content.decode()
    )
    assert client.get("/consult/public/").status_code == 200


@override_settings(RATE_LIMITS={**settings.RATE_LIMITS, "public": (2, 60)})
def test_public_ask_is_rate_limited_per_ip(client, cast):
    for _ in range(2):
        client.post("/consult/public/ask/", {"summary": "x"})
    assert client.post("/consult/public/ask/", {"summary": "x"}).status_code == 429


def test_stats_page(client, cast, login, order):
    login(cast.user["agent"])
    page = client.get("/consult/stats/")
    assert page.status_code == 200 and "受理量" in page.content.decode()
    backwards = client.get("/consult/stats/", {"since": "2026-11-20", "until": "2026-11-01"})
    assert "起始日期不能晚于截止日期" in backwards.content.decode()
    assert client.get("/consult/stats/", {"org": cast.org["C2"].pk}).status_code == 404


def test_stats_date_fields_show_the_range_applied(client, cast, login):
    import datetime as dt

    from django.utils import timezone

    login(cast.user["agent"])
    today = timezone.localdate()
    html = client.get("/consult/stats/").content.decode()
    since = today - dt.timedelta(days=29)
    assert f'name="since" value="{since:%Y-%m-%d}"' in html
    assert f'name="until" value="{today:%Y-%m-%d}"' in html
    html = client.get("/consult/stats/", {"since": "2026-11-01"}).content.decode()
    assert 'name="since" value="2026-11-01"' in html
    assert f'name="until" value="{today:%Y-%m-%d}"' in html


def test_live_chat_pages(client, cast, login):
    from dangjian.knowledge.services import bot

    services.presence_set(user=cast.user["agent"], online=True)
    chat = services.handoff(bot.conversation_start(user=cast.user["member"]), cast.user["member"])
    login(cast.user["member"])
    page = client.get(f"/consult/live/{chat.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page
    sent = client.post(f"/consult/live/{chat.pk}/send/", {"text": "你好"}, HTTP_HX_REQUEST="true")
    assert "你好" in sent.content.decode()
    empty = client.post(f"/consult/live/{chat.pk}/send/", {"text": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 422
    polled = client.get(f"/consult/live/{chat.pk}/messages/", {"after": "0"}).content.decode()
    assert "你好" in polled
