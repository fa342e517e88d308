"""家庭住址: a third sensitive field — encrypted, masked, revealed with an audit entry."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import Member

ADDRESS = "云南省昆明市五华区华山南路100号3栋2单元"
MASKED = "云南省昆明市***"


def _with_address(cast, key="B1m2"):
    return services.member_update(
        acting_user=cast.user["root"], member=cast.member[key], address=ADDRESS
    )


def test_update_stores_it_and_the_audit_entry_holds_it_masked(cast):
    member = _with_address(cast)
    assert Member.objects.get(pk=member.pk).address == ADDRESS
    assert member.address_masked == MASKED
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "member.update"
    assert entry.after["address"] == MASKED and entry.before["address"] == ""
    assert "华山南路" not in str(entry.before) + str(entry.after)


def test_too_long_an_address_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        services.member_update(
            acting_user=cast.user["root"], member=cast.member["B1m2"], address="路" * 201
        )
    assert exc.value.message_dict == {"address": [services.MSG_ADDRESS_LONG]}


def test_reveal_returns_it_with_the_numbers(cast):
    member = _with_address(cast)
    values = services.member_reveal(acting_user=cast.user["branch_admin"], member=member)
    assert values["address"] == ADDRESS
    assert AuditEntry.objects.latest("id").action == "member.reveal"


def test_api_shows_it_masked_and_writes_it(client, cast, bearer):
    member = _with_address(cast)
    headers = bearer(cast.user["branch_admin"])
    body = client.get(f"/api/v1/members/{member.pk}", **headers).json()
    assert body["address_masked"] == MASKED
    assert ADDRESS not in str(body)
    response = client.patch(
        f"/api/v1/members/{member.pk}",
        data={"address": "云南省大理白族自治州大理市"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    assert response.json()["address_masked"] == "云南省大理白***"
    assert Member.objects.get(pk=member.pk).address == "云南省大理白族自治州大理市"
    revealed = client.post(f"/api/v1/members/{member.pk}/reveal", **headers).json()
    assert revealed["address"] == "云南省大理白族自治州大理市"
    client.patch(
        f"/api/v1/members/{member.pk}",
        data={"address": ""},
        content_type="application/json",
        **headers,
    )
    assert Member.objects.get(pk=member.pk).address == ""


def test_detail_page_masks_it_and_the_edit_form_never_prefills_it(login, cast):
    member = _with_address(cast)
    client = login(cast.user["branch_admin"])
    html = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert MASKED in html and ADDRESS not in html
    form = client.get(reverse("members:edit", args=[member.pk])).content.decode()
    assert f"当前：{MASKED}" in form and ADDRESS not in form
