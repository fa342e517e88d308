"""Check-in tokens (签到二维码) and distances (定位签到).

The secretary's screen shows a QR code holding a signed token for the meeting. The
token is issued for a 30-second slot, so the picture changes every 30 s, and is
accepted for 2 minutes: a photo of the code forwarded to an absent member goes stale
before it can be of use. Tokens are signed with ``django.core.signing`` under a salt
of their own (a token of another purpose never verifies here) and carry the meeting
id, so a token for meeting A never checks into meeting B.
"""

import datetime as dt
import math
from urllib.parse import urlencode

from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "dangjian.orglife.checkin.qr"
ROTATE_SECONDS = 30
VALID_SECONDS = 120
CLOCK_SKEW_SECONDS = 5  # app servers' clocks may differ a little

MSG_TOKEN_FORGED = "签到二维码无效，请扫描会场屏幕上的二维码"
MSG_TOKEN_EXPIRED = "签到二维码已过期，请重新扫描会场屏幕上的最新二维码"
MSG_TOKEN_OTHER_MEETING = "该二维码不是本次会议的签到码"


def checkin_url(meeting, token: str) -> str:
    """The member's check-in page the QR code points at (a path; callers make it absolute)."""
    return f"{reverse('orglife:checkin', args=[meeting.pk])}?{urlencode({'t': token})}"


class TokenError(Exception):
    """A token refused; the message is for the member."""


class _SlotSigner(signing.TimestampSigner):
    """A TimestampSigner whose timestamp is the start of the 30-second slot of ``at``."""

    def __init__(self, at: dt.datetime):
        super().__init__(salt=SALT)
        self._slot = int(at.timestamp()) // ROTATE_SECONDS * ROTATE_SECONDS

    def timestamp(self) -> str:
        return signing.b62_encode(self._slot)


def qr_token_for(meeting, now: dt.datetime | None = None) -> str:
    """The token the screen shows at ``now`` (the same for the whole 30-second slot)."""
    return _SlotSigner(now or timezone.now()).sign(str(meeting.pk))


def seconds_to_rotation(now: dt.datetime | None = None) -> int:
    """Seconds until the next token (for the screen's refresh timer)."""
    now = now or timezone.now()
    return ROTATE_SECONDS - int(now.timestamp()) % ROTATE_SECONDS


def _unsign(token: str) -> tuple[str, int]:
    try:
        value, stamp = signing.Signer(salt=SALT).unsign(str(token or "")).rsplit(":", 1)
        return value, signing.b62_decode(stamp)
    except (signing.BadSignature, ValueError):
        raise TokenError(MSG_TOKEN_FORGED) from None


def token_expires_at(token: str) -> int:
    """When a genuine token stops being accepted (Unix seconds), for the check-in page
    to withdraw its 签到 button in time; raises :class:`TokenError` for a forged one."""
    return _unsign(token)[1] + VALID_SECONDS


def verify_token(token: str, meeting, now: dt.datetime | None = None) -> None:
    """Accept a token for ``meeting`` at ``now`` or raise :class:`TokenError`."""
    now = now or timezone.now()
    value, issued = _unsign(token)
    if value != str(meeting.pk):
        raise TokenError(MSG_TOKEN_OTHER_MEETING)
    age = now.timestamp() - issued
    if age > VALID_SECONDS or age < -CLOCK_SKEW_SECONDS:
        raise TokenError(MSG_TOKEN_EXPIRED)


EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine): accurate to well under a metre at
    the few-hundred-metre distances of a check-in radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def qr_svg(data: str, *, scale: int = 6) -> str:
    """An inline SVG of a QR code for ``data`` (segno), without an XML declaration."""
    import segno

    return segno.make(data, error="m").svg_inline(scale=scale, dark="#000", light="#fff")
