"""Issue 19.7: /healthz (alive) and /readyz (database, cache, broker, storage)."""

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

from dangjian.core import cache as resilient

pytestmark = pytest.mark.django_db


def database_away(execute, sql, params, many, context):
    raise OperationalError("connection failed: Connection refused")


def test_alive_touches_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0), connection.execute_wrapper(database_away):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7")  # a probe by address
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_ready_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "off", "storage": "ok"},
    }


def test_not_ready_names_the_database(client):
    with connection.execute_wrapper(database_away):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "fail",
        "cache": "ok",
        "broker": "off",
        "storage": "ok",
    }


def test_not_ready_names_the_cache_and_the_broker_and_reveals_nothing(client):
    caches = {
        "default": {
            "BACKEND": "dangjian.core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    resilient.breaker.reset()
    with override_settings(CACHES=caches, CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    resilient.breaker.reset()
    assert response.status_code == 503
    body = response.content.decode()
    assert response.json()["checks"] == {
        "database": "ok",
        "cache": "fail",
        "broker": "fail",
        "storage": "ok",
    }
    assert "127.0.0.1" not in body and "refused" not in body.lower()


def test_not_ready_names_the_storage(client, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with override_settings(UPLOAD_DIR=not_a_directory / "uploads"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "fail"
