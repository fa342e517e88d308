"""The ledger (账不错): money and points as immutable entries with derived balances.

Dues (党费, in fen) and the 红能量 wallet (in points) keep their books here. An account
is one holder's balance in one book; every change is a :class:`LedgerEntry` carrying
a signed amount and the balance after it, written once and never changed (a mistake
is corrected by a reversing entry). The account's ``balance`` is a cache of the sum of
its entries, updated in the transaction that adds the entry; :func:`verify` recomputes
it from the entries.

Rules every write keeps:

- Never negative: a debit larger than the balance is refused with
  :class:`InsufficientFunds` (余额不足); the database refuses it too (CHECK).
- Idempotent: each write carries a ``key``, unique per book. Replaying a key with the
  same account, amount and kind returns the entry first written and changes nothing;
  the same key with other content raises :class:`KeyConflict`. A job or request that
  is retried after a crash or a timeout therefore never posts twice.
- Concurrent writers are serialised per account: the account row is locked
  (``SELECT … FOR NO KEY UPDATE``, which still lets other transactions insert entries
  referencing it), several accounts always in ascending pk order, so two transfers in
  opposite directions cannot deadlock. SQLite serialises writers at BEGIN IMMEDIATE.
- Audited: each write records one audit entry in its transaction, after its account
  locks. A service that posts from inside its own write should call the ledger before
  its own ``audit.record``: the audit chain's head is locked until commit, and taking
  it before an account lock while another writer holds that account and waits for the
  head is a lock cycle.

The errors are ``ValidationError`` subclasses naming a field, so the API answers them
as a 422 with ``{"detail": [{"loc": ["body", "amount"], ...}]}`` and pages show the
message beside the field.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, F, Model, Q, Sum, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.models import LedgerAccount, LedgerEntry
from dangjian.core.scope import common_path

# A bound far above any real dues or points figure, far below a 64-bit overflow.
MAX_AMOUNT = 10**15

MSG_INSUFFICIENT = "余额不足：当前余额 {balance}，本次需扣减 {need}"
MSG_KEY_CONFLICT = "幂等键“{key}”已用于另一笔内容不同的记账"
MSG_AMOUNT_ZERO = "金额不能为零"
MSG_AMOUNT_TYPE = "金额应为整数（党费以分计）"
MSG_AMOUNT_RANGE = "金额超出允许范围"
MSG_BALANCE_RANGE = "记账后余额超出允许范围"
MSG_TRANSFER_POSITIVE = "转账金额应大于零"
MSG_TRANSFER_SELF = "转出与转入不能是同一账户"
MSG_TRANSFER_BOOKS = "转出与转入账户须属同一账簿"
MSG_REQUIRED = "必填项"
MSG_TOO_LONG = "长度不能超过{n}个字符"
MSG_SUM_MISMATCH = "余额与分录合计不符"
MSG_CHAIN_MISMATCH = "记账后余额与此前分录累计不符"


class LedgerError(ValidationError):
    """A write the ledger refuses; a field-level ValidationError (the API's 422)."""

    field = "__all__"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__({field or self.field: [message]})
        self.text = message

    def __str__(self) -> str:
        return self.text


class InsufficientFunds(LedgerError):
    """The debit would take the balance below zero (余额不足)."""

    field = "amount"


class KeyConflict(LedgerError):
    """The idempotency key was already used for a different write."""

    field = "key"


@dataclass(frozen=True)
class Mismatch:
    """An account whose cached balance or entry chain disagrees with its entries."""

    account: LedgerAccount
    reason: str
    expected: int
    actual: int
    entry: LedgerEntry | None = None


# --- Validation ---------------------------------------------------------------------


def _text_errors(**fields: tuple[str, int]) -> dict[str, str]:
    errors = {}
    for name, (value, limit) in fields.items():
        if not value:
            errors[name] = MSG_REQUIRED
        elif len(value) > limit:
            errors[name] = MSG_TOO_LONG.format(n=limit)
    return errors


def _amount_error(amount) -> str | None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        return MSG_AMOUNT_TYPE
    if amount == 0:
        return MSG_AMOUNT_ZERO
    if abs(amount) > MAX_AMOUNT:
        return MSG_AMOUNT_RANGE
    return None


def _check_write(*, amount, key: str, kind: str, memo: str) -> None:
    errors = _text_errors(key=(key, 120), kind=(kind, 32))
    if len(memo) > 200:
        errors["memo"] = MSG_TOO_LONG.format(n=200)
    amount_error = _amount_error(amount)
    if amount_error:
        errors["amount"] = amount_error
    raise_if(errors)


# --- Accounts -------------------------------------------------------------------------


@transaction.atomic
def account_for(*, book: str, holder: str, org: Model | None = None, actor=None) -> LedgerAccount:
    """The account of ``holder`` in ``book``, opened (balance 0) on first use.

    ``org`` is where the account is read under; when given and the holder has moved
    (a member transferred to another branch), the account moves with it, so the old
    superiors no longer see it and the new ones do. ``None`` leaves it where it is.
    """
    raise_if(_text_errors(book=(book, 32), holder=(holder, 64)))
    org_id = org.pk if org is not None else None
    account = LedgerAccount.objects.filter(book=book, holder=holder).first()
    if account is None:
        try:
            with transaction.atomic():
                account = LedgerAccount.objects.create(book=book, holder=holder, org_id=org_id)
        except IntegrityError:  # opened meanwhile by a concurrent writer
            account = LedgerAccount.objects.get(book=book, holder=holder)
        else:
            audit.record(
                actor=actor,
                action="ledger.account_open",
                obj=account,
                org=org,
                after={"book": book, "holder": holder, "org": org_id},
            )
            return account
    if org_id is not None and account.org_id != org_id:
        before = account.org_id
        LedgerAccount.objects.filter(pk=account.pk).update(org_id=org_id)
        account.org_id = org_id
        audit.record(
            actor=actor,
            action="ledger.account_move",
            obj=account,
            org=org,
            before={"org": before},
            after={"org": org_id},
        )
    return account


def balance(account: LedgerAccount) -> int:
    """The account's committed balance, read fresh (not the instance's possibly old copy)."""
    return LedgerAccount.objects.values_list("balance", flat=True).get(pk=account.pk)


def _lock(*accounts: LedgerAccount) -> dict[int, LedgerAccount]:
    """Lock the accounts' rows, in ascending pk order (so lockers never wait in a cycle).

    PostgreSQL locks the rows as the sorted result is produced. NO KEY UPDATE, not
    UPDATE: the entries inserted meanwhile (whose foreign key takes KEY SHARE on the
    account) need not wait for it.
    """
    rows = (
        LedgerAccount.objects.select_for_update(no_key=True, of=("self",))
        .select_related("org")
        .filter(pk__in=[a.pk for a in accounts])
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def _org_path(account: LedgerAccount) -> str:
    return account.org.path if account.org_id else ""


# --- Writes ---------------------------------------------------------------------------


def _replayed(book: str, key: str) -> LedgerEntry | None:
    """The entry (a transfer's debit leg) already written under ``key`` in ``book``."""
    return (
        LedgerEntry.objects.select_related("transfer_to")
        .filter(book=book, key=key, transfer_from__isnull=True)
        .first()
    )


def _same_post(entry: LedgerEntry, *, account: LedgerAccount, amount: int, kind: str) -> bool:
    is_transfer = hasattr(entry, "transfer_to")
    return (
        not is_transfer
        and entry.account_id == account.pk
        and entry.amount == amount
        and entry.kind == kind
    )


def _append(
    account: LedgerAccount,
    *,
    amount: int,
    key: str,
    kind: str,
    memo: str,
    actor,
    at,
    transfer_from: LedgerEntry | None = None,
) -> LedgerEntry:
    """Add one entry to a locked account and move its cached balance with it."""
    new_balance = account.balance + amount
    if new_balance < 0:
        raise InsufficientFunds(MSG_INSUFFICIENT.format(balance=account.balance, need=-amount))
    if new_balance > MAX_AMOUNT:
        raise LedgerError(MSG_BALANCE_RANGE)
    entry = LedgerEntry(
        account=account,
        book=account.book,
        amount=amount,
        balance_after=new_balance,
        key=key,
        kind=kind,
        memo=memo,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        at=at,
        transfer_from=transfer_from,
    )
    entry.save()
    LedgerAccount.objects.filter(pk=account.pk).update(balance=new_balance)
    account.balance = new_balance
    return entry


def _write_or_find(book: str, key: str, write) -> tuple[object, LedgerEntry | None]:
    """``(write(), None)``; or, when a concurrent writer on another account took ``key``
    between our lookup and our insert, ``(None, the entry it wrote)`` for comparison."""
    try:
        with transaction.atomic():
            return write(), None
    except IntegrityError:
        existing = _replayed(book, key)
        if existing is None:
            raise
        return None, existing


@transaction.atomic
def post(
    *,
    account: LedgerAccount,
    amount: int,
    key: str,
    kind: str,
    memo: str = "",
    actor=None,
) -> LedgerEntry:
    """Credit (``amount > 0``) or debit (``amount < 0``) one account.

    Replaying ``key`` with the same account, amount and kind returns the first entry
    and writes nothing; other content under the key raises :class:`KeyConflict`.
    A debit beyond the balance raises :class:`InsufficientFunds` and writes nothing.
    """
    _check_write(amount=amount, key=key, kind=kind, memo=memo)
    locked = _lock(account)[account.pk]
    account.balance = locked.balance
    entry = _replayed(locked.book, key)
    if entry is None:
        written, entry = _write_or_find(
            locked.book,
            key,
            lambda: _append(
                locked,
                amount=amount,
                key=key,
                kind=kind,
                memo=memo,
                actor=actor,
                at=timezone.now(),
            ),
        )
        if written is not None:
            account.balance = locked.balance
            audit.record(
                actor=actor,
                action="ledger.post",
                obj=written,
                org=locked.org,
                after=_entry_snapshot(written),
            )
            return written
    if not _same_post(entry, account=locked, amount=amount, kind=kind):
        raise KeyConflict(MSG_KEY_CONFLICT.format(key=key))
    return entry


@transaction.atomic
def transfer(
    *,
    source: LedgerAccount,
    target: LedgerAccount,
    amount: int,
    key: str,
    kind: str,
    memo: str = "",
    actor=None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move ``amount`` from ``source`` to ``target`` in one book: both legs or neither.

    Returns ``(debit, credit)``; the credit's ``transfer_from`` is the debit. Replay and
    conflict follow :func:`post`, on the debit leg's key.
    """
    _check_write(amount=amount, key=key, kind=kind, memo=memo)
    if amount < 0:
        raise LedgerError(MSG_TRANSFER_POSITIVE, field="amount")
    if source.pk == target.pk:
        raise LedgerError(MSG_TRANSFER_SELF)
    locked = _lock(source, target)
    src, dst = locked[source.pk], locked[target.pk]
    source.balance, target.balance = src.balance, dst.balance
    if src.book != dst.book:
        raise LedgerError(MSG_TRANSFER_BOOKS)

    def write() -> tuple[LedgerEntry, LedgerEntry]:
        now = timezone.now()
        fields = {"key": key, "kind": kind, "memo": memo, "actor": actor, "at": now}
        debit = _append(src, amount=-amount, **fields)
        credit = _append(dst, amount=amount, transfer_from=debit, **fields)
        return debit, credit

    debit = _replayed(src.book, key)
    if debit is None:
        legs, debit = _write_or_find(src.book, key, write)
        if legs is not None:
            source.balance, target.balance = src.balance, dst.balance
            audit.record(
                actor=actor,
                action="ledger.transfer",
                obj=legs[0],
                org_path=_audit_path(_org_path(src), _org_path(dst)),
                after={"debit": _entry_snapshot(legs[0]), "credit": _entry_snapshot(legs[1])},
            )
            return legs
    credit = getattr(debit, "transfer_to", None)
    same = (
        credit is not None
        and debit.account_id == src.pk
        and credit.account_id == dst.pk
        and credit.amount == amount
        and debit.kind == kind
    )
    if not same:
        raise KeyConflict(MSG_KEY_CONFLICT.format(key=key))
    return debit, credit


def _audit_path(*paths: str) -> str:
    """A transfer is audited under the deepest organisation covering both accounts
    (``""``, the top, when one of them has no organisation)."""
    return common_path(paths) if all(paths) else ""


def _entry_snapshot(entry: LedgerEntry) -> dict:
    return audit.snapshot(
        entry, ("account", "book", "amount", "balance_after", "key", "kind", "memo")
    )


# --- Verification ---------------------------------------------------------------------


def verify(account: LedgerAccount | None = None) -> list[Mismatch]:
    """Recompute balances from the entries: every account (or ``account``) whose cached
    balance is not the sum of its entries, or whose entries' ``balance_after`` is not the
    running sum up to them. An empty list means the books agree.
    """
    accounts = LedgerAccount.objects.order_by("pk")
    entries = LedgerEntry.objects.all()
    if account is not None:
        accounts = accounts.filter(pk=account.pk)
        entries = entries.filter(account=account)
    found = [
        Mismatch(acc, MSG_SUM_MISMATCH, acc.total, acc.balance)
        for acc in accounts.annotate(
            total=Coalesce(Sum("entries__amount"), 0, output_field=BigIntegerField())
        ).exclude(balance=F("total"))
    ]
    broken = (
        entries.select_related("account")
        .annotate(
            running=Window(Sum("amount"), partition_by=[F("account_id")], order_by=F("id").asc())
        )
        .filter(~Q(running=F("balance_after")))
        .order_by("account_id", "id")
    )
    found += [
        Mismatch(e.account, MSG_CHAIN_MISMATCH, e.running, e.balance_after, entry=e) for e in broken
    ]
    return found
