"""任命/离任 pages: appoint a member of the subtree to a post, end a post."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Position


def _appoint(client, org, member, title="secretary", started_on="2024-01-01"):
    return client.post(
        reverse("orgs:position_add", args=[org.pk]),
        {"member": member.pk, "title": title, "started_on": started_on},
    )


def test_appoint_a_secretary_and_see_it_on_the_detail_page(cast, login):
    client = login(cast.user["branch_admin"])
    org, member = cast.org["B1"], cast.member["B1m2"]
    response = _appoint(client, org, member)
    assert response.status_code == 302
    page = client.get(reverse("orgs:detail", args=[org.pk])).content.decode()
    assert f"<dt>书记</dt><dd>{member.name}</dd>" in page
    assert AuditEntry.objects.latest("id").action == "position.assign"


def test_a_second_secretary_is_refused_with_the_rule(cast, login):
    client = login(cast.user["branch_admin"])
    _appoint(client, cast.org["B1"], cast.member["B1m1"])
    response = _appoint(client, cast.org["B1"], cast.member["B1m2"])
    assert response.status_code == 200
    assert services.MSG_SECRETARY_EXISTS in response.content.decode()
    assert Position.objects.filter(org=cast.org["B1"]).count() == 1


def test_candidates_come_from_the_subtree_only(cast, login):
    client = login(cast.user["county_admin"])
    page = client.get(reverse("orgs:position_add", args=[cast.org["B1"].pk])).content.decode()
    assert f"{cast.member['B1m1'].name}（{cast.org['B1'].name}）" in page
    assert cast.org["B2"].name not in page  # members are listed with their branch
    response = _appoint(client, cast.org["B1"], cast.member["B2m1"], title="organisation")
    assert "请选择列表中的党员" in response.content.decode()


def test_group_leader_candidates_are_the_groups_own(cast, login):
    client = login(cast.user["branch_admin"])
    page = client.get(reverse("orgs:position_add", args=[cast.org["G1"].pk])).content.decode()
    assert cast.member["B1m1"].name in page and cast.member["B1m2"].name not in page


def test_future_start_date_refused(cast, login):
    client = login(cast.user["branch_admin"])
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = _appoint(client, cast.org["B1"], cast.member["B1m1"], started_on=tomorrow)
    assert services.MSG_STARTED_FUTURE in response.content.decode()
    assert not Position.objects.exists()


def test_end_a_post(cast, login):
    client = login(cast.user["branch_admin"])
    _appoint(client, cast.org["B1"], cast.member["B1m1"])
    position = Position.objects.get()
    url = reverse("orgs:position_end", args=[cast.org["B1"].pk, position.pk])
    assert client.post(url, {"ended_on": "2023-12-31"}).status_code == 302
    position.refresh_from_db()
    assert position.ended_on is None  # before the start: refused, nothing changed
    assert client.post(url, {"ended_on": "2025-06-30"}).status_code == 302
    position.refresh_from_db()
    assert position.ended_on == dt.date(2025, 6, 30)
    assert client.post(url, {"ended_on": "2025-07-01"}).status_code == 404  # no longer current
