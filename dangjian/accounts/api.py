"""Authentication endpoints: token in exchange for username + password (+ TOTP code), and
revoking it.

POST /auth/token answers: 401 wrong credentials, missing or wrong TOTP code; 403 a
second factor is required but not yet set up (enrol on the web first), or the password
has expired (change it on the web first); 429 locked out after repeated failures or
over the rate limit (with Retry-After). Every body is ``{"detail": "<中文>"}``.
"""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from dangjian.accounts import lockout, services, twofactor
from dangjian.accounts.selectors import roles_of
from dangjian.accounts.validators import password_expired
from dangjian.core.http import client_ip
from dangjian.core.ratelimit import ratelimit

MSG_BAD_CREDENTIALS = "用户名或密码错误"
MSG_OTP_REQUIRED = "需要动态验证码"
MSG_OTP_WRONG = "动态验证码错误"
MSG_OTP_NOT_ENROLLED = "该账号须使用动态验证码登录，请先在网页上登录并绑定动态验证码"
MSG_PASSWORD_EXPIRED = "密码已过期，请先在网页上登录并修改密码"

router = Router(tags=["auth"])


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>`` from POST /auth/token (the API's first auth)."""

    def authenticate(self, request, token: str):
        user = services.token_user(token)
        if user is not None:
            request.user = user
            request.bearer_token = token  # what POST /auth/token/revoke revokes
        return user


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = None  # 6-digit TOTP code: required for admins, leaders, agents


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: str


class RoleOut(Schema):
    role: str
    role_label: str
    org_id: int
    org_name: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    member_id: int | None
    is_superuser: bool
    roles: list[RoleOut]


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut},
    summary="用户名密码（及动态验证码）换取令牌",
    description=(
        "管理员、单位领导、12371坐席及系统管理员须同时提交 otp（6位动态验证码），"
        "且须先在网页上绑定动态验证码。401：用户名密码或动态验证码错误；"
        "403：尚未绑定动态验证码或密码已过期；429：失败次数过多被暂时锁定或请求过于频繁"
        "（响应头 Retry-After 给出等待秒数）。"
    ),
)
@ratelimit("login", key="ip")
@ratelimit("login-user", key="username")
def issue_token(request, payload: TokenIn):
    ip = client_ip(request)
    user = authenticate(request, username=payload.username, password=payload.password)
    locked = lockout.is_locked_out(request)
    services.login_recorded(
        user=user, username=payload.username, success=user is not None, ip=ip, locked=locked
    )
    if user is None:
        if locked:
            response = JsonResponse({"detail": lockout.locked_message()}, status=429)
            response["Retry-After"] = lockout.retry_after()
            return response
        raise HttpError(401, MSG_BAD_CREDENTIALS)
    lockout.forget_failures(payload.username)
    if twofactor.requires_2fa(user):
        if twofactor.confirmed_device(user) is None:
            raise HttpError(403, MSG_OTP_NOT_ENROLLED)
        if not payload.otp:
            raise HttpError(401, MSG_OTP_REQUIRED)
        try:
            services.otp_verify(user=user, token=payload.otp, ip=ip)
        except ValidationError:
            raise HttpError(401, MSG_OTP_WRONG) from None
    if password_expired(user):
        raise HttpError(403, MSG_PASSWORD_EXPIRED)
    raw, token = services.token_issue(user=user, ip=ip)
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


@router.post(
    "/token/revoke",
    auth=BearerAuth(),
    response={204: None},
    summary="注销当前令牌（请求所用的 Bearer 令牌立即失效）",
)
def revoke_token(request):
    services.token_revoke(user=request.user, raw=request.bearer_token, ip=client_ip(request))
    return Status(204, None)


@router.get("/me", response=MeOut, summary="当前用户与角色")
def me(request):
    user = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "member_id": user.member_id,
        "is_superuser": user.is_superuser,
        "roles": [
            {
                "role": r.role,
                "role_label": r.get_role_display(),
                "org_id": r.org_id,
                "org_name": r.org.name,
            }
            for r in roles_of(user)
        ],
    }
