"""Central acceptance over the API and the pages: the category list and its field-level
422s, offices kept by admins, one's office's requests, re-routing and merging."""

import pytest

from dangjian.core.apitools import MSG_NOT_VISIBLE
from dangjian.desk import rules
from dangjian.desk.models import Office, WorkOrder
from dangjian.desk.services import orders as services
from dangjian.desk.services import routing, workflow

API = "/api/v1/consult"


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def fields(response) -> dict:
    assert response.status_code == 422, response.content[:300]
    return {tuple(d["loc"]): d["msg"] for d in response.json()["detail"]}


@pytest.fixture
def office(cast):
    return routing.office_create(
        acting_user=cast.user["root"],
        org=cast.org["P"],
        name="组织二处",
        categories=["党费"],
        lead_name="李建国",
        liaison=cast.user["handler"],
    )


@pytest.fixture
def order(cast):
    """A member's question, at the province centre (the root answers for it here)."""
    return services.order_create(
        acting_user=cast.user["member"],
        source="web",
        summary="党费基数怎么核定？",
        category="党费",
        asker=cast.user["member"],
    )


def test_the_category_list(client, cast, bearer):
    listed = client.get(f"{API}/categories", **bearer(cast.user["member"])).json()
    assert [c["name"] for c in listed] == list(rules.categories())


def test_an_unknown_category_is_a_field_error_in_chinese(client, cast, bearer):
    agent = bearer(cast.user["agent"])
    call = {"phone": "13800000001", "summary": "退休党费", "category": "天气预报"}
    assert fields(post(client, f"{API}/orders/hotline", call, agent)) == {
        ("body", "category"): workflow.MSG_CATEGORY
    }
    message = {"summary": "党费怎么交", "category": "天气预报"}
    assert fields(post(client, f"{API}/orders", message, bearer(cast.user["member"]))) == {
        ("body", "category"): workflow.MSG_CATEGORY
    }
    assert not WorkOrder.objects.exists()


def test_admins_keep_offices(client, cast, bearer):
    admin = bearer(cast.user["county_admin"])
    body = {
        "org_id": cast.org["K1"].pk,
        "name": "组织股",
        "categories": ["党费", "组织关系转接"],
        "lead_name": "张三",
        "liaison_id": cast.user["handler"].pk,
        "liaison_phone": "13987650001",
    }
    created = post(client, f"{API}/offices", body, admin)
    assert created.status_code == 201, created.content
    made = created.json()
    assert made["liaison_id"] == cast.user["handler"].pk and made["liaison_name"] == "handler"
    again = post(client, f"{API}/offices", body, admin)
    assert fields(again) == {("body", "name"): routing.MSG_OFFICE_TAKEN}
    # an account outside the admin's organisations is not theirs to name
    outside = {**body, "name": "党员管理股", "lead_id": cast.user["province_admin"].pk}
    assert fields(post(client, f"{API}/offices", outside, admin)) == {
        ("body", "lead_id"): MSG_NOT_VISIBLE
    }
    agent = bearer(cast.user["agent"])
    refused = post(client, f"{API}/offices", {**body, "org_id": cast.org["C1"].pk}, agent)
    assert refused.status_code == 403
    url = f"{API}/offices/{made['id']}"
    patched = client.patch(
        url, {"liaison_id": None, "liaison_name": "王五"}, content_type="application/json", **admin
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["liaison_id"], patched.json()["liaison_name"]) == (None, "王五")
    unknown = client.patch(url, {"colour": "红"}, content_type="application/json", **admin)
    assert unknown.status_code == 422
    kept = client.patch(
        url, {"name": None, "active": None}, content_type="application/json", **admin
    )
    assert kept.status_code == 200 and (kept.json()["name"], kept.json()["active"]) == (
        "组织股",
        True,
    )


def test_the_office_list_is_the_scope_and_above(client, cast, bearer, office):
    k3 = Office.objects.create(org=cast.org["K3"], name="组织股", lead_name="甲", liaison_name="乙")
    listed = client.get(f"{API}/offices", **bearer(cast.user["county_admin"])).json()
    assert [o["id"] for o in listed["items"]] == [office.pk]
    everything = client.get(f"{API}/offices", **bearer(cast.user["province_admin"])).json()
    assert {o["id"] for o in everything["items"]} == {office.pk, k3.pk}


def test_the_liaison_lists_and_answers_their_office_requests(client, cast, bearer, office, order):
    services.order_claim(acting_user=cast.user["root"], order=order)
    (asked,) = services.order_coordinate(
        acting_user=cast.user["root"], order=order, offices=[office], question="请提供意见"
    )
    liaison = bearer(cast.user["handler"])
    listed = client.get(f"{API}/consultations", **liaison).json()["items"]
    assert [(c["id"], c["office_id"], c["answered_at"]) for c in listed] == [
        (asked.pk, office.pk, None)
    ]
    assert listed[0]["due"].endswith("+08:00")
    answered = post(client, f"{API}/coordinations/{asked.pk}/answer", {"answer": "同意"}, liaison)
    assert answered.status_code == 200 and answered.json()["office_id"] == office.pk


def test_coordinate_takes_office_ids_and_a_deadline(client, cast, bearer, office, order):
    root = bearer(cast.user["root"])
    post(client, f"{API}/orders/{order.pk}/claim", {}, root)
    url = f"{API}/orders/{order.pk}/coordinate"
    too_long = post(
        client, url, {"office_ids": [office.pk], "question": "请", "workdays": 11}, root
    )
    assert ("body", "workdays") in fields(too_long)
    done = post(client, url, {"office_ids": [office.pk], "question": "请", "workdays": 3}, root)
    assert done.status_code == 200, done.content
    (consultation,) = done.json()["coordinations"]
    assert consultation["office_id"] == office.pk and consultation["due"]


def test_reroute_and_merge_field_errors(client, cast, bearer, order):
    root = bearer(cast.user["root"])
    url = f"{API}/orders/{order.pk}/reroute"
    body = {"category": "天气", "org_id": cast.org["K1"].pk, "reason": "转办"}
    assert fields(post(client, url, body, root)) == {("body", "category"): workflow.MSG_CATEGORY}
    agent = bearer(cast.user["agent"])  # the city agent, on a call of its own desk
    call = services.hotline_log(
        acting_user=cast.user["agent"],
        caller_name="张先生",
        phone="13800000001",
        category="",
        summary="来电",
    )
    outside = {"category": "党费", "org_id": cast.org["K3"].pk, "reason": "转办"}
    assert fields(post(client, f"{API}/orders/{call.pk}/reroute", outside, agent)) == {
        ("body", "org_id"): MSG_NOT_VISIBLE
    }
    merge = f"{API}/orders/{call.pk}/merge"
    assert fields(post(client, merge, {"main_id": order.pk}, agent)) == {
        ("body", "main_id"): MSG_NOT_VISIBLE
    }
    assert fields(post(client, merge, {"main_id": call.pk}, agent)) == {
        ("body", "main_id"): routing.MSG_MERGE_SELF
    }
    moved = post(client, url, {**body, "category": "党费", "reason": "需县里核实"}, root)
    assert moved.status_code == 200 and moved.json()["org_id"] == cast.org["K1"].pk


# --- Pages


def test_the_hotline_form_offers_the_categories(client, cast, login):
    login(cast.user["agent"])
    page = client.get("/consult/console/hotline/").content.decode()
    assert '<select name="category"' in page and '<option value="党员教育">' in page
    refused = client.post(
        "/consult/console/hotline/",
        {"phone": "13800000001", "summary": "来电", "category": "天气预报", "priority": "normal"},
    )
    assert "天气预报" in refused.content.decode() and not WorkOrder.objects.exists()


def test_the_order_page_reroutes_and_merges(client, cast, login, office, order):
    login(cast.user["root"])
    duplicate = services.order_create(
        acting_user=cast.user["member"],
        source="web",
        summary="党费基数到底怎么定",
        category="党费",
        asker=cast.user["member"],
    )
    page = client.get(f"/consult/orders/{order.pk}/").content.decode()
    assert "重新分类 / 转办" in page and duplicate.number in page
    assert f'data-confirm="将工单 {duplicate.number} 作为重复件并入本工单？' in page
    merged = client.post(
        f"/consult/orders/{duplicate.pk}/merge/", {"main": order.number, "back": "main"}
    )
    assert merged["Location"] == f"/consult/orders/{order.pk}/"  # on with the kept order
    assert WorkOrder.objects.get(pk=duplicate.pk).merged_into == order
    again = client.post(
        f"/consult/orders/{duplicate.pk}/merge/", {"main": order.number, "back": "main"}
    )  # refused (merged already): back to the page the button was on
    assert again["Location"] == f"/consult/orders/{order.pk}/"
    unknown = client.post(f"/consult/orders/{order.pk}/merge/", {"main": "GD20200101999999"})
    assert unknown["Location"] == f"/consult/orders/{order.pk}/"
    assert WorkOrder.objects.get(pk=order.pk).is_open
    rerouted = client.post(
        f"/consult/orders/{order.pk}/reroute/",
        {"category": "党费", "org": cast.org["K1"].pk, "reason": "需县里核实"},
    )
    assert rerouted.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).org == cast.org["K1"]


def test_the_office_pages(client, cast, login, office):
    login(cast.user["province_admin"])
    listed = client.get("/consult/offices/").content.decode()
    assert "组织二处" in listed and "李建国" in listed and "新增业务处室" in listed
    created = client.post(
        "/consult/offices/new/",
        {
            "org": cast.org["P"].pk,
            "name": "党员教育中心",
            "categories": ["党员教育", "平台使用"],
            "lead_name": "赵明",
            "liaison_name": "杨帆",
            "liaison_phone": "0871-63900302",
            "active": "on",
        },
    )
    assert created.status_code == 302, created.content.decode()[-2000:]
    made = Office.objects.get(name="党员教育中心")
    assert made.categories == ["党员教育", "平台使用"] and made.liaison_phone == "087163900302"
    edit = f"/consult/offices/{made.pk}/edit/"
    assert client.get(edit).status_code == 200
    stopped = client.post(
        edit,
        {
            "name": "党员教育中心",
            "categories": ["党员教育", "平台使用"],
            "lead_name": "赵明",
            "liaison_name": "杨帆",
            "liaison_phone": "087163900302",
        },
    )
    assert stopped.status_code == 302 and not Office.objects.get(pk=made.pk).active
