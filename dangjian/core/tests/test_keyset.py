"""Lists whose offsets grow (members, meetings) page by cursor as well as by offset, and
count at most COUNT_CAP rows (core.apitools.KeysetPaging, core.pages.CappedPaginator)."""

import datetime as dt

import pytest

from dangjian.core import pages, scope
from dangjian.core.calendar import TZ
from dangjian.core.models import AuditEntry
from dangjian.orglife.models import Meeting
from tests.access.lists import api_ids, cursor_ids

MEETINGS = "/api/v1/orglife/meetings"


@pytest.fixture
def meetings(cast):
    """Seven meetings, three of them starting at the same moment (ties broken by id)."""
    same = dt.datetime(2026, 11, 5, 9, tzinfo=TZ)
    starts = [same, same, same] + [same + dt.timedelta(days=d) for d in (-3, -1, 2, 9)]
    for i, start in enumerate(starts):
        Meeting.objects.create(
            branch=cast.org["B1" if i % 2 else "B3"],
            kind="theme_day",
            topic=f"会议{i}",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
        )
    return Meeting.objects.order_by("-starts_at", "-id")


@pytest.mark.parametrize("small", [True, False])
@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_the_cursor_walk_is_the_offset_walk(
    client, cast, bearer, meetings, limit, small, monkeypatch
):
    """Read in the index's order (a province) or sorted after narrowing (a county: here
    every subtree counts as small unless the threshold is 0), the walks are the same."""
    monkeypatch.setattr(scope, "SMALL_SUBTREE", scope.SMALL_SUBTREE if small else 0)
    headers = bearer(cast.user["root"])
    expected = list(meetings.values_list("pk", flat=True))
    assert cursor_ids(client, MEETINGS, headers, limit=limit) == expected
    ids, counts = api_ids(client, MEETINGS, headers, limit=limit)  # both walks, compared
    assert ids == expected and counts == {len(expected)}


def test_the_cursor_keeps_the_filters(client, cast, bearer, meetings):
    headers = bearer(cast.user["root"])
    expected = list(meetings.filter(branch=cast.org["B1"]).values_list("pk", flat=True))
    params = {"org": cast.org["B1"].pk}
    assert cursor_ids(client, MEETINGS, headers, params, limit=2) == expected


def test_the_last_page_has_no_cursor(client, cast, bearer, meetings):
    body = client.get(MEETINGS, {"limit": 7}, **bearer(cast.user["root"])).json()
    assert len(body["items"]) == 7 and body["next_cursor"] is None
    body = client.get(MEETINGS, {"limit": 6}, **bearer(cast.user["root"])).json()
    assert body["next_cursor"] is not None


@pytest.mark.parametrize("cursor", ["x", "bm90IGpzb24", "WzEsMl0", "WyJub3QgYSBkYXRlIiwxXQ", "e30"])
def test_a_cursor_that_is_not_ours_is_a_422(client, cast, bearer, meetings, cursor):
    response = client.get(MEETINGS, {"cursor": cursor}, **bearer(cast.user["root"]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_cursor_and_offset_together_is_a_422(client, cast, bearer, meetings):
    headers = bearer(cast.user["root"])
    cursor = client.get(MEETINGS, {"limit": 2}, **headers).json()["next_cursor"]
    response = client.get(MEETINGS, {"cursor": cursor, "offset": 2}, **headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_a_cursor_shows_nothing_out_of_scope(client, cast, bearer, meetings):
    """A cursor is only a position: the next page is still the caller's own scope."""
    root_cursor = client.get(MEETINGS, {"limit": 1}, **bearer(cast.user["root"])).json()
    headers = bearer(cast.user["branch_admin"])
    body = client.get(MEETINGS, {"cursor": root_cursor["next_cursor"]}, **headers).json()
    visible = set(Meeting.objects.filter(branch=cast.org["B1"]).values_list("pk", flat=True))
    assert {item["id"] for item in body["items"]} <= visible


def test_a_long_list_counts_up_to_the_cap(client, cast, bearer, meetings, monkeypatch, login):
    monkeypatch.setattr(pages, "COUNT_CAP", 5)
    body = client.get(MEETINGS, {"limit": 2}, **bearer(cast.user["root"])).json()
    assert (body["count"], body["count_capped"]) == (5, True)
    body = client.get(MEETINGS, {"org": cast.org["B1"].pk}, **bearer(cast.user["root"])).json()
    assert (body["count"], body["count_capped"]) == (3, False)
    login(cast.user["root"])
    html = client.get("/orglife/").content.decode()
    assert "共 5+ 次会议" in html


def test_a_member_page_by_cursor_is_a_bulk_read(client, cast, bearer):
    headers = bearer(cast.user["province_admin"])
    first = client.get("/api/v1/members", {"limit": 2}, **headers).json()
    assert not AuditEntry.objects.filter(action="member.bulk_read").exists()
    page = client.get("/api/v1/members", {"limit": 2, "cursor": first["next_cursor"]}, **headers)
    assert page.status_code == 200 and len(page.json()["items"]) == 2
    entry = AuditEntry.objects.get(action="member.bulk_read")
    assert entry.after["first"] is None and entry.after["count"] == 2


def test_members_walk_by_cursor_in_the_list_order(client, cast, bearer):
    from dangjian.members.models import Member

    expected = list(Member.objects.order_by("branch_id", "name", "id").values_list("pk", flat=True))
    assert cursor_ids(client, "/api/v1/members", bearer(cast.user["root"]), limit=3) == expected
