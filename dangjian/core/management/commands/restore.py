"""`dangjian restore PATH --yes`: replace the database with a backup, then verify it.

The backup file is checked against its manifest before anything is touched; after the
restore every table's row count and checksum is recomputed and compared with the
manifest, and the command exits 1 naming the first table that differs. Without --yes
it asks (and refuses when nobody can answer). Stop the app servers and workers first
(docs/operations.md): they would write into the database being replaced.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.migrations.loader import MigrationLoader

from dangjian.core import backup

MSG_CONFIRM = "这将用备份替换当前数据库中的全部数据。请输入 yes 确认："
MSG_REFUSED = "未确认：没有恢复任何数据（非交互运行请加 --yes）"


class Command(BaseCommand):
    help = "从备份恢复数据库（先核对备份文件，恢复后逐表核对行数与校验和）"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="不再询问，直接恢复")

    def handle(self, *args, path, yes, **options):
        try:
            manifest = backup.read_manifest(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(
            f"备份：{path}（{manifest['vendor']}，{manifest['created_at']}，"
            f"{len(manifest['tables'])} 张表）"
        )
        for warning in backup.key_warnings(manifest):
            self.stderr.write(self.style.WARNING(warning))
        if not yes and not self._confirmed():
            raise CommandError(MSG_REFUSED, returncode=1)
        try:
            manifest, problems = backup.restore(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"恢复后校验失败：{problems[0]}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(f"恢复完成，校验通过：{len(manifest['tables'])} 张表与清单一致")
        )
        self._migration_note(manifest)

    def _confirmed(self) -> bool:
        if not sys.stdin.isatty():
            return False
        return input(MSG_CONFIRM).strip().lower() == "yes"

    def _migration_note(self, manifest) -> None:
        on_disk = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
        restored = set(manifest["migrations"])
        if restored - on_disk:
            self.stderr.write(
                self.style.WARNING("备份来自较新的版本（含本版本没有的迁移）：请部署对应版本的代码")
            )
        elif on_disk - restored:
            self.stdout.write("备份来自较早的版本：请运行 dangjian migrate")
