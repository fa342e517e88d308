"""The OpenAPI schema describes every endpoint; the docs page loads nothing from a CDN."""

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

ENDPOINTS = {
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/token/revoke"),
    ("get", "/api/v1/auth/me"),
    ("get", "/api/v1/orgs"),
    ("post", "/api/v1/orgs"),
    ("get", "/api/v1/orgs/{org_id}"),
    ("patch", "/api/v1/orgs/{org_id}"),
    ("get", "/api/v1/orgs/{org_id}/children"),
    ("get", "/api/v1/orgs/{org_id}/approval-chain"),
    ("post", "/api/v1/orgs/{org_id}/move"),
    ("post", "/api/v1/orgs/{org_id}/dissolve"),
    ("get", "/api/v1/members"),
    ("post", "/api/v1/members"),
    ("get", "/api/v1/members/{member_id}"),
    ("patch", "/api/v1/members/{member_id}"),
    ("post", "/api/v1/members/{member_id}/reveal"),
    ("get", "/api/v1/members/export"),
    ("get", "/api/v1/members/{member_id}/photo"),
    ("post", "/api/v1/members/{member_id}/photo"),
    ("get", "/api/v1/inbox"),
    ("get", "/api/v1/inbox/unread"),
    ("post", "/api/v1/inbox/read"),
    ("get", "/api/v1/orglife/meetings"),
    ("post", "/api/v1/orglife/meetings"),
    ("get", "/api/v1/orglife/meetings/{meeting_id}"),
    ("patch", "/api/v1/orglife/meetings/{meeting_id}"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/cancel"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/record"),
    ("get", "/api/v1/orglife/meetings/{meeting_id}/attendance"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/attendance"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/checkin"),
    ("get", "/api/v1/orglife/meetings/{meeting_id}/qr"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/leave"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/resolutions"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/vote"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/close-vote"),
    ("get", "/api/v1/orglife/meetings/{meeting_id}/comments"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/comments"),
    ("get", "/api/v1/orglife/meetings/{meeting_id}/photos"),
    ("post", "/api/v1/orglife/meetings/{meeting_id}/photos"),
    ("get", "/api/v1/orglife/meetings/{meeting_id}/photo-file"),
    ("get", "/api/v1/orglife/compliance"),
    ("get", "/api/v1/orglife/warnings"),
    ("get", "/api/v1/transfers"),
    ("post", "/api/v1/transfers"),
    ("get", "/api/v1/transfers/destinations"),
    ("get", "/api/v1/transfers/{transfer_id}"),
    ("post", "/api/v1/transfers/{transfer_id}/approve"),
    ("post", "/api/v1/transfers/{transfer_id}/reject"),
    ("post", "/api/v1/transfers/{transfer_id}/withdraw"),
    ("post", "/api/v1/transfers/{transfer_id}/reissue"),
    ("post", "/api/v1/transfers/{transfer_id}/receipt"),
    ("get", "/api/v1/transfers/{transfer_id}/letter"),
    ("get", "/api/v1/transfers/incoming"),
    ("post", "/api/v1/transfers/incoming"),
    ("get", "/api/v1/transfers/incoming/{incoming_id}"),
    ("post", "/api/v1/transfers/incoming/{incoming_id}/approve"),
    ("post", "/api/v1/transfers/incoming/{incoming_id}/reject"),
    ("get", "/api/v1/transfers/incoming/{incoming_id}/receipt"),
    # 预警 (core warnings) of the caller's subtree
    ("get", "/api/v1/warnings"),
    ("get", "/api/v1/warnings/kinds"),
    ("get", "/api/v1/warnings/{warning_id}"),
    ("post", "/api/v1/warnings/{warning_id}/resolve"),
    ("post", "/api/v1/warnings/{warning_id}/assign"),
    # 12371: the bot and the knowledge base
    ("post", "/api/v1/consult/ask"),
    ("post", "/api/v1/consult/conversations/{conversation_id}/handoff"),
    ("post", "/api/v1/consult/messages/{message_id}/feedback"),
    ("get", "/api/v1/consult/kb/entries"),
    ("post", "/api/v1/consult/kb/entries"),
    ("get", "/api/v1/consult/kb/export"),
    ("get", "/api/v1/consult/kb/entries/{entry_id}"),
    ("patch", "/api/v1/consult/kb/entries/{entry_id}"),
    ("get", "/api/v1/consult/kb/entries/{entry_id}/history"),
    ("post", "/api/v1/consult/kb/entries/{entry_id}/publish"),
    ("post", "/api/v1/consult/kb/entries/{entry_id}/retire"),
    ("post", "/api/v1/consult/kb/entries/{entry_id}/restore"),
    ("post", "/api/v1/consult/kb/import"),
    ("get", "/api/v1/consult/daily"),
    ("get", "/api/v1/consult/daily/today"),
    ("get", "/api/v1/consult/daily/schedule"),
    ("post", "/api/v1/consult/daily/schedule"),
    ("delete", "/api/v1/consult/daily/schedule/{schedule_id}"),
    ("get", "/api/v1/consult/policy"),
    ("post", "/api/v1/consult/policy"),
    ("get", "/api/v1/consult/policy/{article_id}"),
    ("patch", "/api/v1/consult/policy/{article_id}"),
    ("post", "/api/v1/consult/policy/{article_id}/publish"),
    ("post", "/api/v1/consult/policy/{article_id}/withdraw"),
    ("get", "/api/v1/consult/ivr"),
    ("post", "/api/v1/consult/platform-feedback"),
    ("get", "/api/v1/consult/platform-feedback"),
    # 12371: work orders, coordination, live chats, statistics
    ("get", "/api/v1/consult/orders"),
    ("post", "/api/v1/consult/orders"),
    ("post", "/api/v1/consult/orders/hotline"),
    ("get", "/api/v1/consult/orders/{order_id}"),
    ("get", "/api/v1/consult/orders/{order_id}/history"),
    ("post", "/api/v1/consult/orders/{order_id}/claim"),
    ("post", "/api/v1/consult/orders/{order_id}/reply"),
    ("post", "/api/v1/consult/orders/{order_id}/coordinate"),
    ("post", "/api/v1/consult/orders/{order_id}/rate"),
    ("post", "/api/v1/consult/orders/{order_id}/reopen"),
    ("post", "/api/v1/consult/orders/{order_id}/publish"),
    ("post", "/api/v1/consult/orders/{order_id}/kb-entry"),
    ("post", "/api/v1/consult/coordinations/{coordination_id}/answer"),
    ("get", "/api/v1/consult/public-questions"),
    ("post", "/api/v1/consult/agent/presence"),
    ("get", "/api/v1/consult/chats/{chat_id}/messages"),
    ("post", "/api/v1/consult/chats/{chat_id}/messages"),
    ("post", "/api/v1/consult/chats/{chat_id}/close"),
    ("post", "/api/v1/consult/chats/{chat_id}/rate"),
    ("get", "/api/v1/consult/chats/{chat_id}"),
    ("post", "/api/v1/consult/chats/{chat_id}/typing"),
    ("post", "/api/v1/consult/chats/{chat_id}/transfer"),
    ("post", "/api/v1/consult/chats/{chat_id}/transfer/accept"),
    ("post", "/api/v1/consult/chats/{chat_id}/transfer/decline"),
    ("post", "/api/v1/consult/public/lookup"),
    ("get", "/api/v1/consult/stats"),
    ("get", "/api/v1/consult/categories"),
    ("get", "/api/v1/consult/offices"),
    ("post", "/api/v1/consult/offices"),
    ("get", "/api/v1/consult/offices/{office_id}"),
    ("patch", "/api/v1/consult/offices/{office_id}"),
    ("get", "/api/v1/consult/consultations"),
    ("post", "/api/v1/consult/orders/{order_id}/reroute"),
    ("post", "/api/v1/consult/orders/{order_id}/merge"),
    ("get", "/api/v1/consult/stats.xlsx"),
    ("get", "/api/v1/consult/console/queue"),
    # 发展党员
    ("get", "/api/v1/recruitment/applicants"),
    ("post", "/api/v1/recruitment/applicants"),
    ("get", "/api/v1/recruitment/applicants/{applicant_id}"),
    ("post", "/api/v1/recruitment/applicants/{applicant_id}/steps"),
    ("post", "/api/v1/recruitment/applicants/{applicant_id}/terminate"),
    ("get", "/api/v1/recruitment/applicants/{applicant_id}/document-file"),
    ("get", "/api/v1/recruitment/pipeline"),
    ("put", "/api/v1/recruitment/plans"),
    ("get", "/api/v1/mobility/registrations"),
    ("post", "/api/v1/mobility/registrations"),
    ("get", "/api/v1/mobility/registrations/{registration_id}"),
    ("get", "/api/v1/mobility/registrations/{registration_id}/participation"),
    ("post", "/api/v1/mobility/registrations/{registration_id}/participation"),
    ("post", "/api/v1/mobility/registrations/{registration_id}/end"),
    ("get", "/api/v1/mobility/lost"),
    ("post", "/api/v1/mobility/lost"),
    ("get", "/api/v1/mobility/lost/{lost_id}"),
    ("post", "/api/v1/mobility/lost/{lost_id}/attempts"),
    ("post", "/api/v1/mobility/lost/{lost_id}/outcome"),
    ("post", "/api/v1/mobility/assignments"),
    ("post", "/api/v1/mobility/assignments/{assignment_id}/done"),
    ("post", "/api/v1/mobility/excuses"),
    # 党费
    ("get", "/api/v1/dues/amount"),
    ("get", "/api/v1/dues/bills/mine"),
    ("get", "/api/v1/dues/arrears"),
    ("post", "/api/v1/dues/pay"),
    ("post", "/api/v1/dues/notify/sandbox"),
    ("get", "/api/v1/dues/payments"),
    ("get", "/api/v1/dues/payments/{payment_id}"),
    ("post", "/api/v1/dues/payments/{payment_id}/refund"),
    ("post", "/api/v1/dues/members/{member_id}/base"),
    ("post", "/api/v1/dues/members/{member_id}/payments"),
    ("get", "/api/v1/dues/report"),
    ("get", "/api/v1/dues/report.xlsx"),
}


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _params(schema, method, path) -> dict[str, dict]:
    operation = schema["paths"][path][method]
    return {p["name"]: p for p in operation.get("parameters", [])}


def test_schema_lists_every_endpoint(schema):
    listed = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    # Equal, not a subset: a new endpoint must be added here and to its module's access
    # matrix (dangjian/<app>/tests/access.py; tests/access/test_complete.py checks it) in
    # the same change. (tests/security/ derives its IDOR, unauthenticated, injection and
    # fuzz cases from the schema itself.)
    assert listed == ENDPOINTS
    assert schema["info"]["title"] == "智慧党建 API"


def test_list_filters_and_paging_are_typed_query_params(schema):
    orgs = _params(schema, "get", "/api/v1/orgs")
    assert {"q", "org_type", "active", "limit", "offset"} <= set(orgs)
    members = _params(schema, "get", "/api/v1/members")
    expected = {"q", "status", "education", "gender", "ethnicity", "age_band", "org"}
    assert expected | {"limit", "offset"} <= set(members)
    assert all(p["in"] == "query" for p in members.values())
    limit = orgs["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20)
    assert orgs["offset"]["schema"]["minimum"] == 0


def test_choices_are_enumerated(schema):
    text = json.dumps(schema)
    for value in ('"province"', '"probationary"', '"postgraduate"', '"61-"'):
        assert value in text


def test_list_responses_are_paged(schema):
    ok = schema["paths"]["/api/v1/members"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {
        "items",
        "count",
        "count_capped",
        "next_cursor",
    }
    ok = schema["paths"]["/api/v1/orgs"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"items", "count"}


def test_token_endpoint_is_public_and_the_rest_need_auth(schema):
    assert schema["paths"]["/api/v1/auth/token"]["post"].get("security") in (None, [])
    assert schema["paths"]["/api/v1/orgs"]["get"]["security"]


def test_docs_page_uses_no_external_assets(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert urls, "the page should load Swagger UI from somewhere"
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), f"external asset: {url}"
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"missing static file: {url}"
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r"https?://", html.replace("http://www.w3.org/2000/svg", ""))
    # No validator badge (it would be fetched from validator.swagger.io).
    assert '"validatorUrl": null' in html


def test_swagger_assets_make_no_external_requests():
    """The stylesheet pulls no web fonts or imports from elsewhere."""
    css = Path(finders.find("ninja/swagger-ui.css")).read_text(encoding="utf-8")
    assert "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)


def test_error_statuses_are_declared(schema):
    """Every operation declares the errors it can answer, with the error body's schema."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "422"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
    detail = schema["components"]["schemas"]["ValidationErrorList"]["properties"]["detail"]
    assert set(detail["items"]["required"]) == {"loc", "msg", "type"}


def test_schema_names_are_unique():
    """Two response schemas with one class name would share one OpenAPI component, and one
    endpoint would be documented (and fuzzed) with the other's shape."""
    import importlib
    import pkgutil

    from ninja import Schema

    import dangjian

    seen: dict[str, str] = {}
    clashes = []
    for info in pkgutil.walk_packages(dangjian.__path__, "dangjian."):
        if not (info.name.endswith(".api") or ".api." in info.name):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, Schema):
                if value.__module__ != module.__name__:
                    continue
                if name in seen:
                    clashes.append(f"{name}: {seen[name]} and {module.__name__}")
                seen[name] = module.__name__
    assert not clashes


def test_each_caller_gets_its_own_copy_of_the_schema_built_once(client, db):
    """The schema is built once per process; a caller that changes its copy (the security
    tests trim and rewrite theirs) changes nobody else's, nor what the API serves."""
    from dangjian.api import api

    mine = api.get_openapi_schema()
    mine["paths"].clear()
    mine["info"]["title"] = "changed"
    assert api.get_openapi_schema()["paths"]
    served = client.get("/api/v1/openapi.json").json()
    assert served["info"]["title"] == "智慧党建 API"
    assert {(m, p) for p, ops in served["paths"].items() for m in ops} == ENDPOINTS
