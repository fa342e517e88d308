import pytest
from django.contrib import admin
from django.urls import reverse

from dangjian.accounts.models import RoleAssignment
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Role

pytestmark = pytest.mark.django_db


def test_every_registered_model_lists_for_the_superuser(login, cast):
    client = login(cast.user["root"])
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_admin_is_for_superusers_only(login, cast):
    response = login(cast.user["province_admin"]).get(reverse("admin:index"))
    assert response.status_code == 302


def test_member_admin_shows_masked_values_only(login, cast):
    member = cast.member["B1m1"]
    client = login(cast.user["root"])
    for url in (
        reverse("admin:members_member_changelist"),
        reverse("admin:members_member_change", args=[member.pk]),
    ):
        html = client.get(url).content.decode()
        assert member.id_number_masked in html
        assert member.id_number not in html and member.phone not in html
        assert "v1:" not in html  # no ciphertext either


def test_member_admin_is_read_only(login, cast):
    client = login(cast.user["root"])
    assert client.get(reverse("admin:members_member_add")).status_code == 403


def test_role_grant_in_admin_goes_through_the_service(login, cast):
    client = login(cast.user["root"])
    before = AuditEntry.objects.count()
    response = client.post(
        reverse("admin:accounts_roleassignment_add"),
        {"user": cast.user["outsider"].pk, "org": cast.org["B2"].pk, "role": Role.MEMBER},
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=cast.user["outsider"], org=cast.org["B2"]).exists()
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("id").action == "role.grant"
