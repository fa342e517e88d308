"""Field encryption and masking (打不开、读不懂).

Sensitive values are stored as ``v1:<key id>:<base64(nonce ‖ AES-256-GCM ciphertext)>``.
The keys are in a JSON file outside the database (settings.FIELD_KEY_FILE), so a stolen
database dump reads as noise. The key id in every value lets keys rotate: new writes use
the newest key, old values stay readable until re-encrypted. A separate HMAC key makes
*blind indexes* — equality lookups and uniqueness on a value nobody can read back.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dangjian.core.secrets import write_private

PREFIX = "v1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted: wrong key, or tampered ciphertext."""


@dataclass(frozen=True)
class KeyRing:
    """The data keys by id (newest is ``current``) and the blind-index key."""

    keys: dict[str, bytes]
    current: str
    index_key: bytes


def new_keyring_document() -> dict:
    """A fresh key file's content: one 256-bit data key and one index key."""
    kid = secrets.token_hex(4)
    return {
        "current": kid,
        "keys": {kid: base64.b64encode(os.urandom(32)).decode()},
        "index_key": base64.b64encode(os.urandom(32)).decode(),
    }


def _load(path: Path, autocreate: bool) -> KeyRing:
    if not path.exists():
        if not autocreate:
            raise ImproperlyConfigured(
                f"加密密钥文件不存在：{path}（设置 DANGJIAN_KEY_FILE，或在开发环境中运行 make demo）"
            )
        write_private(path, json.dumps(new_keyring_document(), indent=2))
    doc = json.loads(path.read_text())
    keys = {kid: base64.b64decode(k) for kid, k in doc["keys"].items()}
    if doc["current"] not in keys:
        raise ImproperlyConfigured("密钥文件中的 current 不是已知的密钥编号")
    return KeyRing(keys=keys, current=doc["current"], index_key=base64.b64decode(doc["index_key"]))


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    return _load(Path(settings.FIELD_KEY_FILE), settings.FIELD_KEY_AUTOCREATE)


def encrypt(plaintext: str) -> str:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    blob = AESGCM(ring.keys[ring.current]).encrypt(nonce, plaintext.encode(), None)
    return f"{PREFIX}:{ring.current}:{base64.b64encode(nonce + blob).decode()}"


def decrypt(token: str) -> str:
    try:
        prefix, kid, payload = token.split(":", 2)
        key = keyring().keys[kid]
        raw = base64.b64decode(payload)
    except (ValueError, KeyError) as exc:
        raise DecryptionError("无法识别的密文或未知的密钥编号") from exc
    if prefix != PREFIX:
        raise DecryptionError("未知的密文版本")
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()
    except InvalidTag as exc:
        raise DecryptionError("密文校验失败（密钥错误或数据被篡改）") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of a normalised value, separated by purpose, for lookups."""
    msg = f"{purpose}\x00{value}".encode()
    return hmac.new(keyring().index_key, msg, hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """530102199001011234 → 530102********1234."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
