"""`dangjian backup PATH`: a consistent backup and its manifest; `--verify PATH` checks one.

    dangjian backup /backups/dangjian-$(date +%F).bak     # writes PATH and PATH.manifest.json
    dangjian backup --verify /backups/dangjian-2026-11-22.bak

The audit log's checkpoint file is copied beside it (PATH.audit-checkpoints.jsonl).
--verify checks that copy against the manifest, restores the backup into a scratch database (a temp file for SQLite, a
temporary database on the same PostgreSQL server), recomputes every table's row count
and checksum and compares them with the manifest; exit status 1 names the first table
that differs. The live database is not touched. See docs/operations.md.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import backup


class Command(BaseCommand):
    help = "备份数据库（一致性快照 + 清单：各表行数与校验和）；--verify 校验已有备份"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--verify", action="store_true", help="不备份：把 PATH 恢复到临时库中校验"
        )

    def handle(self, *args, path, verify, **options):
        try:
            if verify:
                return self._verify(path)
            manifest = backup.create(path, progress=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{path}（{manifest['file_size']} 字节，{len(manifest['tables'])} 张表，"
                f"{rows} 行）；清单：{backup.manifest_path(path)}"
            )
        )
        if manifest["audit"]["file"]:
            self.stdout.write(f"审计检查点：{backup.checkpoints_path(path)}")
        self.stdout.write(
            "提醒：密钥文件（字段加密密钥、审计密钥）须另行备份，并与数据库备份分开存放"
        )

    def _verify(self, path: Path) -> None:
        manifest, problems = backup.verify(path)
        for warning in backup.key_warnings(manifest):
            self.stderr.write(self.style.WARNING(warning))
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"备份校验失败：{problems[0]}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"备份校验通过：{len(manifest['tables'])} 张表的行数与校验和均与清单一致"
                f"（备份于 {manifest['created_at']}）"
            )
        )
        sys.stdout.flush()
