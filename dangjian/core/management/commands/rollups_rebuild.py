"""`dangjian rollups_rebuild`: recount every subtree figure (core.rollups) from scratch.

One city's subtree per transaction, with progress; a killed run resumes where it
stopped (``--restart`` starts over). Safe while the site runs: the refresh job and the
rebuild take turns on one lock.
"""

import time

from django.core.management.base import BaseCommand

from dangjian.core import rollups


class Command(BaseCommand):
    help = "重建各组织的汇总数（可中断后继续）"

    def add_arguments(self, parser):
        parser.add_argument("--restart", action="store_true", help="放弃未完成的重建，从头开始")

    def handle(self, *args, restart, **_):
        started = time.monotonic()
        run = rollups.rebuild(restart=restart, progress=self.stdout.write)
        self.stdout.write(
            f"完成：{run.chunks_done}/{run.chunks_total} 段，用时 {time.monotonic() - started:.1f} 秒"
        )
