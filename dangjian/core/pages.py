"""Small helpers shared by the server-rendered pages (views.py of each app)."""

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator

from dangjian.core.errors import field_errors

PAGE_SIZE = 20


def is_htmx(request) -> bool:
    """An htmx request wanting a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def apply_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: per field, the rest at the top."""
    for field, messages in field_errors(exc).items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


def query_text(request, name: str = "q", limit: int = 100) -> str:
    """A free-text query parameter, whitespace collapsed and NUL removed (PostgreSQL cannot
    compare text with NUL in it: a crafted URL would otherwise be a 500)."""
    return " ".join(request.GET.get(name, "").replace("\x00", "").split())[:limit]


def paginate(request, queryset, per_page: int = PAGE_SIZE) -> Page:
    """One page of ``queryset``; a bad or out-of-range ?page= falls back, never 500s."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def vary_on_htmx(response):
    """Full page and fragment share a URL: caches must keep them apart."""
    from django.utils.cache import patch_vary_headers

    patch_vary_headers(response, ("HX-Request",))
    return response
