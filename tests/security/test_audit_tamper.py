"""赖不掉: whoever can write to the database alone cannot rewrite the audit log unseen.

Each test tampers with the log the way issue 10 (finding 2) did — or another way a
database writer could — and `audit verify` must name it; the untouched log must pass.
The chains are keyed (HMAC with a key outside the database) and sealed into signed
checkpoints outside the database (core.checkpoints), which verify requires the log to
reach. The PostgreSQL tests run real writer processes against a scratch database.
"""

import hashlib
import json
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from dangjian.core import audit, auditkey, checkpoints, context
from dangjian.core.models import AuditEntry, AuditHead
from tests.security.scratch import Site

PG = os.environ.get("DATABASE_URL", "").startswith("postgres")


def _fresh_log():
    """Start from an empty log (the cast's entries come back when the test rolls back)."""
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()


def _write(cast, chains=(0, 1, 2), per_chain=3):
    """``per_chain`` entries on each of ``chains``, one transaction per entry."""
    for i in range(per_chain):
        for chain in chains:
            connection._dangjian_audit_chain = chain  # where this writer looks first
            with transaction.atomic():
                audit.record(actor=cast.user["province_admin"], action="test.write", after={"i": i})


def _last(chain):
    return AuditEntry.objects.filter(chain=chain).order_by("-seq").first()


def _reasons():
    return [str(p) for p in audit.check().problems]


@pytest.fixture
def log(cast):
    """A sealed log of nine entries on three chains, then two more unsealed on chain 0."""
    _fresh_log()
    _write(cast)
    assert audit.seal() is not None
    _write(cast, chains=(0,), per_chain=2)
    return cast


def test_an_untouched_log_verifies(log, capsys):
    report = audit.check()
    assert report.intact, report.problems
    assert report.entries == AuditEntry.objects.count()
    assert report.latest["n"] == 1
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "审计链完整" in out and "检查点 #1" in out


def test_writes_spread_over_chains_in_sequence(log):
    for chain in (0, 1, 2):
        seqs = list(AuditEntry.objects.filter(chain=chain).values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
        head = AuditHead.objects.get(chain=chain)
        assert (head.seq, head.last_hash) == (seqs[-1], _last(chain).hash)


def test_an_edited_entry_is_named(log):
    victim = AuditEntry.objects.get(chain=1, seq=2)
    AuditEntry.objects.filter(pk=victim.pk).update(after={"i": 99})
    broken = audit.verify()
    assert broken.entry == victim and "被修改" in broken.reason


def test_an_edit_with_the_chain_recomputed_without_the_key_is_caught(log):
    """Issue 10: edit an entry, then recompute every hash after it as plain SHA-256."""
    entries = list(AuditEntry.objects.filter(chain=0).order_by("seq"))
    victim = entries[1]
    prev = entries[0].hash
    for entry in entries[1:]:
        if entry.pk == victim.pk:
            entry.after = {"i": "forged"}
        entry.prev_hash = prev
        body = json.dumps({"after": entry.after, "seq": entry.seq}, sort_keys=True)
        entry.hash = hashlib.sha256((prev + body).encode()).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(
            after=entry.after, prev_hash=entry.prev_hash, hash=entry.hash
        )
        prev = entry.hash
    AuditHead.objects.filter(chain=0).update(last_hash=prev)
    problems = audit.check().problems
    assert problems[0].entry.pk == victim.pk and "被修改" in problems[0].reason
    assert any("检查点 #1 不符" in p.reason for p in problems)  # and the sealed hash moved


def test_an_entry_turned_into_an_unkeyed_old_format_entry_is_caught(log):
    """The legacy (pre-key) format is only ever the start of chain 0."""
    victim = _last(1)
    victim.key_id = ""
    victim.action = "forged"
    victim.hash = audit.digest(victim)  # a plain SHA-256 anyone can compute
    AuditEntry.objects.filter(pk=victim.pk).update(key_id="", action="forged", hash=victim.hash)
    AuditHead.objects.filter(chain=1).update(last_hash=victim.hash)
    broken = audit.verify()
    assert broken.entry.pk == victim.pk and "伪造" in broken.reason


def test_a_deleted_entry_breaks_the_next_one(log):
    AuditEntry.objects.filter(chain=2, seq=2).delete()
    broken = audit.verify()
    assert (broken.entry.chain, broken.entry.seq) == (2, 3)
    assert "删除" in broken.reason


def test_reordered_entries_are_caught(log):
    a, b = AuditEntry.objects.get(chain=1, seq=1), AuditEntry.objects.get(chain=1, seq=2)
    AuditEntry.objects.filter(pk=a.pk).update(seq=99)
    AuditEntry.objects.filter(pk=b.pk).update(seq=1)
    AuditEntry.objects.filter(pk=a.pk).update(seq=2)
    assert audit.verify().entry.pk == b.pk


def test_an_entry_moved_to_another_chain_is_caught(log):
    victim = _last(2)
    AuditEntry.objects.filter(pk=victim.pk).update(chain=5, seq=1, prev_hash=audit.GENESIS)
    reasons = _reasons()
    assert any(r.startswith("链 5 第 1 条") and "被修改" in r for r in reasons)
    assert any(r.startswith("链 2") and "链尾缺失" in r for r in reasons)


def test_a_changed_organisation_id_is_caught(log):
    victim = _last(0)
    AuditEntry.objects.filter(pk=victim.pk).update(org=log.org["K2"])
    assert audit.verify().entry.pk == victim.pk


def test_deleting_the_last_entries_and_the_head_is_caught(log):
    """Issue 10: 'audit verify reports intact (it skips the head check when the head is
    missing)'."""
    AuditEntry.objects.filter(chain=1, seq__gte=2).delete()
    AuditHead.objects.filter(chain=1).delete()
    reasons = _reasons()
    assert "链 1：链头缺失：链头被删除" in reasons
    assert any(r.startswith("链 1：检查点 #1 记录该链到第 3 条") for r in reasons)


def test_a_truncated_tail_with_a_rewound_head_is_caught_by_the_checkpoint(log):
    """The chain and its head agree again; only the checkpoint outside knows better."""
    AuditEntry.objects.filter(chain=2, seq=3).delete()
    last = _last(2)
    AuditHead.objects.filter(chain=2).update(seq=last.seq, last_hash=last.hash)
    assert _reasons() == ["链 2：检查点 #1 记录该链到第 3 条，日志已到不了：记录被删除"]


def test_a_rewritten_head_hash_is_caught(log):
    AuditHead.objects.filter(chain=0).update(last_hash="f" * 64)
    assert "链 0：链头与最后一条记录不符：链头被改动" in _reasons()


def test_an_emptied_log_is_caught(log, capsys):
    """Issue 10: deleting every entry and the head answered '0 条记录校验通过'."""
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    reasons = _reasons()
    assert any("审计日志为空，少于检查点 #1 记录的 9 条" in r for r in reasons)
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    assert "审计日志为空" in capsys.readouterr().err


def test_the_command_names_every_failure(log, capsys):
    edited, deleted = AuditEntry.objects.get(chain=0, seq=1), (2, 2)
    AuditEntry.objects.filter(pk=edited.pk).update(action="forged")
    AuditEntry.objects.filter(chain=deleted[0], seq=deleted[1]).delete()
    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    err = capsys.readouterr().err
    assert f"链 0 第 1 条（#{edited.pk}" in err and "链 2 第 3 条" in err
    assert "共 2 处问题" in err


# --- The checkpoint file


def test_checkpoints_round_trip(cast, caplog, _audit_checkpoints):
    caplog.set_level("INFO", logger="dangjian.audit")
    _fresh_log()
    _write(cast, chains=(0, 3))
    first = audit.seal()
    assert first["count"] == AuditEntry.objects.count() == 6
    assert first["chains"]["3"] == [3, _last(3).hash]
    assert first["root"] == checkpoints.root_of(first["chains"])
    assert audit.seal() is None  # nothing new: nothing written (the job is idempotent)
    _write(cast, chains=(3,), per_chain=1)
    second = audit.seal()
    assert (second["n"], second["prev"], second["count"]) == (2, first["sig"], 7)
    lines, problems = checkpoints.read()
    assert [line["n"] for line in lines] == [1, 2] and problems == []
    assert [r.getMessage() for r in caplog.records if r.name == "dangjian.audit"] == [
        f"audit checkpoint {checkpoints.canonical(line)}" for line in lines
    ]
    assert audit.check().intact
    assert oct(_audit_checkpoints.stat().st_mode & 0o777) == "0o600"
    assert oct(auditkey.key_file().stat().st_mode & 0o777) == "0o600"


def _rewrite_file(path, change):
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    change(lines)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_an_edited_checkpoint_line_is_caught(log, _audit_checkpoints):
    _write(log, chains=(1,), per_chain=1)
    audit.seal()

    def lower_count(lines):
        lines[0]["count"] = 1

    _rewrite_file(_audit_checkpoints, lower_count)
    assert "检查点：检查点文件第 1 行签名不符：该行被伪造或改动" in _reasons()


def test_a_removed_checkpoint_line_is_caught(log, _audit_checkpoints):
    _write(log, chains=(1,), per_chain=1)
    audit.seal()
    _write(log, chains=(2,), per_chain=1)
    audit.seal()
    _rewrite_file(_audit_checkpoints, lambda lines: lines.pop(1))
    assert any("与上一行不相接" in r for r in _reasons())


def test_a_checkpoint_forged_without_the_key_is_caught(log, _audit_checkpoints):
    def forge(lines):
        line = dict(lines[-1], n=2, prev=lines[-1]["sig"], count=0)
        line["sig"] = hashlib.sha256(json.dumps(line).encode()).hexdigest()
        lines.append(line)

    _rewrite_file(_audit_checkpoints, forge)
    assert "检查点：检查点文件第 2 行签名不符：该行被伪造或改动" in _reasons()


def test_seal_refuses_to_sign_a_broken_chain(log, _audit_checkpoints):
    AuditEntry.objects.filter(chain=0, seq=4).update(action="forged")
    with pytest.raises(audit.AuditBroken, match="链 0 第 4 条"):
        audit.seal()
    assert len(checkpoints.read()[0]) == 1


def test_a_restart_or_restore_line_releases_the_checkpoints_it_names(log):
    _write(log, chains=(1,), per_chain=1)
    audit.seal()  # checkpoint #2
    AuditEntry.objects.filter(chain=1, seq__gt=3).delete()
    AuditHead.objects.filter(chain=1).update(seq=3, last_hash=_last(1).hash)
    assert any("检查点 #2" in r for r in _reasons())  # as if restored from before #2
    audit.note_restore(upto=1, backup="test.bak")
    assert audit.check().intact
    AuditEntry.objects.all().delete()
    AuditHead.objects.all().delete()
    audit.restart(reason="test")
    assert audit.check().intact


# --- Request context and scope


def test_actor_address_and_request_id_come_from_the_request(cast, bearer, client):
    from dangjian.core import notify

    user = cast.user["member"]
    notify.send([user], kind="test", title="你好")
    response = client.post(
        "/api/v1/inbox/read",
        data={},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-0123456789abcdef",
        **bearer(user),
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-0123456789abcdef"
    entry = AuditEntry.objects.filter(action="notify.read").latest("id")
    assert (entry.actor, entry.ip, entry.request_id) == (user, "127.0.0.1", "req-0123456789abcdef")
    assert audit.verify() is None
    AuditEntry.objects.filter(pk=entry.pk).update(request_id="req-other-0000")
    assert audit.verify().entry == entry  # the request id is hashed too


@pytest.mark.parametrize("given", ["", "short", "有空格 的编号 1234", "x" * 65, "a\nb-123456789"])
def test_a_malformed_request_id_is_replaced(client, given):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID=given)
    echoed = response["X-Request-ID"]
    assert echoed != given and len(echoed) == 32 and int(echoed, 16) >= 0


def test_explicit_arguments_win_over_the_context(cast):
    user, other = cast.user["county_admin"], cast.user["branch_admin"]
    with context.bound(user=user, ip="10.0.0.1", request_id="job-12345678"), transaction.atomic():
        implied = audit.record(action="test.implied")
        system = audit.record(actor=None, action="test.system", ip="10.9.9.9")
        named = audit.record(actor=other, action="test.named")
    assert (implied.actor, implied.ip, implied.request_id) == (user, "10.0.0.1", "job-12345678")
    assert (system.actor, system.actor_label, system.ip) == (None, "system", "10.9.9.9")
    assert named.actor == other


def test_entries_scope_by_their_organisation_as_it_stands_now(cast):
    from dangjian.orgs import services as orgs

    b2 = cast.org["B2"]
    with transaction.atomic():
        by_org = audit.record(actor=None, action="test.org", org=b2)
        by_path = audit.record(actor=None, action="test.path", org_path=b2.path)
        nowhere = audit.record(actor=None, action="test.none")
    assert (by_org.org, by_org.org_path) == (b2, b2.path)
    assert by_path.org == b2  # a caller giving only the path gets the organisation too

    def visible(key):
        qs = AuditEntry.objects.visible_to(cast.user[key], audit_perm())
        return set(qs.filter(action__startswith="test.").values_list("action", flat=True))

    assert visible("county_admin") == {"test.org", "test.path"}
    assert visible("sibling_county_admin") == set()
    assert AuditEntry.objects.visible_to(cast.user["root"], audit_perm()).filter(pk=nowhere.pk)
    orgs.org_move(acting_user=cast.user["root"], org=b2, new_parent=cast.org["T2"])
    assert visible("county_admin") == set()  # the old superiors see nothing of what moved
    assert visible("sibling_county_admin") == {"test.org", "test.path"}
    assert AuditEntry.objects.get(pk=by_org.pk).org_path == b2.path  # history stays


def audit_perm():
    from dangjian.core.scope import Perm

    return Perm.VIEW_ORG


# --- PostgreSQL: real writers in parallel


def _site_script(site, code: str) -> subprocess.Popen:
    script = "import django; django.setup()\n" + code
    return subprocess.Popen(
        [sys.executable, "-u", "-c", script],
        env=site.env,
        cwd=site.tmp,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


@pytest.fixture(scope="module")
def pg_site(tmp_path_factory):
    if not PG:
        pytest.skip("需要 PostgreSQL：设置 DATABASE_URL=postgres://…")
    site = Site(tmp_path_factory.mktemp("audit-site"), "postgresql")
    site.run("migrate", "--noinput")
    yield site
    site.close()


WRITER = """
from django.db import transaction
from dangjian.core import audit
for i in range({n}):
    with transaction.atomic():
        audit.record(actor=None, action="bench.write", after={{"w": {w}, "i": i}})
        if i % 5 == 0:  # several records in one transaction stay on one chain
            audit.record(actor=None, action="bench.second", after={{"w": {w}, "i": i}})
"""

TALLY = """
from collections import Counter
from dangjian.core import audit
from dangjian.core.models import AuditEntry, AuditHead
report = audit.check()
marks = Counter((e["w"], e["i"]) for e in AuditEntry.objects.filter(action="bench.write")
                .values_list("after", flat=True))
pairs = {}
for chain, after in AuditEntry.objects.filter(action__startswith="bench.").values_list("chain", "after"):
    pairs.setdefault((after["w"], after["i"]), set()).add(chain)
result = {
    "problems": [str(p) for p in report.problems],
    "entries": report.entries,
    "count": AuditEntry.objects.count(),
    "heads": sum(h.seq for h in AuditHead.objects.all()),
    "marks": sorted(marks.values()) and [min(marks.values()), max(marks.values()), len(marks)],
    "split": sum(1 for chains in pairs.values() if len(chains) > 1),
}
"""


def test_parallel_writers_fill_the_chains_and_verify(pg_site):
    writers, n = 4, 40
    procs = [_site_script(pg_site, WRITER.format(n=n, w=w)) for w in range(writers)]
    for proc in procs:
        _finish(proc)
    seal = pg_site.run("audit", "seal")
    assert "已写检查点" in seal.stdout
    tally = pg_site.python(TALLY)
    assert tally["problems"] == []
    assert tally["entries"] == tally["count"] == tally["heads"]  # each entry on one chain
    assert tally["marks"] == [1, 1, writers * n]  # every write exactly once
    assert tally["split"] == 0  # a transaction's records share its chain
    assert "审计链完整" in pg_site.run("audit", "verify").stdout


HOLDER = """
import sys
from django.db import connection, transaction
from dangjian.core import audit
with transaction.atomic():
    entry = audit.record(actor=None, action="test.hold")
    print(entry.chain, flush=True)
    sys.stdin.readline()
"""

SKIPPER = """
from django.db import connection, transaction
from dangjian.core import audit
connection._dangjian_audit_chain = {chain}  # look first at the head the holder has
with transaction.atomic():
    with connection.cursor() as cur:
        cur.execute("SET LOCAL lock_timeout = '10s'")
    print(audit.record(actor=None, action="test.skip").chain, flush=True)
"""


def test_a_held_head_is_skipped_not_waited_for(pg_site):
    holder = _site_script(pg_site, HOLDER)
    held = int(holder.stdout.readline())
    skipper = _site_script(pg_site, SKIPPER.format(chain=held))
    took = int(_finish(skipper))
    holder.stdin.write("\n")
    holder.stdin.flush()
    _finish(holder)
    assert took != held


LOCKER = """
import sys
from django.db import transaction
from dangjian.accounts.models import User
from dangjian.core import audit
with transaction.atomic():
    user = User.objects.select_for_update().get(username="locked")  # a check-in's meeting
    print("locked", flush=True)
    sys.stdin.readline()
    audit.record(actor=None, action="test.checkin")
print("done", flush=True)
"""

COMMENTER = """
from django.db import transaction
from dangjian.accounts.models import User
from dangjian.core import audit
from dangjian.core.models import Notification
with transaction.atomic():
    user = User.objects.only("pk").get(username="locked")
    Notification.objects.create(user_id=user.pk, kind="t", title="评论")  # FK checked later
    audit.record(actor=None, action="test.comment")
print("done", flush=True)
"""


def _waiting_on_a_lock(site) -> int:
    from tests.security.scratch import _pg_admin

    with _pg_admin(os.environ["DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [site.dbname],
        ).fetchone()[0]


def test_issue_19_no_lock_cycle_through_the_audit_head(pg_site):
    """One chain only, so a head held while waiting would deadlock: the comment's
    deferred foreign-key check runs before it takes the head, not at commit after."""
    pg_site.python(
        "from dangjian.accounts.models import User\n"
        "User.objects.get_or_create(username='locked')\nresult = 1"
    )
    env_one_chain = {"DANGJIAN_AUDIT_CHAINS": "1"}
    pg_site.env.update(env_one_chain)
    try:
        locker = _site_script(pg_site, LOCKER)
        assert locker.stdout.readline().strip() == "locked"
        commenter = _site_script(pg_site, COMMENTER)
        deadline = time.monotonic() + 60
        while _waiting_on_a_lock(pg_site) == 0:  # the commenter now waits for the row
            assert time.monotonic() < deadline, "the commenter never reached the lock"
            time.sleep(0.05)
        locker.stdin.write("\n")
        locker.stdin.flush()
        assert _finish(locker).strip() == "done"
        assert _finish(commenter).strip() == "done"
    finally:
        for key in env_one_chain:
            pg_site.env.pop(key)
    assert "审计链完整" in pg_site.run("audit", "verify").stdout


# --- Upgrading a log written before the chains

LEGACY = """
import datetime as dt, hashlib, json
from django.core.management import call_command
from django.db import connection, transaction
call_command("migrate", "core", "0004", verbosity=0)
call_command("migrate", "accounts", verbosity=0)
prev = "0" * 64
with connection.cursor() as cur:  # three entries as the single-chain version wrote them
    for i in range(3):
        at = dt.datetime(2026, 11, 1, 8, i, tzinfo=dt.UTC)
        body = {"at": at.isoformat(), "actor": None, "actor_label": "system",
                "action": "old.write", "object_type": "", "object_id": "", "org_path": "",
                "before": None, "after": {"i": i}, "ip": None}
        digest = hashlib.sha256((prev + json.dumps(body, sort_keys=True)).encode()).hexdigest()
        cur.execute(
            "INSERT INTO core_auditentry (at, actor_label, action, object_type, object_id,"
            " org_path, before, after, prev_hash, hash)"
            " VALUES (%s, 'system', 'old.write', '', '', '', NULL, %s, %s, %s)",
            [at.isoformat(), json.dumps({"i": i}), prev, digest],
        )
        prev = digest
    cur.execute("INSERT INTO core_audithead (id, last_hash) VALUES (1, %s)", [prev])
call_command("migrate", verbosity=0)
from dangjian.core import audit
from dangjian.core.models import AuditEntry
migrated = list(AuditEntry.objects.values_list("chain", "seq", "key_id"))
for chain in (0, 0, 5):
    connection._dangjian_audit_chain = chain
    with transaction.atomic():
        audit.record(actor=None, action="new.write")
sealed = audit.seal()["count"]
intact = audit.check().intact
AuditEntry.objects.filter(chain=0, seq=2).update(after={"i": 9})
result = {"migrated": migrated, "sealed": sealed, "intact": intact,
          "edited": str(audit.verify())}
"""


def test_entries_from_before_the_chains_start_chain_0_and_stay_verifiable(tmp_path):
    site = Site(tmp_path)  # SQLite: the migration is vendor-neutral ORM code
    found = site.python(LEGACY)
    assert found["migrated"] == [[0, 1, ""], [0, 2, ""], [0, 3, ""]]
    assert found["sealed"] == 6 and found["intact"]
    assert found["edited"].startswith("链 0 第 2 条") and "被修改" in found["edited"]
