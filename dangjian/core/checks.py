"""var/ is owner-only: made so where files are created, and checked at every start.

The SQLite database, the field-key file, the secret key and the uploads were created
with the process umask (022: world-readable), so any local account could copy the
database and the keys that decrypt it. Now:

- directories under var/ are made 0700 and files 0600 (core.secrets; uploads and
  backups write owner-only);
- the SQLite database and its -wal/-shm files, which SQLite itself creates, are set to
  0600 when a connection opens (``private_sqlite``);
- the system check ``var_permissions`` runs with every management command (runserver,
  migrate, …): a path readable by others is an error (dangjian.E001), by the group a
  warning (dangjian.W001), each with the chmod that fixes it.
"""

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from dangjian.core.secrets import exposed, make_private

MSG_EXPOSED = "{path} 可被{who}读取（权限 {mode:o}），其中有数据库、密钥或上传文件"
HINT = "执行 chmod {mode} {path}（目录 700，文件 600），并以运行本系统的账号为属主"


def _sqlite_files() -> list[Path]:
    db = settings.DATABASES["default"]
    name = str(db.get("NAME") or "")
    if db.get("ENGINE", "").endswith("sqlite3") and name and "memory" not in name:
        return [Path(name + suffix) for suffix in ("", "-wal", "-shm")]
    return []


def sensitive_paths() -> list[Path]:
    """var/ itself, what lives in it, and the database and key file wherever they are."""
    var = Path(settings.VAR_DIR)
    return [
        var,
        var / "secret_key",
        Path(settings.FIELD_KEY_FILE),
        Path(settings.UPLOAD_DIR),
        *_sqlite_files(),
    ]


@register(Tags.security)
def var_permissions(app_configs=None, **kwargs):
    problems = []
    for path in sensitive_paths():
        bits = exposed(path)
        if not bits:
            continue
        wanted = "700" if path.is_dir() else "600"
        args = {"path": path, "mode": stat.S_IMODE(path.stat().st_mode)}
        hint = HINT.format(mode=wanted, path=path)
        if bits & 0o007:
            problems.append(
                Error(MSG_EXPOSED.format(who="任何人", **args), hint=hint, id="dangjian.E001")
            )
        else:
            problems.append(
                Warning(MSG_EXPOSED.format(who="同组用户", **args), hint=hint, id="dangjian.W001")
            )
    return problems


def private_sqlite(sender, connection, **kwargs) -> None:
    """connection_created: SQLite made the database files with the umask; make them 0600."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or "memory" in name or name.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm"):
        make_private(Path(name + suffix))
