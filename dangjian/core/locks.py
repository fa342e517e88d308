"""Serialising writes that must not interleave (tree writes compute sibling paths)."""

import zlib

from django.db import connection


def serialize(name: str) -> None:
    """Take a transaction-scoped lock named ``name``.

    PostgreSQL: an advisory transaction lock. SQLite: transactions already run one at
    a time (IMMEDIATE mode takes the write lock at BEGIN), so nothing more is needed.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
