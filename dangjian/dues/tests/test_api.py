"""The dues lists through the API and pages: exactly one's own or one's scope; paying
online through the API and the pages."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.dues import services
from tests.kit import BRANCHES, login_verified

pytestmark = pytest.mark.django_db
THIS = timezone.localdate().replace(day=1)


@pytest.fixture
def billed(cast):
    for b in BRANCHES:
        services.base_set(
            acting_user=cast.user["root"],
            member=cast.member[f"{b}m1"],
            category="employed",
            effective_month=dt.date(2021, 1, 1),
            base_fen=300000,
        )
    services.bills_issue(month=THIS)
    return cast


def test_lists_are_exactly_the_scope(client, billed, bearer):
    cast = billed
    mine = client.get("/api/v1/dues/bills/mine", **bearer(cast.user["member"])).json()
    assert [b["member_id"] for b in mine["items"]] == [cast.member["B1m1"].pk]
    arrears = client.get("/api/v1/dues/arrears", **bearer(cast.user["county_admin"])).json()
    assert {b["member_id"] for b in arrears["items"]} == {
        cast.member["B1m1"].pk,
        cast.member["B2m1"].pk,
    }
    none = client.get("/api/v1/dues/arrears", **bearer(cast.user["member"])).json()
    assert none["count"] == 0
    scoped = client.get(
        f"/api/v1/dues/arrears?org_id={cast.org['B2'].pk}", **bearer(cast.user["county_admin"])
    ).json()
    assert {b["member_id"] for b in scoped["items"]} == {cast.member["B2m1"].pk}
    outside = client.get(
        f"/api/v1/dues/arrears?org_id={cast.org['B4'].pk}", **bearer(cast.user["county_admin"])
    )
    assert outside.status_code == 404


def test_member_pays_through_the_api_and_the_sandbox_page(client, billed, bearer):
    cast = billed
    response = client.post(
        "/api/v1/dues/pay",
        data={"months": [THIS.isoformat()]},
        content_type="application/json",
        **bearer(cast.user["member"]),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "15.00"
    login_verified(client, cast.user["member"])
    page = client.get(body["pay_url"])
    assert "15.00" in page.content.decode()
    done = client.post(body["pay_url"], {"ok": "1"})
    assert done.status_code == 302
    mine = client.get("/dues/").content.decode()
    assert "没有待缴的党费" in mine
    payments = client.get("/api/v1/dues/payments", **bearer(cast.user["member"])).json()
    assert payments["items"][0]["status"] == "paid"
    again = client.post(
        "/api/v1/dues/pay",
        data={"months": [THIS.isoformat()]},
        content_type="application/json",
        **bearer(cast.user["member"]),
    )
    assert again.status_code == 422


def test_arrears_page_lists_the_scope(client, billed):
    login_verified(client, billed.user["county_admin"])
    html = client.get("/dues/arrears/").content.decode()
    assert "共 2 笔未缴" in html
