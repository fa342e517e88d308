"""The audit log's secret key: HMAC-SHA256, kept in a file outside the database.

Someone who can write to the database but not read this file cannot compute an
entry's hash, so cannot edit an entry and recompute the chain after it, nor forge a
checkpoint. The file (settings.AUDIT_KEY_FILE, ``var/audit_key.json`` by default,
mode 0600) is created on first use in development; in production it must exist::

    {"current": "<kid>", "keys": {"<kid>": "<base64 of 32 random bytes>", ...}}

Each entry and checkpoint names the key id it was signed with, so ``dangjian audit
rotate-key`` adds a key for new entries while old ones keep verifying. Keep the file
apart from the database and its backups (docs/security.md).
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

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dangjian.core.secrets import write_private

KEY_BYTES = 32
MSG_NO_FILE = (
    "审计密钥文件不存在：{path}（设置 DANGJIAN_AUDIT_KEY_FILE 指向它；开发环境中会自动创建）"
)
MSG_BAD_FILE = "审计密钥文件无法使用：{path}（{reason}）"
MSG_UNKNOWN_KID = "未知的审计密钥编号：{kid}"


@dataclass(frozen=True)
class AuditKeys:
    current: str
    keys: dict[str, bytes]


def key_file() -> Path:
    return Path(settings.AUDIT_KEY_FILE)


def _new_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def _new_kid(existing=()) -> str:
    while (kid := secrets.token_hex(4)) in existing:
        pass
    return kid


def _parse(doc: dict, path: Path) -> AuditKeys:
    try:
        keys = {kid: base64.b64decode(value, validate=True) for kid, value in doc["keys"].items()}
        current = doc["current"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ImproperlyConfigured(MSG_BAD_FILE.format(path=path, reason=exc)) from exc
    if current not in keys or any(len(k) != KEY_BYTES for k in keys.values()):
        raise ImproperlyConfigured(MSG_BAD_FILE.format(path=path, reason="current 或密钥长度不对"))
    return AuditKeys(current=current, keys=keys)


def _load(path: Path) -> AuditKeys:
    if not path.exists():
        if not settings.AUDIT_KEY_AUTOCREATE:
            raise ImproperlyConfigured(MSG_NO_FILE.format(path=path))
        kid = _new_kid()
        write_private(path, json.dumps({"current": kid, "keys": {kid: _new_key()}}, indent=2))
    return _parse(json.loads(path.read_text()), path)


# Cached per (path, mtime), looked at again at most once a second (as crypto.keyring):
# a running process picks up a rotated key without a restart, at no cost per entry.
RECHECK_SECONDS = 1.0
_cache: dict = {}


def keys() -> AuditKeys:
    path = str(key_file())
    now = time.monotonic()
    if _cache.get("path") == path and now - _cache["checked"] < RECHECK_SECONDS:
        return _cache["keys"]
    try:
        stamp = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        stamp = None
    if _cache.get("path") != path or _cache.get("stamp") != stamp:
        loaded = _load(Path(path))
        _cache.update(path=path, stamp=os.stat(path).st_mtime_ns, keys=loaded)
    _cache["checked"] = now
    return _cache["keys"]


def reset_cache() -> None:
    """Forget the loaded keys (tests that swap settings.AUDIT_KEY_FILE)."""
    _cache.clear()


def sign(kid: str, purpose: str, message: str) -> str:
    """HMAC-SHA256 of ``message`` under key ``kid``, separated by ``purpose`` (an entry
    and a checkpoint never sign the same bytes)."""
    try:
        key = keys().keys[kid]
    except KeyError:
        reset_cache()
        try:
            key = keys().keys[kid]
        except KeyError:
            raise LookupError(MSG_UNKNOWN_KID.format(kid=kid)) from None
    return hmac.new(key, f"{purpose}\x00{message}".encode(), hashlib.sha256).hexdigest()


def rotate() -> str:
    """Add a fresh key and make it current; the old ones stay for verifying. Its id."""
    path = key_file()
    doc = json.loads(path.read_text())
    kid = _new_kid(doc["keys"])
    doc["keys"][kid] = _new_key()
    doc["current"] = kid
    _parse(doc, path)
    write_private(path, json.dumps(doc, indent=2))
    reset_cache()
    return kid
