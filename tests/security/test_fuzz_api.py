"""Fuzz the API from its own OpenAPI schema (schemathesis, in-process through the WSGI app).

Every operation, as an admin and as a plain member (a fresh bearer token per example, so
a fuzzed ``/auth/token/revoke`` cannot lock the rest out), with valid and invalid input.
Checks: no 5xx, every response matches its declared schema, every status is declared.
Bounded and repeatable: a fixed example budget per operation and ``derandomize`` (the
examples are derived from the test's name, not from a random seed), so CI sees the same
requests every run.
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

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
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


@pytest.mark.parametrize("user_key", ["county_admin", "member"])
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, cast, bearer, user_key):
    headers = {"Authorization": bearer(cast.user[user_key])["HTTP_AUTHORIZATION"]}
    case.call_and_validate(headers=headers, checks=CHECKS)
