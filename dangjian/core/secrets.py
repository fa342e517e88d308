"""Local secrets for the embedded deployment, kept in files under var/ (never in git)."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def write_private(path: Path, content: str) -> None:
    """Create a file readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
