"""`dangjian audit verify`: check the audit log's hash chain end to end."""

import sys

from django.core.management.base import BaseCommand

from dangjian.core import audit
from dangjian.core.models import AuditEntry


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链，发现被修改、删除或调换的记录"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        total = AuditEntry.objects.count()
        broken = audit.verify()
        if broken is None:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：{total} 条记录校验通过"))
            return
        where = f"#{broken.entry.pk}（{broken.entry}）" if broken.entry else "链尾"
        self.stderr.write(self.style.ERROR(f"审计链在 {where} 处断开：{broken.reason}"))
        sys.exit(1)
