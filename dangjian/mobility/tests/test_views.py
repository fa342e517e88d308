"""The mobility pages and lists as users meet them: each side's list is exactly its
scope, the member's tab opens their card, the public verification page needs no login."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dangjian.mobility import cards, rules, services

pytestmark = pytest.mark.django_db


def _register(cast, member="B1m1", host="B3"):
    today = timezone.localdate()
    return services.registration_create(
        acting_user=cast.user["root"],
        member=cast.member[member],
        reason="外出务工",
        away_since=today - dt.timedelta(days=5),
        expected_until=rules.add_months(today, 9),
        host_code=cast.org[host].code,
    )


def _ids(response) -> set[int]:
    return {item["id"] for item in response.json()["items"]}


def test_each_side_lists_exactly_its_registrations(cast, client, bearer):
    own = _register(cast)
    hosted_in_k1 = _register(cast, member="B3m1", host="B2")
    elsewhere = _register(cast, member="B4m1", host="B3")
    expected = {
        "county_admin": {own.pk, hosted_in_k1.pk},
        "sibling_county_admin": {own.pk, hosted_in_k1.pk, elsewhere.pk},
        "examiner": {elsewhere.pk},
        "member": {own.pk},
        "handler": set(),
        "root": {own.pk, hosted_in_k1.pk, elsewhere.pk},
    }
    for key, ids in expected.items():
        response = client.get("/api/v1/mobility/registrations", **bearer(cast.user[key]))
        assert _ids(response) == ids, key
    host_side = client.get(
        "/api/v1/mobility/registrations?side=host", **bearer(cast.user["county_admin"])
    )
    assert _ids(host_side) == {hosted_in_k1.pk}


def test_lost_list_is_the_home_branches_only(cast, client, bearer):
    case = services.lost_mark(
        acting_user=cast.user["root"],
        member=cast.member["B3m2"],
        since=timezone.localdate(),
        circumstances="失联",
    )
    for key, ids in {
        "sibling_county_admin": {case.pk},
        "county_admin": set(),
        "member": set(),
    }.items():
        assert _ids(client.get("/api/v1/mobility/lost", **bearer(cast.user[key]))) == ids, key


def test_the_members_tab_opens_their_card(cast, client):
    own = _register(cast)
    client.force_login(cast.user["member"])
    response = client.get("/mobility/")
    assert response.status_code == 302 and response.url == f"/mobility/{own.pk}/card/"


def test_verification_is_public_and_a_forged_token_is_not_found(cast):
    registration = _register(cast)
    visitor = Client()
    response = visitor.get(cards.verify_path(registration))
    body = response.content.decode()
    assert response.status_code == 200
    assert "真实，有效" in body and cast.member["B1m1"].name in body
    assert cast.org["B1"].name in body and cast.org["B3"].name in body
    assert cast.member["B1m1"].id_number not in body and cast.member["B1m1"].phone not in body
    forged = visitor.get(f"/mobility/verify/{registration.pk}.abc:forged/")
    assert forged.status_code == 404 and "无法核验" in forged.content.decode()
