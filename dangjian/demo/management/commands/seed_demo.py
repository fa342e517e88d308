"""`dangjian seed_demo`: a deterministic demo province (组织、党员、职务、演示账号).

    dangjian seed_demo                                 # small: ~300 orgs, ~5,000 members
    dangjian seed_demo --scale county --seed 7         # one whole county
    dangjian seed_demo --scale province --dry-run      # just the counts of the full province
    dangjian seed_demo --reset --accounts-out demo-accounts.json
    dangjian seed_demo --as-of 2026-11-01              # as if seeded that day

Generated dates lie on or before the demo's today: the first day of the current month, so a
demo seeded in any month has the past year's meetings, a live 12371 queue and probation
periods still running (``dangjian.demo.clock``). The same ``--seed`` and ``--as-of`` give
the same organisations, members and accounts on any machine and any day (``--resume`` a run
with the ``--as-of`` it started with).
"""

import datetime as dt
import json
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.demo import clock, seeding
from dangjian.demo.generator import SCALES, plan

MSG_AS_OF = "--as-of 须为不晚于今天（{today}）的日期，格式 YYYY-MM-DD"


def _as_of(text: str) -> dt.date:
    """``--as-of``: a date, at the latest today (the demo never writes the future)."""
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(MSG_AS_OF.format(today=today)) from None
    if day > today:
        raise CommandError(MSG_AS_OF.format(today=today))
    return day


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
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="演示数据的“今天”（默认：本月1日）"
        )

    def handle(self, *args, as_of, dry_run, **options):
        day = _as_of(as_of) if as_of else timezone.localdate().replace(day=1)
        with clock.anchored(day):
            if dry_run:
                self._dry_run(SCALES[options["scale"]], options["seed"])
            else:
                self._seed(**options)

    def _seed(self, *, scale, seed, accounts_out, reset, if_empty, resume, **_):
        scale = SCALES[scale]
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

        self.stdout.write(f"生成演示数据：{scale.label}，随机种子 {seed}，数据截至 {clock.today()}")
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
