"""The transfer API's own answers: field-level 422s in Chinese, the destinations search,
and a transfer through the API from application to receipt."""

import pytest
from django.utils import timezone

from dangjian.transfers import workflow

pytestmark = pytest.mark.django_db


def test_destinations_are_active_branches_anywhere(client, cast, bearer):
    headers = bearer(cast.user["member"])
    names = {o["name"] for o in client.get("/api/v1/transfers/destinations", **headers).json()}
    assert names == {cast.org[k].name for k in ("B1", "B2", "B3", "B4")}
    found = client.get("/api/v1/transfers/destinations", {"q": "拓东"}, **headers).json()
    assert [o["id"] for o in found] == [cast.org["B3"].pk]


def test_a_refused_application_names_its_fields(client, cast, bearer):
    response = client.post(
        "/api/v1/transfers",
        {"member_id": cast.member["B1m1"].pk, "to_org_id": cast.org["T1"].pk, "reason": ""},
        content_type="application/json",
        **bearer(cast.user["member"]),
    )
    assert response.status_code == 422
    detail = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert detail == {
        ("body", "to_org_id"): "接收组织应为党支部",
        ("body", "reason"): "请填写转接原因",
    }


def test_a_transfer_through_the_api(client, cast, bearer):
    member = bearer(cast.user["member"])
    created = client.post(
        "/api/v1/transfers",
        {"member_id": cast.member["B1m1"].pk, "to_org_id": cast.org["B2"].pk, "reason": "迁居"},
        content_type="application/json",
        **member,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert [s["org_name"] for s in body["steps"]] == [cast.org[k].name for k in ("B1", "T1", "B2")]
    url = f"/api/v1/transfers/{body['id']}"
    wrong = client.post(
        f"{url}/approve",
        {},
        content_type="application/json",
        **bearer(cast.user["committee_admin"]),
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["msg"] == workflow.MSG_NOT_APPROVER.format(
        org=cast.org["B1"].name
    )
    for key in ("branch_admin", "committee_admin", "committee_admin"):
        ok = client.post(
            f"{url}/approve", {}, content_type="application/json", **bearer(cast.user[key])
        )
        assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "approved" and ok.json()["letter_valid_until"]
    late = client.post(f"{url}/withdraw", {}, content_type="application/json", **member)
    assert late.status_code == 422
    pdf = client.get(f"{url}/letter", **member)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    done = client.post(
        f"{url}/receipt",
        {"received_on": timezone.localdate().isoformat()},
        content_type="application/json",
        **bearer(cast.user["committee_admin"]),
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    seen = client.get(url, **member).json()  # the member follows every step
    assert [e["action"] for e in seen["history"]] == [
        "create",
        "approve",
        "approve",
        "approve_final",
        "receive",
    ]
