"""Authentication endpoints: token in exchange for username + password, and revoking it."""

from django.contrib.auth import authenticate
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from dangjian.accounts import services
from dangjian.accounts.selectors import roles_of
from dangjian.core.http import client_ip

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


@router.post("/token", auth=None, response={200: TokenOut}, summary="用户名密码换取令牌")
def issue_token(request, payload: TokenIn):
    user = authenticate(request, username=payload.username, password=payload.password)
    services.login_recorded(
        user=user, username=payload.username, success=user is not None, ip=client_ip(request)
    )
    if user is None:
        raise HttpError(401, "用户名或密码错误")
    raw, token = services.token_issue(user=user, ip=client_ip(request))
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
