"""Accounts: users, roles and API tokens. Every write audited."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import ApiToken, RoleAssignment, User
from dangjian.accounts.twofactor import DEVICE_NAME, TwoFactorDevice
from dangjian.core import audit, scope
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, Role, authorize

MSG_USERNAME_TAKEN = "该用户名已被使用"
MSG_ROLE_EXISTS = "该用户在此组织已有这个角色"
MSG_MEMBER_LINKED = "该党员已绑定其他账号"
MSG_ACCOUNT_LINKED = "该账号已绑定其他党员"
MSG_OLD_PASSWORD = "原密码不正确"
MSG_SAME_PASSWORD = "新密码不能与原密码相同"
MSG_OTP_WRONG = "动态验证码错误或已使用，请输入手机上显示的最新验证码"
MSG_OTP_ALREADY = "您已绑定动态验证码，如需更换请联系管理员重置"

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
        org=org,
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
        org=assignment.org,
        before={"user": assignment.user_id, "role": assignment.role},
        ip=ip,
    )
    assignment.delete()
    scope.forget(assignment.user)


@transaction.atomic
def user_link_member(*, acting_user, user: User, member, ip: str | None = None) -> User:
    """Link a login to a member record and give it the 普通党员 role at the member's
    branch: an admitted applicant who applied with an account now logs in as that
    member (发展党员, called by recruitment on approval). Needs change rights over the
    member's branch. Refused when the account is linked to someone else or the member
    to another account; linking the same pair again changes nothing.
    """
    authorize(acting_user, Perm.CHANGE_MEMBER, member.branch.path, view_perm=Perm.VIEW_MEMBER)
    user = User.objects.select_for_update().get(pk=user.pk)
    errors = {}
    if user.member_id not in (None, member.pk):
        errors["user"] = MSG_ACCOUNT_LINKED
    if User.objects.filter(member=member).exclude(pk=user.pk).exists():
        errors["member"] = MSG_MEMBER_LINKED
    raise_if(errors)
    linked = user.member_id is None
    if linked:
        user.member = member
        user.save(update_fields=["member"])
    _, granted = RoleAssignment.objects.get_or_create(
        user=user, org=member.branch, role=Role.MEMBER
    )
    if not (linked or granted):
        return user
    scope.forget(user)
    audit.record(
        actor=acting_user,
        action="user.link_member",
        obj=user,
        org=member.branch,
        after={"member": member.pk, "role": str(Role.MEMBER) if granted else None},
        ip=ip,
    )
    return user


@transaction.atomic
def member_roles_follow(*, acting_user, member, from_branch, to_branch=None, ip=None) -> int:
    """The 普通党员 role a member's login holds at ``from_branch`` follows them on a
    completed 组织关系转接: moved to ``to_branch``, or, out of the platform (None), taken
    away, so they no longer see what ordinary members of the old branch see. The transfer
    was authorised by its own service (the receiving side acts for a move on the
    platform); audited per login. Returns the number of logins changed.
    """
    changed = 0
    grants = (
        RoleAssignment.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(user__member=member, org=from_branch, role=Role.MEMBER)
    )
    for grant in grants:
        user = grant.user
        if (
            to_branch is not None
            and not RoleAssignment.objects.filter(
                user=user, org=to_branch, role=Role.MEMBER
            ).exists()
        ):
            RoleAssignment.objects.create(user=user, org=to_branch, role=Role.MEMBER)
        grant.delete()
        scope.forget(user)
        audit.record(
            actor=acting_user,
            action="role.follow_member",
            obj=user,
            org=to_branch or from_branch,
            before={"org": from_branch.pk, "role": str(Role.MEMBER)},
            after={"org": to_branch.pk if to_branch else None, "role": str(Role.MEMBER)},
            ip=ip,
        )
        changed += 1
    return changed


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
def login_recorded(
    *, user: User | None, username: str, success: bool, ip: str | None, locked: bool = False
) -> None:
    """Audit a login attempt (success or failure) — the 'who came in' half of 赖不掉."""
    after = {"username": username}
    if locked:
        after["locked"] = True
    audit.record(
        actor=user if success else None,
        action="auth.login" if success else "auth.login_failed",
        after=after,
        ip=ip,
    )


@transaction.atomic
def logout_recorded(*, user: User, reason: str, ip: str | None) -> None:
    """Audit the end of a session: ``logout`` (asked for), ``idle`` or ``expired``."""
    audit.record(actor=user, action="auth.logout", after={"reason": reason}, ip=ip)


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, ip: str | None) -> User:
    """Change one's own password: the old one must match, the new one pass every rule.

    The new hash enters the password history (accounts.validators), the change is
    audited (without any hash), and the user's API tokens are revoked.
    """
    errors = {}
    if not check_password(old_password, user.password):
        errors["old_password"] = MSG_OLD_PASSWORD
    elif old_password == new_password:
        errors["new_password"] = MSG_SAME_PASSWORD
    else:
        try:
            password_validation.validate_password(new_password, user)
        except ValidationError as exc:
            errors["new_password"] = " ".join(exc.messages)
    raise_if(errors)
    user.set_password(new_password)
    user.save()  # → validators' password_changed(): history + password_changed_at
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    audit.record(
        actor=user,
        action="auth.password_change",
        obj=user,
        after={"tokens_revoked": revoked},
        ip=ip,
    )
    return user


@transaction.atomic
def otp_enrol_start(*, user: User) -> TwoFactorDevice:
    """The user's unconfirmed TOTP device (a new random key), for the enrolment page.

    Refused when a confirmed device exists: a second device must never be added by
    someone who has only the password.
    """
    if TwoFactorDevice.objects.filter(user=user, confirmed=True).exists():
        raise_if({"__all__": MSG_OTP_ALREADY})
    device = TwoFactorDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TwoFactorDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def otp_device_provision(
    *, acting_user, user: User, key: str, ip: str | None = None
) -> TwoFactorDevice:
    """Give ``user`` a confirmed TOTP device with a known hex key (the demo seeder only:
    real users enrol themselves, so nobody else ever knows their key). Idempotent."""
    device = TwoFactorDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is not None:
        return device
    device = TwoFactorDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True)
    audit.record(
        actor=acting_user, action="auth.otp_provision", obj=device, after={"user": user.pk}, ip=ip
    )
    return device


def otp_enrol_confirm(*, user: User, token: str, ip: str | None) -> TwoFactorDevice:
    """Confirm the pending device with its first code; audited either way.

    Not one transaction: a failed code must still count against the device (throttling)
    and stay in the audit log, although the confirmation is refused.
    """
    device = otp_enrol_start(user=user)
    ok = device.verify_token(token)
    with transaction.atomic():
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TwoFactorDevice.objects.filter(user=user, confirmed=False).delete()
        audit.record(
            actor=user,
            action="auth.otp_enrol" if ok else "auth.otp_failed",
            obj=device,
            after=None if ok else {"step": "enrol"},
            ip=ip,
        )
    if not ok:
        raise_if({"token": MSG_OTP_WRONG})
    return device


def otp_verify(*, user: User, token: str, ip: str | None) -> TwoFactorDevice:
    """Check a code against the user's confirmed device; audited either way.

    A code already used is refused (the device keeps the last time step it accepted),
    and repeated failures slow the device down (django-otp's throttling) — which is
    why this is not one transaction: a failure must be kept although it is refused.
    """
    device = TwoFactorDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    ok = device is not None and device.verify_token(token)
    with transaction.atomic():
        audit.record(
            actor=user,
            action="auth.otp" if ok else "auth.otp_failed",
            obj=device,
            after=None if ok else {"step": "verify"},
            ip=ip,
        )
    if not ok:
        raise_if({"token": MSG_OTP_WRONG})
    return device


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
