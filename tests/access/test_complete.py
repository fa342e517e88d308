"""Completeness of the access matrix: every API operation of the OpenAPI schema and every
page URL with an object id in it is declared in some module's spec (tests/access/spec.py)
or exempted there with its reason. A new endpoint nobody declared fails here; so does a
declaration left behind by an endpoint that is gone. (Unauthenticated requests to every
operation: tests/security/test_idor.py.)"""

import django

django.setup()

from django.urls import URLPattern, URLResolver, get_resolver  # noqa: E402
from django.urls.resolvers import RoutePattern  # noqa: E402

from dangjian.api import api  # noqa: E402
from tests.access.harness import declared, specs  # noqa: E402
from tests.access.spec import Endpoint, Page  # noqa: E402
from tests.security.apischema import operations  # noqa: E402

SCHEMA = api.get_openapi_schema()
OPERATIONS = operations(SCHEMA)
METHODS = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")

# Whole URL trees that are not the modules' (their own tests say who reaches them).
NOT_MODULES = {
    "admin:": "Django admin: superusers only (accounts/tests/test_admin_pages.py)",
}


def pages_with_ids() -> set[str]:
    """URL names of the page routes that take an argument (an object's id)."""
    found: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern).startswith("api/"):
                    continue
                walk(
                    entry.url_patterns,
                    f"{namespace}{entry.namespace}:" if entry.namespace else namespace,
                )
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}{entry.name}"
                takes_id = "<" in str(entry.pattern) or (
                    not isinstance(entry.pattern, RoutePattern) and entry.pattern.regex.groups
                )
                if takes_id and not any(name.startswith(p) for p in NOT_MODULES):
                    found.add(name)

    walk(get_resolver().url_patterns, "")
    return found


def _exempt() -> dict[str, str]:
    merged: dict[str, str] = {}
    for spec in specs():
        for key, reason in spec.exempt.items():
            assert key not in merged, f"{key} exempted twice"
            assert reason.strip(), f"{key}: say why it is exempt"
            merged[key] = reason
    return merged


def test_every_api_operation_is_declared_or_exempt():
    exempt = {k for k in _exempt() if k.startswith(METHODS)}
    declared_ops = {a.id for _, a in declared() if isinstance(a, Endpoint)}
    assert not declared_ops & exempt, "both declared and exempt"
    missing = {op.id for op in OPERATIONS} - declared_ops - exempt
    assert not missing, f"declare these in their module's tests/access.py: {sorted(missing)}"
    stale = (declared_ops | exempt) - {op.id for op in OPERATIONS}
    assert not stale, f"no such operation: {sorted(stale)}"


def test_every_page_with_an_object_id_is_declared_or_exempt():
    exempt = {k for k in _exempt() if not k.startswith(METHODS)}
    declared_pages = {a.name for _, a in declared() if isinstance(a, Page)}
    missing = pages_with_ids() - declared_pages - exempt
    assert not missing, f"declare these pages in their module's tests/access.py: {sorted(missing)}"
    routed = pages_with_ids()
    stale = {name for name in exempt if name not in routed}
    assert not stale, f"no such page: {sorted(stale)}"


def test_every_kind_is_used_and_every_spec_names_its_module():
    for spec in specs():
        used = {a.obj for a in spec.endpoints}
        assert used == {k.name for k in spec.kinds}, spec.module
        assert len({k.name for k in spec.kinds}) == len(spec.kinds), spec.module
