"""The event log (diariehändelser och ärendehändelser): append-only and hash-chained.

Every change to the registry appends an event in the same transaction. Each event's
``hash`` is SHA-256 over its canonical JSON, which includes the previous event's hash,
so an edited or deleted event breaks the chain; :func:`verify_chain` finds where.
Database triggers refuse UPDATE and DELETE on the table as a second line of defence.

Events go in with :func:`insert_many`, which bulk registration uses for its other tables too:
one ``executemany`` per table without SQLAlchemy's per-row parameter handling on SQLite.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from diariekit.clock import today
from diariekit.errors import Location
from diariekit.findings import Finding, Severity
from diariekit.registry.schema import GENESIS_HASH, event, new_id, utc_now

# Arbitrary constant for PostgreSQL's transaction-scoped advisory lock on the chain head.
_CHAIN_LOCK = 0x6469_6172  # "diar"

HASHED_FIELDS = ("id", "at", "event_date", "actor", "kind", "organisation_id", "case_id",
                 "main_case_id", "document_id", "short_text", "detail", "link", "person_ref",
                 "payload", "prev_hash")


def current_actor() -> str:
    """Who is acting: ``$DIARIEKIT_USER``, else the login name."""
    env = os.environ.get("DIARIEKIT_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _iso(value: Any) -> str:
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# The canonical JSON of an event: sorted keys, no spaces, UTF-8 as is; dates and times as
# ISO 8601. One encoder for every event (``json.dumps`` with options builds one per call).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              default=_iso)


def event_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of an event's hashed fields."""
    get = values.get
    data = _CANONICAL.encode({k: get(k) for k in HASHED_FIELDS})
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def append_event(
    conn: Connection,
    *,
    kind: str,
    short_text: str,
    actor: str | None = None,
    event_date: date | None = None,
    organisation_id: str | None = None,
    case_id: str | None = None,
    main_case_id: str | None = None,
    document_id: str | None = None,
    detail: str | None = None,
    link: str | None = None,
    person_ref: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> str:
    """Append one event inside the caller's write transaction; return its id.

    The caller's transaction must be a write transaction (``write_transaction``), so
    that on SQLite the chain head cannot move underneath; on PostgreSQL an advisory
    lock serialises appenders until commit.
    """
    prev = _chain_head(conn)
    at = utc_now()
    values: dict[str, Any] = {
        "id": new_id(),
        "at": at,
        "event_date": event_date or today(),
        "actor": actor or current_actor(),
        "kind": kind,
        "organisation_id": organisation_id,
        "case_id": case_id,
        "main_case_id": main_case_id,
        "document_id": document_id,
        "short_text": short_text,
        "detail": detail,
        "link": link,
        "person_ref": person_ref,
        "payload": dict(payload) if payload is not None else None,
        "prev_hash": prev,
    }
    values["hash"] = event_hash(values)
    insert_many(conn, event, [values])
    conn.info[_HEAD_KEY] = (_transaction_key(conn), values["hash"])
    return str(values["id"])


def append_events(conn: Connection, events: Sequence[Mapping[str, Any]]) -> list[str]:
    """Append several events in order inside the caller's write transaction; return their ids.

    Each mapping holds :func:`append_event`'s keyword arguments (``kind`` and ``short_text``
    required). The hashes are chained in sequence from the (cached) chain head and the rows
    go in with one ``executemany``, so a batch costs one statement however many events.
    """
    if not events:
        return []
    prev = _chain_head(conn)
    default_actor: str | None = None
    day = today()
    rows: list[dict[str, Any]] = []
    for e in events:
        actor = e.get("actor")
        if not actor:
            if default_actor is None:
                default_actor = current_actor()
            actor = default_actor
        payload = e.get("payload")
        values: dict[str, Any] = {
            "id": new_id(),
            "at": utc_now(),
            "event_date": e.get("event_date") or day,
            "actor": actor,
            "kind": e["kind"],
            "organisation_id": e.get("organisation_id"),
            "case_id": e.get("case_id"),
            "main_case_id": e.get("main_case_id"),
            "document_id": e.get("document_id"),
            "short_text": e["short_text"],
            "detail": e.get("detail"),
            "link": e.get("link"),
            "person_ref": e.get("person_ref"),
            "payload": dict(payload) if payload is not None else None,
            "prev_hash": prev,
        }
        values["hash"] = prev = event_hash(values)
        rows.append(values)
    insert_many(conn, event, rows)
    conn.info[_HEAD_KEY] = (_transaction_key(conn), prev)
    return [str(r["id"]) for r in rows]


class _InsertPlan(NamedTuple):
    sql: str
    get: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]
    # The columns the rows leave out that have a Python-side default, as ``table.insert()``
    # would fill them: the default and the column's bind processor.
    defaults: tuple[tuple[Callable[[], Any], Callable[[Any], Any] | None], ...]


_PLANS: weakref.WeakKeyDictionary[Dialect, dict[tuple[sa.Table, tuple[str, ...]], _InsertPlan]] = \
    weakref.WeakKeyDictionary()


def _insert_plan(dialect: Dialect, table: sa.Table, keys: tuple[str, ...]) -> _InsertPlan:
    plans = _PLANS.setdefault(dialect, {})
    plan = plans.get((table, keys))
    if plan is not None:
        return plan
    quote = dialect.identifier_preparer

    def processor(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
        return column.type.dialect_impl(dialect).bind_processor(dialect)

    processed = tuple((i, proc) for i, key in enumerate(keys)
                      if (proc := processor(table.c[key])) is not None)
    defaults: list[tuple[Callable[[], Any], Callable[[Any], Any] | None]] = []
    defaulted: list[sa.Column[Any]] = []
    for column in table.columns:
        default = column.default
        if column.key in keys or default is None:
            continue
        if not isinstance(default, sa.ColumnDefault):
            raise ValueError(f"insert_many({table.name}): cannot fill column {column.key}")
        arg = default.arg
        # SQLAlchemy wraps a callable default so that it takes the execution context.
        fill = (lambda fn=arg: fn(None)) if default.is_callable else (lambda value=arg: value)
        defaults.append((fill, processor(column)))
        defaulted.append(column)
    columns = [table.c[k] for k in keys] + defaulted
    sql = (f"INSERT INTO {quote.format_table(table)} "
           f"({', '.join(quote.format_column(c) for c in columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    getter = itemgetter(*keys)
    get = getter if len(keys) > 1 else (lambda row: (getter(row),))
    plan = plans[(table, keys)] = _InsertPlan(sql, get, processed, tuple(defaults))
    return plan


def insert_many(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (mappings with the same keys) with one ``executemany``.

    The same as ``conn.execute(table.insert(), rows)`` — the same columns, the Python-side
    defaults (ids, timestamps) for columns the rows leave out, the same type processing —
    without SQLAlchemy's per-row parameter handling, which costs more than SQLite's own
    insert: on SQLite the statement is built once per table and set of keys, and every row
    becomes one tuple of values. Other backends take the ordinary path (on PostgreSQL that is
    psycopg's ``executemany``; not measured against a fast path there).
    """
    if not rows:
        return
    if conn.dialect.name != "sqlite" or conn.dialect.paramstyle != "qmark":
        conn.execute(table.insert(), list(rows))
        return
    keys = tuple(rows[0])
    plan = _insert_plan(conn.dialect, table, keys)
    get, processed, defaults, width = plan.get, plan.processed, plan.defaults, len(keys)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        if len(row) != width:
            raise ValueError(f"insert_many({table.name}): rows with different keys "
                             f"({sorted(row)} after {sorted(keys)})")
        values = list(get(row))
        for i, proc in processed:
            values[i] = proc(values[i])
        for fill, fill_proc in defaults:
            value = fill()
            values.append(value if fill_proc is None else fill_proc(value))
        params.append(tuple(values))
    conn.exec_driver_sql(plan.sql, params)


_HEAD_KEY = "diariekit.event_chain_head"


def _transaction_key(conn: Connection) -> weakref.ref[Any] | None:
    # A weak reference, not id(): a later transaction may reuse a dead one's id.
    txn = conn.get_transaction()
    return weakref.ref(txn) if txn is not None else None


def _chain_head(conn: Connection) -> str:
    """The hash of the last event, locked for this transaction.

    Within one transaction the head is remembered after the first look-up, so a batch
    of thousands of events does not query it again for each (nor re-take the lock).
    """
    cached = conn.info.get(_HEAD_KEY)
    key = _transaction_key(conn)
    txn = conn.get_transaction()
    if cached is not None and cached[0] is not None and txn is not None \
            and cached[0]() is txn:
        return str(cached[1])
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    prev = conn.execute(
        sa.select(event.c.hash).order_by(event.c.seq.desc()).limit(1)).scalar_one_or_none()
    head = prev or GENESIS_HASH
    conn.info[_HEAD_KEY] = (key, head)
    return head


def forget_chain_head(conn: Connection) -> None:
    """Drop the remembered head (after rolling back to a savepoint that held events)."""
    conn.info.pop(_HEAD_KEY, None)


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the chain: events checked and the breaks found."""

    checked: int
    findings: tuple[Finding, ...]
    head: str = GENESIS_HASH  # keep it: a later verify showing another head reveals truncation

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "head": self.head,
                "findings": [f.to_dict() for f in self.findings]}


def iter_events(conn: Connection, batch: int = 1000) -> Iterator[sa.Row[Any]]:
    """All events in ``seq`` order, read in batches (flat memory)."""
    last = -1
    while True:
        rows = conn.execute(sa.select(event).where(event.c.seq > last)
                            .order_by(event.c.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(conn: Connection) -> ChainReport:
    """Recompute every hash and link; report each edited, inserted or missing event."""
    findings: list[Finding] = []
    prev_hash = GENESIS_HASH
    checked = 0
    row: Any = None
    for row in iter_events(conn):
        checked += 1
        values = row._asdict()
        where = Location(None, None, f"event seq {row.seq}")
        if row.prev_hash != prev_hash:
            findings.append(Finding(
                "audit.chain-broken", Severity.ERROR,
                f"event {row.id} ({row.kind}) does not follow the previous event: an event "
                "before it was deleted, inserted or changed", where))
        if event_hash(values) != row.hash:
            findings.append(Finding(
                "audit.event-altered", Severity.ERROR,
                f"event {row.id} ({row.kind}) does not match its hash: it was edited", where))
        prev_hash = row.hash
    last_seq = 0 if not checked else row.seq
    if conn.dialect.name == "sqlite":
        # AUTOINCREMENT never reuses a number: a higher high-water mark than the last event
        # means events at the end were deleted, which the chain alone cannot show.
        high = conn.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = 'event'").scalar_one_or_none()
        if high is not None and int(high) > last_seq:
            findings.append(Finding(
                "audit.tail-deleted", Severity.ERROR,
                f"events after seq {last_seq} (up to {high}) were deleted",
                Location(None, None, f"event seq {last_seq + 1}")))
    return ChainReport(checked, tuple(findings), prev_hash)
