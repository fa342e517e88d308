"""`dangjian audit verify|seal|rotate-key`: the audit log's checks and housekeeping.

dangjian audit verify       # every chain, head and checkpoint; exit 1 on any failure
dangjian audit seal         # write a checkpoint now (the periodic job does it every 5 min)
dangjian audit rotate-key   # a new audit key for new entries; old entries keep verifying
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import audit, auditkey


class Command(BaseCommand):
    help = "审计日志：verify 校验各链、链头与检查点；seal 立即写检查点；rotate-key 更换审计密钥"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "seal", "rotate-key"])

    def handle(self, *args, action, **options):
        if action == "seal":
            return self._seal()
        if action == "rotate-key":
            kid = auditkey.rotate()
            self.stdout.write(self.style.SUCCESS(f"已启用新的审计密钥 {kid}；旧密钥保留用于校验"))
            return
        self._verify()

    def _seal(self) -> None:
        try:
            line = audit.seal()
        except audit.AuditBroken as exc:
            raise CommandError(f"审计链已断开，未写检查点：{exc}", returncode=1) from exc
        if line is None:
            self.stdout.write("自上一个检查点以来没有新记录，未写检查点")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已写检查点 #{line['n']}：{line['count']} 条，根 {line['root']}"
                )
            )

    def _verify(self) -> None:
        report = audit.check()
        if report.intact:
            latest = report.latest
            anchor = (
                f"，与检查点 #{latest['n']}（{latest['at']}，{latest['count']} 条）相符"
                if latest
                else "；尚无检查点（运行 dangjian audit seal 或等待定时任务）"
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"审计链完整：{report.entries} 条记录、{report.chains} 条链校验通过{anchor}"
                )
            )
            return
        for problem in report.problems:
            self.stderr.write(self.style.ERROR(f"审计链断开：{problem}"))
        self.stderr.write(
            self.style.ERROR(f"共 {len(report.problems)} 处问题（已校验 {report.entries} 条记录）")
        )
        sys.exit(1)
