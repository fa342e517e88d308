"""拿不走: bulk reads of member records (a large page, or paging through) are audited."""

import pytest
from django.test import override_settings
from django.urls import reverse

from dangjian.core.models import AuditEntry


def _bulk_reads():
    return list(AuditEntry.objects.filter(action="member.bulk_read").order_by("id"))


@pytest.fixture
def api(client, cast, bearer):
    headers = bearer(cast.user["county_admin"])  # sees the 4 members of B1 and B2

    def get(query: str):
        response = client.get(f"/api/v1/members?{query}", **headers)
        assert response.status_code == 200
        return response.json()

    return get


@override_settings(AUDIT_BULK_READ_ROWS=4)
def test_api_page_is_audited_from_the_threshold_on(api):
    assert len(api("limit=3")["items"]) == 3
    assert _bulk_reads() == []
    assert len(api("limit=4&status=full")["items"]) == 4
    (entry,) = _bulk_reads()
    assert entry.after == {"count": 4, "first": 0, "filters": {"status": "full"}, "channel": "api"}
    assert entry.actor.username == "county_admin"


@override_settings(AUDIT_BULK_READ_ROWS=100)
def test_api_paging_through_is_audited(api):
    api("limit=2")
    assert _bulk_reads() == []
    api("limit=2&offset=2")
    (entry,) = _bulk_reads()
    assert (entry.after["count"], entry.after["first"]) == (2, 2)


@override_settings(AUDIT_BULK_READ_ROWS=2)
def test_page_list_audits_like_the_api(cast, login):
    client = login(cast.user["branch_admin"])  # sees the 2 members of B1
    assert client.get(reverse("members:list"), {"gender": "F"}).status_code == 200
    assert _bulk_reads() == []
    assert client.get(reverse("members:list")).status_code == 200
    (entry,) = _bulk_reads()
    assert (entry.after["count"], entry.after["channel"]) == (2, "page")


def test_a_normal_first_page_writes_nothing(api):
    api("limit=20")
    assert _bulk_reads() == []
