"""The home page: what each user sees of their scope, without leaking counts."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_shows_the_county_admins_scope(cast, login):
    page = login(cast.user["county_admin"]).get(reverse("home")).content.decode()
    # K1's subtree: K1, T1, B1, G1, B2 and the four members of B1 and B2.
    assert "<b>5</b>个党组织" in page and "<b>4</b>名党员" in page


def test_it_hides_member_counts_from_a_handler(cast, login):
    page = login(cast.user["handler"]).get(reverse("home")).content.decode()
    assert "个党组织" in page and "名党员" not in page


def test_it_needs_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
