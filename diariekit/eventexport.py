"""Case-event messages (ärendehändelsemeddelanden) for a citizen portal or contact centre.

:func:`export_events` turns the registry's event log into the message [004] (Sambruk, p. 19)
asks a source system to signal to the hub (ärendeknutpunkt), which feeds the citizen's
*Mina sidor* and the contact centre's *Dina sidor* (background.md §7.2–7.3). One message per
event, in ``seq`` order::

    seq, event_id, kind, organisation,
    date               händelsedatum (the event's legal date, ISO 8601)
    short_text         kort beskrivningstext (public by construction)
    case_number        ärendenummer (dnr)
    main_case_number   huvudärendenummer: the case's main case (Case.main_case_id, set by a
                       case link), else the event's main case, else the case itself
    detail             mer detaljerad beskrivning (None under secrecy, see below)
    link               webblänk (deep link into the e-service), when the event has one
    personnummer       the person the case concerns (only on request, see below)
    secrecy            true when the event's case or document carries an active marking

Only events that concern a case (ärendehändelser) are exported: the case number is a
required field of the message. Registry housekeeping (organisations, series, plan imports)
has no case and is left out.

Secrecy (sekretess, OSL; domain.md §3.3–3.4). A portal feed crosses a boundary, so every
message carries only what a public extract may show when the event is about a case or
document under an active (not revoked) secrecy marking:

* ``short_text`` is written public at registration (it uses the public forms of the
  description and counterpart), so it is sent as stored;
* ``detail`` is None: it may hold the protected description;
* protected forms (``description_protected``, ``counterpart_protected``, ``title_protected``)
  and the event payload are never read into a message.

A case counts as under secrecy when its title or any of its documents (or their files)
carries an active marking; a document when it, its counterpart, its description or one of
its files does. Markings only drive defaults (they are warnings, not decisions), and the
cautious default is to hide.

Personnummer. The portal needs it to route an event to the person concerned (a guardian
sees the events of a child, [004] p. 19), and the citizen may see secret data about
themselves (background.md §7.6). It is nevertheless protected data: ``personnummer`` is
None unless ``include_personnummer`` is asked for, and then it is given for secret cases
too (the portal cannot route without it). Such a non-public export writes an
``events_exported`` event (domain.md §3.4 rule 3). In ``public`` mode (an e-diarium or
open-data feed) it is refused outright, and ``detail`` is also withheld for events about a
person (GDPR limits web publication even of public data).

Memory stays flat: events are read in batches of ``batch_size`` by ``seq`` and yielded one
by one; the export stops at the last event that existed when it began, so concurrent writers
cannot make it run on forever.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from diariekit.atomic import atomic_open
from diariekit.clock import STOCKHOLM
from diariekit.config import Config
from diariekit.errors import UsageError
from diariekit.events import append_event, current_actor
from diariekit.organisations import organisation_id
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import case_, document, event, file, organisation, secrecy_marking
from diariekit.registry.session import open_registry

__all__ = [
    "MESSAGE_FIELDS",
    "export_events",
    "marked_case_ids",
    "marked_document_ids",
    "parse_bound",
    "write_jsonl",
    "write_jsonl_atomic",
]

#: The keys of every exported message, in output order (a stable schema).
MESSAGE_FIELDS = ("seq", "event_id", "kind", "date", "short_text", "case_number",
                  "main_case_number", "detail", "link", "personnummer", "organisation",
                  "secrecy")

_DOCUMENT_TARGETS = ("document", "counterpart", "description")


def _active(target: str | Sequence[str]) -> sa.ColumnElement[bool]:
    wanted = (target,) if isinstance(target, str) else tuple(target)
    return sa.and_(secrecy_marking.c.target.in_(wanted), secrecy_marking.c.revoked_at.is_(None))


def _marked_documents_query() -> sa.Select[tuple[str]]:
    """Ids of documents that carry an active marking themselves or on one of their files."""
    direct = sa.select(secrecy_marking.c.target_id.label("id")).where(
        _active(_DOCUMENT_TARGETS))
    via_file = (sa.select(file.c.document_id.label("id"))
                .join(secrecy_marking, secrecy_marking.c.target_id == file.c.id)
                .where(_active("file")))
    return sa.select(sa.union(direct, via_file).subquery().c.id)


def marked_document_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Of ``ids``, the documents (handlingar) under an active secrecy marking."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    marked = _marked_documents_query().subquery()
    return set(conn.execute(sa.select(marked.c.id).where(marked.c.id.in_(wanted))).scalars())


def marked_case_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Of ``ids``, the cases (ärenden) under secrecy: an active marking on the case title or
    on any of the case's documents or their files."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    by_title = set(conn.execute(sa.select(secrecy_marking.c.target_id).where(
        _active("case_title"), secrecy_marking.c.target_id.in_(wanted))).scalars())
    rest = wanted - by_title
    if not rest:
        return by_title
    by_document = set(conn.execute(sa.select(document.c.case_id).distinct().where(
        document.c.case_id.in_(rest),
        document.c.id.in_(_marked_documents_query()))).scalars())
    return by_title | by_document


def _bound(value: date | datetime | None) -> date | datetime | None:
    if value is None or not isinstance(value, datetime):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        # A wall-clock time given without a zone is Swedish time, as users mean it.
        return value.replace(tzinfo=STOCKHOLM)
    return value


def _after(lo: date | datetime | None, hi: date | datetime | None) -> bool:
    if isinstance(lo, datetime) and isinstance(hi, datetime):
        return lo > hi
    if lo is None or hi is None or isinstance(lo, datetime) or isinstance(hi, datetime):
        return False
    return lo > hi


def export_events(
    config: Config,
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    org_id: str | None = None,
    kinds: Collection[str] | None = None,
    include_personnummer: bool = False,
    public: bool = False,
    actor: str | None = None,
    batch_size: int = 500,
) -> Iterator[dict[str, Any]]:
    """Case-event messages (ärendehändelsemeddelanden) in ``seq`` order, streamed.

    ``since`` / ``until`` as a date filter on the legal event date, both inclusive; as a
    datetime (naive means Swedish time) on the system time ``at``, ``since`` inclusive and
    ``until`` exclusive. ``org_id`` limits to one organisation's cases (default: all);
    ``kinds`` to some event kinds. See the module docstring for what secrecy and
    ``include_personnummer`` / ``public`` do.

    Arguments are checked, and the audit event of a non-public export written, when this
    function is called; the messages are read as they are consumed.
    """
    if batch_size < 1:
        raise UsageError("batch size must be at least 1")
    if public and include_personnummer:
        raise UsageError("a public export never carries personnummer: drop "
                         "--include-personnummer or --public")
    lo, hi = _bound(since), _bound(until)
    if _after(lo, hi):
        raise UsageError(f"since {lo.isoformat() if lo else ''} is after until "
                         f"{hi.isoformat() if hi else ''}")
    kind_list = sorted({k.strip() for k in kinds or () if k.strip()})
    engine = open_registry(config)
    org_reg_id: str | None = None
    with connect(engine) as conn:
        if org_id is not None:
            org_reg_id = organisation_id(conn, config.organisation(org_id).id)
    if include_personnummer:
        _record_export(engine, lo, hi, org_id, kind_list, actor)
    with connect(engine) as conn:
        last_seq = conn.execute(sa.select(sa.func.max(event.c.seq))).scalar_one_or_none()
    return _stream(engine, last_seq or 0, lo, hi, org_reg_id, kind_list,
                   include_personnummer and not public, public, batch_size)


def _record_export(engine: Engine, since: date | datetime | None, until: date | datetime | None,
                   org_id: str | None, kinds: list[str], actor: str | None) -> None:
    """Log a non-public export (with personnummer) as an event before it runs."""
    with write_transaction(engine) as conn:
        append_event(conn, kind="events_exported", actor=actor or current_actor(),
                     short_text="Ärendehändelser exporterade med personnummer",
                     payload={"since": since.isoformat() if since else None,
                              "until": until.isoformat() if until else None,
                              "organisation": org_id, "kinds": kinds,
                              "include_personnummer": True})


def _filters(since: date | datetime | None, until: date | datetime | None,
             org_reg_id: str | None, kinds: list[str]) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [event.c.case_id.is_not(None)]
    if isinstance(since, datetime):
        where.append(event.c.at >= since)
    elif since is not None:
        where.append(event.c.event_date >= since)
    if isinstance(until, datetime):
        where.append(event.c.at < until)
    elif until is not None:
        where.append(event.c.event_date <= until)
    if org_reg_id is not None:
        where.append(case_.c.organisation_id == org_reg_id)
    if kinds:
        where.append(event.c.kind.in_(kinds))
    return where


def _stream(engine: Engine, last_seq: int, since: date | datetime | None,
            until: date | datetime | None, org_reg_id: str | None, kinds: list[str],
            with_personnummer: bool, public: bool, batch_size: int
            ) -> Iterator[dict[str, Any]]:
    own_main = case_.alias("own_main")
    event_main = case_.alias("event_main")
    query = (
        sa.select(
            event.c.seq, event.c.id, event.c.kind, event.c.event_date, event.c.short_text,
            event.c.detail, event.c.link, event.c.person_ref, event.c.case_id,
            event.c.document_id,
            case_.c.dnr, case_.c.person_ref.label("case_person_ref"),
            sa.func.coalesce(own_main.c.dnr, event_main.c.dnr, case_.c.dnr).label("main_dnr"),
            organisation.c.code.label("org_code"))
        .join(case_, case_.c.id == event.c.case_id)
        .join(organisation, organisation.c.id == case_.c.organisation_id)
        .outerjoin(own_main, own_main.c.id == case_.c.main_case_id)
        .outerjoin(event_main, event_main.c.id == event.c.main_case_id)
        .where(*_filters(since, until, org_reg_id, kinds), event.c.seq <= last_seq)
        .order_by(event.c.seq)
        .limit(batch_size))
    after = 0
    while True:
        with connect(engine) as conn:
            rows = conn.execute(query.where(event.c.seq > after)).all()
            if not rows:
                return
            secret_cases = marked_case_ids(conn, (r.case_id for r in rows))
            secret_docs = marked_document_ids(conn, (r.document_id for r in rows if r.document_id))
        for r in rows:
            secret = r.case_id in secret_cases or r.document_id in secret_docs
            person = r.person_ref or r.case_person_ref
            hide_detail = secret or (public and person is not None)
            yield {
                "seq": r.seq,
                "event_id": r.id,
                "kind": r.kind,
                "date": r.event_date.isoformat(),
                "short_text": r.short_text,
                "case_number": r.dnr,
                "main_case_number": r.main_dnr,
                "detail": None if hide_detail else r.detail,
                "link": r.link,
                "personnummer": person if with_personnummer else None,
                "organisation": r.org_code,
                "secrecy": secret,
            }
        after = rows[-1].seq
        if len(rows) < batch_size:
            return


def write_jsonl(events: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write messages as JSON Lines (UTF-8 text, one object a line); return how many."""
    n = 0
    for message in events:
        out.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n")
        n += 1
    return n


def write_jsonl_atomic(events: Iterable[dict[str, Any]], path: Path) -> int:
    """Write messages as JSON Lines to ``path`` through a temporary name and a rename, so a
    reader never sees half a file; return how many."""
    with atomic_open(path) as fh:
        return write_jsonl(events, fh)


def parse_bound(text: str, option: str) -> date | datetime:
    """A ``--since`` / ``--until`` value: ``YYYY-MM-DD`` (a legal date) or an ISO 8601 date
    and time (``2026-02-03T10:00``, ``…+01:00``, ``…Z``)."""
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} must be YYYY-MM-DD or an ISO 8601 date and time, "
                                f"got '{text}'") from None
