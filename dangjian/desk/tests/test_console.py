"""The agent console: the queue's order (overdue, then priority, then the deadline that
runs), its search and filters, the case beside it, and actions that come back to it."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.accounts import services as accounts
from dangjian.core.scope import Role
from dangjian.desk import selectors
from dangjian.desk.models import WorkOrder
from dangjian.desk.services import orders as services

NOW = timezone.now()


def _order(cast, summary, *, status="new", priority="normal", due_in=4, org="K1", **fields):
    """An order whose running deadline is ``due_in`` hours away (negative: past)."""
    due = NOW + dt.timedelta(hours=due_in)
    return WorkOrder.objects.create(
        org=cast.org[org],
        source=fields.pop("source", "web"),
        summary=summary,
        status=status,
        priority=priority,
        first_response_due=due,
        resolution_due=due if status not in ("new", "reopened") else due + dt.timedelta(days=2),
        **fields,
    )


@pytest.fixture
def other_agent(cast):
    user = accounts.user_create(
        acting_user=cast.user["root"], username="colleague", password="x", validate_password=False
    )
    accounts.role_grant(
        acting_user=cast.user["root"], user=user, org=cast.org["C1"], role=Role.AGENT
    )
    return user


@pytest.fixture
def queue(cast, other_agent):
    agent = cast.user["agent"]
    return {
        "normal_soon": _order(cast, "普通 两小时后", due_in=2),
        "low_late": _order(cast, "较缓 已超时", priority="low", due_in=-1),
        "urgent_later": _order(cast, "紧急 八小时后", priority="urgent", due_in=8),
        "normal_later": _order(cast, "普通 六小时后", due_in=6, category="党费", source="hotline"),
        "urgent_late": _order(cast, "紧急 已超时", priority="urgent", due_in=-3),
        "mine": _order(cast, "我在办 三小时后", status="claimed", due_in=3, assignee=agent),
        "theirs": _order(cast, "同事在办", status="claimed", due_in=1, assignee=other_agent),
        "answered": _order(cast, "已答复的旧问题", status="answered", assignee=agent),
        "outside": _order(cast, "曲靖的咨询", org="K3"),
    }


def _summaries(user, **filters):
    return [o.summary for o in selectors.console_queue(user, now=NOW, **filters)]


def test_queue_sorted_overdue_then_priority_then_due(cast, queue):
    assert _summaries(cast.user["agent"]) == [
        "紧急 已超时",
        "较缓 已超时",
        "紧急 八小时后",
        "普通 两小时后",
        "我在办 三小时后",
        "普通 六小时后",
    ]


def test_queue_filters(cast, queue):
    agent = cast.user["agent"]
    assert _summaries(agent, who="mine") == ["我在办 三小时后"]
    assert "同事在办" not in _summaries(agent, who="unassigned")
    assert _summaries(agent, who="all")[:2] == ["紧急 已超时", "较缓 已超时"]
    assert "同事在办" in _summaries(agent, who="all")
    assert _summaries(agent, overdue=True) == ["紧急 已超时", "较缓 已超时"]
    assert _summaries(agent, category="党费") == ["普通 六小时后"]
    assert _summaries(agent, source="hotline") == ["普通 六小时后"]
    assert _summaries(agent, status="claimed") == ["我在办 三小时后"]
    assert _summaries(agent, status="claimed", who="all") == ["同事在办", "我在办 三小时后"]
    # 曲靖 is outside the 昆明 agent's desk whatever the filters.
    assert "曲靖的咨询" not in _summaries(agent, who="all", q="曲靖")


def test_queue_search(cast, queue):
    agent = cast.user["agent"]
    target = queue["normal_later"]
    assert _summaries(agent, q=target.number) == ["普通 六小时后"]
    assert _summaries(agent, q=target.number.lower()) == ["普通 六小时后"]
    assert _summaries(agent, q="六小时") == ["普通 六小时后"]
    # A search without a status finds answered orders too (a caller quoting an old one).
    assert _summaries(agent, q="旧问题", who="all") == ["已答复的旧问题"]
    assert _summaries(agent, q="旧问题", who="all", status="new") == []
    call = services.hotline_log(
        acting_user=agent,
        caller_name="李大爷",
        phone="13987654321",
        category="党费",
        summary="退休党费怎么交",
    )
    assert _summaries(agent, q="13987654321") == [call.summary]
    assert _summaries(agent, q="139 8765 4321") == [call.summary]
    assert _summaries(agent, q="李大爷") == [call.summary]


def test_console_page_two_panes_and_the_case(client, cast, login, queue):
    login(cast.user["agent"])
    page = client.get("/consult/console/").content.decode()
    assert 'id="case-pane"' in page and 'id="queue-filters"' in page and "登记来电" in page
    assert page.index("紧急 已超时") < page.index("普通 两小时后")
    assert "快捷键" in page and "desk-console.js" in page
    target = queue["urgent_late"]
    opened = client.get("/consult/console/", {"order": target.pk, "who": "all"}).content.decode()
    assert f'data-case="{target.pk}"' in opened and 'name="console" value="who=all"' in opened
    gone = client.get("/consult/console/", {"order": queue["outside"].pk}).content.decode()
    assert "未找到该工单" in gone
    filtered = client.get("/consult/console/queue/", {"overdue": "1"}, HTTP_HX_REQUEST="true")
    assert "紧急 已超时" in filtered.content.decode()
    assert "普通 两小时后" not in filtered.content.decode()
    pushed = client.get(
        "/consult/console/queue/",
        {"q": "紧急"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER="queue-filters",
    )
    assert pushed["HX-Push-Url"] == "/consult/console/?q=%E7%B4%A7%E6%80%A5"
    plain = client.get("/consult/console/queue/", {"q": "紧急"}).content.decode()
    assert 'id="case-pane"' in plain and "紧急 已超时" in plain and "普通 两小时后" not in plain
    bad = client.get("/consult/console/queue/", {"status": "nonsense"}, HTTP_HX_REQUEST="true")
    assert "筛选条件有误" in bad.content.decode() and "紧急 已超时" not in bad.content.decode()


def test_case_fragment_and_actions_come_back(client, cast, login, queue):
    login(cast.user["agent"])
    target = queue["normal_soon"]
    fragment = client.get(
        f"/consult/console/case/{target.pk}/", {"who": "all"}, HTTP_HX_REQUEST="true"
    )
    html = fragment.content.decode()
    assert "<html" not in html and target.summary in html and 'data-shortcut="c"' in html
    assert fragment["HX-Push-Url"] == f"/consult/console/?who=all&order={target.pk}"
    plain = client.get(f"/consult/console/case/{target.pk}/").content.decode()
    assert 'id="queue-filters"' in plain and f'data-case="{target.pk}"' in plain
    claimed = client.post(f"/consult/orders/{target.pk}/claim/", {"console": "who=all&evil=1"})
    assert claimed["Location"] == f"/consult/console/?who=all&order={target.pk}"
    case = client.get(claimed["Location"]).content.decode()
    assert 'id="reply-text"' in case and 'id="kb-q"' in case and "已受理" in case
    replied = client.post(
        f"/consult/orders/{target.pk}/reply/", {"text": "已答复如下。", "console": ""}
    )
    assert replied["Location"] == f"/consult/console/?order={target.pk}"
    target.refresh_from_db()
    assert target.status == "answered"
    # Posted from the order's own page, it returns there.
    other = queue["normal_later"]
    assert client.post(f"/consult/orders/{other.pk}/claim/")["Location"] == (
        f"/consult/orders/{other.pk}/"
    )


def test_case_fragment_access(client, cast, login, queue):
    login(cast.user["agent"])
    assert client.get(f"/consult/console/case/{queue['outside'].pk}/").status_code == 404
    login(cast.user["county_leader"])  # sees K1's orders, handles none
    assert client.get(f"/consult/console/case/{queue['normal_soon'].pk}/").status_code == 403
    assert client.get("/consult/console/queue/").status_code == 403


def test_queue_api(client, cast, bearer, queue):
    agent = bearer(cast.user["agent"])
    body = client.get("/api/v1/consult/console/queue", {"overdue": "true"}, **agent).json()
    assert [o["summary"] for o in body["items"]] == ["紧急 已超时", "较缓 已超时"]
    assert all(o["overdue"] for o in body["items"])
    mine = client.get("/api/v1/consult/console/queue", {"who": "mine"}, **agent).json()
    assert [(o["summary"], o["assignee"]) for o in mine["items"]] == [("我在办 三小时后", "agent")]
    bad = client.get("/api/v1/consult/console/queue", {"who": "everyone"}, **agent)
    assert bad.status_code == 422
    nul = client.get("/api/v1/consult/console/queue", {"q": "a\x00b"}, **agent)
    assert nul.status_code == 422
    leader = client.get("/api/v1/consult/console/queue", **bearer(cast.user["county_leader"]))
    assert leader.status_code == 403
