"""`dangjian kb_import PATH [PATH …] [--org CODE] [--publish] [--acting-user NAME]`.

Imports knowledge-base entries from .xlsx, .csv or .jsonl (the starter base's format).
Each file is all or nothing: every bad row is listed (row/line number, column, message)
and nothing of that file is written; exit status 1 if any file failed. Re-running on a
file already imported reports its rows as duplicates instead of importing them twice.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.excel import SheetError
from dangjian.knowledge import imports
from dangjian.orgs.models import Organisation

SHOWN_ERRORS = 30


class Command(BaseCommand):
    help = "导入知识库条目（.xlsx、.csv、.jsonl）：每个文件全部成功或全部不导入，列出出错的行"

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--org", help="所属组织代码（默认：根组织，即省委）")
        parser.add_argument("--publish", action="store_true", help="导入后立即发布")
        parser.add_argument("--acting-user", help="以该用户的权限导入（审计记为此人；默认为系统）")

    def handle(self, *args, paths, org, publish, acting_user, **options):
        owner = self._org(org)
        user = self._user(acting_user)
        failed = 0
        for path in paths:
            if not path.is_file():
                raise CommandError(f"文件不存在：{path}")
            try:
                outcome = imports.import_file(
                    acting_user=user, org=owner, path=path, publish=publish
                )
            except SheetError as exc:
                self.stderr.write(f"{path}：{exc}")
                failed += 1
                continue
            if outcome.errors:
                self._notes(path, outcome.notes)
                failed += 1
                self.stderr.write(f"{path}：{len(outcome.errors)} 处错误，未导入任何条目")
                for error in outcome.errors[:SHOWN_ERRORS]:
                    self.stderr.write(f"  {error}")
                if len(outcome.errors) > SHOWN_ERRORS:
                    self.stderr.write(f"  （另有 {len(outcome.errors) - SHOWN_ERRORS} 处）")
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    f"{path}：导入 {outcome.created} 条，其中发布 {outcome.published} 条"
                )
            )
            self._notes(path, outcome.notes)
        if failed:
            raise CommandError(f"{failed} 个文件未导入")

    def _notes(self, path: Path, notes) -> None:
        """Rows repeating an earlier question: merged or skipped (imports.merge_duplicates)."""
        if not notes:
            return
        self.stdout.write(f"{path}：{len(notes)} 行与前面的问题重复，已合并或跳过")
        for note in notes[:SHOWN_ERRORS]:
            self.stdout.write(f"  {note}")
        if len(notes) > SHOWN_ERRORS:
            self.stdout.write(f"  （另有 {len(notes) - SHOWN_ERRORS} 行）")

    def _org(self, code: str | None) -> Organisation:
        if code:
            found = Organisation.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"没有代码为 {code} 的党组织")
            return found
        root = Organisation.objects.get_root_nodes().first()
        if root is None:
            raise CommandError("还没有党组织，请先建立组织树（如 make demo）")
        return root

    def _user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在或已停用：{username}")
        return user
