"""A multipart request without a boundary is the client's error: 400, never 500.

Issue 10: ``Content-Type: multipart/form-data`` with a plain body made every upload
endpoint answer 500 with a traceback (ninja's catch-all, under DEBUG). The operations
come from the OpenAPI schema, so an upload endpoint added later is covered too; the
pages with an upload form answer a Chinese 400 page.
"""

import pytest
from django.test import override_settings

from dangjian.core.apitools import MSG_BAD_MULTIPART
from tests.security.apischema import operations


def _schema():
    import django

    django.setup()
    from dangjian.api import api

    return api.get_openapi_schema()


SCHEMA = _schema()
UPLOADS = [op for op in operations(SCHEMA) if op.body_content_type == "multipart/form-data"]
PAGES = [
    "/consult/kb/import/",
    "/dues/bases/import/",
    "/members/{member}/photo/upload/",
    "/members/{member}/edit/",
    "/orglife/meetings/{meeting}/photos/",
]
BODIES = [b"file=plain text, no parts", b"--x\r\nContent-Disposition: form-data\r\n\r\n"]


def test_every_upload_endpoint_is_found():
    """Guard for the generator: the three known upload APIs are among the operations."""
    paths = {op.path for op in UPLOADS}
    assert {"/api/v1/members/{member_id}/photo", "/api/v1/consult/kb/import"} <= paths
    assert any("meetings" in p and "photos" in p for p in paths)


def _url(path: str, ids: dict) -> str:
    return path.format(
        **{name: ids.get(name, 1) for name in ("member_id", "meeting_id", "applicant_id")}
    )


@pytest.mark.parametrize("op", UPLOADS, ids=lambda op: op.id)
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_boundaryless_multipart_is_a_400_in_the_api_format(cast, client, bearer, op, debug):
    ids = {"member_id": cast.member["B1m1"].pk}
    with override_settings(DEBUG=debug):
        for body in BODIES:
            response = getattr(client, op.method)(
                _url(op.path, ids),
                data=body,
                content_type="multipart/form-data",
                **bearer(cast.user["province_admin"]),
            )
            assert response.status_code == 400, (op.id, response.content[:300])
            assert response.json() == {"detail": MSG_BAD_MULTIPART}


@pytest.mark.parametrize("op", UPLOADS, ids=lambda op: op.id)
def test_session_callers_get_the_same_400(cast, client, login, op):
    """Session auth checks CSRF by reading the form first: still a 400, not a 500."""
    login(cast.user["province_admin"])
    client.raise_request_exception = False
    response = getattr(client, op.method)(
        _url(op.path, {"member_id": cast.member["B1m1"].pk}),
        data=BODIES[0],
        content_type="multipart/form-data",
    )
    assert response.status_code == 400, response.content[:300]
    assert "detail" in response.json()


@pytest.mark.parametrize("page", PAGES)
def test_upload_pages_answer_a_chinese_400_page(cast, client, login, page):
    import datetime as dt

    from dangjian.core.calendar import TZ
    from dangjian.orglife import services

    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
    meeting = services.meeting_create(
        acting_user=cast.user["branch_admin"],
        org=cast.org["B1"],
        kind="theme_day",
        topic="主题党日",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        place="党群服务中心",
    )
    url = page.format(member=cast.member["B1m1"].pk, meeting=meeting.pk)
    login(cast.user["province_admin"])
    client.raise_request_exception = False
    response = client.post(url, data=BODIES[0], content_type="multipart/form-data")
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
