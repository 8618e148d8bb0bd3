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


_LAST_SEQ = sa.select(case_.c.last_document_seq).where(case_.c.id == sa.bindparam("k_id"))
_LAST_SEQ_LOCKED = _LAST_SEQ.with_for_update()


class Counters:
    """Case numbers and document sequences counted in memory for one write transaction.

    Each counter is read once, locked (SQLite: the transaction's ``BEGIN IMMEDIATE`` write
    lock; PostgreSQL: ``SELECT … FOR UPDATE`` on the counter row, held until commit), counted
    on in memory and written back by :meth:`write_back`, which the caller runs before its
    transaction commits (once per chunk of rows). Numbers are only taken for rows that will
    be written, so a refused row consumes none and the sequence stays gapless.
    """

    #: Document counters kept in memory at most; beyond it the older half is dropped after a
    #: write-back (they are read again when needed), so memory stays flat.
    MAX_CASES = 10_000

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = conn.dialect.name == "postgresql"
        self.numbers: dict[tuple[str, int], int] = {}
        self._numbers_dirty: set[tuple[str, int]] = set()
        self.doc_seqs: dict[str, int] = {}
        self._seqs_dirty: set[str] = set()

    def _number(self, series_id: str, year: int) -> int:
        key = (series_id, year)
        if key not in self.numbers:
            _insert_counter(self.conn, series_id, year)
            query = sa.select(series_counter.c.last_number).where(
                series_counter.c.series_id == series_id, series_counter.c.year == year)
            if self._lock:
                query = query.with_for_update()
            self.numbers[key] = int(self.conn.execute(query).scalar_one())
        return self.numbers[key]

    def allocate_number(self, series_id: str, year: int) -> int:
        """The next case number of a series in a year (``year`` 0 for never-reset series)."""
        number = self._number(series_id, year) + 1
        self.numbers[(series_id, year)] = number
        self._numbers_dirty.add((series_id, year))
        return number

    def raise_number_to(self, series_id: str, year: int, number: int) -> None:
        """After importing a number from another system: continue after the highest."""
        if number > self._number(series_id, year):
            self.numbers[(series_id, year)] = number
            self._numbers_dirty.add((series_id, year))

    def new_case(self, case_id: str) -> None:
        """A case opened in this transaction (not yet written): its documents start at 1."""
        self.doc_seqs[case_id] = 0

    def _seq(self, case_id: str) -> int:
        if case_id not in self.doc_seqs:
            query = _LAST_SEQ_LOCKED if self._lock else _LAST_SEQ
            self.doc_seqs[case_id] = int(self.conn.execute(query, {"k_id": case_id}
                                                           ).scalar_one())
        return self.doc_seqs[case_id]

    def next_document_seq(self, case_id: str) -> int:
        """The next document number (the ``-N`` of ``KS 2026/0042-N``) within a case."""
        seq = self._seq(case_id) + 1
        self.doc_seqs[case_id] = seq
        self._seqs_dirty.add(case_id)
        return seq

    def raise_document_seq_to(self, case_id: str, seq: int) -> None:
        """After importing a document with its own number, continue after it."""
        if seq > self._seq(case_id):
            self.doc_seqs[case_id] = seq
            self._seqs_dirty.add(case_id)

    def take_document_seq(self, case_id: str) -> int:
        """The count of a case about to be inserted now, which then needs no write-back."""
        self._seqs_dirty.discard(case_id)
        return self.doc_seqs.get(case_id, 0)

    def write_back(self) -> None:
        """Write the changed counters (after the rows they number have been inserted)."""
        if self._numbers_dirty:
            self.conn.execute(
                sa.update(series_counter)
                .where(series_counter.c.series_id == sa.bindparam("k_series"),
                       series_counter.c.year == sa.bindparam("k_year"))
                .values(last_number=sa.bindparam("k_number")),
                [{"k_series": s, "k_year": y, "k_number": self.numbers[(s, y)]}
                 for s, y in sorted(self._numbers_dirty)])
            self._numbers_dirty.clear()
        if self._seqs_dirty:
            self.conn.execute(
                sa.update(case_).where(case_.c.id == sa.bindparam("k_id"))
                .values(last_document_seq=sa.bindparam("k_seq")),
                [{"k_id": c, "k_seq": self.doc_seqs[c]} for c in sorted(self._seqs_dirty)])
            self._seqs_dirty.clear()
        if len(self.doc_seqs) > self.MAX_CASES:
            newest = list(self.doc_seqs.items())[-(self.MAX_CASES // 2):]
            self.doc_seqs = dict(newest)
