"""Field encryption and masking (打不开、读不懂).

Sensitive values are stored as ``v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``. The
keys are in a JSON file outside the database (settings.FIELD_KEY_FILE), so a stolen
database dump reads as noise. Each key carries its algorithm, so the key id in a value
decides how it is decrypted:

- ``aes-256-gcm``: AES with a 256-bit key in GCM mode (the default);
- ``sm4``: SM4 (GB/T 32907-2016, 国密) with a 128-bit key in GCM mode (GB/T 17964-2021
  分组密码算法的工作模式; the same construction as RFC 8998), for deployments where
  商用密码 is required. ``DANGJIAN_FIELD_CIPHER`` chooses the algorithm of new keys.

Both are authenticated: a flipped bit or a wrong key is refused, never decrypted to
garbage. Keys rotate (``dangjian rotate_keys``): new writes use the ``current`` key, old
values stay readable until re-encrypted. A separate HMAC key makes *blind indexes* —
equality lookups and uniqueness on a value nobody can read back; while the index key
itself is being rotated the previous one is kept, and lookups try both.

The key file::

    {"current": "<kid>",
     "keys": {"<kid>": {"alg": "aes-256-gcm" | "sm4", "key": "<base64>"}, ...},
     "index_key": "<base64>",
     "index_key_previous": "<base64>"}      # only during an index-key rotation

(A key given as a bare base64 string is an ``aes-256-gcm`` key: the first format.)
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dangjian.core.secrets import write_private

PREFIX = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16

AES_256_GCM = "aes-256-gcm"
SM4 = "sm4"
KEY_BYTES = {AES_256_GCM: 32, SM4: 16}
ALGORITHMS = tuple(KEY_BYTES)

MSG_UNKNOWN_ALG = "未知的字段加密算法：{alg}（可选：aes-256-gcm、sm4）"
MSG_NO_SM4 = "当前 cryptography/OpenSSL 不支持 SM4-GCM，无法使用 sm4 密钥"


class DecryptionError(Exception):
    """A stored value could not be decrypted: wrong key, or tampered ciphertext."""


@dataclass(frozen=True)
class DataKey:
    alg: str
    key: bytes


@dataclass(frozen=True)
class KeyRing:
    """The data keys by id (``current`` encrypts new values) and the blind-index keys."""

    keys: dict[str, DataKey]
    current: str
    index_key: bytes
    index_key_previous: bytes | None = None


# --- The two ciphers: same value layout, nonce ‖ ciphertext ‖ 16-byte tag.


def _sm4_gcm_encrypt(key: bytes, nonce: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = enc.update(data) + enc.finalize()
    return body + enc.tag


def _sm4_gcm_decrypt(key: bytes, nonce: bytes, blob: bytes) -> bytes:
    if len(blob) < TAG_BYTES:
        raise InvalidTag
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, blob[-TAG_BYTES:])).decryptor()
    return dec.update(blob[:-TAG_BYTES]) + dec.finalize()


def seal(data_key: DataKey, plaintext: bytes) -> bytes:
    """nonce ‖ AEAD(plaintext) under one data key."""
    nonce = os.urandom(NONCE_BYTES)
    if data_key.alg == AES_256_GCM:
        return nonce + AESGCM(data_key.key).encrypt(nonce, plaintext, None)
    return nonce + _sm4_gcm_encrypt(data_key.key, nonce, plaintext)


def open_sealed(data_key: DataKey, raw: bytes) -> bytes:
    """Inverse of :func:`seal`; raises InvalidTag on a wrong key or any tampering."""
    nonce, blob = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    if data_key.alg == AES_256_GCM:
        return AESGCM(data_key.key).decrypt(nonce, blob, None)
    return _sm4_gcm_decrypt(data_key.key, nonce, blob)


def sm4_supported() -> bool:
    try:
        _sm4_gcm_encrypt(bytes(16), bytes(NONCE_BYTES), b"")
    except UnsupportedAlgorithm:
        return False
    return True


# --- The key file


def configured_algorithm() -> str:
    """The algorithm for new data keys (settings.FIELD_CIPHER / DANGJIAN_FIELD_CIPHER)."""
    alg = getattr(settings, "FIELD_CIPHER", AES_256_GCM)
    if alg not in KEY_BYTES:
        raise ImproperlyConfigured(MSG_UNKNOWN_ALG.format(alg=alg))
    if alg == SM4 and not sm4_supported():
        raise ImproperlyConfigured(MSG_NO_SM4)
    return alg


def new_key_id(existing=()) -> str:
    while True:
        kid = secrets.token_hex(4)
        if kid not in existing:
            return kid


def new_data_key(alg: str) -> dict:
    """A fresh data key entry of the key file."""
    return {"alg": alg, "key": base64.b64encode(os.urandom(KEY_BYTES[alg])).decode()}


def new_index_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def new_keyring_document(alg: str | None = None) -> dict:
    """A fresh key file's content: one data key and one index key."""
    kid = new_key_id()
    return {
        "current": kid,
        "keys": {kid: new_data_key(alg or configured_algorithm())},
        "index_key": new_index_key(),
    }


def _parse_key(kid: str, entry) -> DataKey:
    if isinstance(entry, str):  # first format: a bare AES-256 key
        entry = {"alg": AES_256_GCM, "key": entry}
    alg = entry.get("alg", AES_256_GCM)
    if alg not in KEY_BYTES:
        raise ImproperlyConfigured(MSG_UNKNOWN_ALG.format(alg=alg))
    key = base64.b64decode(entry["key"])
    if len(key) != KEY_BYTES[alg]:
        raise ImproperlyConfigured(f"密钥 {kid} 的长度不符合 {alg} 的要求")
    return DataKey(alg=alg, key=key)


def parse_document(doc: dict) -> KeyRing:
    keys = {kid: _parse_key(kid, entry) for kid, entry in doc["keys"].items()}
    if doc["current"] not in keys:
        raise ImproperlyConfigured("密钥文件中的 current 不是已知的密钥编号")
    previous = doc.get("index_key_previous")
    return KeyRing(
        keys=keys,
        current=doc["current"],
        index_key=base64.b64decode(doc["index_key"]),
        index_key_previous=base64.b64decode(previous) if previous else None,
    )


def key_file() -> Path:
    return Path(settings.FIELD_KEY_FILE)


def read_document(path: Path | None = None) -> dict:
    return json.loads((path or key_file()).read_text())


def write_document(doc: dict, path: Path | None = None) -> None:
    """Replace the key file atomically (0600), then drop the cached ring."""
    parse_document(doc)  # never write a file that would not load
    write_private(path or key_file(), json.dumps(doc, indent=2))
    _cache.clear()


def _load(path: Path, autocreate: bool) -> KeyRing:
    if not path.exists():
        if not autocreate:
            raise ImproperlyConfigured(
                f"加密密钥文件不存在：{path}（设置 DANGJIAN_KEY_FILE，或在开发环境中运行 make demo）"
            )
        write_private(path, json.dumps(new_keyring_document(), indent=2))
    return parse_document(read_document(path))


# Cached per (path, mtime), the file looked at again at most once a second: a process
# notices a key file rewritten by `rotate_keys` while it runs, at no cost per value.
RECHECK_SECONDS = 1.0
_cache: dict = {}


def keyring() -> KeyRing:
    path = str(settings.FIELD_KEY_FILE)
    now = time.monotonic()
    if _cache.get("path") == path and now - _cache["checked"] < RECHECK_SECONDS:
        return _cache["ring"]
    try:
        stamp = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        stamp = None
    if _cache.get("path") != path or _cache.get("stamp") != stamp:
        ring = _load(Path(path), settings.FIELD_KEY_AUTOCREATE)
        stamp = os.stat(path).st_mtime_ns
        _cache.update(path=path, stamp=stamp, ring=ring)
    _cache["checked"] = now
    return _cache["ring"]


def reset_cache() -> None:
    """Forget the loaded key ring (tests that swap settings.FIELD_KEY_FILE)."""
    _cache.clear()


def fingerprint(kids) -> str:
    """A fingerprint of a set of key ids (never of the keys): SHA-256 of the sorted ids."""
    return hashlib.sha256("\n".join(sorted(kids)).encode()).hexdigest()


# --- Values


def key_id_of(token: str) -> str:
    """The key id a stored value was encrypted under ('' if it is not a v1 value)."""
    parts = token.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else ""


def encrypt(plaintext: str) -> str:
    ring = keyring()
    blob = seal(ring.keys[ring.current], plaintext.encode())
    return f"{PREFIX}:{ring.current}:{base64.b64encode(blob).decode()}"


def decrypt(token: str) -> str:
    try:
        prefix, kid, payload = token.split(":", 2)
        ring = keyring()
        if kid not in ring.keys:  # written under a key added a moment ago: look again
            _cache.clear()
            ring = keyring()
        data_key = ring.keys[kid]
        raw = base64.b64decode(payload, validate=True)
    except (ValueError, KeyError) as exc:
        raise DecryptionError("无法识别的密文或未知的密钥编号") from exc
    if prefix != PREFIX:
        raise DecryptionError("未知的密文版本")
    try:
        return open_sealed(data_key, raw).decode()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("密文校验失败（密钥错误或数据被篡改）") from exc


def _hmac(key: bytes, value: str, purpose: str) -> str:
    msg = f"{purpose}\x00{value}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of a normalised value under the current index key, per purpose."""
    return _hmac(keyring().index_key, value, purpose)


def blind_indexes(value: str, *, purpose: str) -> list[str]:
    """Every digest the value may be stored under: the current index key's first, then
    the previous key's while an index-key rotation is under way. Look up with ``__in``."""
    ring = keyring()
    digests = [_hmac(ring.index_key, value, purpose)]
    if ring.index_key_previous:
        digests.append(_hmac(ring.index_key_previous, value, purpose))
    return digests


# --- Masks


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


ADDRESS_KEEP = 6


def mask_address(value: str) -> str:
    """云南省昆明市五华区华山南路 → 云南省昆明市***: the region, never the street or house.

    A short address keeps at most half its characters, so it is never shown whole.
    """
    value = value.strip()
    if not value:
        return ""
    keep = min(ADDRESS_KEEP, len(value) // 2)
    return value[:keep] + "***"
