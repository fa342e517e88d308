"""Authentication endpoints: token in exchange for username + password."""

from django.contrib.auth import authenticate
from ninja import Router, Schema
from ninja.errors import HttpError

from dangjian.accounts import services
from dangjian.accounts.selectors import roles_of
from dangjian.core.http import client_ip

router = Router(tags=["auth"])


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
