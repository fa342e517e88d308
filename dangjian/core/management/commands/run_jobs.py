"""Run periodic jobs once: ``--due`` (from cron or a timer), or one job for a given slot."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dangjian.core import jobs
from dangjian.core.calendar import TZ

LIST_LOST = 20  # the most recent runs lost with their process, shown by --list


class Command(BaseCommand):
    help = "运行定时任务：--due 运行所有到期任务；或指定任务名与 --at 计划时间运行一次"

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="任务名，例如 orglife.theme_day_warnings")
        parser.add_argument("--due", action="store_true", help="运行所有到期且未完成的任务")
        parser.add_argument("--at", help="计划时间（ISO 8601，北京时间），默认为最近一次计划时间")
        parser.add_argument("--force", action="store_true", help="即使该时段已完成也再运行一次")
        parser.add_argument(
            "--list",
            action="store_true",
            help="列出已登记的任务，以及进程中断（卡住）和已重跑的运行记录",
        )

    def handle(self, *args, name, due, at, force, list, **_):
        if list:
            self._list()
            return
        if due:
            self._run_due()
            return
        if not name:
            raise CommandError("请指定任务名，或使用 --due / --list")
        try:
            job = jobs.get(name)
        except KeyError as exc:
            raise CommandError(str(exc)) from None
        slot = self._slot(job, at)
        record = jobs.run(name, slot, force=force)
        outcome = "已完成" if record else "该时段已完成，跳过（--force 可强制再运行）"
        self.stdout.write(f"{name} @ {slot:%Y-%m-%d %H:%M}：{outcome}")

    def _slot(self, job, at: str | None) -> dt.datetime:
        if at is None:
            slot = job.latest_slot(timezone.now())
            if slot is None:
                raise CommandError("该任务近期没有计划时间，请用 --at 指定")
            return slot
        parsed = parse_datetime(at)
        if parsed is None:
            raise CommandError(f"无法识别的时间：{at}（应为 2026-11-20T09:00 这样的格式）")
        return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=TZ)

    def _list(self) -> None:
        from dangjian.core.models import JobRun

        for job in jobs.registered():
            self.stdout.write(f"{job.name}\t{job.cron}")
        for run in jobs.stuck():
            self.stdout.write(
                f"卡住\t{run.name} @ {self._local(run.slot)}\t第{run.attempt}次\t"
                f"{run.owner}\t最后心跳 {self._local(run.heartbeat_at)}（下次运行时将重跑）"
            )
        lost = JobRun.objects.filter(status=JobRun.Status.LOST).order_by("-started_at")
        for run in lost[:LIST_LOST]:
            self.stdout.write(
                f"已重跑\t{run.name} @ {self._local(run.slot)}\t第{run.attempt}次中断\t"
                f"{run.owner}\t{run.error}"
            )

    @staticmethod
    def _local(moment: dt.datetime | None) -> str:
        return f"{timezone.localtime(moment, TZ):%Y-%m-%d %H:%M:%S}" if moment else "无"

    def _run_due(self) -> None:
        for name, slot, outcome in jobs.recover_lost():
            if outcome == "superseded":
                self.stdout.write(f"{name} @ {slot:%Y-%m-%d %H:%M}：进程中断，已有更新的计划时间")
        outcomes = jobs.run_due()
        if not outcomes:
            self.stdout.write("没有到期的任务")
        for name, slot, outcome in outcomes:
            label = {"done": "已完成", "skipped": "已由其他进程完成或正在运行", "failed": "失败"}[
                outcome
            ]
            self.stdout.write(f"{name} @ {slot:%Y-%m-%d %H:%M}：{label}")
        if any(outcome == "failed" for *_, outcome in outcomes):
            raise CommandError("有任务失败，详见日志")
