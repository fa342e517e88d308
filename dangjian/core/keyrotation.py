"""Key rotation over the whole database, found generically through the model registry.

Every concrete field that is an :class:`~dangjian.core.fields.EncryptedTextField` is
re-encrypted under the current data key; every blind-index pair a model declares in
``BLIND_INDEXES`` is recomputed under the current index key. Work goes in primary-key
batches, each in its own transaction, and skips what is already done, so an
interrupted run is simply run again.
"""

from collections import Counter
from collections.abc import Callable

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model

from dangjian.core import crypto
from dangjian.core.fields import BlindIndex, EncryptedTextField

Progress = Callable[[str], None]


class RotationError(Exception):
    """A stored value could not be decrypted with any key in the key file."""


def encrypted_fields() -> list[tuple[type[Model], list[EncryptedTextField]]]:
    """(model, its EncryptedTextFields) for every installed model that has any."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.local_concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def blind_indexed_models() -> list[tuple[type[Model], tuple[BlindIndex, ...]]]:
    return [
        (model, tuple(model.BLIND_INDEXES))
        for model in apps.get_models()
        if getattr(model, "BLIND_INDEXES", None) and not model._meta.proxy
    ]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _prefix(kid: str) -> str:
    return f"{crypto.PREFIX}:{kid}:%"  # key ids are hex: no LIKE wildcards in them


def key_usage() -> Counter:
    """How many stored values each key id encrypts ('?' for values of no known key)."""
    usage: Counter = Counter()
    kids = list(crypto.keyring().keys)
    with connection.cursor() as cur:
        for model, fields in encrypted_fields():
            table = _q(model._meta.db_table)
            for field in fields:
                col = _q(field.column)
                for kid in kids:
                    cur.execute(f"SELECT COUNT(*) FROM {table} WHERE {col} LIKE %s", [_prefix(kid)])
                    usage[kid] += cur.fetchone()[0]
                unknown = " AND ".join(f"{col} NOT LIKE %s" for _ in kids) or "1=1"
                cur.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE {col} IS NOT NULL AND {col} <> ''"
                    f" AND {unknown}",
                    [_prefix(kid) for kid in kids],
                )
                usage["?"] += cur.fetchone()[0]
    return usage


def _stale_condition(fields) -> str:
    return " OR ".join(
        f"({_q(f.column)} IS NOT NULL AND {_q(f.column)} <> '' AND {_q(f.column)} NOT LIKE %s)"
        for f in fields
    )


def count_stale() -> int:
    """Values not (yet) under the current data key."""
    current = _prefix(crypto.keyring().current)
    total = 0
    with connection.cursor() as cur:
        for model, fields in encrypted_fields():
            for field in fields:
                cur.execute(
                    f"SELECT COUNT(*) FROM {_q(model._meta.db_table)} WHERE "
                    + _stale_condition([field]),
                    [current],
                )
                total += cur.fetchone()[0]
    return total


def reencrypt(*, batch_size: int = 500, progress: Progress | None = None) -> int:
    """Re-encrypt every value not under the current key; returns the rows rewritten."""
    current = _prefix(crypto.keyring().current)
    done = 0
    for model, fields in encrypted_fields():
        table, pk = _q(model._meta.db_table), _q(model._meta.pk.column)
        cols = ", ".join(_q(f.column) for f in fields)
        stale = _stale_condition(fields)
        last = None
        while True:
            with transaction.atomic():
                after = "" if last is None else f" AND {pk} > %s"
                params = [current] * len(fields) + ([] if last is None else [last])
                with connection.cursor() as cur:
                    cur.execute(
                        f"SELECT {pk}, {cols} FROM {table} WHERE ({stale}){after}"
                        f" ORDER BY {pk} LIMIT {int(batch_size)}",
                        params,
                    )
                    rows = cur.fetchall()
                if not rows:
                    break
                updates = [
                    (
                        pk_value,
                        [
                            _decrypt(model, pk_value, field, raw)
                            for field, raw in zip(fields, raws, strict=True)
                        ],
                    )
                    for pk_value, *raws in rows
                ]
                _update_rows(model, fields, updates)
                last = rows[-1][0]
                done += len(rows)
            if progress:
                progress(f"{model._meta.label}: 已重新加密 {done} 行")
    return done


def _update_rows(model, fields, updates) -> None:
    """UPDATE the given columns of the given rows, values prepared by their fields (an
    EncryptedTextField encrypts under the current key); nothing else changes (no
    auto_now, no signals)."""
    if not updates:
        return
    sets = ", ".join(f"{_q(f.column)} = %s" for f in fields)
    sql = f"UPDATE {_q(model._meta.db_table)} SET {sets} WHERE {_q(model._meta.pk.column)} = %s"
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)] + [pk]
        for pk, values in updates
    ]
    with connection.cursor() as cur:
        cur.executemany(sql, params)


def _decrypt(model, pk_value, field, raw):
    if raw in (None, ""):
        return raw
    try:
        return crypto.decrypt(raw)
    except crypto.DecryptionError as exc:
        raise RotationError(
            f"{model._meta.label} #{pk_value} 的 {field.name} 无法解密：{exc}"
        ) from exc


def reindex(*, batch_size: int = 500, progress: Progress | None = None) -> int:
    """Recompute every blind-index column under the current index key; rows changed."""
    changed_total = 0
    for model, specs in blind_indexed_models():
        names = [s.source for s in specs] + [s.digest for s in specs]
        qs = model._base_manager.order_by("pk").only("pk", *names)
        last = None
        seen = 0
        while True:
            with transaction.atomic():
                page = qs if last is None else qs.filter(pk__gt=last)
                objs = list(page[:batch_size])
                if not objs:
                    break
                changed = []
                for obj in objs:
                    digests = [
                        crypto.blind_index(value, purpose=spec.purpose) if value else ""
                        for spec in specs
                        for value in [getattr(obj, spec.source)]
                    ]
                    if digests != [getattr(obj, spec.digest) for spec in specs]:
                        changed.append((obj.pk, digests))
                digest_fields = [model._meta.get_field(spec.digest) for spec in specs]
                _update_rows(model, digest_fields, changed)
                last = objs[-1].pk
                seen += len(objs)
                changed_total += len(changed)
            if progress:
                progress(f"{model._meta.label}: 已重算盲索引 {seen} 行（改写 {changed_total} 行）")
    return changed_total
