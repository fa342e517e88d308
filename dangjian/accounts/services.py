"""Accounts: users, roles and API tokens. Every write audited."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import ApiToken, RoleAssignment, User
from dangjian.core import audit, scope
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, Role, authorize

MSG_USERNAME_TAKEN = "该用户名已被使用"
MSG_ROLE_EXISTS = "该用户在此组织已有这个角色"
MSG_MEMBER_LINKED = "该党员已绑定其他账号"

TOKEN_PREFIX = "dj_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def user_create(
    *,
    acting_user,
    username: str,
    password: str,
    display_name: str = "",
    member=None,
    validate_password: bool = True,
    ip: str | None = None,
) -> User:
    """Create a login. Linking a member needs change rights over the member's branch."""
    if member is not None:
        authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    errors = {}
    if User.objects.filter(username=username).exists():
        errors["username"] = MSG_USERNAME_TAKEN
    if member is not None and User.objects.filter(member=member).exists():
        errors["member"] = MSG_MEMBER_LINKED
    user = User(
        username=username,
        display_name=display_name or (member.name if member else ""),
        member=member,
    )
    if validate_password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    raise_if(errors)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=acting_user,
        action="user.create",
        obj=user,
        after={"username": username, "member": member.pk if member else None},
        ip=ip,
    )
    return user


@transaction.atomic
def role_grant(
    *, acting_user, user: User, org, role: Role, ip: str | None = None
) -> RoleAssignment:
    """Grant ``role`` at ``org``. Only an admin over ``org`` (or a superuser) may."""
    if not acting_user.is_superuser:
        authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    if RoleAssignment.objects.filter(user=user, org=org, role=role).exists():
        raise_if({"role": MSG_ROLE_EXISTS})
    assignment = RoleAssignment.objects.create(user=user, org=org, role=role)
    scope.forget(user)
    audit.record(
        actor=acting_user,
        action="role.grant",
        obj=assignment,
        org_path=org.path,
        after={"user": user.pk, "role": str(role), "org": org.pk},
        ip=ip,
    )
    return assignment


@transaction.atomic
def role_revoke(*, acting_user, assignment: RoleAssignment, ip: str | None = None) -> None:
    if not acting_user.is_superuser:
        authorize(acting_user, Perm.CHANGE_ORG, assignment.org.path, view_perm=Perm.VIEW_ORG)
    audit.record(
        actor=acting_user,
        action="role.revoke",
        obj=assignment,
        org_path=assignment.org.path,
        before={"user": assignment.user_id, "role": assignment.role},
        ip=ip,
    )
    assignment.delete()
    scope.forget(assignment.user)


@transaction.atomic
def token_issue(*, user: User, ip: str | None = None) -> tuple[str, ApiToken]:
    """A new bearer token; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        digest=_digest(raw),
        expires_at=timezone.now() + dt.timedelta(hours=settings.API_TOKEN_HOURS),
    )
    audit.record(actor=user, action="auth.token", obj=token, ip=ip)
    return raw, token


def token_user(raw: str) -> User | None:
    """The active user behind a bearer token, or None (unknown, expired, inactive)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke(*, user: User, raw: str, ip: str | None = None) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, digest=_digest(raw)).delete()
    if deleted:
        audit.record(actor=user, action="auth.token_revoke", ip=ip)
    return bool(deleted)


@transaction.atomic
def login_recorded(*, user: User | None, username: str, success: bool, ip: str | None) -> None:
    """Audit a login attempt (success or failure) — the 'who came in' half of 赖不掉."""
    audit.record(
        actor=user if success else None,
        action="auth.login" if success else "auth.login_failed",
        after={"username": username},
        ip=ip,
    )


@transaction.atomic
def superuser_create(
    *, username: str, password: str, email: str = "", ip: str | None = None
) -> User:
    """The first account of a deployment (a system administrator), e.g. when seeding.

    Nobody grants it: the action is recorded as done by the system.
    """
    if User.objects.filter(username=username).exists():
        raise_if({"username": MSG_USERNAME_TAKEN})
    user = User.objects.create_superuser(username, email, password)
    audit.record(
        actor=None,
        action="user.create_superuser",
        obj=user,
        after={"username": username},
        ip=ip,
    )
    return user
