"""The desk's smaller stores through the API: the hotline menu (staff only) and the
问题优化清单 (one's own items; an admin's subtree), beside 每日一答."""

import json

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
