"""Holds (gallringsstopp / spärr): records that must not be disposed of, whatever their date.

A hold is placed for a reason (a pending access request or appeal, an audit, supervision by
JO/JK/IVO or the archives authority, litigation, research, a legal freeze) and names what it
covers:

=============  ==============================================================================
document       one document (``KS 2026/0042-3``)
case           a case and all its documents (``KS 2026/0042``)
class          every record whose case or record type is in a class, with its sub-classes
               (``2.4`` covers ``2.4`` and ``2.4.1`` …)
record_type    every document of a record type (plan row id, e.g. ``sn-personakt``)
series         every case and document of a series (``SN``)
query          every record whose case title, description or counterpart contains the text
               (case-insensitive)
=============  ==============================================================================

A hold is never deleted: it is released, with who and when. Placing and releasing write
events (``hold_placed``, ``hold_released``). :func:`holds_for` is what disposal asks, both
when it proposes a batch and again when it runs one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.config import Config
from diariekit.errors import InvalidInputError, PolicyError, UsageError
from diariekit.events import append_event, current_actor
from diariekit.organisations import organisation_id
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import (
    HOLD_REASONS,
    case_,
    document,
    hold,
    new_id,
    plan_class,
    record_type,
    series,
)
from diariekit.registry.session import open_registry
from diariekit.retention_dates import resolve_ref

__all__ = ["DocFacts", "Hold", "add_hold", "doc_facts", "holds_for", "list_holds",
           "release_hold"]

_CHUNK = 500


@dataclass(frozen=True)
class Hold:
    """An active or released hold."""

    id: str
    scope: str
    scope_ref: str
    label: str
    reason: str
    reference: str | None
    note: str | None
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "scope": self.scope, "target": self.label,
                "reason": self.reason, "reference": self.reference, "note": self.note,
                "placed_by": self.placed_by, "placed_at": self.placed_at.isoformat(),
                "released_by": self.released_by,
                "released_at": self.released_at.isoformat() if self.released_at else None,
                "active": self.released_at is None}


@dataclass(frozen=True)
class DocFacts:
    """What a hold is matched against, for one document."""

    id: str
    case_id: str | None
    series_code: str | None
    case_class: str | None
    type_class: str | None
    record_type_id: str | None
    row_ref: str | None
    texts: tuple[str, ...]


def _in_class(code: str | None, wanted: str) -> bool:
    return code is not None and (code == wanted or code.startswith(wanted + "."))


def _matches(h: Any, d: DocFacts) -> bool:
    ref = h.scope_ref
    if h.scope == "document":
        return bool(d.id == ref)
    if h.scope == "case":
        return bool(d.case_id == ref)
    if h.scope == "class":
        return _in_class(d.case_class, ref) or _in_class(d.type_class, ref)
    if h.scope == "record_type":
        return ref in (d.record_type_id, d.row_ref)
    if h.scope == "series":
        return bool(d.series_code == ref)
    needle = ref.casefold()
    return any(needle in t.casefold() for t in d.texts)


def doc_facts(conn: Connection, document_ids: Sequence[str]) -> list[DocFacts]:
    """The hold-relevant facts of documents, in chunks."""
    case_series = series.alias("case_series")
    own_series = series.alias("own_series")
    out: list[DocFacts] = []
    for k in range(0, len(document_ids), _CHUNK):
        chunk = document_ids[k:k + _CHUNK]
        q = (sa.select(document.c.id, document.c.case_id, document.c.record_type_id,
                       document.c.description, document.c.counterpart, case_.c.title,
                       case_.c.class_code.label("case_class"),
                       record_type.c.class_code.label("type_class"), record_type.c.row_ref,
                       sa.func.coalesce(case_series.c.code, own_series.c.code).label("series"))
             .select_from(document)
             .outerjoin(case_, case_.c.id == document.c.case_id)
             .outerjoin(case_series, case_series.c.id == case_.c.series_id)
             .outerjoin(own_series, own_series.c.id == document.c.series_id)
             .outerjoin(record_type, record_type.c.id == document.c.record_type_id)
             .where(document.c.id.in_(chunk)))
        for r in conn.execute(q):
            out.append(DocFacts(r.id, r.case_id, r.series, r.case_class, r.type_class,
                                r.record_type_id, r.row_ref,
                                tuple(t for t in (r.title, r.description, r.counterpart) if t)))
    return out


def holds_for(conn: Connection, org_reg_id: str,
              document_ids: Sequence[str]) -> dict[str, list[str]]:
    """Document id → ids of the active holds that cover it (documents with none are left out)."""
    active = list(conn.execute(sa.select(hold.c.id, hold.c.scope, hold.c.scope_ref)
                               .where(hold.c.organisation_id == org_reg_id,
                                      hold.c.released_at.is_(None))
                               .order_by(hold.c.placed_at, hold.c.id)))
    if not active or not document_ids:
        return {}
    out: dict[str, list[str]] = {}
    for d in doc_facts(conn, document_ids):
        ids = [h.id for h in active if _matches(h, d)]
        if ids:
            out[d.id] = ids
    return out


def _target(conn: Connection, org_reg_id: str, scope: str, ref: str) -> tuple[str, str]:
    """(scope_ref to store, label to show) for a hold target given on the command line."""
    if scope in ("case", "document"):
        kind, obj_id, canonical = resolve_ref(conn, org_reg_id, ref)
        if kind != scope:
            raise UsageError(f"--{scope} {ref}: that is a {kind} reference")
        return obj_id, canonical
    if scope == "class":
        known = conn.execute(sa.select(sa.func.count()).select_from(plan_class)
                             .where(sa.or_(plan_class.c.code == ref,
                                           plan_class.c.code.like(ref + ".%")))).scalar_one()
        if not known:
            raise InvalidInputError(f"--class {ref}: no such class in any imported plan")
        return ref, f"klass {ref}"
    if scope == "record_type":
        row = conn.execute(sa.select(record_type.c.row_ref, record_type.c.name)
                           .where(sa.or_(record_type.c.row_ref == ref,
                                         record_type.c.id == ref))).first()
        if row is None:
            raise InvalidInputError(f"--record-type {ref}: no such record type (plan row id)")
        return row.row_ref, f"handlingstyp {row.name}"
    if scope == "series":
        found = conn.execute(sa.select(series.c.code).where(
            series.c.organisation_id == org_reg_id, series.c.code == ref)).first()
        if found is None:
            raise InvalidInputError(f"--series {ref}: no such series")
        return ref, f"serie {ref}"
    if not ref.strip():
        raise UsageError("--query needs some text")
    return ref.strip(), f"sökning \"{ref.strip()}\""


def add_hold(config: Config, *, scope: str, ref: str, reason: str, org_id: str | None = None,
             reference: str | None = None, note: str | None = None,
             actor: str | None = None) -> Hold:
    """Place a hold (gallringsstopp). Placing the same active hold again returns it."""
    if reason not in HOLD_REASONS:
        raise UsageError(f"--reason must be one of {', '.join(HOLD_REASONS)}, got '{reason}'")
    org = config.organisation(org_id)
    who = actor or current_actor()
    with write_transaction(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        scope_ref, label = _target(conn, org_reg, scope, ref)
        same = conn.execute(sa.select(hold).where(
            hold.c.organisation_id == org_reg, hold.c.scope == scope,
            hold.c.scope_ref == scope_ref, hold.c.reason == reason,
            hold.c.released_at.is_(None))).first()
        if same is not None:
            return _hold(same, label)
        hold_id = new_id()
        values = {"id": hold_id, "organisation_id": org_reg, "scope": scope, "scope_ref": scope_ref,
                  "reason": reason, "reference": reference, "note": note, "placed_by": who}
        conn.execute(hold.insert().values(**values))
        case_id = scope_ref if scope == "case" else None
        append_event(conn, kind="hold_placed", actor=who, organisation_id=org_reg,
                     case_id=case_id, document_id=scope_ref if scope == "document" else None,
                     short_text=f"Gallringsstopp ({reason}) för {label}",
                     detail=note, payload={"hold_id": hold_id, "scope": scope,
                                           "reference": reference})
        row = conn.execute(sa.select(hold).where(hold.c.id == hold_id)).one()
        return _hold(row, label)


def _hold(r: Any, label: str | None = None) -> Hold:
    return Hold(r.id, r.scope, r.scope_ref, label or r.scope_ref, r.reason, r.reference,
                r.note, r.placed_by, r.placed_at, r.released_by, r.released_at)


def _labels(conn: Connection, rows: Sequence[Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for r in rows:
        if r.scope == "case":
            labels[r.id] = conn.execute(sa.select(case_.c.dnr)
                                        .where(case_.c.id == r.scope_ref)).scalar() or r.scope_ref
        elif r.scope == "document":
            labels[r.id] = conn.execute(sa.select(document.c.ref).where(
                document.c.id == r.scope_ref)).scalar() or r.scope_ref
        elif r.scope == "query":
            labels[r.id] = f"sökning \"{r.scope_ref}\""
        else:
            labels[r.id] = f"{r.scope} {r.scope_ref}"
    return labels


def list_holds(config: Config, *, org_id: str | None = None,
               include_released: bool = False) -> list[Hold]:
    """The holds of an organisation, oldest first (active ones only by default)."""
    org = config.organisation(org_id)
    with connect(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        q = sa.select(hold).where(hold.c.organisation_id == org_reg)
        if not include_released:
            q = q.where(hold.c.released_at.is_(None))
        rows = list(conn.execute(q.order_by(hold.c.placed_at, hold.c.id)))
        labels = _labels(conn, rows)
    return [_hold(r, labels[r.id]) for r in rows]


def release_hold(config: Config, hold_id: str, *, org_id: str | None = None,
                 note: str | None = None, actor: str | None = None) -> Hold:
    """Release a hold (hävt gallringsstopp); the record keeps no other protection."""
    org = config.organisation(org_id)
    who = actor or current_actor()
    with write_transaction(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        rows = list(conn.execute(sa.select(hold).where(
            hold.c.organisation_id == org_reg, hold.c.id.like(hold_id.strip() + "%"))))
        if not rows:
            raise InvalidInputError(f"no hold {hold_id}")
        if len(rows) > 1:
            raise UsageError(f"'{hold_id}' matches several holds: give more of the id")
        row = rows[0]
        if row.released_at is not None:
            raise PolicyError(f"hold {row.id} was already released by {row.released_by}")
        label = _labels(conn, [row])[row.id]
        conn.execute(sa.update(hold).where(hold.c.id == row.id).values(
            released_by=who, released_at=datetime.now(UTC)))
        append_event(conn, kind="hold_released", actor=who, organisation_id=org_reg,
                     case_id=row.scope_ref if row.scope == "case" else None,
                     document_id=row.scope_ref if row.scope == "document" else None,
                     short_text=f"Gallringsstopp hävt för {label}", detail=note,
                     payload={"hold_id": row.id})
        return _hold(conn.execute(sa.select(hold).where(hold.c.id == row.id)).one(), label)
