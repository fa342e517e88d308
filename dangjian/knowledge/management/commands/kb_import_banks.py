"""`dangjian kb_import_banks [--folder DIR] [--org CODE]`.

Imports the public question banks (``../shared/data/kb-sources/``; see
``dangjian.knowledge.sources``) into the knowledge base as published entries of the lower
tier (``tier=imported``): the bot answers from them only when sure, and never above a
curated entry that fits. Idempotent: a re-run adds only what is missing.
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

    def handle(self, *args, folder, org, **options):
        folder = folder or sources.default_folder()
        if not sources.available(folder):
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
