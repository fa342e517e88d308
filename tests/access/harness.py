"""Runs a declared endpoint or page over the cast (see tests/access/spec.py)."""

import importlib
import json
from urllib.parse import urlencode

from django.apps import apps
from django.core.cache import cache
from django.db import transaction

from tests.access.spec import Access, Context, Endpoint, Obj, Spec, expected


def specs() -> list[Spec]:
    """Every installed app's ``tests/access.py`` SPEC (a new app is found, not listed)."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dangjian."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.access")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{config.name}.tests", f"{config.name}.tests.access"):
                raise
            continue
        found.append(module.SPEC)
    return found


def declared() -> list[tuple[Spec, Access]]:
    return [(spec, access) for spec in specs() for access in spec.endpoints]


def case_id(case: tuple[Spec, Access]) -> str:
    spec, access = case
    label = f" [{access.label}]" if access.label else ""
    return f"{spec.module}: {access.id}{label}"


class _Rollback(Exception):
    pass


def _audit_count() -> int:
    from dangjian.core.models import AuditEntry

    return AuditEntry.objects.count()


def _snapshot(spec: Spec, obj: Obj):
    """What a refused request must leave as it was: the audit log, the object's row, and
    whatever else the module's ``state()`` reads."""
    row = list(obj.model.objects.filter(pk=obj.pk).values()) if obj.model else None
    return _audit_count(), row, spec.state() if spec.state else None


def _request(access: Access, ctx: Context, obj: Obj) -> tuple[str, dict, dict | None]:
    """The URL, query and body (made before the state is read: a body may write rows)."""
    if access.before is not None:
        access.before(ctx, obj)
    query = access.query(ctx, obj) if access.query else {}
    body = access.body(ctx, obj) if access.body else None
    return access.url(obj), query, body


def _send(client, access: Access, request, headers: dict):
    url, query, body = request
    call = getattr(client, access.method)
    if access.method == "get":
        return call(url, query, **headers)
    if query:
        url = f"{url}?{urlencode(query)}"
    if isinstance(access, Endpoint) and not access.multipart:
        data = json.dumps(body if body is not None else {})
        return call(url, data, content_type="application/json", **headers)
    if access.method == "post":
        return call(url, body or {}, **headers)
    return call(url, urlencode(body or {}), "application/x-www-form-urlencoded", **headers)


def _shown(response) -> str:
    """The start of an answer, readable (JSON with its Chinese as it is)."""
    try:
        text = json.dumps(response.json(), ensure_ascii=False)
    except (ValueError, TypeError):
        text = response.content[:300].decode(errors="replace")
    return " ".join(text.split())[:160]


def _authenticate(client, ctx: Context, access: Access, user_key: str) -> dict:
    """Bearer token for the API, a verified session for the pages."""
    from dangjian.accounts.services import token_issue
    from tests.kit import login_verified

    user = ctx.cast.user[user_key]
    if isinstance(access, Endpoint):
        client.logout()
        raw, _ = token_issue(user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    login_verified(client, user)
    return {}


def _one(client, ctx: Context, access: Access, obj: Obj, want: int, headers: dict) -> str | None:
    """Send one request, check it against the oracle; None when it is right."""
    unchanged = access.unchanged
    if callable(unchanged):
        unchanged = unchanged(ctx.user, obj)
    audited = None if want >= 400 or unchanged else access.audit_count
    if callable(audited):
        audited = audited(ctx.user, obj)
    still = unchanged or (want >= 400 and access.writes)
    request = _request(access, ctx, obj)
    before = _snapshot(ctx.spec, obj) if still else None
    entries = _audit_count() if audited is not None else None
    response = _send(client, access, request, headers)
    got = response.status_code
    if got != want:
        return f"{got} != {want} {_shown(response)}"
    if still and _snapshot(ctx.spec, obj) != before:
        return f"{got}: a refused request changed something"
    if entries is not None and (added := _audit_count() - entries) != audited:
        return f"{got}: audited {added} times, not {audited}"
    if access.check is not None:  # on every answer the oracle expected
        try:
            access.check(ctx, obj, response)
        except AssertionError as exc:
            return f"{got}: {exc or 'check failed'}"
    return None


def run(client, cast, spec: Spec, access: Access) -> list[str]:
    """Every user × every object of the kind; the mismatches, one line each."""
    ctx = Context(cast, spec)
    kind = spec.kind(access.obj)
    objects = ctx.objects(access.obj)
    assert objects, f"the maker of {kind.name!r} made nothing"
    ctx.sealed = True
    wrong = []
    for user_key in access.users:
        cache.clear()  # rate-limit counters: each user starts afresh
        headers = _authenticate(client, ctx, access, user_key)
        ctx.user = user_key
        for obj in objects:
            want = expected(access, kind, user_key, obj)
            try:
                with transaction.atomic():
                    problem = _one(client, ctx, access, obj, want, headers)
                    raise _Rollback
            except _Rollback:
                pass
            if problem:
                wrong.append(f"{user_key} × {obj.key}: {problem}")
    return wrong


def kind_home(name: str):
    """The spec and kind ``name`` of the module that declares it first (apps in
    INSTALLED_APPS order: a module's own kinds before a later module's reuse of them)."""
    for spec in specs():
        for kind in spec.kinds:
            if kind.name == name:
                return spec, kind
    raise LookupError(f"no module declares the kind {name!r}")
