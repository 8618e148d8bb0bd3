"""Cases (ärenden) and documents (handlingar) in the registry: look up, close, assign.

Every change writes its event in the same transaction. Nothing is deleted: a case is
closed (avslutat) or written off (avskrivet); a mistaken document is voided (makulerad)
and keeps its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.clock import today
from diariekit.config import Config
from diariekit.errors import InvalidInputError, PolicyError, UsageError
from diariekit.events import append_event, current_actor
from diariekit.organisations import organisation_id
from diariekit.registration.dnr import DnrFormat, parse_any
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import (
    case_,
    document,
    event,
    file,
    record_type,
    series,
)
from diariekit.registry.session import open_registry

CLOSING_STATUS = {"beslut": "closed", "avskrivning": "written_off", "överlämnad": "forwarded"}


@dataclass(frozen=True)
class CaseRef:
    """A resolved case: registry id, canonical dnr and organisation."""

    id: str
    dnr: str
    organisation_id: str


def series_formats(conn: Connection, org_reg_id: str) -> dict[str, DnrFormat]:
    """The diarienummer format of each series of an organisation, by series code."""
    return {r.code: DnrFormat(r.dnr_template, r.doc_suffix_template) for r in conn.execute(
        sa.select(series.c.code, series.c.dnr_template, series.c.doc_suffix_template)
        .where(series.c.organisation_id == org_reg_id))}


def resolve_case(conn: Connection, org_reg_id: str, text: str) -> CaseRef:
    """Find a case by any configured form of its number ("KS 2026/42", "KS-2026-00042")."""
    parsed = parse_any(text, series_formats(conn, org_reg_id))
    q = (sa.select(case_.c.id, case_.c.dnr, case_.c.organisation_id)
         .join(series, series.c.id == case_.c.series_id)
         .where(case_.c.organisation_id == org_reg_id, case_.c.number == parsed.number))
    if parsed.series is not None:
        q = q.where(series.c.code == parsed.series)
    if parsed.year is not None:
        q = q.where(sa.or_(case_.c.year == parsed.year, case_.c.year == 0))
    rows = conn.execute(q).all()
    if not rows:
        raise InvalidInputError(f"no case {text} in the registry")
    if len(rows) > 1:
        raise InvalidInputError(f"'{text}' matches several cases: give the full number")
    return CaseRef(rows[0].id, rows[0].dnr, rows[0].organisation_id)


def resolve_document(conn: Connection, org_reg_id: str, ref: str) -> tuple[CaseRef, int]:
    """The case and document number (seq) of a document reference ("KS 2026/0042-3")."""
    parsed = parse_any(ref, series_formats(conn, org_reg_id))
    if parsed.seq is None:
        raise UsageError(f"'{ref}' is a case number; a document number ends in its "
                         "document part (e.g. -3)")
    return resolve_case(conn, org_reg_id, ref), parsed.seq


def list_cases(config: Config, *, org_id: str | None = None, status: str | None = None,
               series_code: str | None = None, year: int | None = None,
               officer: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Cases newest first, with their document count (public fields only)."""
    engine = open_registry(config)
    org = config.organisation(org_id)
    with connect(engine) as conn:
        oid = organisation_id(conn, org.id)
        docs = (sa.select(document.c.case_id, sa.func.count().label("n"))
                .group_by(document.c.case_id).subquery())
        q = (sa.select(case_, series.c.code.label("series"),
                       sa.func.coalesce(docs.c.n, 0).label("documents"))
             .join(series, series.c.id == case_.c.series_id)
             .outerjoin(docs, docs.c.case_id == case_.c.id)
             .where(case_.c.organisation_id == oid)
             .order_by(case_.c.year.desc(), case_.c.number.desc()).limit(limit))
        if status:
            q = q.where(case_.c.status == status)
        if series_code:
            q = q.where(series.c.code == series_code)
        if year:
            q = q.where(case_.c.year == year)
        if officer:
            q = q.where(case_.c.officer == officer)
        return [_case_summary(r) for r in conn.execute(q)]


def _case_summary(r: Any) -> dict[str, Any]:
    return {"dnr": r.dnr, "title": r.title, "series": r.series, "class": r.class_code,
            "status": r.status, "opened": _iso(r.opened_at), "closed": _iso(r.closed_at),
            "officer": r.officer, "unit": r.unit, "documents": r.documents}


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def case_detail(config: Config, ref: str, *, org_id: str | None = None,
                protected: bool = False) -> dict[str, Any]:
    """One case with its documents, files, markings, events and transfers (leveranser:
    submission reference, package id, status, receipt and dates).

    Protected forms (counterparts and descriptions under secrecy, personnummer) are
    included only when ``protected`` is asked for.
    """
    engine = open_registry(config)
    org = config.organisation(org_id)
    with connect(engine) as conn:
        c = resolve_case(conn, organisation_id(conn, org.id), ref)
        row = conn.execute(sa.select(case_, series.c.code.label("series"))
                           .join(series, series.c.id == case_.c.series_id)
                           .where(case_.c.id == c.id)).one()
        out: dict[str, Any] = {
            "dnr": row.dnr, "title": row.title, "series": row.series,
            "class": row.class_code, "status": row.status, "disposition": row.disposition,
            "opened": _iso(row.opened_at), "closed": _iso(row.closed_at),
            "closing_kind": row.closing_kind, "officer": row.officer, "unit": row.unit,
            "raw_ref": row.raw_ref, "attributes": row.attributes,
        }
        if protected:
            out["person_ref"] = row.person_ref
            out["title_protected"] = row.title_protected
        out["documents"] = [_document_view(conn, d, protected) for d in conn.execute(
            sa.select(document, record_type.c.row_ref, record_type.c.name.label("rt_name"))
            .outerjoin(record_type, record_type.c.id == document.c.record_type_id)
            .where(document.c.case_id == c.id).order_by(document.c.seq))]
        out["events"] = [{"seq": e.seq, "date": e.event_date.isoformat(), "kind": e.kind,
                          "text": e.short_text, "actor": e.actor} for e in conn.execute(
            sa.select(event).where(event.c.case_id == c.id).order_by(event.c.seq))]
        # the transfers (leveranser) the case is in, as diariekit.transfers reads them
        from diariekit.transfers import case_transfers

        out["transfers"] = case_transfers(conn, c.id)
        return out


def _document_view(conn: Connection, d: Any, protected: bool) -> dict[str, Any]:
    # The markings in effect: an explicit marking supersedes the record type's default.
    from diariekit.markings import effective_markings  # noqa: PLC0415 (markings uses cases)
    markings = sorted({m.provision for m in effective_markings(conn, [d.id]).get(d.id, [])})
    view: dict[str, Any] = {
        "ref": d.ref, "seq": d.seq, "direction": d.direction, "status": d.status,
        "record_type": d.row_ref, "record_type_name": d.rt_name,
        "document_type": d.document_type, "description": d.description,
        "counterpart": d.counterpart, "date_received": _iso(d.date_received),
        "date_drawn_up": _iso(d.date_drawn_up), "date_dispatched": _iso(d.date_dispatched),
        "registered_at": d.registered_at.isoformat(), "registered_by": d.registered_by,
        "external_id": d.external_id, "secrecy": markings,
        "retention_due": _iso(d.retention_due), "delivery_due": _iso(d.delivery_due),
        "files": [{"filename": f.filename, "sha256": f.sha256, "size": f.size,
                   "mime": f.mime, "puid": f.pronom_puid, "variant": f.variant,
                   "pdf": f.pdf_checks} for f in conn.execute(
            sa.select(file).where(file.c.document_id == d.id).order_by(file.c.filename))],
    }
    if protected:
        view["description_protected"] = d.description_protected
        view["counterpart_protected"] = d.counterpart_protected
    return view


def document_detail(config: Config, ref: str, *, org_id: str | None = None,
                    protected: bool = False) -> dict[str, Any]:
    """One document by its reference ("KS 2026/0042-3")."""
    engine = open_registry(config)
    org = config.organisation(org_id)
    with connect(engine) as conn:
        c, seq = resolve_document(conn, organisation_id(conn, org.id), ref)
        d = conn.execute(
            sa.select(document, record_type.c.row_ref, record_type.c.name.label("rt_name"))
            .outerjoin(record_type, record_type.c.id == document.c.record_type_id)
            .where(document.c.case_id == c.id, document.c.seq == seq)).first()
        if d is None:
            raise InvalidInputError(f"no document {ref} in the registry")
        view = _document_view(conn, d, protected)
        view["case"] = c.dnr
        return view


def void_document(config: Config, ref: str, *, reason: str, org_id: str | None = None,
                  actor: str | None = None) -> dict[str, Any]:
    """Void (makulera) a document registered by mistake: it keeps its number, dates and files,
    is marked ``voided`` with who, when and why, and is left out of retention and disposal.
    Voiding it again changes nothing."""
    if not reason.strip():
        raise UsageError("--reason must say why the entry is voided")
    org = config.organisation(org_id)
    who = actor or current_actor()
    with write_transaction(open_registry(config)) as conn:
        c, seq = resolve_document(conn, organisation_id(conn, org.id), ref)
        d = conn.execute(sa.select(document.c.id, document.c.ref, document.c.status)
                         .where(document.c.case_id == c.id, document.c.seq == seq)).first()
        if d is None:
            raise InvalidInputError(f"no document {ref} in the registry")
        changed = _void_documents(conn, c, [d], reason.strip(), who)
    return {"ref": d.ref, "status": "voided", "changed": bool(changed)}


def _void_documents(conn: Connection, c: CaseRef, docs: list[Any], reason: str,
                    who: str) -> list[str]:
    """Void the documents that are still registered; refuse disposed or delivered ones."""
    for d in docs:
        if d.status in ("disposed", "transferred"):
            raise PolicyError(f"document {d.ref} is {d.status}: it can no longer be voided")
    todo = [d for d in docs if d.status == "registered"]
    for d in todo:
        conn.execute(sa.update(document).where(document.c.id == d.id).values(
            status="voided", voided_reason=reason, voided_by=who,
            voided_at=datetime.now(UTC), retention_due=None, delivery_due=None))
        append_event(conn, kind="document_voided", actor=who, organisation_id=c.organisation_id,
                     case_id=c.id, document_id=d.id, short_text=f"Handling {d.ref} makulerad",
                     detail=reason)
    return [d.ref for d in todo]


def void_case(config: Config, ref: str, *, reason: str, org_id: str | None = None,
              actor: str | None = None) -> dict[str, Any]:
    """Void (makulera) a case opened by mistake, with all its documents: the number is never
    reused, the entries stay in the register as ``voided``. Voiding it again changes nothing."""
    if not reason.strip():
        raise UsageError("--reason must say why the case is voided")
    org = config.organisation(org_id)
    who = actor or current_actor()
    with write_transaction(open_registry(config)) as conn:
        c = resolve_case(conn, organisation_id(conn, org.id), ref)
        status = conn.execute(sa.select(case_.c.status).where(case_.c.id == c.id)).scalar_one()
        docs = list(conn.execute(sa.select(document.c.id, document.c.ref, document.c.status)
                                 .where(document.c.case_id == c.id).order_by(document.c.seq)))
        voided = _void_documents(conn, c, docs, reason.strip(), who)
        if status != "voided":
            conn.execute(sa.update(case_).where(case_.c.id == c.id).values(
                status="voided", closing_kind="makulerad", closed_at=today(),
                voided_reason=reason.strip(), voided_by=who, voided_at=datetime.now(UTC)))
            append_event(conn, kind="status_changed", actor=who,
                         organisation_id=c.organisation_id, case_id=c.id,
                         short_text=f"Ärende {c.dnr} makulerat", detail=reason.strip(),
                         payload={"status": "voided", "closing_kind": "makulerad"})
    return {"dnr": c.dnr, "status": "voided", "changed": status != "voided" or bool(voided),
            "documents_voided": voided}


def close_case(config: Config, ref: str, *, org_id: str | None = None,
               kind: str = "beslut", on: date | None = None, actor: str | None = None
               ) -> dict[str, Any]:
    """Close a case (avsluta, avskriva or överlämna); ``closed_at`` starts retention clocks."""
    if kind not in CLOSING_STATUS:
        raise UsageError(f"--kind must be one of {', '.join(CLOSING_STATUS)}")
    engine = open_registry(config)
    org = config.organisation(org_id)
    when = on or today()
    with write_transaction(engine) as conn:
        c = resolve_case(conn, organisation_id(conn, org.id), ref)
        row = conn.execute(sa.select(case_.c.status, case_.c.opened_at)
                           .where(case_.c.id == c.id)).one()
        if row.status in ("closed", "written_off", "forwarded"):
            raise PolicyError(f"case {c.dnr} is already closed ({row.status})")
        if row.status == "voided":
            raise PolicyError(f"case {c.dnr} is voided (makulerat)")
        if when < row.opened_at:
            raise InvalidInputError(f"closing date {when} is before the case was opened "
                                    f"({row.opened_at})")
        status = CLOSING_STATUS[kind]
        conn.execute(sa.update(case_).where(case_.c.id == c.id).values(
            status=status, closed_at=when, closing_kind=kind))
        # Closing starts the clocks of rules such as "2 år efter ärendets avslut".
        from diariekit.retention_dates import refresh_case_dates  # noqa: PLC0415 (cycle)
        refresh_case_dates(conn, c.organisation_id, c.id)
        append_event(conn, kind="status_changed", actor=actor or current_actor(),
                     organisation_id=c.organisation_id, case_id=c.id, event_date=when,
                     short_text=f"Ärende {c.dnr} avslutat ({kind})",
                     payload={"status": status, "closing_kind": kind})
    return {"dnr": c.dnr, "status": status, "closed": when.isoformat(), "closing_kind": kind}


def assign_case(config: Config, ref: str, officer: str, *, org_id: str | None = None,
                unit: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """Give a case to a case officer (handläggare), and optionally a unit."""
    engine = open_registry(config)
    org = config.organisation(org_id)
    with write_transaction(engine) as conn:
        c = resolve_case(conn, organisation_id(conn, org.id), ref)
        values: dict[str, Any] = {"officer": officer}
        if unit is not None:
            values["unit"] = unit
        conn.execute(sa.update(case_).where(case_.c.id == c.id).values(**values))
        append_event(conn, kind="case_assigned", actor=actor or current_actor(),
                     organisation_id=c.organisation_id, case_id=c.id,
                     short_text=f"Ärende {c.dnr} tilldelat {officer}", payload=values)
    return {"dnr": c.dnr, **values}


