"""The 流动党员电子活动证's QR code: a signed token and the public page it opens.

The token is ``<id>.<nonce>`` signed with ``django.core.signing`` under a salt of its own
(HMAC with the secret key): without the key no token can be made for another card, and
the random per-card nonce means a card number alone never verifies either. The public
verification page (no login) shows only the name, the two organisations and the
validity — never an ID number, a phone or an address.
"""

import secrets

from django.core import signing
from django.urls import reverse

SALT = "dangjian.mobility.card"


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def token_for(registration) -> str:
    return signing.Signer(salt=SALT).sign(f"{registration.pk}.{registration.nonce}")


def parse_token(token: str) -> tuple[int, str] | None:
    """(registration id, nonce) of a genuine token, else None."""
    try:
        value = signing.Signer(salt=SALT).unsign(str(token or ""))
        pk, nonce = value.split(".", 1)
        return int(pk), nonce
    except (signing.BadSignature, ValueError):
        return None


def verify_path(registration) -> str:
    return reverse("mobility:verify", args=[token_for(registration)])


def qr_svg(data: str) -> str:
    """An inline SVG of a QR code for ``data`` (segno)."""
    import segno

    return segno.make(data, error="m").svg_inline(scale=5, border=2, omitsize=True)
