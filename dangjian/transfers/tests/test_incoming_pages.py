"""组织关系转入 through the API (field-level 422s, the flow to the 回执) and the pages (the
form, an expired letter refused on its field, the buttons, the returning member)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.periods import cn_day
from dangjian.orgs.models import Organisation
from dangjian.transfers import rules, services, views_incoming
from dangjian.transfers.models import IncomingTransfer
from dangjian.transfers.tests.helpers import letter_fields, register_in
from tests.kit import login_verified

pytestmark = pytest.mark.django_db
API = "/api/v1/transfers/incoming"


def _body(cast, branch="B1", **kw) -> dict:
    fields = letter_fields(**kw)
    body = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in fields.items()}
    return {**body, "to_org_id": cast.org[branch].pk}


def test_the_api_refuses_field_by_field(client, cast, bearer):
    today = timezone.localdate()
    late = today - dt.timedelta(days=1)
    response = client.post(
        API,
        _body(cast, letter_valid_until=late, id_number=cast.member["B2m1"].id_number),
        content_type="application/json",
        **bearer(cast.user["branch_admin"]),
    )
    assert response.status_code == 422
    detail = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert detail == {
        ("body", "reported_on"): rules.MSG_IN_EXPIRED.format(until=cn_day(late)),
        ("body", "id_number"): services.MSG_ALREADY_MEMBER,
    }
    elsewhere = client.post(
        API, _body(cast, "B3"), content_type="application/json", **bearer(cast.user["branch_admin"])
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["detail"][0]["loc"] == ["body", "to_org_id"]


def test_an_arrival_through_the_api(client, cast, bearer):
    created = client.post(
        API, _body(cast), content_type="application/json", **bearer(cast.user["branch_admin"])
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert [s["org_name"] for s in body["steps"]] == [cast.org[k].name for k in ("K1", "T1", "B1")]
    assert body["id_number_masked"] != letter_fields()["id_number"]
    url = f"{API}/{body['id']}"
    for key in ("county_admin", "committee_admin", "branch_admin"):
        ok = client.post(
            f"{url}/approve", {}, content_type="application/json", **bearer(cast.user[key])
        )
        assert ok.status_code == 200, ok.content
    assert ok.json()["status"] == "accepted" and ok.json()["member_id"]
    pdf = client.get(f"{url}/receipt", **bearer(cast.user["branch_admin"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    listed = client.get(API, **bearer(cast.user["county_admin"])).json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    hidden = client.get(url, **bearer(cast.user["sibling_county_admin"]))
    assert hidden.status_code == 404


def test_the_receipt_waits_for_acceptance(client, cast, bearer):
    incoming = register_in(cast)
    response = client.get(f"{API}/{incoming.pk}/receipt", **bearer(cast.user["branch_admin"]))
    assert response.status_code == 404


def _form(cast, **kw) -> dict:
    fields = _body(cast, **kw)
    fields.pop("to_org_id")
    fields["to_branch_code"] = cast.org["B1"].code
    fields["dues_paid_until"] = fields["dues_paid_until"][:7]
    return fields


def test_the_branch_registers_a_letter_on_the_page(client, cast):
    login_verified(client, cast.user["branch_admin"])
    page = client.get(reverse("transfers:incoming_new"))
    assert page.status_code == 200
    assert cast.org["B1"].code in page.content.decode()  # its only branch, filled in
    late = timezone.localdate() - dt.timedelta(days=1)
    refused = client.post(reverse("transfers:incoming_new"), _form(cast, letter_valid_until=late))
    assert refused.status_code == 200
    assert rules.MSG_IN_EXPIRED.format(until=cn_day(late)) in refused.content.decode()
    response = client.post(reverse("transfers:incoming_new"), _form(cast))
    incoming = IncomingTransfer.objects.get()
    assert response["Location"] == reverse("transfers:incoming_detail", args=[incoming.pk])
    assert incoming.registered_by == cast.user["branch_admin"]
    assert incoming.dues_paid_until == timezone.localdate().replace(day=1)


def test_a_user_without_the_right_cannot_open_the_form(client, cast):
    login_verified(client, cast.user["county_leader"])
    assert client.get(reverse("transfers:incoming_new")).status_code == 403


def test_the_buttons_follow_the_step(client, cast):
    incoming = register_in(cast)
    url = reverse("transfers:incoming_detail", args=[incoming.pk])
    login_verified(client, cast.user["branch_admin"])
    assert "不予接收的理由" not in client.get(url).content.decode()  # K1's step first
    client.logout()
    login_verified(client, cast.user["county_admin"])
    page = client.get(url).content.decode()
    assert "不予接收的理由" in page and 'id="returning"' not in page
    client.post(reverse("transfers:incoming_approve", args=[incoming.pk]), {"note": ""})
    incoming.refresh_from_db()
    assert incoming.steps_done == 1
    listed = client.get(reverse("transfers:incoming_list")).content.decode()
    assert f'data-incoming="{incoming.pk}"' in listed


def test_a_county_clerk_names_the_branch_as_the_letter_does(client, cast):
    login_verified(client, cast.user["county_admin"])
    url = reverse("transfers:incoming_new")
    by_name = {**_form(cast), "to_branch_code": f" {cast.org['B2'].name} "}
    client.post(url, by_name)
    assert IncomingTransfer.objects.get().to_branch == cast.org["B2"]
    unknown = client.post(url, {**_form(cast), "to_branch_code": "华山社区第九党支部"})
    assert views_incoming.MSG_UNKNOWN_BRANCH in unknown.content.decode()
    outside = client.post(url, {**_form(cast), "to_branch_code": cast.org["B3"].name})
    assert views_incoming.MSG_UNKNOWN_BRANCH in outside.content.decode()  # not in K1


def test_two_branches_of_one_name_need_the_code(client, cast):
    Organisation.objects.filter(pk=cast.org["B2"].pk).update(name=cast.org["B1"].name)
    login_verified(client, cast.user["county_admin"])
    url = reverse("transfers:incoming_new")
    shared = client.post(url, {**_form(cast), "to_branch_code": cast.org["B1"].name})
    assert views_incoming.MSG_SAME_NAME in shared.content.decode()
    assert not IncomingTransfer.objects.exists()
    client.post(url, {**_form(cast), "to_branch_code": cast.org["B2"].code})
    assert IncomingTransfer.objects.get().to_branch == cast.org["B2"]


def test_an_empty_filter_reads_all(client, cast):
    login_verified(client, cast.user["county_admin"])
    listed = client.get(reverse("transfers:incoming_list")).content.decode()
    assert '<option value="" selected>全部</option>' in listed and "---------" not in listed
