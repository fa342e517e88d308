"""The transfer pages: applying on a member's behalf, the refusals shown as messages, and
the buttons each user is shown."""

import pytest
from django.urls import reverse

from dangjian.transfers import workflow
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.helpers import apply
from tests.kit import login_verified

pytestmark = pytest.mark.django_db


def test_the_branch_applies_on_a_members_behalf(client, cast):
    login_verified(client, cast.user["branch_admin"])
    url = reverse("transfers:apply_for", args=[cast.member["B1m2"].pk])
    page = client.get(url, {"q": "拓东"})
    assert cast.org["B3"].name in page.content.decode()
    response = client.post(f"{url}?q=拓东", {"to_org": cast.org["B3"].pk, "reason": "工作调动"})
    transfer = Transfer.objects.get(member=cast.member["B1m2"])
    assert response.status_code == 302
    assert response["Location"] == reverse("transfers:detail", args=[transfer.pk])
    assert transfer.applied_by == cast.user["branch_admin"]


def test_a_refused_application_stays_on_the_form(client, cast):
    login_verified(client, cast.user["member"])
    response = client.post(reverse("transfers:apply"), {"reason": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"reason"}
    assert not Transfer.objects.exists()
    response = client.post(reverse("transfers:apply"), {"reason": "迁居"})
    assert "请选择接收党支部，或填写平台外的接收组织" in response.content.decode()


def test_a_user_without_a_member_record_is_told_how_to_apply(client, cast):
    login_verified(client, cast.user["county_admin"])
    response = client.get(reverse("transfers:apply"))
    assert "请联系所在党支部代为申请" in response.content.decode()


def test_only_the_current_approver_sees_the_buttons_and_others_are_told(client, cast):
    t = apply(cast, "B1m2", "B2")
    url = reverse("transfers:detail", args=[t.pk])
    login_verified(client, cast.user["committee_admin"])
    assert "同意</button>" not in client.get(url).content.decode()
    response = client.post(reverse("transfers:approve", args=[t.pk]), {"note": ""}, follow=True)
    assert workflow.MSG_NOT_APPROVER.format(org=cast.org["B1"].name) in response.content.decode()
    login_verified(client, cast.user["branch_admin"])
    html = client.get(url).content.decode()
    assert "同意</button>" in html and "撤回申请" in html and "退回</button>" in html
