"""`dangjian kb_import_banks [--folder DIR] [--org CODE] [--if-available] [--save-index]`.

Imports the public question banks (``../shared/data/kb-sources/``; see
``dangjian.knowledge.sources``) into the knowledge base as published entries of the lower
tier (``tier=imported``): the bot answers from them only when sure, and never above a
curated entry that fits. Idempotent: a re-run adds only what is missing.

``make demo`` runs it with ``--if-available`` (no banks folder is no error: the demo goes
on with the curated base) and ``--save-index``: the index of ≈11k entries is built once
here and saved, so the server loads it instead of embedding them at its first question
(a re-run loads the saved index and saves it again, in seconds).
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.knowledge import sources
from dangjian.knowledge.services import banks
from dangjian.orgs.models import Organisation


class Command(BaseCommand):
    help = "导入公开题库（学习强国、人民网党史）为知识库的导入层条目；重复运行只补缺"

    def add_arguments(self, parser):
        parser.add_argument(
            "--folder", type=Path, help="题库目录（默认 ../shared/data/kb-sources）"
        )
        parser.add_argument("--org", help="所属组织代码（默认：根组织，即省委）")
        parser.add_argument(
            "--if-available", action="store_true", help="没有题库目录时跳过，不报错"
        )
        parser.add_argument("--save-index", action="store_true", help="导入后建立并保存检索索引")

    def handle(self, *args, folder, org, if_available, save_index, **options):
        folder = folder or sources.default_folder()
        if not sources.available(folder):
            if if_available:
                self.stdout.write(f"未找到公开题库（{folder}），跳过题库导入")
                return
            raise CommandError(f"题库目录中没有题库文件：{folder}")
        owner = (
            Organisation.objects.filter(code=org).first()
            if org
            else Organisation.objects.get_root_nodes().first()
        )
        if owner is None:
            raise CommandError("没有找到所属组织（请先建立组织树，或检查 --org）")
        started = time.monotonic()
        outcome = banks.bank_import(acting_user=None, org=owner, rows=sources.load_all(folder))
        self.stdout.write(
            self.style.SUCCESS(
                f"题库：新增 {outcome.created} 条，已有 {outcome.existing} 条，"
                f"重复题干 {outcome.repeated} 条，不合规 {outcome.refused} 条"
                f"（{time.monotonic() - started:.1f} 秒）"
            )
        )
        if save_index:
            self._save_index()

    def _save_index(self) -> None:
        from dangjian.knowledge import index

        started = time.monotonic()
        engine = index.live().get()
        index.live().save()
        self.stdout.write(
            f"知识库索引：{len(engine)} 条，已建立并保存（{time.monotonic() - started:.0f} 秒）"
        )
