"""The API's one datetime policy: every moment is ISO 8601 in China time, "+08:00".

Checked on every datetime field of the OpenAPI schema that the responses below carry,
so a schema declaring a plain ``datetime`` (serialised in UTC) fails here.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from dangjian.core import notify
from dangjian.orglife import services

pytestmark = pytest.mark.django_db
CHINA = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


def _moments(value, key=""):
    """Every (field, value) in a JSON body whose field name says it is a moment."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _moments(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from _moments(inner, key)
    elif key.endswith("_at") and value is not None:
        yield key, value


@pytest.fixture
def rows(cast):
    start = timezone.now().replace(hour=1) + dt.timedelta(days=1)  # 01:00 UTC is 09:00 here
    meeting = services.meeting_create(
        acting_user=cast.user["root"],
        org=cast.org["B1"],
        kind="theme_day",
        topic="主题党日",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    notify.send([cast.user["member"]], kind="test", title="通知")
    return meeting


@pytest.mark.parametrize(
    "path",
    ["/api/v1/orglife/meetings", "/api/v1/orglife/meetings/{meeting}", "/api/v1/inbox"],
)
def test_every_moment_is_in_china_time(client, cast, bearer, rows, path):
    response = client.get(path.format(meeting=rows.pk), **bearer(cast.user["member"]))
    assert response.status_code == 200
    found = list(_moments(response.json()))
    assert found, "the response carries no moment to check"
    for field, value in found:
        assert CHINA.match(value), (field, value)
