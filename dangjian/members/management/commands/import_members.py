"""`dangjian import_members FILE --acting-user USERNAME`: kill-safe member import.

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
from django.db import transaction

from dangjian.core import audit
from dangjian.core.excel import SheetError, read_sheet, sha256_of, write_error_report
from dangjian.core.models import ImportJob
from dangjian.members import imports, services

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
        digest = sha256_of(file)
        try:
            sheet = read_sheet(file, imports.COLUMNS)
        except SheetError as exc:
            raise CommandError(str(exc)) from exc
        total = len(sheet.rows)
        if not total:
            raise CommandError("文件中没有数据行")

        job = ImportJob.objects.filter(kind=imports.KIND, file_sha256=digest).first()
        if job is not None and job.state == ImportJob.State.DONE:
            self.stdout.write(
                self.style.SUCCESS(f"该文件已导入（{job.rows_done} 行），无需重复导入")
            )
            return
        start = job.rows_done if job else 0
        if start:
            self.stdout.write(f"续传：前 {start} 行已在上次导入中提交")

        self.stdout.write(f"校验 {total - start} 行…")
        rows, errors = imports.service_rows(user, sheet, start)
        if errors:
            path = report or file.with_name(f"{file.stem}.错误报告.xlsx")
            write_error_report(path, sheet, errors)
            for error in errors[:SHOWN_ERRORS]:
                self.stderr.write(str(error))
            more = f"（另有 {len(errors) - SHOWN_ERRORS} 条）" if len(errors) > SHOWN_ERRORS else ""
            raise CommandError(
                f"校验未通过：{len(errors)} 处错误{more}，未写入任何数据。错误报告：{path}",
                returncode=1,
            )

        if job is None:
            job = ImportJob.objects.create(
                kind=imports.KIND,
                file_sha256=digest,
                file_name=file.name[:255],
                total_rows=total,
                acting_user=user,
            )
        pause = float(os.environ.get(PAUSE_ENV) or 0)
        done = start
        for offset in range(0, len(rows), batch_size):
            batch = rows[offset : offset + batch_size]
            with transaction.atomic():
                locked = ImportJob.objects.select_for_update(no_key=True).get(pk=job.pk)
                if locked.rows_done != done:
                    raise CommandError("另一个导入进程正在处理该文件，已停止")
                services.member_bulk_create(acting_user=user, rows=batch)
                done += len(batch)
                locked.rows_done = done
                if done == total:
                    locked.state = ImportJob.State.DONE
                    audit.record(
                        actor=user,
                        action="member.import",
                        obj=locked,
                        after={"file_sha256": digest, "rows": total, "resumed_at": start},
                    )
                locked.save(update_fields=["rows_done", "state", "updated_at"])
            self.stdout.write(f"已导入 {done}/{total} 行")
            sys.stdout.flush()
            if pause and done < total:
                time.sleep(pause)
        self.stdout.write(self.style.SUCCESS(f"导入完成：{total - start} 行（共 {total} 行）"))
