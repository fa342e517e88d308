"""Importing the public question banks (``knowledge.sources``) as the lower tier.

Unlike an editor's file import (all or nothing, every row checked against the database one
by one), a bank is large (≈11k items) and re-imported on every ``make demo``: it is read
once, compared with the organisation's questions in one query, and only the new items are
written, in batches (one transaction each, bulk inserts, one generation bump), published
and marked ``tier=imported``. A re-run writes nothing; a run stopped midway leaves whole
batches and the next run adds the rest. Items the entry rules refuse (too short a stem, say)
are skipped and counted, not fatal: the bank is not the editors' to correct.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dangjian.core import audit
from dangjian.knowledge.models import Entry, EntryStatus, EntryTier, EntryVersion
from dangjian.knowledge.services import kb

BATCH = 2000


@dataclass(frozen=True)
class BankOutcome:
    created: int
    existing: int  # already in the base (an earlier run, or a curated entry's question)
    repeated: int  # a stem the banks repeat: the first one is kept
    refused: int  # failing the entry rules


def _entries(org, rows: list[dict]) -> tuple[list[Entry], int, int, int]:
    """New entries for the rows whose question ``org`` does not have yet."""
    have = set(
        Entry.objects.filter(org=org)
        .exclude(status=EntryStatus.RETIRED)
        .values_list("question", flat=True)
    )
    now = timezone.now()
    out: list[Entry] = []
    taken: set[str] = set()
    existing = repeated = refused = 0
    for row in rows:
        if " ".join(str(row.get("question", "")).split()) in have:
            existing += 1  # already there (a re-run): no need to clean it first
            continue
        entry = Entry(
            org=org,
            tier=EntryTier.IMPORTED,
            status=EntryStatus.PUBLISHED,
            published_at=now,
            **{k: v for k, v in row.items() if k in kb.FIELDS and k != "status"},
        )
        errors: dict[str, str] = {}
        kb.entry_clean(entry, errors)
        if errors:
            refused += 1
        elif entry.question in have:
            existing += 1
        elif entry.question in taken:
            repeated += 1
        else:
            taken.add(entry.question)
            out.append(entry)
    return out, existing, repeated, refused


def bank_import(
    *, acting_user, org, rows: list[dict], batch: int = BATCH, progress=None
) -> BankOutcome:
    """Add the bank rows ``org`` does not have yet, published, as imported entries."""
    kb.authorize_org(acting_user, org)
    entries, existing, repeated, refused = _entries(org, rows)
    author = acting_user if getattr(acting_user, "is_authenticated", False) else None
    for start in range(0, len(entries), batch):
        chunk = entries[start : start + batch]
        with transaction.atomic():
            created = Entry.objects.bulk_create(chunk, batch_size=500)
            EntryVersion.objects.bulk_create(
                [
                    EntryVersion(
                        entry=e, number=1, action="import", data=kb.entry_data(e), author=author
                    )
                    for e in created
                ],
                batch_size=500,
            )
            kb.bump_generation([e.pk for e in created])
            if start + batch >= len(entries):
                audit.record(
                    actor=acting_user,
                    action="kb.entry.import_bank",
                    org=org,
                    after={"count": len(entries), "existing": existing, "refused": refused},
                )
        if progress is not None:
            progress(start + len(chunk), len(entries))
    return BankOutcome(len(entries), existing, repeated, refused)
