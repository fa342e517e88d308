"""The ledger: never negative, idempotent, immutable, and right under concurrent writers."""

import json
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import ledger, scope
from dangjian.core.errors import field_errors
from dangjian.core.ledger import InsufficientFunds, KeyConflict, LedgerError
from dangjian.core.models import (
    AuditEntry,
    ImmutableError,
    LedgerAccount,
    LedgerEntry,
)
from dangjian.core.scope import Perm

pytestmark = pytest.mark.django_db


def _account(holder: str = "member:1", book: str = "dues", org=None) -> LedgerAccount:
    return ledger.account_for(book=book, holder=holder, org=org)


def _funded(amount: int, holder: str = "member:1", book: str = "dues") -> LedgerAccount:
    account = _account(holder, book)
    ledger.post(account=account, amount=amount, key=f"fund-{holder}", kind="fund")
    return account


def _entry_sum(account: LedgerAccount) -> int:
    return sum(LedgerEntry.objects.filter(account=account).values_list("amount", flat=True))


# --- Boundaries -----------------------------------------------------------------------


def test_a_debit_of_exactly_the_balance_leaves_zero():
    account = _funded(1250)
    entry = ledger.post(account=account, amount=-1250, key="pay-1", kind="pay")
    assert entry.balance_after == 0
    assert ledger.balance(account) == 0 == account.balance
    assert ledger.verify(account) == []


def test_one_fen_more_than_the_balance_is_refused_and_writes_nothing():
    account = _funded(1250)
    entries, audits = LedgerEntry.objects.count(), AuditEntry.objects.count()
    with pytest.raises(InsufficientFunds) as refused:
        ledger.post(account=account, amount=-1251, key="pay-1", kind="pay")
    assert "余额不足" in str(refused.value)
    assert field_errors(refused.value) == {"amount": [str(refused.value)]}
    assert isinstance(refused.value, ValidationError)  # the API's 422
    assert ledger.balance(account) == 1250
    assert (LedgerEntry.objects.count(), AuditEntry.objects.count()) == (entries, audits)
    # the refused key was not consumed: the same key may carry a payment that fits
    assert ledger.post(account=account, amount=-1250, key="pay-1", kind="pay").balance_after == 0


def test_a_new_account_cannot_be_debited():
    with pytest.raises(InsufficientFunds):
        ledger.post(account=_account(), amount=-1, key="k", kind="pay")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, ledger.MSG_AMOUNT_ZERO),
        (1.5, ledger.MSG_AMOUNT_TYPE),
        ("100", ledger.MSG_AMOUNT_TYPE),
        (True, ledger.MSG_AMOUNT_TYPE),
        (ledger.MAX_AMOUNT + 1, ledger.MSG_AMOUNT_RANGE),
        (-ledger.MAX_AMOUNT - 1, ledger.MSG_AMOUNT_RANGE),
    ],
)
def test_bad_amounts_are_refused_on_the_amount_field(amount, message):
    account = _funded(100)
    with pytest.raises(ValidationError) as refused:
        ledger.post(account=account, amount=amount, key="k", kind="pay")
    assert field_errors(refused.value) == {"amount": [message]}
    assert ledger.balance(account) == 100


def test_missing_key_and_kind_and_long_memo_are_field_errors():
    with pytest.raises(ValidationError) as refused:
        ledger.post(account=_account(), amount=5, key="", kind="", memo="长" * 201)
    assert field_errors(refused.value) == {
        "key": [ledger.MSG_REQUIRED],
        "kind": [ledger.MSG_REQUIRED],
        "memo": [ledger.MSG_TOO_LONG.format(n=200)],
    }


def test_a_balance_beyond_the_bound_is_refused():
    account = _funded(ledger.MAX_AMOUNT)
    with pytest.raises(LedgerError, match="超出"):
        ledger.post(account=account, amount=1, key="more", kind="fund")
    assert ledger.balance(account) == ledger.MAX_AMOUNT


# --- Idempotency ----------------------------------------------------------------------


def test_a_replayed_key_returns_the_first_entry_and_changes_nothing():
    account = _funded(500)
    first = ledger.post(account=account, amount=-200, key="bill-2026-11", kind="pay")
    audits = AuditEntry.objects.count()
    again = ledger.post(account=account, amount=-200, key="bill-2026-11", kind="pay", memo="重试")
    assert again.pk == first.pk
    assert ledger.balance(account) == 300
    assert LedgerEntry.objects.filter(key="bill-2026-11").count() == 1
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize("change", ["amount", "kind", "account"])
def test_a_key_reused_with_other_content_is_a_conflict(change):
    account = _funded(500)
    other = _funded(500, holder="member:2")
    ledger.post(account=account, amount=-200, key="bill-2026-11", kind="pay")
    write = {"account": account, "amount": -200, "kind": "pay"}
    write[change] = {"amount": -201, "kind": "refund", "account": other}[change]
    with pytest.raises(KeyConflict) as conflict:
        ledger.post(key="bill-2026-11", **write)
    assert field_errors(conflict.value) == {
        "key": [ledger.MSG_KEY_CONFLICT.format(key="bill-2026-11")]
    }
    assert (ledger.balance(account), ledger.balance(other)) == (300, 500)


@pytest.mark.parametrize(("holder", "outcome"), [("member:1", "replay"), ("member:2", "conflict")])
def test_a_key_taken_by_a_concurrent_writer_is_found_after_the_insert_fails(
    monkeypatch, holder, outcome
):
    """Two writers with one key on different accounts both pass the lookup before either
    inserts; the database's unique key stops the second, which then answers as a
    replay or a conflict. The race is staged by hiding the first entry from one lookup."""
    first = ledger.post(account=_account("member:1"), amount=7, key="k", kind="fund")
    lookup = ledger._replayed
    calls = []

    def racing_lookup(book, key):
        calls.append(key)
        return None if len(calls) == 1 else lookup(book, key)

    monkeypatch.setattr(ledger, "_replayed", racing_lookup)
    account = _account(holder)
    if outcome == "replay":
        assert ledger.post(account=account, amount=7, key="k", kind="fund").pk == first.pk
    else:
        with pytest.raises(KeyConflict):
            ledger.post(account=account, amount=7, key="k", kind="fund")
    assert calls  # the race was staged
    assert LedgerEntry.objects.filter(key="k").count() == 1
    assert ledger.verify() == []


def test_keys_are_unique_per_book_not_across_books():
    dues = _account(book="dues")
    points = _account(book="points")
    ledger.post(account=dues, amount=10, key="same", kind="fund")
    ledger.post(account=points, amount=99, key="same", kind="earn")
    assert (ledger.balance(dues), ledger.balance(points)) == (10, 99)


def test_the_database_holds_a_key_once_per_book():
    account = _funded(100)
    entry = LedgerEntry.objects.get(account=account)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry(
            account=account,
            book=account.book,
            amount=1,
            balance_after=101,
            key=entry.key,
            kind="fund",
            at=timezone.now(),
        ).save()


# --- Transfers ------------------------------------------------------------------------


def test_a_transfer_moves_both_legs_under_one_key():
    wallet = _funded(100, holder="member:1", book="points")
    fund = _account("crowdfunding:7", book="points")
    debit, credit = ledger.transfer(
        source=wallet, target=fund, amount=30, key="donate-1", kind="donate"
    )
    assert (debit.amount, credit.amount) == (-30, 30)
    assert credit.transfer_from == debit and debit.transfer_to == credit
    assert (ledger.balance(wallet), ledger.balance(fund)) == (70, 30)
    assert (wallet.balance, fund.balance) == (70, 30)
    assert ledger.verify() == []


def test_an_overdrawn_transfer_writes_neither_leg():
    wallet = _funded(100, book="points")
    fund = _account("crowdfunding:7", book="points")
    with pytest.raises(InsufficientFunds):
        ledger.transfer(source=wallet, target=fund, amount=101, key="donate-1", kind="donate")
    assert (ledger.balance(wallet), ledger.balance(fund)) == (100, 0)
    assert not LedgerEntry.objects.filter(key="donate-1").exists()


def test_a_failing_credit_leg_undoes_the_debit_leg():
    wallet = _funded(100, book="points")
    full = _funded(ledger.MAX_AMOUNT, holder="crowdfunding:7", book="points")
    with pytest.raises(LedgerError, match="超出"):
        ledger.transfer(source=wallet, target=full, amount=1, key="donate-1", kind="donate")
    assert ledger.balance(wallet) == 100
    assert not LedgerEntry.objects.filter(key="donate-1").exists()


def test_a_replayed_transfer_returns_its_legs_and_a_different_one_conflicts():
    wallet = _funded(100, book="points")
    fund = _account("crowdfunding:7", book="points")
    other = _account("crowdfunding:8", book="points")
    legs = ledger.transfer(source=wallet, target=fund, amount=30, key="d-1", kind="donate")
    again = ledger.transfer(source=wallet, target=fund, amount=30, key="d-1", kind="donate")
    assert [e.pk for e in again] == [e.pk for e in legs]
    assert ledger.balance(wallet) == 70
    with pytest.raises(KeyConflict):
        ledger.transfer(source=wallet, target=other, amount=30, key="d-1", kind="donate")
    with pytest.raises(KeyConflict):  # a transfer's key is not a plain posting's
        ledger.post(account=wallet, amount=-30, key="d-1", kind="donate")
    assert (ledger.balance(wallet), ledger.balance(fund), ledger.balance(other)) == (70, 30, 0)


@pytest.mark.parametrize(
    ("amount", "target", "message"),
    [
        (-5, "other", ledger.MSG_TRANSFER_POSITIVE),
        (5, "self", ledger.MSG_TRANSFER_SELF),
        (5, "dues", ledger.MSG_TRANSFER_BOOKS),
    ],
)
def test_transfers_that_make_no_sense_are_refused(amount, target, message):
    wallet = _funded(100, book="points")
    targets = {
        "other": _account("crowdfunding:7", book="points"),
        "self": wallet,
        "dues": _account("member:1", book="dues"),
    }
    with pytest.raises(LedgerError) as refused:
        ledger.transfer(source=wallet, target=targets[target], amount=amount, key="t", kind="x")
    assert str(refused.value) == message
    assert ledger.balance(wallet) == 100


# --- Immutability and the database's own guards -----------------------------------------


def test_entries_cannot_be_changed_or_deleted_through_the_orm():
    account = _funded(100)
    entry = LedgerEntry.objects.get(account=account)
    entry.amount = 1_000_000
    with pytest.raises(ImmutableError):
        entry.save()
    with pytest.raises(ImmutableError):
        entry.delete()
    with pytest.raises(ImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(ImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(ImmutableError):
        LedgerEntry.objects.bulk_update([entry], ["amount"])
    with pytest.raises(IntegrityError), transaction.atomic():  # PROTECT
        account.delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 100
    # a correction is a new, reversing entry
    ledger.post(account=account, amount=-100, key="reverse-fund", kind="reversal")
    assert ledger.balance(account) == 0 and ledger.verify() == []


@pytest.mark.parametrize(
    ("amount", "balance_after"), [(0, 100), (-200, -100)], ids=["zero", "negative"]
)
def test_the_database_refuses_zero_amounts_and_negative_balances(amount, balance_after):
    account = _funded(100)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry(
            account=account,
            book=account.book,
            amount=amount,
            balance_after=balance_after,
            key="raw",
            kind="raw",
            at=timezone.now(),
        ).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=account.pk).update(balance=-1)


def test_verify_names_a_tampered_balance_and_a_broken_chain():
    account = _funded(100)
    ledger.post(account=account, amount=-40, key="pay", kind="pay")
    assert ledger.verify() == []
    LedgerAccount.objects.filter(pk=account.pk).update(balance=70)
    [mismatch] = ledger.verify(account)
    assert (mismatch.reason, mismatch.expected, mismatch.actual) == (
        ledger.MSG_SUM_MISMATCH,
        60,
        70,
    )
    forged = LedgerEntry(
        account=account,
        book=account.book,
        amount=5,
        balance_after=90,  # should be 65: 100 - 40 + 5
        key="forged",
        kind="fund",
        at=timezone.now(),
    )
    forged.save()
    reasons = {(m.reason, m.entry.pk if m.entry else None) for m in ledger.verify()}
    assert reasons == {(ledger.MSG_SUM_MISMATCH, None), (ledger.MSG_CHAIN_MISMATCH, forged.pk)}


# --- Accounts and scope ---------------------------------------------------------------


def test_an_account_is_opened_once_and_follows_its_holder(cast):
    first = ledger.account_for(book="dues", holder="member:9", org=cast.org["B1"])
    again = ledger.account_for(book="dues", holder="member:9")
    assert again.pk == first.pk and again.org_id == cast.org["B1"].pk
    ledger.post(account=first, amount=300, key="k", kind="fund")

    def sees(user_key: str) -> bool:
        user = cast.user[user_key]
        return (
            LedgerAccount.objects.visible_to(user, Perm.VIEW_MEMBER).filter(pk=first.pk).exists()
            and LedgerEntry.objects.visible_to(user, Perm.VIEW_MEMBER)
            .filter(account=first)
            .exists()
        )

    assert sees("branch_admin") and sees("county_admin")
    assert not sees("sibling_county_admin")

    moved = ledger.account_for(book="dues", holder="member:9", org=cast.org["B3"])
    assert moved.pk == first.pk and moved.org_id == cast.org["B3"].pk
    for user in cast.user.values():
        scope.forget(user)
    assert sees("sibling_county_admin") and not sees("branch_admin")
    assert AuditEntry.objects.filter(action="ledger.account_move").count() == 1
    assert ledger.balance(moved) == 300


# --- Property: every balance is the sum of its entries -------------------------------

HOLDERS = ["member:1", "member:2", "crowdfunding:1"]
OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.sampled_from(HOLDERS),
            st.integers(-300, 300).filter(bool),
            st.integers(0, 12),
        ),
        st.tuples(
            st.just("transfer"),
            st.sampled_from(HOLDERS),
            st.sampled_from(HOLDERS),
            st.integers(1, 300),
            st.integers(0, 12),
        ),
    ),
    max_size=30,
)


def _apply(accounts: dict, op: tuple, key: str) -> None:
    if op[0] == "post":
        _, holder, amount = op
        ledger.post(account=accounts[holder], amount=amount, key=key, kind="op")
    else:
        _, source, target, amount = op
        ledger.transfer(
            source=accounts[source], target=accounts[target], amount=amount, key=key, kind="op"
        )


def _model_apply(model: dict, op: tuple) -> dict:
    """The same write on a plain dict of balances (no key, no locks, no database)."""
    after = dict(model)
    if op[0] == "post":
        after[op[1]] += op[2]
    else:
        after[op[1]] -= op[3]
        after[op[2]] += op[3]
    return after


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=OPS)
def test_every_balance_is_the_sum_of_its_entries(ops):
    """Random postings and transfers, keys drawn from a small pool so replays and
    conflicts happen: the outcome matches a plain model of the books."""
    with transaction.atomic():
        accounts = {h: ledger.account_for(book="points", holder=h) for h in HOLDERS}
        model = dict.fromkeys(HOLDERS, 0)
        written: dict[str, tuple] = {}  # key → the write that first succeeded under it
        for *op, key_number in ops:
            op, key = tuple(op), f"k{key_number}"
            try:
                _apply(accounts, op, key)
            except KeyConflict:
                assert key in written and written[key] != op
                continue
            except InsufficientFunds:
                assert key not in written and min(_model_apply(model, op).values()) < 0
                continue
            except LedgerError:
                assert op[0] == "transfer" and op[1] == op[2]
                continue
            if key in written:
                assert written[key] == op  # a replay: nothing changes
                continue
            written[key] = op
            model = _model_apply(model, op)
        for holder, account in accounts.items():
            assert ledger.balance(account) == model[holder] == _entry_sum(account)
            assert model[holder] >= 0
        assert ledger.verify() == []
        transaction.set_rollback(True)


# --- Concurrent writers in separate processes -----------------------------------------

WORKERS = 8
OPS_PER_WORKER = 50
SHARED_KEYS = 5
OPENING = 500

SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from dangjian.core import ledger
a = ledger.account_for(book="points", holder="member:1")
b = ledger.account_for(book="points", holder="member:2")
ledger.post(account=a, amount=OPENING, key="opening", kind="fund")
result = [a.pk, b.pk]
"""

WORKER = """
import json, random, sys, django
django.setup()
from dangjian.core import ledger
from dangjian.core.models import LedgerAccount
n, ops = int(sys.argv[1]), int(sys.argv[2])
a, b = LedgerAccount.objects.order_by("pk")
print("ready", flush=True)
sys.stdin.readline()  # the parent's "go", once every worker is ready
rng = random.Random(n)
done = []
for i in range(ops):
    roll, key = rng.random(), f"w{n}-{i}"
    try:
        if roll < 0.4:
            amount = rng.choice([-60, -45, -30, -20, -10, -1, 1, 10, 25])
            account = rng.choice([a, b])
            ledger.post(account=account, amount=amount, key=key, kind="op")
            done.append(["post", key, account.holder, amount])
        elif roll < 0.8:
            src, dst = rng.sample([a, b], 2)
            amount = rng.randint(1, 80)
            ledger.transfer(source=src, target=dst, amount=amount, key=key, kind="op")
            done.append(["transfer", key, src.holder, amount])
        else:  # every worker races for the same few keys, on either account
            key = f"shared-{i % SHARED_KEYS}"
            ledger.post(account=rng.choice([a, b]), amount=1, key=key, kind="shared")
    except ledger.InsufficientFunds:
        done.append(["refused", key, "", 0])
    except ledger.KeyConflict:
        done.append(["conflict", key, "", 0])
print("@@" + json.dumps(done))
"""

CHECK = """
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from dangjian.core import ledger
from dangjian.core.models import LedgerAccount, LedgerEntry
accounts = LedgerAccount.objects.annotate(total=Coalesce(Sum("entries__amount"), 0))
result = {
    "balances": {a.holder: a.balance for a in accounts},
    "sums": {a.holder: a.total for a in accounts},
    "keys": dict(LedgerEntry.objects.values_list("key").annotate(Count("id"))),
    "mismatches": len(ledger.verify()),
}
"""


@pytest.fixture
def site(tmp_path):
    """A scratch deployment on this run's database engine (a SQLite file, or a fresh
    PostgreSQL database beside the test database): the workers are separate processes,
    so they need committed data, not this test's transaction."""
    from django.db import connection

    from tests.security.scratch import Site

    scratch = Site(tmp_path, connection.vendor, migrated=True)
    yield scratch
    scratch.close()


def _start_workers(site) -> list[subprocess.Popen]:
    code = WORKER.replace("SHARED_KEYS", str(SHARED_KEYS))
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(n), str(OPS_PER_WORKER)],
            env=site.env,
            cwd=site.tmp,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    for worker in workers:  # a barrier: nobody starts before every worker is connected
        line = worker.stdout.readline()
        assert line == "ready\n", line + worker.stderr.read()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    return workers


def test_parallel_writers_keep_the_books_right(site):
    a_pk, b_pk = site.python(SETUP.replace("OPENING", str(OPENING)))
    assert a_pk < b_pk
    outcomes = []
    for worker in _start_workers(site):
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err  # a deadlock or a lock timeout fails here
        outcomes += json.loads(next(x for x in out.splitlines() if x.startswith("@@"))[2:])
    state = site.python(CHECK)

    assert state["mismatches"] == 0
    assert state["balances"] == state["sums"]
    assert min(state["balances"].values()) >= 0
    refused = [key for kind, key, *_ in outcomes if kind == "refused"]
    assert refused, "no worker ever overdrew: the test did not reach the boundary"
    assert not set(refused) & set(state["keys"])
    assert {key for kind, key, *_ in outcomes if kind == "conflict"} <= {
        f"shared-{i}" for i in range(SHARED_KEYS)
    }
    expected = {"opening": 1} | {f"shared-{i}": 1 for i in range(SHARED_KEYS)}
    expected |= {
        key: 1 if kind == "post" else 2
        for kind, key, *_ in outcomes
        if kind in ("post", "transfer")
    }
    assert state["keys"] == expected  # each key once; a transfer's two legs share theirs
    posted = sum(amount for kind, _, _, amount in outcomes if kind == "post")
    assert sum(state["balances"].values()) == OPENING + SHARED_KEYS + posted
