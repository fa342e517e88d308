"""The desk's smaller stores: the hotline menu (staff read it, admins edit it) and the
问题优化清单 (one's own items; an admin's subtree), through the pages and the API."""

import json

from dangjian.desk.models import PlatformFeedback
from dangjian.desk.services import ivr
from dangjian.knowledge.services import daily as daily_services
from dangjian.knowledge.tests.kb_helpers import make_base


def post(client, url, body, headers=None):
    return client.post(url, json.dumps(body), content_type="application/json", **(headers or {}))


def test_daily_archive_ivr_and_platform_feedback(cast, client, bearer):
    import datetime as dt

    make_base(cast.org["P"])
    daily_services.daily_pick(day=dt.date(2026, 11, 1))
    member = bearer(cast.user["member"])
    daily = client.get("/api/v1/consult/daily", **member).json()
    assert daily["count"] == 1 and daily["items"][0]["day"] == "2026-11-01"
    assert client.get("/api/v1/consult/ivr", **bearer(cast.user["agent"])).json() == []
    ivr.ivr_menu_replace(
        acting_user=cast.user["root"],
        org=cast.org["P"],
        options=[{"key": "1", "label": "入党咨询", "queue": "发展党员"}],
    )
    assert client.get("/api/v1/consult/ivr", **member).status_code == 403
    menu = client.get("/api/v1/consult/ivr", **bearer(cast.user["agent"])).json()
    assert [(o["key"], o["label"]) for o in menu] == [("1", "入党咨询")]
    created = post(
        client,
        "/api/v1/consult/platform-feedback",
        {"kind": "problem", "text": "签到按钮太小了。"},
        member,
    )
    assert created.status_code == 201 and created.json()["status"] == "received"
    short = post(
        client, "/api/v1/consult/platform-feedback", {"kind": "problem", "text": "小"}, member
    )
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "text"]
    listed = client.get("/api/v1/consult/platform-feedback", **bearer(cast.user["county_admin"]))
    assert listed.json()["count"] == 1
    outside = client.get(
        "/api/v1/consult/platform-feedback", **bearer(cast.user["sibling_county_admin"])
    )
    assert outside.json()["count"] == 0


def test_hotline_script_for_staff_and_menu_edit_for_admins(cast, client, login):
    login(cast.user["province_admin"])
    response = client.post(
        "/consult/hotline/edit/", {"menu": "1 | 入党咨询 | 发展党员 | 入党\n0 | 人工服务 | 综合"}
    )
    assert response.status_code == 302
    bad = client.post("/consult/hotline/edit/", {"menu": "1 | 甲 | 乙\n1 | 丙 | 丁"})
    assert "第2行" in bad.content.decode()
    login(cast.user["agent"])
    text = client.get("/consult/hotline/").content.decode()
    assert "入党咨询" in text and "人工服务" in text
    assert client.get("/consult/hotline/edit/").status_code == 403
    login(cast.user["member"])
    assert client.get("/consult/hotline/").status_code == 403


def test_platform_feedback_from_member_to_admin(cast, client, login):
    login(cast.user["member"])
    client.post("/consult/feedback/", {"kind": "suggestion", "text": "希望增加夜间模式。"})
    item = PlatformFeedback.objects.get()
    assert item.org == cast.org["B1"]
    assert client.get("/consult/feedback/manage/").status_code == 403
    login(cast.user["sibling_county_admin"])
    assert "夜间模式" not in client.get("/consult/feedback/manage/").content.decode()
    url = f"/consult/feedback/{item.pk}/status/"
    assert client.post(url, {"status": "accepted"}).status_code == 404
    login(cast.user["county_admin"])
    assert "夜间模式" in client.get("/consult/feedback/manage/").content.decode()
    client.post(url, {"status": "done", "reply": "已上线"})
    item.refresh_from_db()
    assert (item.status, item.reply) == ("done", "已上线")
