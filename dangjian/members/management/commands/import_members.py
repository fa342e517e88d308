"""`dangjian import_members FILE --acting-user USERNAME`: kill-safe member import.

Runs ``members.imports.IMPORTER`` on ``core.imports.run_import``:

1. Every row is validated first (members.services rules, scope of the acting user);
   any error → an .xlsx report with an 错误 column, nothing written, exit status 1.
2. Rows are then written in batches; each batch, its audit entry and the import's
   progress (core.ImportJob, keyed by the file's SHA-256) commit in ONE transaction.
   Killed at any moment, the database holds whole batches only, and running the same
   command on the same file again resumes after the last committed batch.

Test-only knob: DANGJIAN_TEST_IMPORT_PAUSE=<seconds> sleeps after each committed batch,
so a test can kill the process mid-import. Never set it in production.
"""

import os
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.imports import ImportRefused, run_import
from dangjian.members import imports

PAUSE_ENV = "DANGJIAN_TEST_IMPORT_PAUSE"
SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "从 .xlsx/.csv 批量导入党员：先全部校验，再分批写入；中断后重跑同一文件即续传"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--acting-user", required=True, help="以该用户的权限导入（审计记为此人）"
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--report", type=Path, help="错误报告路径（默认：<文件名>.错误报告.xlsx）"
        )

    def handle(self, *args, file, acting_user, batch_size, report, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 应为正整数")
        if not file.is_file():
            raise CommandError(f"文件不存在：{file}")
        user = get_user_model().objects.filter(username=acting_user, is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在或已停用：{acting_user}")
        pause = float(os.environ.get(PAUSE_ENV) or 0)

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"已导入 {done}/{total} 行")
            sys.stdout.flush()
            if pause and done < total:
                time.sleep(pause)

        try:
            result = run_import(
                imports.IMPORTER,
                path=file,
                acting_user=user,
                batch_size=batch_size,
                report_path=report,
                progress=progress,
            )
        except ImportRefused as exc:
            if not exc.errors:
                raise CommandError(exc.message) from exc
            for error in exc.errors[:SHOWN_ERRORS]:
                self.stderr.write(str(error))
            more = len(exc.errors) - SHOWN_ERRORS
            raise CommandError(
                f"{exc.message}{f'（另有 {more} 条未列出）' if more > 0 else ''}。"
                f"错误报告：{exc.report_path}",
                returncode=1,
            ) from exc
        if result.already_done:
            self.stdout.write(
                self.style.SUCCESS(f"该文件已导入（{result.total} 行），无需重复导入")
            )
            return
        if result.resumed_at:
            self.stdout.write(f"续传：前 {result.resumed_at} 行已在上次导入中提交")
        self.stdout.write(
            self.style.SUCCESS(f"导入完成：{result.written} 行（共 {result.total} 行）")
        )
