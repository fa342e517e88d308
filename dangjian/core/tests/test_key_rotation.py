"""`dangjian rotate_keys`: new keys applied to every row, resumable, audited, retirable."""

import io
import json
import shutil

import pytest
from django.core.management import call_command
from django.db import connection

from dangjian.accounts.models import TwoFactorDevice
from dangjian.core import crypto, keyrotation
from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import ID_INDEX, PHONE_INDEX, Member


@pytest.fixture
def key_copy(settings, tmp_path):
    """A copy of this run's key file, so rotating it here leaves other tests alone."""
    crypto.keyring()
    path = tmp_path / "keys.json"
    shutil.copy(settings.FIELD_KEY_FILE, path)
    settings.FIELD_KEY_FILE = path
    crypto.reset_cache()
    yield path
    crypto.reset_cache()


def _raw(column: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM members_member WHERE {column} <> '' ORDER BY id")
        return [row[0] for row in cur.fetchall()]


def _rotate(*args) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_fields_are_found_through_the_model_registry():
    found = {
        m._meta.label: [f.name for f in fields] for m, fields in keyrotation.encrypted_fields()
    }
    assert found["members.Member"] == ["id_number", "phone", "address"]
    indexed = dict(keyrotation.blind_indexed_models())
    assert {(s.source, s.digest) for s in indexed[Member]} == {
        ("id_number", "id_number_digest"),
        ("phone", "phone_digest"),
    }


def test_rotation_reencrypts_everything_and_retires_the_old_key(cast, key_copy):
    old = crypto.keyring().current
    members = {m.pk: (m.id_number, m.phone) for m in Member.objects.all()}
    assert {crypto.key_id_of(v) for v in _raw("id_number") + _raw("phone")} == {old}
    old_digests = _raw("id_number_digest")
    entries = AuditEntry.objects.count()

    output = _rotate("--index-key", "--retire-old", "--batch-size", "3")

    new = crypto.keyring().current
    assert new != old
    assert {crypto.key_id_of(v) for v in _raw("id_number") + _raw("phone")} == {new}
    assert {m.pk: (m.id_number, m.phone) for m in Member.objects.all()} == members
    assert set(crypto.read_document(key_copy)["keys"]) == {new}  # retired
    assert "rotation" not in crypto.read_document(key_copy)
    assert "index_key_previous" not in crypto.read_document(key_copy)
    assert not set(_raw("id_number_digest")) & set(old_digests)  # every digest recomputed
    assert "已重新加密" in output and "已重算盲索引" in output

    # Lookups and uniqueness by blind index work under the new index key.
    someone = cast.member["B2m1"]
    found = Member.objects.get(
        id_number_digest=crypto.blind_index(someone.id_number, purpose=ID_INDEX)
    )
    assert found.pk == someone.pk
    assert Member.objects.filter(
        phone_digest=crypto.blind_index(someone.phone, purpose=PHONE_INDEX)
    ).exists()
    with pytest.raises(Exception, match=services.MSG_ID_TAKEN):
        services.member_update(
            acting_user=cast.user["root"],
            member=cast.member["B1m1"],
            id_number=someone.id_number,
        )

    # Audited with counts and key ids, never key material.
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "crypto.rotate"
    devices = TwoFactorDevice.objects.count()  # the cast's 2FA seeds are encrypted too
    assert entry.after["reencrypted"] == len(members) + devices
    assert entry.after["retired_keys"] == [old]
    assert entry.after["index_key_rotated"] is True
    logged = json.dumps([entry.before, entry.after])
    doc = crypto.read_document(key_copy)
    for secret in [doc["index_key"], *(k["key"] for k in doc["keys"].values())]:
        assert secret not in logged

    # Run again: nothing left to do, nothing written.
    file_before = key_copy.read_text()
    again = _rotate("--resume", "--retire-old")
    assert "无需轮换" in again
    assert key_copy.read_text() == file_before
    assert AuditEntry.objects.count() == entries + 1


def test_an_interrupted_rotation_resumes_without_a_new_key(cast, key_copy, monkeypatch):
    old = crypto.keyring().current
    calls = {"n": 0}
    real = keyrotation._decrypt

    def crash_after_a_batch(*args):
        if args[0] is not Member:  # other encrypted models (2FA seeds) go through whole
            return real(*args)
        calls["n"] += 1
        if calls["n"] > 6:  # two rows of three fields: the first batch of 2 committed
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(keyrotation, "_decrypt", crash_after_a_batch)
    with pytest.raises(KeyboardInterrupt):
        _rotate("--batch-size", "2")
    pending = crypto.read_document(key_copy)["rotation"]["kid"]
    kids = {crypto.key_id_of(v) for v in _raw("id_number")}
    assert kids == {old, pending}  # part done: whole batches only

    monkeypatch.setattr(keyrotation, "_decrypt", real)
    output = _rotate("--batch-size", "2")
    assert f"继续未完成的轮换：密钥 {pending}" in output
    assert crypto.keyring().current == pending
    assert set(crypto.read_document(key_copy)["keys"]) == {old, pending}  # no third key
    assert {crypto.key_id_of(v) for v in _raw("id_number") + _raw("phone")} == {pending}
    assert keyrotation.count_stale() == 0


def test_a_key_still_in_use_is_not_retired(cast, key_copy):
    pk = cast.member["B1m1"].pk
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM members_member WHERE id = %s", [pk])
        old_value = cur.fetchone()[0]
    old = crypto.key_id_of(old_value)
    _rotate()
    with connection.cursor() as cur:  # e.g. a row written by a server with the old file
        cur.execute("UPDATE members_member SET phone = %s WHERE id = %s", [old_value, pk])
    assert keyrotation.key_usage()[old] == 1
    # --resume re-encrypts the straggler first, then the old key can go.
    _rotate("--resume", "--retire-old")
    assert keyrotation.key_usage()[old] == 0
    assert old not in crypto.read_document(key_copy)["keys"]


def test_new_keys_follow_the_configured_algorithm(cast, key_copy, settings):
    settings.FIELD_CIPHER = crypto.SM4
    _rotate("--retire-old")
    ring = crypto.keyring()
    assert ring.keys[ring.current].alg == crypto.SM4
    assert list(ring.keys) == [ring.current]
    m = cast.member["B3m2"]
    assert Member.objects.get(pk=m.pk).id_number == m.id_number
