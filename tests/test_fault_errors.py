"""Issue 19.5: outages answer 503 (Retry-After) or 507, in Chinese, as JSON or a page.

"The database is away" is simulated by a query wrapper that fails every query the way
psycopg does when the server is gone; "the disk is full" by the upload writer raising
ENOSPC. The real outages are injected by the fault suite (tests/faults/).
"""

import datetime as dt
import errno
import io
import json

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, OperationalError, connection
from kombu.exceptions import OperationalError as BrokerError
from PIL import Image
from psycopg_pool import PoolTimeout
from redis.exceptions import ConnectionError as RedisConnectionError

from dangjian.core import failures
from dangjian.orglife import services
from dangjian.orglife.models import MeetingPhoto

pytestmark = pytest.mark.django_db


def _wrapped(cause: BaseException) -> OperationalError:
    exc = OperationalError(str(cause))
    exc.__cause__ = cause
    return exc


def database_away(execute, sql, params, many, context):
    raise _wrapped(psycopg.OperationalError("connection failed: Connection refused"))


@pytest.mark.parametrize(
    ("exc", "status", "message", "retry_after"),
    [
        (_wrapped(psycopg.OperationalError("refused")), 503, failures.MSG_DATABASE, "5"),
        (_wrapped(PoolTimeout("couldn't get a connection")), 503, failures.MSG_DATABASE, "5"),
        (_wrapped(psycopg.errors.DeadlockDetected()), 503, failures.MSG_BUSY, "1"),
        (_wrapped(psycopg.errors.DiskFull()), 507, failures.MSG_STORAGE, None),
        (OSError(errno.ENOSPC, "No space left on device"), 507, failures.MSG_STORAGE, None),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), 507, failures.MSG_STORAGE, None),
        (RedisConnectionError("refused"), 503, failures.MSG_CACHE, "5"),
        (failures.CacheUnavailable(), 503, failures.MSG_CACHE, "5"),
        (BrokerError("refused"), 503, failures.MSG_BROKER, "5"),
    ],
)
def test_outages_are_classified(rf, exc, status, message, retry_after):
    failure = failures.classify(exc)
    assert (failure.status, failure.message) == (status, message)
    response = failures.respond(rf.get("/api/v1/orgs"), failure)
    assert response.status_code == status
    assert json.loads(response.content) == {"detail": message}
    assert response.get("Retry-After") == retry_after


@pytest.mark.parametrize(
    "exc",
    [IntegrityError("duplicate key"), ValueError("bug"), OSError(errno.EACCES, "denied"), None],
)
def test_bugs_stay_500s(exc):
    assert failures.classify(exc) is None


def test_an_outage_found_through_a_wrapping_exception():
    try:
        try:
            raise RedisConnectionError("refused")
        except RedisConnectionError as inner:
            raise RuntimeError("while rendering") from inner
    except RuntimeError as outer:
        assert failures.classify(outer).status == 503


def test_api_answers_503_json_when_the_database_is_away(cast, bearer, client):
    headers = bearer(cast.user["province_admin"])
    with connection.execute_wrapper(database_away):
        response = client.get("/api/v1/orgs", **headers)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": failures.MSG_DATABASE}
    assert response["Retry-After"] == "5"


def test_pages_show_the_chinese_error_page_when_the_database_is_away(cast, login, client):
    """The session and user are read by middleware, before any view: handler500's path."""
    login(cast.user["member"])
    client.raise_request_exception = False
    with connection.execute_wrapper(database_away):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "服务暂时不可用" in page and failures.MSG_DATABASE in page


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def test_a_full_disk_answers_507_and_stores_nothing(cast, bearer, login, client, monkeypatch):
    from dangjian.core import uploads

    meeting = services.meeting_create(
        acting_user=cast.user["branch_admin"],
        org=cast.org["B1"],
        kind="theme_day",
        topic="主题党日",
        starts_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC),
    )

    def disk_full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads, "_write", disk_full)
    response = client.post(
        f"/api/v1/orglife/meetings/{meeting.pk}/photos",
        {"photo": SimpleUploadedFile("a.jpg", _jpeg(), content_type="image/jpeg")},
        **bearer(cast.user["branch_admin"]),
    )
    assert response.status_code == 507
    assert response.json() == {"detail": failures.MSG_STORAGE}
    assert not MeetingPhoto.objects.filter(meeting=meeting).exists()

    login(cast.user["branch_admin"])
    page = client.post(
        f"/orglife/meetings/{meeting.pk}/photos/",
        {"photo": SimpleUploadedFile("a.jpg", _jpeg(), content_type="image/jpeg")},
    )
    assert page.status_code == 507
    assert failures.MSG_STORAGE in page.content.decode()
    assert not MeetingPhoto.objects.filter(meeting=meeting).exists()
