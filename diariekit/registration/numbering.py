"""Gapless numbering (löpnummer) of cases per series and year, and of documents per case.

A number is allocated in the same transaction as the row it numbers: the counter row is
created if missing (``ON CONFLICT DO NOTHING``) and bumped with ``UPDATE … RETURNING``,
which takes the row lock on PostgreSQL; on SQLite the write transaction began with
``BEGIN IMMEDIATE`` and already holds the database's write lock. A rolled-back batch
gives its numbers back with it, so the sequence stays gapless; a committed number is
never reused (a mistaken entry is voided, not deleted).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from diariekit.registry.schema import case_, series_counter


def _insert_counter(conn: Connection, series_id: str, year: int) -> None:
    values = {"series_id": series_id, "year": year, "last_number": 0}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(series_counter).values(**values).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(series_counter).values(**values).on_conflict_do_nothing())


def allocate_number(conn: Connection, series_id: str, year: int) -> int:
    """The next case number of a series in a year (``year`` 0 for never-reset series)."""
    _insert_counter(conn, series_id, year)
    return int(conn.execute(
        sa.update(series_counter)
        .where(series_counter.c.series_id == series_id, series_counter.c.year == year)
        .values(last_number=series_counter.c.last_number + 1)
        .returning(series_counter.c.last_number)).scalar_one())


def raise_counter_to(conn: Connection, series_id: str, year: int, number: int) -> None:
    """After importing numbers from another system: continue after the highest."""
    _insert_counter(conn, series_id, year)
    conn.execute(
        sa.update(series_counter)
        .where(series_counter.c.series_id == series_id, series_counter.c.year == year,
               series_counter.c.last_number < number)
        .values(last_number=number))


def next_document_seq(conn: Connection, case_id: str) -> int:
    """The next document number (the ``-N`` of ``KS 2026/0042-N``) within a case."""
    return int(conn.execute(
        sa.update(case_).where(case_.c.id == case_id)
        .values(last_document_seq=case_.c.last_document_seq + 1)
        .returning(case_.c.last_document_seq)).scalar_one())


def raise_document_seq_to(conn: Connection, case_id: str, seq: int) -> None:
    """After importing a document with its own number, continue after it."""
    conn.execute(sa.update(case_).where(case_.c.id == case_id, case_.c.last_document_seq < seq)
                 .values(last_document_seq=seq))
