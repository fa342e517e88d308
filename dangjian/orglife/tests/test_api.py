"""The orglife API: planning with field-level errors, check-in by token and location,
votes, compliance, and the demo seeder (the access matrix: orglife/tests/access.py)."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.orglife import checkin, services
from dangjian.orglife.models import Attendance, Meeting

pytestmark = pytest.mark.django_db
API = "/api/v1/orglife"


def _post(client, url, data, headers):
    return client.post(url, data=data, content_type="application/json", **headers)


def _plan(cast, start=None, **extra):
    start = start or timezone.now() + dt.timedelta(minutes=10)
    return services.meeting_create(
        acting_user=cast.user["root"],
        org=cast.org["B1"],
        kind="theme_day",
        topic="主题党日",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        **extra,
    )


def test_create_returns_the_meeting_with_its_roster(client, cast, bearer):
    start = timezone.now() + dt.timedelta(days=2)
    payload = {
        "org_id": cast.org["B1"].pk,
        "kind": "theme_day",
        "topic": "重温入党誓词",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "host_id": cast.member["B1m1"].pk,
    }
    response = _post(client, f"{API}/meetings", payload, bearer(cast.user["branch_admin"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"]["expected"] == 2 and body["host"]["name"] == cast.member["B1m1"].name
    assert body["can_change"] is True and body["kind_label"] == "主题党日"


def test_rule_errors_name_the_api_field(client, cast, bearer):
    start = timezone.now() + dt.timedelta(days=2)
    payload = {
        "org_id": cast.org["B1"].pk,
        "kind": "theme_day",
        "topic": "主题",
        "starts_at": start.isoformat(),
        "ends_at": (start - dt.timedelta(hours=1)).isoformat(),
        "host_id": cast.member["B2m1"].pk,
    }
    response = _post(client, f"{API}/meetings", payload, bearer(cast.user["committee_admin"]))
    assert response.status_code == 422
    locs = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert locs[("body", "ends_at")] == services.MSG_ENDS
    assert locs[("body", "host_id")] == services.MSG_NOT_ON_ROSTER.format(role="主持人")
    assert not Meeting.objects.exists()


def test_checkin_by_token_is_idempotent_and_forged_is_refused(client, cast, bearer):
    meeting = _plan(cast)
    headers = bearer(cast.user["member"])
    url = f"{API}/meetings/{meeting.pk}/checkin"
    forged = _post(client, url, {"token": "x:y:z"}, headers)
    assert forged.status_code == 422
    assert forged.json()["detail"][0] == {
        "loc": ["body", "token"],
        "msg": checkin.MSG_TOKEN_FORGED,
        "type": "rule",
    }
    token = checkin.qr_token_for(meeting)
    first = _post(client, url, {"token": token}, headers).json()
    second = _post(client, url, {"token": token}, headers).json()
    assert first["status"] == "present" and first["checked_in_at"] == second["checked_in_at"]


def test_checkin_needs_exactly_one_way(client, cast, bearer):
    meeting = _plan(cast, latitude=25.04, longitude=102.71)
    headers = bearer(cast.user["member"])
    url = f"{API}/meetings/{meeting.pk}/checkin"
    for body in ({}, {"token": "t", "lat": 1, "lng": 1}, {"lat": 25.04}):
        response = _post(client, url, body, headers)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body"]
    far = _post(client, url, {"lat": 25.06, "lng": 102.71}, headers)
    assert far.status_code == 422 and "超出签到范围" in far.json()["detail"][0]["msg"]
    assert far.json()["detail"][0]["loc"] == ["body", "lat"]


def test_qr_endpoint_gives_a_url_that_checks_in(client, cast, bearer):
    meeting = _plan(cast)
    qr = client.get(f"{API}/meetings/{meeting.pk}/qr", **bearer(cast.user["branch_admin"])).json()
    assert qr["valid_for"] == checkin.VALID_SECONDS and 0 < qr["refresh_in"] <= 30
    assert f"/orglife/meetings/{meeting.pk}/checkin/?t=" in qr["url"]


def test_vote_once_and_tally(client, cast, bearer):
    meeting = _plan(cast)
    resolution = services.resolution_add(
        acting_user=cast.user["root"], meeting=meeting, title="事项"
    )
    headers = bearer(cast.user["member"])
    url = f"{API}/meetings/{meeting.pk}/vote"
    body = _post(client, url, {"resolution_id": resolution.pk, "choice": "for"}, headers).json()
    assert body["votes_for"] == 1 and body["my_vote"] == "for"
    again = _post(client, url, {"resolution_id": resolution.pk, "choice": "for"}, headers)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == [
        "body",
        "resolution_id",
    ]


def test_compliance_period_validation(client, cast, bearer):
    headers = bearer(cast.user["county_admin"])
    bad = client.get(f"{API}/compliance", {"period": "2026-13"}, **headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "period"]
    good = client.get(f"{API}/compliance", {"period": "2026Q3"}, **headers).json()
    assert good["org_id"] == cast.org["K1"].pk and good["total"]["branches"] == 2
    assert {row["org_id"] for row in good["rows"]} == {cast.org["T1"].pk}


def test_compliance_defaults_to_the_last_complete_month(client, cast, bearer):
    import datetime as dt

    from django.utils import timezone

    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    answer = client.get(f"{API}/compliance", **bearer(cast.user["county_admin"])).json()
    assert answer["period"] == f"{last:%Y-%m}"


def test_demo_seed_is_idempotent(cast):
    from dangjian.orglife import demo

    demo.seed(root_user=cast.user["root"], seed=7, progress=lambda _msg: None)
    count = Meeting.objects.count()
    assert count > 4 * 20 and Meeting.objects.filter(status="held").exists()
    assert Attendance.objects.filter(status="present").exists()
    demo.seed(root_user=cast.user["root"], seed=7, progress=lambda _msg: None)
    assert Meeting.objects.count() == count


def test_demo_seed_runs_the_theme_day_job_for_the_last_demo_month(cast):
    """Every branch without a 主题党日 held in 2026-10 is warned by the job's own rule."""
    from dangjian.core.models import JobRun, Warning
    from dangjian.orglife import demo

    demo.seed(root_user=cast.user["root"], seed=7, progress=lambda _msg: None)
    assert JobRun.objects.filter(name="orglife.theme_day_warnings", status="done").exists()
    held = set(
        Meeting.objects.filter(
            kind="theme_day", status="held", starts_at__year=2026, starts_at__month=10
        ).values_list("branch_id", flat=True)
    )
    warned = set(
        Warning.objects.filter(kind="orglife.theme_day_missing", period="2026-10").values_list(
            "org_id", flat=True
        )
    )
    branches = {cast.org[k].pk for k in ("B1", "B2", "B3", "B4")}
    assert warned == branches - held
