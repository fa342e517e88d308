"""Every URL the project routes, with sample arguments: the security tests walk them all
so a new page or endpoint is covered the day it is added."""

import re
import uuid
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

SAMPLES = {"int": "1", "str": "1", "slug": "x", "path": "x", "uuid": str(uuid.UUID(int=1))}


@dataclass(frozen=True)
class Route:
    url: str
    name: str  # "namespace:name" or the route when unnamed
    callback: object


def _route_part(pattern) -> str | None:
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)

        def sample(match):
            conv = match.group(1) or "str"
            return SAMPLES.get(conv, "1")

        return re.sub(r"<(?:(\w+):)?\w+>", sample, route)
    if isinstance(pattern, RegexPattern):
        regex = pattern._regex.lstrip("^").rstrip("$").replace("\\Z", "")
        if re.search(r"[(\[\]\\*+?|{]", regex):
            return None  # regex routes with groups (admin catch-alls): no sample URL
        return regex
    return None


def all_routes() -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for entry in patterns:
            part = _route_part(entry.pattern)
            if part is None:
                continue
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}{entry.namespace}:"
                walk(entry.url_patterns, prefix + part, ns)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}{entry.name}" if entry.name else prefix + part
                routes.append(Route("/" + prefix + part, name, entry.callback))

    walk(get_resolver().url_patterns, "", "")
    return routes


def page_routes() -> list[Route]:
    return [r for r in all_routes() if not r.url.startswith("/api/")]


def api_routes() -> list[Route]:
    return [r for r in all_routes() if r.url.startswith("/api/")]
