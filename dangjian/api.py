"""The REST API at /api/v1 (django-ninja): authentication and one error format.

Every error body is ``{"detail": ...}``. Validation failures are 422 with a list of
``{"loc": [...], "msg": "<中文>", "type": ...}`` — the same shape whether pydantic
rejected the input, a FilterSet rejected a query parameter, the body was not JSON, or a
service's domain rule refused the write, so a client handles one format. ``loc`` names
the parameter as the client sent it: ``["body", "parent_id"]``, ``["query", "limit"]``,
``["path", "org_id"]``.

Paging: ``?limit=`` (1–100, default 20) and ``?offset=`` (≥ 0). A limit above 100 is
refused with 422 rather than silently capped, so a client never believes it has a whole
list when it has not.
"""

import copy
import json
import re

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import django_auth

from dangjian.accounts.api import BearerAuth
from dangjian.core.apitools import MSG_BAD_MULTIPART, MSG_BAD_REQUEST, MSG_NUL
from dangjian.core.errors import field_errors

MSG_NOT_FOUND = "未找到"
MSG_FORBIDDEN = "没有权限"
MSG_UNAUTHENTICATED = "未登录或令牌无效"
MSG_BAD_JSON = "请求体不是有效的 JSON"
MSG_TOO_BIG = "请求体过大"
MSG_SURROGATE = "文本中含有无效的 Unicode 字符（单独的代理项）"
# ninja's own HttpError messages, in Chinese.
HTTP_ERROR_MESSAGES = {"CSRF check Failed": "CSRF 校验失败，请刷新页面后重试"}


class MalformedBodyError(Exception):
    """The request body could not be parsed as JSON (or holds a NUL character)."""

    def __init__(self, msg: str):
        super().__init__(msg)
        self.msg = msg


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _has_surrogate(value) -> bool:
    """A lone UTF-16 surrogate (``"\\ud800"`` in JSON) cannot be stored as UTF-8."""
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


class JsonParser(Parser):
    """The default JSON parser, with a failure we can tell apart from other 400s.

    NUL characters are refused here: PostgreSQL cannot store them in text columns.
    """

    def parse_body(self, request):
        try:
            data = json.loads(request.body)
            has_nul, has_surrogate = _has_nul(data), _has_surrogate(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            # RecursionError: nesting deeper than the parser (or our walk) can follow.
            raise MalformedBodyError(MSG_BAD_JSON) from exc
        if has_nul:
            raise MalformedBodyError(MSG_NUL)
        if has_surrogate:
            raise MalformedBodyError(MSG_SURROGATE)
        return data


# Every error status an operation can answer, declared in the OpenAPI schema (so clients
# and the schema fuzzer know them): added to each operation unless it declares its own.
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "title": "ValidationErrorList",
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
                "required": ["loc", "msg", "type"],
            },
        }
    },
    "required": ["detail"],
}
ERROR_RESPONSES = {
    400: ("请求体无法解析（如 multipart 缺少 boundary）", "Error"),
    401: ("未登录、令牌无效或用户名密码错误", "Error"),
    403: ("没有权限（或会话请求缺少 CSRF 令牌）", "Error"),
    404: ("不存在或不在权限范围内", "Error"),
    413: ("请求体过大", "Error"),
    422: ("输入有误：detail 为 [{loc, msg, type}]", "ValidationErrorList"),
    429: ("请求过于频繁或已被暂时锁定（见 Retry-After）", "Error"),
}


def _error_codes(path: str, method: str, operation: dict) -> list[int]:
    codes = [401, 422, 429]
    if operation.get("security") or method != "get":
        codes.append(403)
    if "{" in path or operation.get("security"):
        codes.append(404)  # a path, query or body id naming an object outside the scope
    if method in ("post", "put", "patch"):
        codes.append(413)
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        codes.append(400)
    return codes


class Api(NinjaAPI):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[str, dict] = {}  # path prefix → the schema built for it

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The schema for ``path_prefix``, built once per process: the routes are fixed once
        the URLconf is loaded, and building walks every operation's pydantic models
        (≈ 0.4 s). Each caller gets its own copy to change as it likes."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        if path_prefix not in self._schemas:
            self._schemas[path_prefix] = self._build_openapi_schema(path_prefix)
        return copy.deepcopy(self._schemas[path_prefix])

    def _build_openapi_schema(self, path_prefix: str):
        schema = super().get_openapi_schema(path_prefix=path_prefix)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Error", ERROR_SCHEMA)
        components.setdefault("ValidationErrorList", VALIDATION_ERROR_SCHEMA)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code in _error_codes(path, method, operation):
                    if code in responses or str(code) in responses:
                        continue
                    description, ref = ERROR_RESPONSES[code]
                    responses[code] = {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}
                        },
                    }
        return schema

    def validation_error_from_error_contexts(self, error_contexts):
        """Body errors located at the field (``["body", "name"]``), not the argument name."""
        errors = []
        for context in error_contexts:
            single = getattr(context.model, "__read_from_single_attr__", None)
            for item in super().validation_error_from_error_contexts([context]).errors:
                loc = tuple(item["loc"])
                if single and loc[:2] == ("body", single):
                    item["loc"] = ("body", *loc[2:])
                errors.append(item)
        return NinjaValidationError(errors)


api = Api(
    title="智慧党建 API",
    version="1",
    description=(
        "组织、党员等接口。认证：POST /api/v1/auth/token 获取令牌，之后使用 Bearer 令牌。"
        "列表分页参数 limit（1–100，默认20）与 offset（≥0），返回 {items, count}。"
        "错误统一为 {detail}；输入错误为 422，detail 为 [{loc, msg, type}] 列表。"
        "不在权限范围内的对象一律返回 404。"
    ),
    auth=[BearerAuth(), django_auth],
    urls_namespace="api",
    parser=JsonParser(),
    # Swagger UI from ninja's own static files ("ninja" is in INSTALLED_APPS): no CDN,
    # and no validator badge fetched from validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
)

# pydantic error type → Chinese message (ctx values are formatted in).
PYDANTIC_MESSAGES = {
    "missing": "必填项",
    "string_type": "应为文本",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值过大",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "datetime_type": "时间格式应为 ISO 8601，如 2026-11-20T09:00:00+08:00",
    "datetime_parsing": "时间格式应为 ISO 8601，如 2026-11-20T09:00:00+08:00",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601，如 2026-11-20T09:00:00+08:00",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "greater_than": "应大于{gt}",
    "less_than": "应小于{lt}",
    "json_invalid": MSG_BAD_JSON,
    "model_attributes_type": "请求体应为 JSON 对象",
    "model_type": "请求体应为 JSON 对象",
    "dict_type": "请求体应为 JSON 对象",
    "extra_forbidden": "不允许的字段",
    "string_pattern_mismatch": "格式不正确",
    "name_invalid": "{reason}",  # dangjian.core.text.Name: already in Chinese
}


def _chinese(error: dict) -> dict:
    if "msg_zh" in error:  # raised by an endpoint (core.apitools), already in Chinese
        return {"loc": list(error["loc"]), "msg": error["msg_zh"], "type": error["type"]}
    template = PYDANTIC_MESSAGES.get(error.get("type", ""), "输入无效")
    ctx = dict(error.get("ctx", {}))
    if "expected" in ctx:  # "'a', 'b' or 'c'" → "a、b、c"
        ctx["expected"] = (
            "、".join(re.findall(r"'([^']*)'", str(ctx["expected"]))) or ctx["expected"]
        )
    try:
        msg = template.format(**ctx)
    except (KeyError, IndexError):
        msg = template
    return {"loc": list(error.get("loc", [])), "msg": msg, "type": error.get("type", "invalid")}


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    return api.create_response(request, {"detail": [_chinese(e) for e in exc.errors]}, status=422)


@api.exception_handler(DjangoValidationError)
def on_rule_error(request, exc: DjangoValidationError):
    detail = [
        {
            "loc": ["body", field] if field != "__all__" else ["body"],
            "msg": msg,
            "type": "rule",
        }
        for field, msgs in field_errors(exc).items()
        for msg in msgs
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return api.create_response(request, {"detail": MSG_TOO_BIG}, status=413)


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request, exc):
    """A multipart body without a (valid) boundary: the client's fault, a 400 — not the
    500 (with a traceback, under DEBUG) that ninja's catch-all would answer."""
    return api.create_response(request, {"detail": MSG_BAD_MULTIPART}, status=400)


@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def on_bad_request(request, exc):
    """Django's other unparseable-request errors (too many fields or files, …)."""
    return api.create_response(request, {"detail": MSG_BAD_REQUEST}, status=400)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": MSG_NOT_FOUND}, status=404)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or MSG_FORBIDDEN}, status=403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": MSG_UNAUTHENTICATED}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    """A body that is not JSON is an input error like any other: 422 at ``["body"]``."""
    if isinstance(exc.__cause__, MalformedBodyError):
        error = {"loc": ["body"], "msg": exc.__cause__.msg, "type": "json_invalid"}
        return api.create_response(request, {"detail": [error]}, status=422)
    detail = HTTP_ERROR_MESSAGES.get(str(exc), str(exc))
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


def _register_routers() -> None:
    from dangjian.accounts.api import router as accounts_router
    from dangjian.core.api import router as inbox_router
    from dangjian.core.api import warnings_router
    from dangjian.desk.api import router as desk_router
    from dangjian.desk.api_chats import router as desk_chats_router
    from dangjian.desk.api_routing import router as desk_routing_router
    from dangjian.dues.api import router as dues_router
    from dangjian.knowledge.api import router as knowledge_router
    from dangjian.knowledge.editorial_api import router as editorial_router
    from dangjian.members.api import router as members_router
    from dangjian.mobility.api import router as mobility_router
    from dangjian.orglife.api import router as orglife_router
    from dangjian.orgs.api import router as orgs_router
    from dangjian.recruitment.api import router as recruitment_router
    from dangjian.transfers.api import router as transfers_router
    from dangjian.transfers.api_incoming import router as incoming_router

    api.add_router("/auth", accounts_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/members", members_router)
    api.add_router("/inbox", inbox_router)
    api.add_router("/warnings", warnings_router)
    api.add_router("/orglife", orglife_router)
    api.add_router("/consult", knowledge_router)  # the two apps share the 12371 prefix
    api.add_router("/consult", desk_router)
    api.add_router("/consult", desk_chats_router)
    api.add_router("/consult", desk_routing_router)
    api.add_router("/consult", editorial_router)  # 每日一答 schedule, 政策解读
    api.add_router("/transfers/incoming", incoming_router)  # before /transfers/{transfer_id}
    api.add_router("/transfers", transfers_router)
    api.add_router("/recruitment", recruitment_router)
    api.add_router("/mobility", mobility_router)
    api.add_router("/dues", dues_router)


_register_routers()
