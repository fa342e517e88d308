"""`dangjian seed_demo`: a deterministic demo province (组织、党员、职务、演示账号).

    dangjian seed_demo                                 # small: ~300 orgs, ~5,000 members
    dangjian seed_demo --scale county --seed 7         # one whole county
    dangjian seed_demo --scale province --dry-run      # just the counts of the full province
    dangjian seed_demo --reset --accounts-out demo-accounts.json

The same ``--seed`` gives the same organisations, members and accounts on any machine.
Generated dates lie on or before 2026-11-01 (generator.REFERENCE_DATE), not "today", so
the data does not drift from one day to the next.
"""

import datetime as dt
import json
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.demo import seeding
from dangjian.demo.generator import REFERENCE_DATE, SCALES, plan

MSG_CLOCK = "系统日期（{today}）早于演示数据的参考日期 {ref}，请检查服务器时钟"


class Command(BaseCommand):
    help = "生成确定性的演示数据：云南式的组织树、党员、班子职务和各级演示账号"

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--accounts-out", metavar="FILE", help="把演示账号写入 JSON 文件")
        parser.add_argument(
            "--reset", action="store_true", help="先清空全部业务数据、账号和审计日志（仅开发环境）"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="数据库已有组织时直接跳过（不报错）"
        )
        parser.add_argument(
            "--resume", action="store_true", help="接着中断处继续（须用相同的 --scale 和 --seed）"
        )
        parser.add_argument("--dry-run", action="store_true", help="只统计计划生成的数量")

    def handle(self, *args, scale, seed, accounts_out, reset, if_empty, resume, dry_run, **_):
        scale = SCALES[scale]
        if dry_run:
            self._dry_run(scale, seed)
            return
        today = timezone.localdate()
        if today < REFERENCE_DATE:
            raise CommandError(MSG_CLOCK.format(today=today, ref=REFERENCE_DATE))
        existing = seeding.org_count()
        if existing and reset:
            try:
                counts = seeding.wipe()
            except PermissionError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"已清空：{counts['orgs']:,} 个党组织，{counts['members']:,} 名党员，"
                f"{counts['users']:,} 个账号"
            )
        elif existing and if_empty:
            self.stdout.write(f"数据库中已有 {existing:,} 个党组织，跳过生成演示数据。")
            return
        elif existing and not resume:
            raise CommandError(seeding.MSG_NOT_EMPTY.format(n=existing))

        self.stdout.write(f"生成演示数据：{scale.label}，随机种子 {seed}")
        report = seeding.seed(scale=scale, seed=seed, resume=resume, progress=self._progress)
        if accounts_out:
            path = Path(accounts_out)
            path.write_text(json.dumps(report.accounts, ensure_ascii=False, indent=2) + "\n")
        self._summary(report, accounts_out)

    def _progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _dry_run(self, scale, seed) -> None:
        types: Counter = Counter()
        kinds: Counter = Counter()
        by_level: Counter = Counter()
        members = 0
        for unit in plan(scale, seed):
            by_level[unit.level] += 1
            for row in unit.orgs:
                types[row.org_type] += 1
                if row.size:
                    kinds[row.kind] += row.size
                members += row.size
        self.stdout.write(f"{scale.label}（随机种子 {seed}，不写数据库）")
        self.stdout.write(
            f"单元：省 {by_level['province']}，市州 {by_level['city']}，县区 {by_level['county']}"
        )
        self.stdout.write(f"党组织 {sum(types.values()):,} 个：")
        for org_type, n in types.most_common():
            self.stdout.write(f"  {org_type.label:<10}{n:>10,}")
        self.stdout.write(f"党员 {members:,} 名，按所在支部类型：")
        for kind, n in kinds.most_common():
            self.stdout.write(f"  {kind:<12}{n:>10,}")

    def _summary(self, report, accounts_out) -> None:
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"完成：{report.orgs:,} 个党组织，{report.members:,} 名党员，"
                f"{report.positions:,} 个职务，{len(report.accounts)} 个账号，"
                f"用时 {dt.timedelta(seconds=round(report.seconds))}"
                + (f"（跳过已有单元 {report.skipped} 个）" if report.skipped else "")
            )
        )
        out("")
        out(f"演示账号（密码均为 {seeding.DEMO_PASSWORD}）：")
        width = max(len(a["username"]) for a in report.accounts)
        for account in report.accounts:
            out(
                f"  {account['username']:<{width}}  {account['role_label']:<6}"
                f"  {account['level_label']:<5}  {account['org_path']}"
                + (f"（{account['display_name']}）" if account["member_id"] else "")
            )
        if accounts_out:
            out(f"账号清单已写入 {accounts_out}")
