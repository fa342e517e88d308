"""Dates are ISO 8601, booleans are true/false: nothing else is read as one (issue 10).

``GET /api/v1/consult/stats?until=0`` was read as 1970-01-01, and ``0``/``1``/``yes`` as
booleans (pydantic's lax mode). dangjian.core.apitools.StrictInput, the base of every
body and query schema, now refuses them with a 422 on the parameter. The query
parameters are taken from the OpenAPI schema, so one added later is attacked too.
"""

import pytest

from tests.security.apischema import operations


def _schema():
    import django

    django.setup()
    from dangjian.api import api

    return api.get_openapi_schema()


SCHEMA = _schema()


def _kinds(node: dict) -> set[str]:
    if "anyOf" in node:
        return {k for option in node["anyOf"] for k in _kinds(option)}
    if node.get("type") == "boolean":
        return {"bool"}
    return {node["format"]} if node.get("format") in ("date", "date-time") else set()


PARAMS = [
    (op, param["name"], kind)
    for op in operations(SCHEMA)
    for param in op.query_params
    for kind in _kinds(param["schema"])
]
BAD = {
    "bool": ["0", "1", "yes", "no", "on", "True", "FALSE", "t", ""],
    "date": ["0", "1", "1970", "20261120", "2026-1-1", "2026/11/20", "1763596800", "now"],
    "date-time": ["0", "1763596800", "2026-11-20", "yesterday"],
}
GOOD = {"bool": ["true", "false"], "date": ["2026-11-20"], "date-time": ["2026-11-20T09:00:00"]}


def test_the_known_parameters_are_found():
    names = {(op.path, name) for op, name, _ in PARAMS}
    assert ("/api/v1/consult/stats", "until") in names
    assert ("/api/v1/inbox", "unread") in names


def _url(op) -> str:
    return op.path.format(**dict.fromkeys(op.path_params, 1))


@pytest.mark.parametrize(("op", "name", "kind"), PARAMS, ids=lambda v: getattr(v, "id", v))
def test_query_parameter_is_strict(cast, client, bearer, op, name, kind):
    headers = bearer(cast.user["province_admin"])
    for value in BAD[kind]:
        response = client.get(_url(op), {name: value}, **headers)
        assert response.status_code == 422, (op.id, name, value, response.status_code)
        assert ["query", name] in [e["loc"] for e in response.json()["detail"]], value
    for value in GOOD[kind]:
        response = client.get(_url(op), {name: value}, **headers)
        errors = response.json().get("detail") if response.status_code == 422 else []
        assert ["query", name] not in [e["loc"] for e in errors], (op.id, name, value)


def test_stats_until_zero_is_not_1970(cast, client, bearer):
    response = client.get(
        "/api/v1/consult/stats", {"until": "0"}, **bearer(cast.user["province_admin"])
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "日期格式应为 YYYY-MM-DD"


def test_bodies_are_strict_too(cast, client, bearer):
    """JSON numbers are not dates or booleans either."""
    headers = bearer(cast.user["county_admin"])
    body = {
        "parent_id": cast.org["K1"].pk,
        "name": "新建党支部",
        "org_type": "branch",
        "code": "530102999001",
        "founded_on": 0,
    }
    response = client.post("/api/v1/orgs", body, content_type="application/json", **headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "founded_on"]
    response = client.post(
        "/api/v1/inbox/read", {"ids": None}, content_type="application/json", **headers
    )
    assert response.status_code == 200  # a valid body still passes
    meeting = {
        "org_id": cast.org["B1"].pk,
        "kind": "theme_day",
        "topic": "主题党日",
        "starts_at": 1763596800,
        "ends_at": "2026-11-20T11:00:00+08:00",
    }
    response = client.post(
        "/api/v1/orglife/meetings",
        meeting,
        content_type="application/json",
        **bearer(cast.user["branch_admin"]),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "starts_at"]


def test_form_booleans_are_strict(cast, client, bearer, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("kb.csv", "问题,答案\n如何交党费,按月交纳\n".encode())
    response = client.post(
        "/api/v1/consult/kb/import",
        {"file": upload, "publish": "1"},
        **bearer(cast.user["agent"]),
    )
    assert response.status_code == 422
    assert ["form", "publish"] in [e["loc"] for e in response.json()["detail"]]
