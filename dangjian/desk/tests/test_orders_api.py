"""The work-order API: the flow, field-level 422s in Chinese, scope as 404."""

import pytest

from dangjian.desk.models import Office, WorkOrder
from dangjian.desk.services import orders as services

API = "/api/v1/consult"


@pytest.fixture(autouse=True)
def tiered(settings):
    """These tests run the desk as a local deployment configures it, 分级受理 (orders go to
    the county, city or province by category); central acceptance: test_routing_*.py."""
    settings.CONSULT_ACCEPTANCE = "tiered"


@pytest.fixture
def member_order(cast):
    return services.order_create(
        acting_user=cast.user["member"],
        source="web",
        summary="党费基数怎么核定？",
        category="党费",
        asker=cast.user["member"],
    )


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def test_message_reply_rate_flow(client, cast, bearer):
    member, agent = bearer(cast.user["member"]), bearer(cast.user["agent"])
    created = post(
        client,
        f"{API}/orders",
        {"kind": "help", "summary": "组织关系怎么转？", "category": "组织关系转接"},
        member,
    )
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["org_name"] == "五华区委" and order["status"] == "new"
    assert order["first_response_due"].endswith("+08:00") or "T" in order["first_response_due"]
    queue = client.get(f"{API}/orders", {"view": "queue"}, **agent).json()
    assert [o["id"] for o in queue["items"]] == [order["id"]]
    assert post(client, f"{API}/orders/{order['id']}/claim", {}, agent).status_code == 200
    replied = post(
        client, f"{API}/orders/{order['id']}/reply", {"text": "请联系县委组织部。"}, agent
    )
    assert replied.json()["status"] == "answered"
    rated = post(client, f"{API}/orders/{order['id']}/rate", {"rating": 5, "comment": "好"}, member)
    assert rated.json()["status"] == "closed"
    history = client.get(f"{API}/orders/{order['id']}/history", **member).json()
    assert [e["action"] for e in history] == ["create", "claim", "reply", "rate"]


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"summary": "问"}, ["body", "summary"]),
        ({"summary": "正常问题", "kind": "x"}, ["body", "kind"]),
        ({"summary": "正常问题", "extra": 1}, ["body", "extra"]),
        ({}, ["body", "summary"]),
    ],
)
def test_message_422s(client, cast, bearer, body, loc):
    response = post(client, f"{API}/orders", body, bearer(cast.user["member"]))
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["detail"]]
    assert not WorkOrder.objects.exists()


def test_hotline_422_on_a_bad_number_and_masked_on_success(client, cast, bearer):
    agent = bearer(cast.user["agent"])
    bad = post(client, f"{API}/orders/hotline", {"phone": "12", "summary": "退休党费"}, agent)
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {"loc": ["body", "phone"], "msg": services.MSG_PHONE, "type": "rule"}
    ]
    ok = post(
        client,
        f"{API}/orders/hotline",
        {"phone": "13912345678", "caller_name": "张", "summary": "退休党费"},
        agent,
    )
    assert ok.status_code == 201 and ok.json()["phone_masked"] == "139****5678"
    assert "13912345678" not in ok.content.decode()


def test_hotline_is_for_staff(client, cast, bearer):
    response = post(
        client,
        f"{API}/orders/hotline",
        {"phone": "13912345678", "summary": "问题"},
        bearer(cast.user["member"]),
    )
    assert response.status_code == 403


def test_rating_out_of_range_and_not_yet_answered(client, cast, bearer, member_order):
    member = bearer(cast.user["member"])
    url = f"{API}/orders/{member_order.pk}/rate"
    assert post(client, url, {"rating": 6}, member).json()["detail"][0]["loc"] == ["body", "rating"]
    early = post(client, url, {"rating": 4}, member)
    assert early.status_code == 422
    assert early.json()["detail"][0]["msg"] == services.MSG_NOT_RATEABLE


def test_the_asker_may_not_reply_to_their_own_order(client, cast, bearer, member_order):
    response = post(
        client, f"{API}/orders/{member_order.pk}/claim", {}, bearer(cast.user["member"])
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "user_key", ["sibling_county_admin", "examiner", "outsider", "branch_admin"]
)
def test_out_of_scope_is_404(client, cast, bearer, member_order, user_key):
    headers = bearer(cast.user[user_key])
    assert client.get(f"{API}/orders/{member_order.pk}", **headers).status_code == 404
    assert post(client, f"{API}/orders/{member_order.pk}/claim", {}, headers).status_code == 404
    listing = client.get(f"{API}/orders", **headers).json()
    assert listing["count"] == 0


def test_coordinate_422_names_the_office(client, cast, bearer, member_order):
    """An office the agent cannot see (another city's) is a 422 on its place in the list."""
    agent = bearer(cast.user["agent"])
    post(client, f"{API}/orders/{member_order.pk}/claim", {}, agent)
    outside = Office.objects.create(org=cast.org["K3"], name="组织科", liaison_name="张三")
    refused = post(
        client,
        f"{API}/orders/{member_order.pk}/coordinate",
        {"office_ids": [outside.pk], "question": "请提供意见"},
        agent,
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "office_ids.0"]
    empty = post(
        client,
        f"{API}/orders/{member_order.pk}/coordinate",
        {"office_ids": [], "question": "请提供意见"},
        agent,
    )
    assert empty.json()["detail"][0]["loc"] == ["body", "office_ids"]
    assert empty.json()["detail"][0]["msg"] == services.MSG_NO_OFFICES


def test_stats_scope_and_period(client, cast, bearer, member_order):
    agent = bearer(cast.user["agent"])
    figures = client.get(f"{API}/stats", **agent).json()
    assert figures["org_name"] == "昆明市委" and figures["orders"] == 1
    sibling = client.get(f"{API}/stats", {"org": cast.org["C2"].pk}, **agent)
    assert sibling.status_code == 404
    backwards = client.get(f"{API}/stats", {"since": "2026-11-20", "until": "2026-11-01"}, **agent)
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["loc"] == ["query", "since"]
    assert client.get(f"{API}/stats", **bearer(cast.user["member"])).status_code == 404


def test_public_questions_show_no_asker(client, cast, member_order):
    agent = cast.user["agent"]
    services.order_claim(acting_user=agent, order=member_order)
    services.order_reply(acting_user=agent, order=member_order, text="按上年度月平均工资。")
    services.order_publish(acting_user=agent, order=member_order, public=True)
    body = client.get(f"{API}/public-questions").json()
    assert body["count"] == 1
    assert set(body["items"][0]) == {"id", "question", "category", "reply", "answered_at"}


def test_presence_and_chat(client, cast, bearer):
    from dangjian.knowledge.services import bot

    agent = bearer(cast.user["agent"])
    assert post(client, f"{API}/agent/presence", {"online": True}, agent).json()["online"]
    assert (
        post(
            client, f"{API}/agent/presence", {"online": True}, bearer(cast.user["member"])
        ).status_code
        == 403
    )
    conversation = bot.conversation_start(user=cast.user["member"])
    chat = services.handoff(conversation, cast.user["member"])
    member = bearer(cast.user["member"])
    sent = post(client, f"{API}/chats/{chat.pk}/messages", {"text": "你好"}, member)
    assert sent.status_code == 201
    polled = client.get(f"{API}/chats/{chat.pk}/messages", {"after": 0}, **agent).json()
    assert [m["text"] for m in polled] == ["你好"]
    outsider = bearer(cast.user["sibling_county_admin"])
    assert client.get(f"{API}/chats/{chat.pk}/messages", **outsider).status_code == 404
    closed = post(client, f"{API}/chats/{chat.pk}/close", {"to_order": True}, agent).json()
    assert closed["status"] == "closed" and closed["work_order_id"]
