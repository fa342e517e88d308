"""Small pieces every API router shares: id parameters, list filters, input errors.

A leaf module (no router imports), so app ``api.py`` files can import it in any order.
The error format itself is rendered in ``dangjian/api.py``.
"""

from typing import Annotated

from django.http import Http404
from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import ValidationError
from ninja.pagination import LimitOffsetPagination
from pydantic import ConfigDict

# Database keys: positive and within a signed 64-bit integer. Larger ones cannot exist
# and would overflow the database driver (a 500) instead of answering "not found".
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

MSG_NOT_VISIBLE = "不存在或不在您的权限范围内"
MSG_NUL = "文本中不能包含空字符（NUL）"
MSG_BAD_MULTIPART = "请求体不是有效的 multipart/form-data（缺少或无效的 boundary）"
MSG_BAD_REQUEST = "请求无效，无法解析"
MAX_OFFSET = 2**31 - 1


class Paging(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"items": [...], "count": N}``.

    ``limit`` 1–NINJA_PAGINATION_MAX_LIMIT (100), default NINJA_PAGINATION_PER_PAGE (20); a
    larger limit is a 422, not silently capped. ``offset`` is bounded too: an absurd one
    would overflow the database's OFFSET instead of answering an empty page.
    """

    class Input(Schema):
        limit: int = Field(
            ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class InSchema(Schema):
    """A request body: a field the endpoint does not know is an error, not ignored
    (a misspelt field in a PATCH would otherwise silently change nothing)."""

    model_config = ConfigDict(extra="forbid")


def invalid(loc: tuple[str, ...], msg: str, error_type: str = "invalid") -> ValidationError:
    """A 422 for one parameter, in the same shape as a pydantic error."""
    return ValidationError([{"loc": loc, "msg_zh": msg, "type": error_type}])


def resolve_in_scope(getter, user, pk, *, field: str):
    """Fetch a body-supplied id through a scoped selector; out of scope → 422 on ``field``."""
    if pk is None:
        return None
    try:
        return getter(user, pk)
    except Http404:
        raise invalid(("body", field), MSG_NOT_VISIBLE, "not_found") from None


def filtered(filterset_class, params: Schema, queryset, request):
    """Run a django-filter FilterSet (the same one the pages use) on typed query params.

    A value the FilterSet refuses is a 422 on that parameter, never ignored.
    """
    data = {}
    for name, value in params.model_dump(mode="json", exclude_none=True).items():
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL refuses NUL in text
            raise invalid(("query", name), MSG_NUL, "string_nul")
        data[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    filterset = filterset_class(data, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise ValidationError(
            [
                {"loc": ("query", field), "msg_zh": str(msg), "type": "filter"}
                for field, msgs in filterset.errors.items()
                for msg in msgs
            ]
        )
    return filterset.qs
