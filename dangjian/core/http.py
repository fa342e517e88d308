"""Request helpers shared by pages and the API."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client address; behind a trusted reverse proxy, its X-Forwarded-For first hop."""
    if settings.TRUST_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
