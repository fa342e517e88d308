"""Fuzz the API from its own OpenAPI schema (schemathesis, in-process through the WSGI app).

Every operation, as an admin and as a plain member (a fresh bearer token per example, so
a fuzzed ``/auth/token/revoke`` cannot lock the rest out), with valid and invalid input.
Checks: no 5xx, every response matches its declared schema, every status is declared.
Bounded and repeatable: a fixed example budget per operation and ``derandomize`` (the
examples are derived from the test's name, not from a random seed), so CI sees the same
requests every run.

The admin gets schemathesis' coverage phase too: a fixed set of boundary and invalid
values for every parameter and property, and each undeclared HTTP method — about 47
requests per operation, four fifths of the fuzzer's cost. The member gets the
generated examples only (valid and invalid, ``MAX_EXAMPLES`` per operation): the coverage
cases are the same requests whoever sends them, and most are refused by the input schema
(422) before any scope is consulted, so sending them again as the member found nothing
the admin's run does not.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from dangjian.wsgi import application

SCHEMA_URL = "/api/v1/openapi.json"
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
member_schema = schemathesis.openapi.from_wsgi(
    SCHEMA_URL,
    application,
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
MAX_EXAMPLES = 10


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Calls go straight to the WSGI app, whose request signals close "old" connections —
    on PostgreSQL that closes the test's own connection mid-transaction. Django's test
    Client avoids this the same way: by not closing connections around requests.
    """
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Each test takes its user as a parameter: schemathesis names an item after its operation
# only when the test is parametrized (pytest 9), and the names tell the failures apart.
@pytest.mark.parametrize("user_key", ["county_admin"])
@schema.parametrize()
@BOUNDED
def test_api_conforms_to_its_schema(case, cast, bearer, user_key):
    _call_as(case, cast.user[user_key], bearer)


@pytest.mark.parametrize("user_key", ["member"])
@member_schema.parametrize()
@BOUNDED
def test_api_conforms_to_its_schema_without_coverage_cases(case, cast, bearer, user_key):
    _call_as(case, cast.user[user_key], bearer)


def _call_as(case, user, bearer) -> None:
    # Host belongs to the transport, not to the operation: one the fuzzer makes up (it adds
    # arbitrary headers to invalid cases) is refused by ALLOWED_HOSTS with 400 before any
    # operation runs (tests/test_api_errors.py).
    if case.headers:
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "host"}
    headers = {"Authorization": bearer(user)["HTTP_AUTHORIZATION"]}
    case.call_and_validate(headers=headers, checks=CHECKS)
