"""Who sees 12371 work orders, coordination requests and live chats: a matrix over users
at every level of the tree × orders routed to every county, through the API and pages.

The oracle is derived from the cast (dangjian.core.testing), not from core.scope: an
order routed to an organisation is seen by the leaders, agents, handlers and admins at or
above it (上级看下级), and by nobody beside or below.
"""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.scope import Role
from dangjian.core.testing import USER_KEYS, USERS, sees_org

COUNTIES = ["K1", "K2", "K3"]
CONSULT_ROLES = {Role.LEADER, Role.AGENT, Role.HANDLER, Role.ADMIN}
HANDLE_ROLES = {Role.AGENT, Role.HANDLER, Role.ADMIN}


def sees_consult(user_key: str, org_key: str) -> bool:
    if user_key == "root":
        return True
    return user_key in USERS and sees_org(user_key, org_key) and USERS[user_key][0] in CONSULT_ROLES


def handles_consult(user_key: str, org_key: str) -> bool:
    if user_key == "root":
        return True
    return sees_consult(user_key, org_key) and USERS[user_key][0] in HANDLE_ROLES


def consult_objects(cast) -> dict[str, dict[str, int]]:
    """One order (with a coordination request and a live chat) routed to each county,
    written directly (no audit entry, so security tests' state checks are unchanged)."""
    from dangjian.consult.models import ChatSession, Conversation, Coordination, WorkOrder

    now = timezone.now()
    made: dict[str, dict[str, int]] = {"order": {}, "coordination": {}, "chat": {}}
    for key in COUNTIES:
        org = cast.org[key]
        order = WorkOrder.objects.create(
            source="web",
            summary=f"{org.name}的咨询",
            org=org,
            first_response_due=now + dt.timedelta(hours=4),
            resolution_due=now + dt.timedelta(days=3),
        )
        made["order"][key] = order.pk
        made["coordination"][key] = Coordination.objects.create(
            order=order, org=org, office="组织科", question="请提供意见"
        ).pk
        conversation = Conversation.objects.create(org=org)
        made["chat"][key] = ChatSession.objects.create(
            conversation=conversation, agent=cast.user["root"]
        ).pk
    return made


@pytest.fixture
def objects(cast):
    return consult_objects(cast)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_order_detail_matrix(client, cast, bearer, objects, user_key):
    headers = bearer(cast.user[user_key])
    for county, pk in objects["order"].items():
        response = client.get(f"/api/v1/consult/orders/{pk}", **headers)
        expected = 200 if sees_consult(user_key, county) else 404
        assert response.status_code == expected, (user_key, county, response.content[:200])


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_order_list_matrix(client, cast, bearer, objects, user_key):
    body = client.get("/api/v1/consult/orders", {"limit": 100}, **bearer(cast.user[user_key]))
    seen = {o["id"] for o in body.json()["items"]}
    expected = {pk for c, pk in objects["order"].items() if sees_consult(user_key, c)}
    assert seen == expected
    assert body.json()["count"] == len(expected)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_queue_and_claim_matrix(client, cast, bearer, objects, user_key):
    headers = bearer(cast.user[user_key])
    queue = client.get("/api/v1/consult/orders", {"view": "queue", "limit": 100}, **headers)
    expected = {pk for c, pk in objects["order"].items() if handles_consult(user_key, c)}
    assert {o["id"] for o in queue.json()["items"]} == expected
    for county, pk in objects["order"].items():
        response = client.post(f"/api/v1/consult/orders/{pk}/claim", **headers)
        if handles_consult(user_key, county):
            assert response.status_code == 200
        else:
            assert response.status_code == (403 if sees_consult(user_key, county) else 404)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_chat_and_coordination_matrix(client, cast, bearer, objects, user_key):
    headers = bearer(cast.user[user_key])
    for county in COUNTIES:
        chat = client.get(f"/api/v1/consult/chats/{objects['chat'][county]}/messages", **headers)
        assert chat.status_code == (200 if sees_consult(user_key, county) else 404), user_key
        answer = client.post(
            f"/api/v1/consult/coordinations/{objects['coordination'][county]}/answer",
            {"answer": "意见如下"},
            content_type="application/json",
            **headers,
        )
        if handles_consult(user_key, county):
            assert answer.status_code == 200
        else:
            assert answer.status_code == (403 if sees_consult(user_key, county) else 404)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_order_page_matrix(client, cast, login, objects, user_key):
    login(cast.user[user_key])
    for county, pk in objects["order"].items():
        response = client.get(f"/consult/orders/{pk}/")
        assert response.status_code == (200 if sees_consult(user_key, county) else 404)


@pytest.mark.parametrize("user_key", USER_KEYS)
def test_console_and_stats_pages(client, cast, login, user_key):
    login(cast.user[user_key])
    role = USERS.get(user_key, (None,))[0]
    console = client.get("/consult/console/")
    assert console.status_code == (200 if user_key == "root" or role in HANDLE_ROLES else 403)
    stats = client.get("/consult/stats/")
    assert stats.status_code == (200 if user_key == "root" or role in CONSULT_ROLES else 403)
