"""The REST API at /api/v1 (django-ninja): authentication and one error format.

Every error body is ``{"detail": ...}``. Validation failures are 422 with a list of
``{"loc": [...], "msg": "<中文>", "type": ...}`` — the same shape whether pydantic
rejected the input or a service's domain rule did, so a client handles one format.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from dangjian.accounts.services import token_user
from dangjian.core.errors import field_errors


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` from POST /auth/token."""

    def authenticate(self, request, token: str):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="智慧党建 API",
    version="1",
    description="组织、党员等接口。认证：POST /api/v1/auth/token 获取令牌，之后使用 Bearer 令牌。",
    auth=[BearerAuth(), django_auth],
    urls_namespace="api",
)

# pydantic error type → Chinese message (ctx values are formatted in).
PYDANTIC_MESSAGES = {
    "missing": "必填项",
    "string_type": "应为文本",
    "string_too_short": "长度不能少于{min_length}个字符",
    "string_too_long": "长度不能超过{max_length}个字符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "greater_than": "应大于{gt}",
    "less_than": "应小于{lt}",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "请求体应为 JSON 对象",
    "dict_type": "请求体应为 JSON 对象",
    "extra_forbidden": "不允许的字段",
    "string_pattern_mismatch": "格式不正确",
}


def _chinese(error: dict) -> dict:
    template = PYDANTIC_MESSAGES.get(error.get("type", ""), "输入无效")
    try:
        msg = template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        msg = template
    return {"loc": list(error.get("loc", [])), "msg": msg, "type": error.get("type", "invalid")}


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    return api.create_response(request, {"detail": [_chinese(e) for e in exc.errors]}, status=422)


@api.exception_handler(DjangoValidationError)
def on_rule_error(request, exc: DjangoValidationError):
    detail = [
        {"loc": ["body", field] if field != "__all__" else ["body"], "msg": msg, "type": "rule"}
        for field, msgs in field_errors(exc).items()
        for msg in msgs
    ]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "未找到"}, status=404)


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "没有权限"}, status=403)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": "未登录或令牌无效"}, status=401)


def _register_routers() -> None:
    from dangjian.accounts.api import router as accounts_router
    from dangjian.members.api import router as members_router
    from dangjian.orgs.api import router as orgs_router

    api.add_router("/auth", accounts_router)
    api.add_router("/orgs", orgs_router)
    api.add_router("/members", members_router)


_register_routers()
