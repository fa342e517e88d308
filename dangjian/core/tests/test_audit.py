import itertools

import pytest
from django.db import transaction

from dangjian.core import audit
from dangjian.core.models import AuditEntry


def _append(cast, n):
    with transaction.atomic():
        for i in range(n):
            audit.record(actor=cast.user["root"], action="test.write", after={"i": i})


def test_the_chain_built_by_real_writes_verifies(cast):
    _append(cast, 3)
    assert audit.verify() is None
    entries = list(AuditEntry.objects.order_by("id"))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


def test_an_edited_entry_is_named(cast):
    _append(cast, 3)
    victim = AuditEntry.objects.order_by("-id")[1]
    AuditEntry.objects.filter(pk=victim.pk).update(after={"i": 99})
    assert audit.verify().entry == victim


def test_a_deleted_entry_breaks_the_next_one(cast):
    _append(cast, 3)
    middle, after = AuditEntry.objects.order_by("-id")[1], AuditEntry.objects.order_by("-id")[0]
    AuditEntry.objects.filter(pk=middle.pk).delete()
    assert audit.verify().entry == after


def test_reordered_entries_are_caught(cast):
    _append(cast, 2)
    last, prev = AuditEntry.objects.order_by("-id")[:2]
    fields = ("action", "after", "prev_hash", "hash", "at")
    a = {f: getattr(last, f) for f in fields}
    b = {f: getattr(prev, f) for f in fields}
    AuditEntry.objects.filter(pk=prev.pk).update(hash="x" * 64)
    AuditEntry.objects.filter(pk=last.pk).update(**b)
    AuditEntry.objects.filter(pk=prev.pk).update(**a)
    assert audit.verify().entry == AuditEntry.objects.get(pk=prev.pk)


def test_a_truncated_tail_is_caught_by_the_head(cast):
    _append(cast, 2)
    AuditEntry.objects.order_by("-id")[0].delete()
    broken = audit.verify()
    assert broken.entry is None and "链尾" in broken.reason


def test_the_command_reports_and_fails(cast, capsys):
    from django.core.management import call_command

    _append(cast, 2)
    call_command("audit", "verify")
    assert "完整" in capsys.readouterr().out
    victim = AuditEntry.objects.order_by("-id")[0]
    AuditEntry.objects.filter(pk=victim.pk).update(action="forged")
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    assert f"#{victim.pk}" in capsys.readouterr().err
