"""Local secrets for the embedded deployment, kept in files under var/ (never in git).

Everything under var/ — the SQLite database, the key file, the secret key, uploads,
backups — is owner-only: files 0600, directories 0700, whatever the process umask is
(a default umask of 022 made them world-readable). ``dangjian.core.checks`` warns at
start when something there is readable by the group or others.
"""

import os
import secrets
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def write_private(path: Path, content: str) -> None:
    """Create a file readable by its owner only (0600), atomically."""
    private_dir(path.parent)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(content)
    os.replace(tmp, path)


def load_or_create_secret_key(var_dir: Path, *, allow_create: bool) -> str:
    """DANGJIAN_SECRET_KEY from the environment, else var/secret_key (made in dev only)."""
    key = os.environ.get("DANGJIAN_SECRET_KEY")
    if key:
        return key
    path = Path(var_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    if not allow_create:
        raise ImproperlyConfigured("DANGJIAN_SECRET_KEY must be set when DANGJIAN_DEBUG=0")
    key = secrets.token_urlsafe(50)
    write_private(path, key)
    return key


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it owner-only (0700)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """Owner-only (0600) for a file someone else created (SQLite, pg_dump), if it exists."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
            os.chmod(path, PRIVATE_FILE)
    except FileNotFoundError:
        pass


def exposed(path: Path) -> int:
    """The group/other permission bits of ``path`` (0 when private or absent)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o077
    except FileNotFoundError:
        return 0
