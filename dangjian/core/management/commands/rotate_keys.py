"""`dangjian rotate_keys`: a new data key (and optionally index key), applied to every row.

    dangjian rotate_keys                 new current data key, re-encrypt every value
    dangjian rotate_keys --index-key     also a new blind-index key, recompute every digest
    dangjian rotate_keys --retire-old    then drop keys no stored value uses any more
    dangjian rotate_keys --resume        add no key: finish an interrupted rotation
                                         (a no-op when everything is up to date)

An interrupted rotation is recorded in the key file (``rotation``); running the command
again resumes it instead of adding yet another key. The key file is rewritten
atomically (0600) before any row changes; app servers pick it up on their next use.
Back up the key file before and after (docs/operations.md): a retired key is gone, and
backups made before the rotation need it.
"""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.core import audit, crypto, keyrotation


class Command(BaseCommand):
    help = "轮换字段加密密钥：新密钥加密全部敏感字段，可选轮换盲索引密钥、退役旧密钥"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--index-key", action="store_true", help="同时轮换盲索引（HMAC）密钥并重算索引"
        )
        parser.add_argument(
            "--retire-old", action="store_true", help="删除已无数据使用的旧密钥（先全库扫描）"
        )
        parser.add_argument("--resume", action="store_true", help="不新增密钥：只完成未完成的轮换")

    def handle(self, *args, batch_size, index_key, retire_old, resume, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 应为正整数")
        doc = crypto.read_document()
        pending = doc.get("rotation") or {}
        new_kid = pending.get("kid")
        if new_kid:
            self.stdout.write(f"继续未完成的轮换：密钥 {new_kid}")
        elif not resume:
            new_kid = self._add_data_key(doc)
        index_rotating = bool(doc.get("index_key_previous"))
        if index_key and not index_rotating and not resume:
            doc["index_key_previous"] = doc["index_key"]
            doc["index_key"] = crypto.new_index_key()
            index_rotating = True
        if new_kid or index_rotating:
            doc["rotation"] = {"kid": new_kid, "started_at": _now()} if new_kid else {}
            crypto.write_document(doc)

        try:
            stale = keyrotation.count_stale()
            self.stdout.write(f"需重新加密的值：{stale}")
            reencrypted = keyrotation.reencrypt(batch_size=batch_size, progress=self._progress)
            reindexed = 0
            if index_rotating:
                reindexed = keyrotation.reindex(batch_size=batch_size, progress=self._progress)
        except keyrotation.RotationError as exc:
            raise CommandError(str(exc)) from exc

        doc = crypto.read_document()
        before = dict(doc, keys=dict(doc["keys"]))
        doc.pop("rotation", None)
        doc.pop("index_key_previous", None)
        retired = self._retire(doc) if retire_old else []
        if doc != before:
            crypto.write_document(doc)

        changed = bool(new_kid or index_rotating or retired or reencrypted or reindexed)
        if changed:
            ring = crypto.keyring()
            with transaction.atomic():
                audit.record(
                    actor=None,
                    action="crypto.rotate",
                    after={
                        "current_key": ring.current,
                        "algorithm": ring.keys[ring.current].alg,
                        "reencrypted": reencrypted,
                        "index_key_rotated": index_rotating,
                        "reindexed": reindexed,
                        "retired_keys": retired,
                        "keys_left": len(ring.keys),
                    },
                )
        summary = (
            f"完成：当前密钥 {crypto.keyring().current}，重新加密 {reencrypted} 行，"
            f"重算盲索引 {reindexed} 行，退役密钥 {len(retired)} 个"
        )
        self.stdout.write(self.style.SUCCESS(summary if changed else "无需轮换：已全部是当前密钥"))

    def _add_data_key(self, doc) -> str:
        alg = crypto.configured_algorithm()
        kid = crypto.new_key_id(doc["keys"])
        doc["keys"][kid] = crypto.new_data_key(alg)
        doc["current"] = kid
        self.stdout.write(f"新数据密钥 {kid}（{alg}）")
        return kid

    def _retire(self, doc) -> list[str]:
        """Drop keys that no stored value uses, verified by a full scan first."""
        usage = keyrotation.key_usage()
        if usage["?"]:
            raise CommandError(f"有 {usage['?']} 个值不属于任何已知密钥，不退役任何密钥")
        retired = []
        for kid in list(doc["keys"]):
            if kid == doc["current"]:
                continue
            if usage[kid]:
                self.stderr.write(f"密钥 {kid} 仍被 {usage[kid]} 个值使用，保留")
                continue
            del doc["keys"][kid]
            retired.append(kid)
        if retired:
            self.stdout.write(f"已退役密钥：{', '.join(retired)}")
        return retired

    def _progress(self, line: str) -> None:
        self.stdout.write(line)
        sys.stdout.flush()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
