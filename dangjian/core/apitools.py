"""Small pieces every API router shares: id parameters, list filters, input errors.

A leaf module (no router imports), so app ``api.py`` files can import it in any order.
The error format itself is rendered in ``dangjian/api.py``.

Strict input (``StrictInput``, the base of every body ``InSchema`` and every query
``QuerySchema``): pydantic's lax mode reads ``?until=0`` as 1970-01-01 and ``0``, ``1``,
``yes``, ``off`` as booleans. Here a date is only an ISO 8601 date (``2026-11-20``), a
date-time only an ISO 8601 date-time with a time (``2026-11-20T09:00:00+08:00``), and a
boolean only ``true`` or ``false`` (JSON's own; in a query string, exactly those words).
Anything else is a 422 on that parameter.
"""

import base64
import binascii
import datetime as dt
import functools
import json
import operator
import re
import types
from collections.abc import Iterable, Mapping
from contextlib import ContextDecorator
from typing import Annotated, Any, Union, get_args, get_origin

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import ValidationError
from ninja.pagination import LimitOffsetPagination
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from dangjian.core.pages import capped_count

# Database keys: positive and within a signed 64-bit integer. Larger ones cannot exist
# and would overflow the database driver (a 500) instead of answering "not found".
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _in_local_time(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


# The API's one datetime policy: ISO 8601 in China time with its offset
# ("2026-11-22T09:30:00+08:00"), whatever the database stores (UTC). Every schema field
# holding a moment is declared with this type.
LocalDateTime = Annotated[dt.datetime, AfterValidator(_in_local_time)]

MSG_NOT_VISIBLE = "不存在或不在您的权限范围内"
MSG_NUL = "文本中不能包含空字符（NUL）"
MSG_BAD_MULTIPART = "请求体不是有效的 multipart/form-data（缺少或无效的 boundary）"
MSG_BAD_REQUEST = "请求无效，无法解析"
MSG_BAD_CURSOR = "cursor 无效：请使用上一页返回的 next_cursor"
MSG_CURSOR_AND_OFFSET = "cursor 与 offset 不能同时使用"
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

    def _items_count(self, queryset) -> int:
        # ``count()`` of the queryset itself (ninja counts a clone): a list whose total is
        # known from summary rows (``ScopedQuerySet.with_count``) is not counted again
        count = getattr(queryset, "count", None)
        return count() if callable(count) else len(queryset)


def _order_fields(queryset) -> list[tuple[str, bool]]:
    """(field, descending) of the queryset's order, which must end with the primary key
    (so that it is a total order and a position in it is unambiguous): as
    :func:`core.pages.in_list_order` declared it, or its ``order_by``, or the model's."""
    order = list(
        getattr(queryset, "keyset_order", None)
        or queryset.query.order_by
        or queryset.model._meta.ordering
    )
    fields = [(f.lstrip("-"), f.startswith("-")) for f in order if isinstance(f, str)]
    if len(fields) != len(order) or fields[-1][0] not in ("id", "pk"):
        raise ValueError(f"keyset pagination needs an order ending in the key, not {order}")
    return fields


def _after(fields: list[tuple[str, bool]], values: list) -> Q:
    """Rows strictly after ``values`` in the order ``fields``: (a > x) or (a = x and b > y)
    …, plus the bound on the first field alone so that an index in that order is entered
    at the right place."""
    steps = []
    for i, (name, desc) in enumerate(fields):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[i]})
        for prior, (prior_name, _desc) in enumerate(fields[:i]):
            step &= Q(**{prior_name: values[prior]})
        steps.append(step)
    after = functools.reduce(operator.or_, steps)
    first, desc = fields[0]
    return Q(**{f"{first}__{'lte' if desc else 'gte'}": values[0]}) & after


def _field_value(model, name: str, raw):
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return field.to_python(raw)


def encode_cursor(obj, fields: list[tuple[str, bool]]) -> str:
    values = []
    for name, _desc in fields:
        value = getattr(obj, "pk" if name == "pk" else obj._meta.get_field(name).attname)
        values.append(value.isoformat() if isinstance(value, dt.date) else value)
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(model, fields: list[tuple[str, bool]], cursor: str) -> list:
    """The position a cursor names; a 422 on ``cursor`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(fields):
            raise ValueError(cursor)
        return [_field_value(model, name, v) for (name, _d), v in zip(fields, values, strict=True)]
    except (ValueError, TypeError, binascii.Error, DjangoValidationError, UnicodeDecodeError):
        raise invalid(("query", "cursor"), MSG_BAD_CURSOR, "cursor") from None


class KeysetPaging(Paging):
    """``Paging`` for lists whose offsets grow (members, meetings): also ``?cursor=``.

    Each page answers ``next_cursor`` (``null`` on the last page); passing it back as
    ``?cursor=`` gives the next page by position in the list's order (``WHERE (starts_at,
    id) < (…)``) — as fast for the 10,000th page as for the first, where ``offset`` makes
    the database walk past every earlier row. ``offset`` keeps working. ``count`` is
    exact up to 10,000 (or from summary rows) and capped above it, with
    ``count_capped: true``.
    """

    class Input(Paging.Input):
        cursor: str | None = Field(None, max_length=500)

    class Output(Schema):
        items: list[Any]
        count: int
        count_capped: bool = False
        next_cursor: str | None = None

    def paginate_queryset(self, queryset, pagination, request, **params):
        limit = pagination.limit
        fields = _order_fields(queryset)
        rows = queryset
        if pagination.cursor:
            if pagination.offset:
                raise invalid(("query", "cursor"), MSG_CURSOR_AND_OFFSET, "cursor")
            rows = rows.filter(
                _after(fields, decode_cursor(queryset.model, fields, pagination.cursor))
            )
            start = 0
        else:
            start = pagination.offset
        items = list(rows[start : start + limit + 1])
        more = len(items) > limit
        items = items[:limit]
        count, capped = capped_count(queryset)
        return {
            self.items_attribute: items,
            "count": count,
            "count_capped": capped,
            "next_cursor": encode_cursor(items[-1], fields) if more else None,
        }


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)
_BOOLEANS = {"true": True, "false": False}


def strict_bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value in _BOOLEANS:
        return _BOOLEANS[value]
    raise PydanticCustomError("bool_parsing", "Input should be true or false")


def strict_date(value: Any) -> Any:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value  # pydantic still checks it is a real day
    raise PydanticCustomError("date_parsing", "Input should be an ISO 8601 date")


def strict_datetime(value: Any) -> Any:
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return value
    raise PydanticCustomError("datetime_parsing", "Input should be an ISO 8601 date-time")


# For parameters declared on an operation itself (``publish: Form[Bool] = False``); fields
# of StrictInput schemas get the same checks from their plain ``bool``/``dt.date`` types.
Bool = Annotated[bool, BeforeValidator(strict_bool)]
Date = Annotated[dt.date, BeforeValidator(strict_date)]
DateTime = Annotated[dt.datetime, BeforeValidator(strict_datetime)]
_CHECKS = {bool: strict_bool, dt.datetime: strict_datetime, dt.date: strict_date}


def _check_for(annotation) -> Any:
    """The strict check for a field typed bool/date/datetime (optional or not), else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        checks = {_check_for(a) for a in get_args(annotation) if a is not type(None)}
        return checks.pop() if len(checks) == 1 else None
    if get_origin(annotation) is Annotated:
        return _check_for(get_args(annotation)[0])
    return _CHECKS.get(annotation)


class StrictInput(BaseModel):
    """Dates, date-times and booleans as ISO 8601 and true/false only (module docstring)."""

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        check = _check_for(cls.model_fields[info.field_name].annotation)
        return check(value) if check else value


class InSchema(StrictInput, Schema):
    """A request body: a field the endpoint does not know is an error, not ignored
    (a misspelt field in a PATCH would otherwise silently change nothing)."""

    model_config = ConfigDict(extra="forbid")


class QuerySchema(StrictInput, Schema):
    """Query parameters (``filters: Query[...]``), parsed strictly (module docstring)."""


def invalid(loc: tuple[str, ...], msg: str, error_type: str = "invalid") -> ValidationError:
    """A 422 for one parameter, in the same shape as a pydantic error."""
    return ValidationError([{"loc": loc, "msg_zh": msg, "type": error_type}])


class api_fields(ContextDecorator):
    """Re-raise a service's ValidationError under the API's body field names.

    Services name fields as the models do (``branch``, ``host``, ``attendees``); the API
    takes ids for relations (``branch_id``, ``host_id``, ``attendee_ids``). A router
    declares its mapping once and wraps the service calls, as a context manager or a
    decorator::

        as_api_fields = api_fields({"branch": "branch_id"}, whole=("meeting",))

        with as_api_fields:
            services.member_update(...)

    Fields named in ``whole`` are about the object as a whole (a cancelled meeting) and
    are reported at ``["body"]``; unmapped names pass through unchanged. The 422 itself
    is rendered by ``dangjian/api.py``.
    """

    def __init__(self, aliases: Mapping[str, str] | None = None, *, whole: Iterable[str] = ()):
        self.aliases = dict(aliases or {})
        self.whole = frozenset(whole)

    def rename(self, field: str) -> str:
        return "__all__" if field in self.whole else self.aliases.get(field, field)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or not isinstance(exc, DjangoValidationError):
            return False
        if not hasattr(exc, "error_dict"):
            return False
        renamed: dict[str, list] = {}
        for field, errors in exc.error_dict.items():
            renamed.setdefault(self.rename(field), []).extend(errors)
        raise DjangoValidationError(renamed) from None


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
