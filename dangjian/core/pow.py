"""Proof of work (hashcash) for public forms, with no outside service.

When one address posts a public form faster than a low rate, each further post must
carry the solution of a fresh challenge: the server issues a signed token naming a
random value and a difficulty; the page's script (static/js/pow.js, SubtleCrypto
SHA-256) finds a nonce such that ``SHA-256("<token>:<nonce>")`` starts with that many
zero bits; the server checks the signature, the age, the bits, and that the token was
not used before. 16 bits cost a phone about a second and a spammer that second per post;
below the rate nobody is asked, so the form works without JavaScript.
"""

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache

SALT = "dangjian.pow"
MAX_AGE = 600  # seconds a challenge stays solvable
MSG_REQUIRED = "提交过于频繁：请稍候，页面正在完成安全验证（需开启浏览器脚本），完成后再提交"
MSG_INVALID = "安全验证未通过或已过期，请重新提交"


class PowError(Exception):
    """No valid solution: the message is for the user."""


def bits() -> int:
    return int(getattr(settings, "POW_BITS", 16))


def issue(purpose: str) -> str:
    """A signed challenge for ``purpose`` at the configured difficulty."""
    return signing.dumps({"p": purpose, "r": secrets.token_hex(8), "b": bits()}, salt=SALT)


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        return count + 8 - byte.bit_length()
    return count


def solve(token: str) -> str:
    """Find a nonce in Python (tests and the bench; the browser uses pow.js)."""
    wanted = signing.loads(token, salt=SALT)["b"]
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{token}:{nonce}".encode()).digest()) < wanted:
        nonce += 1
    return str(nonce)


def verify(token: str, nonce: str, purpose: str) -> None:
    """Accept a solution once; PowError if missing, forged, stale, too weak or reused."""
    if not token or not nonce:
        raise PowError(MSG_REQUIRED)
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        raise PowError(MSG_INVALID) from None
    if data.get("p") != purpose or not str(nonce).isdigit() or len(str(nonce)) > 20:
        raise PowError(MSG_INVALID)
    digest = hashlib.sha256(f"{token}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < max(int(data.get("b", 0)), bits()):
        raise PowError(MSG_INVALID)
    if not cache.add(f"pow:{data['r']}", 1, timeout=MAX_AGE):  # one post per solution
        raise PowError(MSG_INVALID)
