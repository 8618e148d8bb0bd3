"""The event log (diariehändelser och ärendehändelser): append-only and hash-chained.

Every change to the registry appends an event in the same transaction. Each event's
``hash`` is SHA-256 over its canonical JSON, which includes the previous event's hash,
so an edited or deleted event breaks the chain; :func:`verify_chain` finds where.
Database triggers refuse UPDATE and DELETE on the table as a second line of defence.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

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


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def event_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of an event's hashed fields."""
    doc = {k: _jsonable(values.get(k)) for k in HASHED_FIELDS}
    data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
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
    conn.execute(event.insert(), values)
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
    conn.execute(event.insert(), rows)
    conn.info[_HEAD_KEY] = (_transaction_key(conn), prev)
    return [str(r["id"]) for r in rows]


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
