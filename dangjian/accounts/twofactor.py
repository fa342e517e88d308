"""Two-factor authentication (TOTP, django-otp): who needs it, devices, codes, QR.

Admins, leaders and 12371 agents (at any organisation) and superusers are *privileged*:
they must confirm a time-based code after their password. Everyone else may enrol if
they wish, and once enrolled is asked for the code too. A device is created unconfirmed
on the enrolment page and confirmed by the first valid code.
"""

import base64
import hashlib

import segno
from django_otp.oath import TOTP

from dangjian.accounts.models import TwoFactorDevice
from dangjian.core.scope import Role, held_roles

TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.AGENT})
DEVICE_NAME = "手机动态验证码"


def is_privileged(user) -> bool:
    """Superusers and holders of an admin, leader or agent role at an organisation not
    dissolved (read with the user's scope, cached per request).

    They must use a second factor, and their passwords expire.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or held_roles(user) & TWO_FACTOR_ROLES)


def requires_2fa(user) -> bool:
    """Privileged, or enrolled of their own accord (cached per request)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if "_requires_2fa" not in user.__dict__:
        user.__dict__["_requires_2fa"] = is_privileged(user) or (
            TwoFactorDevice.objects.filter(user=user, confirmed=True).exists()
        )
    return user.__dict__["_requires_2fa"]


def confirmed_device(user) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def is_verified(request) -> bool:
    """The session passed the second factor (django-otp's middleware decides)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def current_code(device: TwoFactorDevice) -> str:
    """The code the device shows now (tests, and the demo's ``totp_code`` command)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def demo_key(seed: int, username: str) -> str:
    """A deterministic 20-byte hex key for a demo account (never for real accounts)."""
    return hashlib.sha256(f"dangjian-demo-totp:{seed}:{username}".encode()).hexdigest()[:40]


def base32_secret(device: TwoFactorDevice) -> str:
    """The secret as authenticator apps take it when typed in (groups of four)."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_data_uri(device: TwoFactorDevice) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (CSP allows img-src data:)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
