"""The 12371 statistics on a constructed data set whose every figure is known.

Over a five-day period, 25 orders reach 五华区委 (K1, inside the cast's 昆明 agent's
scope): 10 by phone, 10 left on the website, 5 handed off by the bot; 15 about 党费,
10 about 组织关系转接. 24 are answered or closed, one still waits (办理率 96%, the seed's
figure). Two agents share the work; one order in 麒麟区 (C2) and the events before the
period must not count.
"""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.accounts import services as accounts
from dangjian.core.periods import month_period
from dangjian.core.scope import Role
from dangjian.desk import stats
from dangjian.desk.models import ChatSession, OrderEvent, OrderStatus, WorkOrder
from dangjian.knowledge.models import Conversation, Message, MessageRole

DAYS = 5
RATINGS = {1: 5, 3: 5, 5: 5, 7: 5, 9: 4, 11: 3}  # closed orders and their ratings
LATE = {0, 2}  # answered two days after coming in (the deadline is one day)


def _source(i: int) -> str:
    return "hotline" if i < 10 else "web" if i < 20 else "handoff"


def _wait(i: int) -> dt.timedelta:
    """Phone calls are claimed at once; web messages after 10, 20 … 100 minutes; the
    bot's hand-offs after 30 minutes."""
    if i < 10:
        return dt.timedelta(0)
    if i < 20:
        return dt.timedelta(minutes=(i - 9) * 10)
    return dt.timedelta(minutes=30)


def _order(org, *, created, status, source="web", category="党费", **fields) -> WorkOrder:
    order = WorkOrder.objects.create(
        org=org,
        source=source,
        category=category,
        summary=f"{category}咨询",
        status=status,
        first_response_due=created + dt.timedelta(hours=1),
        resolution_due=created + dt.timedelta(days=1),
        **fields,
    )
    WorkOrder.objects.filter(pk=order.pk).update(created_at=created)
    order.created_at = created
    return order


def _event(order, action, actor, at) -> None:
    OrderEvent.objects.create(order=order, action=action, actor=actor, at=at)


@pytest.fixture
def data(cast):
    root = cast.user["root"]
    a = accounts.user_create(
        acting_user=root, username="agent_a", password="x", validate_password=False
    )
    accounts.role_grant(acting_user=root, user=a, org=cast.org["K1"], role=Role.AGENT)
    b = cast.user["agent"]
    today = timezone.localdate()
    since, until = today - dt.timedelta(days=10), today - dt.timedelta(days=10 - DAYS + 1)
    start, end = stats.period(since, until)
    t0 = start + dt.timedelta(hours=9)
    k1 = cast.org["K1"]
    for i in range(25):
        created = t0 + dt.timedelta(minutes=i)
        actor = a if i % 2 == 0 else b
        source, category = _source(i), "党费" if i % 5 < 3 else "组织关系转接"
        if i == 24:  # the one still waiting (its deadlines long past)
            _order(k1, created=created, status="new", source=source, category=category)
            continue
        claimed = created + _wait(i)
        answered = created + (dt.timedelta(days=2) if i in LATE else dt.timedelta(hours=2))
        order = _order(
            k1,
            created=created,
            status="closed" if i in RATINGS else "answered",
            source=source,
            category=category,
            assignee=actor,
            first_response_at=claimed,
            answered_at=answered,
            rating=RATINGS.get(i),
        )
        _event(order, "create", None, created)
        _event(order, "claim", actor, claimed)
        _event(order, "reply", actor, answered)
        if i == 0:  # reopened and answered again
            _event(order, "reply", actor, answered + dt.timedelta(hours=1))
    # Before the period: an order still waiting, one in progress, and its claim.
    before = start - dt.timedelta(days=2)
    _order(k1, created=before, status="new")
    working = _order(k1, created=before, status="claimed", assignee=a)
    WorkOrder.objects.filter(pk=working.pk).update(
        first_response_at=before, resolution_due=timezone.now() + dt.timedelta(days=1)
    )
    _event(working, "claim", a, before)
    # Outside 昆明: 麒麟区 (C2).
    _order(cast.org["K3"], created=t0, status="answered", answered_at=t0)
    # The bot: 10 conversations in the period, 8 answered with confidence, 2 handed off
    # (the agent b took both as live chats).
    for i in range(10):
        conversation = Conversation.objects.create(org=cast.org["B1"], user=cast.user["member"])
        at = t0 + dt.timedelta(hours=1, minutes=i)
        Conversation.objects.filter(pk=conversation.pk).update(
            created_at=at, handed_off_at=at if i >= 8 else None
        )
        message = Message.objects.create(
            conversation=conversation, role=MessageRole.BOT, text="答复", confident=i < 8
        )
        Message.objects.filter(pk=message.pk).update(created_at=at)
        if i >= 8:
            chat = ChatSession.objects.create(conversation=conversation, agent=b)
            ChatSession.objects.filter(pk=chat.pk).update(created_at=at)
    return {"a": a, "b": b, "start": start, "end": end, "since": since, "until": until}


def test_headline_figures(cast, data):
    f = stats.figures(
        cast.user["agent"], org=cast.org["C1"], since=data["start"], until=data["end"]
    )
    assert (f.orders, f.handled, f.handling_rate) == (25, 24, 0.96)
    assert f.days == DAYS
    assert (f.daily(f.orders), f.daily(f.conversations), f.daily(f.replies)) == (5.0, 2.0, 5.0)
    # On time: 4 web messages waited 70–100 minutes (the deadline is one hour); the
    # waiting one missed it too. Two late answers, and the waiting one, miss 答复时限.
    assert (f.first_response_met, f.first_response_total, f.first_response_rate) == (20, 25, 0.8)
    assert (f.resolution_met, f.resolution_total, f.resolution_rate) == (22, 25, 0.88)
    assert (f.rated, f.satisfied, f.satisfaction_rate, f.rating_avg) == (6, 5, 0.8333, 4.5)
    assert (f.conversations, f.bot_resolved, f.bot_resolution_rate) == (10, 8, 0.8)
    assert f.handoff_rate == 0.2
    # Waits (seconds): ten 0s, 600…6000 step 600, four 1800s: median between the 12th
    # and 13th of 24 (1200, 1800), p90 at rank 20.7 (4200 + 0.7 × 600).
    assert len(f.waits) == 24
    assert f.wait_median == 1500 and f.wait_p90 == pytest.approx(4620)
    # Now: two wait (the one from before the period and the last one), one in progress.
    assert (f.queue_now, f.in_progress_now, f.overdue_now) == (2, 1, 2)
    assert f.longest_wait_now == pytest.approx(
        (timezone.now() - data["start"] + dt.timedelta(days=2)).total_seconds(), abs=5
    )


def test_a_merged_duplicate_is_neither_received_nor_handled(cast, data):
    main = WorkOrder.objects.filter(org=cast.org["K1"], created_at__gte=data["start"]).first()
    assert main is not None
    _order(
        cast.org["K1"],
        created=data["start"] + dt.timedelta(hours=1),
        status=OrderStatus.CLOSED,
        merged_into=main,
    )
    f = stats.figures(
        cast.user["agent"], org=cast.org["C1"], since=data["start"], until=data["end"]
    )
    assert (f.orders, f.handled) == (25, 24)


def test_by_channel_and_category(cast, data):
    f = stats.figures(
        cast.user["agent"], org=cast.org["C1"], since=data["start"], until=data["end"]
    )
    channels = {c.key: c for c in f.channels}
    hotline, web, handoff = channels["hotline"], channels["web"], channels["handoff"]
    assert (hotline.received, hotline.handled, hotline.resolution_rate) == (10, 10, 0.8)
    assert hotline.satisfaction_rate == 1.0
    assert (web.received, web.handled, web.resolution_rate, web.satisfaction_rate) == (
        10,
        10,
        1.0,
        0.0,
    )
    assert (handoff.received, handoff.handled, handoff.handling_rate) == (5, 4, 0.8)
    assert handoff.satisfaction_rate is None
    assert channels["app"].received == 0 and channels["app"].handling_rate is None
    assert [c.key for c in f.channels[:3]] == ["hotline", "web", "handoff"]
    categories = {c.key: c for c in f.categories}
    assert (categories["党费"].received, categories["党费"].handling_rate) == (15, 1.0)
    assert (categories["组织关系转接"].received, categories["组织关系转接"].handling_rate) == (
        10,
        0.9,
    )


def test_agent_workload(cast, data):
    f = stats.figures(
        cast.user["agent"], org=cast.org["C1"], since=data["start"], until=data["end"]
    )
    loads = [(x.name, x.claims, x.replies, x.orders, x.chats) for x in f.agents]
    # b: 12 claims, 12 replies, 2 chats; a: 12 claims, 13 replies (one answered twice);
    # a's claim before the period does not count.
    assert loads == [("agent", 12, 12, 12, 2), ("agent_a", 12, 13, 12, 0)]


def test_subtree_and_scope(cast, data):
    agent = cast.user["agent"]
    k2 = stats.figures(agent, org=cast.org["K2"], since=data["start"], until=data["end"])
    assert (k2.orders, k2.agents, k2.queue_now) == (0, [], 0)
    province = accounts.user_create(
        acting_user=cast.user["root"], username="p_agent", password="x", validate_password=False
    )
    accounts.role_grant(
        acting_user=cast.user["root"], user=province, org=cast.org["P"], role=Role.AGENT
    )
    top = stats.figures(province, org=cast.org["P"], since=data["start"], until=data["end"])
    assert (top.orders, top.handled) == (26, 25)  # 麒麟区's answered order too


def test_api_and_export(client, cast, data, bearer):
    query = {"org": cast.org["C1"].pk, "since": data["since"], "until": data["until"]}
    body = client.get("/api/v1/consult/stats", query, **bearer(cast.user["agent"])).json()
    assert (body["orders"], body["handled"], body["handling_rate"]) == (25, 24, 0.96)
    assert (body["wait_median_seconds"], body["wait_p90_seconds"]) == (1500, 4620)
    assert body["daily_orders"] == 5.0 and body["days"] == DAYS
    assert body["agents"][0] == {
        "user_id": cast.user["agent"].pk,
        "name": "agent",
        "claims": 12,
        "replies": 12,
        "orders": 12,
        "chats": 2,
    }
    hotline = next(s for s in body["by_source"] if s["key"] == "hotline")
    assert (hotline["count"], hotline["handled"], hotline["resolution_rate"]) == (10, 10, 0.8)
    response = client.get("/api/v1/consult/stats.xlsx", query, **bearer(cast.user["agent"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概况", "按渠道", "按分类", "坐席工作量"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=4, values_only=True)}
    assert summary["受理量"] == "25" and summary["办理率"] == "96.0%"
    assert summary["等待时长中位数（提交至受理）"] == "25 分钟"
    assert "仅限工作使用" in book["坐席工作量"]["A1"].value
    agents = list(book["坐席工作量"].iter_rows(min_row=4, values_only=True))
    assert agents == [("agent", 12, 12, 12, 2), ("agent_a", 12, 13, 12, 0)]


def test_stats_page_and_export_page(client, cast, data, login):
    login(cast.user["agent"])
    query = {"org": cast.org["C1"].pk, "since": data["since"], "until": data["until"]}
    html = client.get("/consult/stats/", query).content.decode()
    assert "办理率" in html and "96.0%" in html and "坐席工作量" in html and "agent_a" in html
    assert "导出 Excel" in html
    export = client.get("/consult/stats/export/", query)
    assert export.status_code == 200 and export["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert client.get("/consult/stats/export/", {"org": cast.org["C2"].pk}).status_code == 404
    login(cast.user["member"])
    assert client.get("/consult/stats/export/").status_code == 403


def test_percentile_and_duration_text():
    assert stats.percentile([], 0.5) is None
    assert stats.percentile([7], 0.9) == 7
    assert stats.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert stats.duration_text(None) == "—"
    assert stats.duration_text(59) == "59 秒"
    assert stats.duration_text(4500) == "1 小时 15 分"
    assert stats.duration_text(3 * 86400 + 3600) == "3 天 1 小时"
    assert stats.pct_text(0.96) == "96.0%" and stats.pct_text(None) == "—"


def test_the_quick_periods_of_a_report():
    d = dt.date
    periods = {label: (since, until) for label, since, until in stats.quick_periods(d(2027, 1, 15))}
    assert periods == {
        "今日": (d(2027, 1, 15), d(2027, 1, 15)),
        "近7天": (d(2027, 1, 9), d(2027, 1, 15)),
        "本月": (d(2027, 1, 1), d(2027, 1, 15)),
        "上月": (d(2026, 12, 1), d(2026, 12, 31)),  # across the new year
        "本年": (d(2027, 1, 1), d(2027, 1, 15)),
    }


def test_the_stats_page_offers_the_periods_and_marks_the_one_shown(client, cast, login):
    login(cast.user["agent"])
    today = timezone.localdate().isoformat()
    org = cast.org["C1"].pk
    html = client.get("/consult/stats/", {"org": org, "since": today, "until": today}).content
    html = html.decode()
    assert f'href="?org={org}&amp;since={today}&amp;until={today}" aria-current="true">今日' in html
    assert html.count('aria-current="true"') == 1 and ">上月</a>" in html
    week = (timezone.localdate() - dt.timedelta(days=6)).isoformat()
    html = client.get("/consult/stats/", {"org": org, "since": week, "until": today}).content
    assert html.decode().count('aria-current="true"') == 1  # on the 7th 本月 is the same


def test_an_empty_period_points_to_the_month_of_the_latest_order(client, cast, data, login):
    """Nothing received today: the page says when the subtree last received an order and
    links to that month; a period with orders, or a subtree that never had one, says
    nothing of the kind."""
    login(cast.user["agent"])
    today = timezone.localdate()
    org = cast.org["C1"].pk
    html = client.get("/consult/stats/", {"org": org, "since": today, "until": today}).content
    latest = data["since"]  # every order of the data set came in on its first day or before
    month = month_period(latest.year, latest.month)
    first, last = month.first, month.last
    assert "该时段没有受理工单" in html.decode()
    assert f"{latest.year}年{latest.month}月{latest.day}日" in html.decode()
    assert f'href="?org={org}&amp;since={first}&amp;until={last}">查看{latest.year}年' in (
        html.decode()
    )
    busy = {"org": org, "since": data["since"], "until": data["until"]}
    assert "该时段没有受理工单" not in client.get("/consult/stats/", busy).content.decode()
    never = {"org": cast.org["B1"].pk, "since": today, "until": today}
    assert "该时段没有受理工单" not in client.get("/consult/stats/", never).content.decode()
