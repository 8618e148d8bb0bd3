"""Secrecy markings (sekretessmarkeringar, OSL 5 kap. 5 §): mark, revoke, show, review.

A marking is a warning (varningssignal), never a decision: it records that a handling can be
assumed to hold secret data, under which provision (lagrum), on which date and by which
authority (myndighet), as OSL 5:5 requires (domain.md §3.3). Markings are append-only in
meaning: they are revoked (hävda) with who, when and why, never removed. Every change writes
its event (``secrecy_marked`` / ``secrecy_revoked``) in the same transaction; the event's
public ``short_text`` names only the reference and the provision, the reason goes to the
event's ``detail``.

What can be marked (``target``):

* a document reference ("KS 2026/0042-3") → ``document`` (default), ``counterpart``,
  ``description`` or ``file`` (every file of the document, one marking each);
* a case number ("KS 2026/0042") → ``case_title`` (the only target of a case).

``max_until`` is the last date secrecy can apply to the data (domain.md §3.2): the handling's
date (received, drawn up, dispatched, else registered; a case's opening date) plus the
provision's maximum years in the version of OSL in force on the marking date; ``None`` when
the section states no maximum.

Effective secrecy (:func:`effective_markings`): registration writes the record type's default
marking (note :data:`DEFAULT_NOTE`); any active explicit marking of a document (on any of its
targets) supersedes those defaults, so the provisions an extract shows are the explicit ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.cases import resolve_case, series_formats
from diariekit.clock import legal_date, today
from diariekit.config import Config
from diariekit.errors import InvalidInputError, UsageError
from diariekit.events import append_event, current_actor
from diariekit.organisations import organisation_id
from diariekit.osl import ProvisionTable, load_provisions
from diariekit.registration.dnr import DnrError, parse_any
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import (
    case_,
    document,
    file,
    new_id,
    organisation,
    secrecy_marking,
    utc_now,
)
from diariekit.registry.session import open_registry
from diariekit.secrecy import ProvisionError, ProvisionRef, parse_provision_ref

__all__ = [
    "CASE_TARGETS",
    "DEFAULT_NOTE",
    "DOCUMENT_TARGETS",
    "EffectiveMarking",
    "MarkTarget",
    "check_provision",
    "effective_case_markings",
    "effective_markings",
    "list_markings",
    "mark",
    "resolve_target",
    "review_markings",
    "unmark",
]

#: The note registration writes on a marking that comes from the record type's secrecy cell
#: (``diariekit/registration/register.py``); such a marking is a default, not explicit.
DEFAULT_NOTE = "handlingstypens standard"

DOCUMENT_TARGETS = ("document", "counterpart", "description", "file")
CASE_TARGETS = ("case_title",)
_CHUNK = 500


@dataclass(frozen=True)
class MarkTarget:
    """A resolved case (ärende) or document (handling) that markings attach to."""

    kind: str  # "case" or "document"
    id: str
    ref: str
    organisation_id: str
    case_id: str | None
    document_date: date


@dataclass(frozen=True)
class EffectiveMarking:
    """An active marking that decides what the public may see of a register entry."""

    id: str
    target: str
    provision: str
    default: bool
    max_until: date | None


# --------------------------------------------------------------------------- look-ups


def check_provision(text: str, on: date, option: str = "--provision") -> ProvisionRef:
    """The provision ``text`` normalised, if it parses and its section is in the shipped
    table (in the version in force on ``on``); else :class:`UsageError` naming ``option``."""
    try:
        ref = parse_provision_ref(text)
    except ProvisionError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if not load_provisions().known(ref, on):
        raise UsageError(f"{option}: {ref} is not a provision of OSL in force on "
                         f"{on.isoformat()} (not in the provision table)")
    return ref


def _document_date(received: date | None, drawn_up: date | None, dispatched: date | None,
                   registered_at: datetime) -> date:
    return received or drawn_up or dispatched or legal_date(registered_at)


def resolve_target(conn: Connection, org_reg_id: str, text: str) -> MarkTarget:
    """A document by its reference or a case by its number, in any configured form.

    An exact document reference (also of a loose document) is tried first; then the text
    is read as a diarienummer: with a document part ("-3") it names a document, without one
    a case.
    """
    wanted = text.strip()
    doc_cols = (document.c.id, document.c.ref, document.c.organisation_id, document.c.case_id,
                document.c.date_received, document.c.date_drawn_up,
                document.c.date_dispatched, document.c.registered_at)
    row = conn.execute(sa.select(*doc_cols).where(document.c.organisation_id == org_reg_id,
                                                   document.c.ref == wanted)).first()
    if row is None:
        try:
            parsed = parse_any(wanted, series_formats(conn, org_reg_id))
        except DnrError as exc:
            raise InvalidInputError(f"'{text}' is neither a document nor a case here: "
                                    f"{exc.message}") from None
        case = resolve_case(conn, org_reg_id, wanted)
        if parsed.seq is None:
            c = conn.execute(sa.select(case_.c.opened_at).where(case_.c.id == case.id)).one()
            return MarkTarget("case", case.id, case.dnr, case.organisation_id, case.id,
                              c.opened_at)
        row = conn.execute(sa.select(*doc_cols).where(document.c.case_id == case.id,
                                                       document.c.seq == parsed.seq)).first()
        if row is None:
            raise InvalidInputError(f"no document {text} in the registry")
    return MarkTarget("document", row.id, row.ref, row.organisation_id, row.case_id,
                      _document_date(row.date_received, row.date_drawn_up,
                                     row.date_dispatched, row.registered_at))


def _target_ids(conn: Connection, target: MarkTarget, kind: str) -> list[str]:
    if kind == "file":
        ids = [str(i) for i in conn.execute(
            sa.select(file.c.id).where(file.c.document_id == target.id).order_by(file.c.id)
        ).scalars()]
        if not ids:
            raise InvalidInputError(f"document {target.ref} has no files to mark")
        return ids
    return [target.id]


def _marking_view(m: Any, ref: str, org_code: str | None, *, filename: str | None = None,
                  effective: bool | None = None) -> dict[str, Any]:
    """A marking as JSON-ready data (the shape of ``secrecy show --json``)."""
    out: dict[str, Any] = {
        "id": m.id, "target": m.target, "ref": ref, "provision": m.provision,
        "provision_known": bool(m.provision_known),
        "marked_on": m.marked_on.isoformat(), "marking_authority": org_code,
        "marked_by": m.marked_by, "note": m.note,
        "max_until": m.max_until.isoformat() if m.max_until else None,
        "default": m.note == DEFAULT_NOTE, "active": m.revoked_at is None,
        "revoked_at": m.revoked_at.isoformat() if m.revoked_at else None,
        "revoked_by": m.revoked_by, "revoked_reason": m.revoked_reason,
    }
    if filename is not None:
        out["file"] = filename
    if effective is not None:
        out["effective"] = effective
    return out


def _provision_title(provision: str, on: date) -> str | None:
    try:
        found = load_provisions().get(parse_provision_ref(provision), on)
    except ProvisionError:
        return None
    return found.title if found else None


# --------------------------------------------------------------------------- mark / unmark


def mark(
    config: Config,
    ref: str,
    provision: str,
    *,
    target: str | None = None,
    reason: str | None = None,
    on: date | None = None,
    actor: str | None = None,
    org_id: str | None = None,
) -> dict[str, Any]:
    """Mark a document or case as holding secret data (sekretessmarkera) under ``provision``.

    ``target`` defaults to ``document`` for a document and ``case_title`` for a case. The
    provision must parse and be in the shipped table on the marking date ``on`` (default
    today), else :class:`UsageError` (exit 2). Idempotent: an active explicit marking of the
    same target with the same provision is left as it is (``changed`` false, no event).
    Returns ``{"ref", "kind", "target", "provision", "changed", "markings": [...]}``.
    """
    when = on or today()
    if when > today():
        raise UsageError(f"--date {when.isoformat()} is in the future")
    ref_ = check_provision(provision, when)
    who = actor or current_actor()
    org = config.organisation(org_id)
    engine = open_registry(config)
    with write_transaction(engine) as conn:
        oid = organisation_id(conn, org.id)
        t = resolve_target(conn, oid, ref)
        allowed = CASE_TARGETS if t.kind == "case" else DOCUMENT_TARGETS
        kind = target or allowed[0]
        if kind not in allowed:
            what = "a case number" if t.kind == "case" else "a document reference"
            raise UsageError(f"--target {kind} does not fit {what} ({t.ref}); use "
                             f"{' or '.join(allowed)}")
        if when < t.document_date:
            raise UsageError(f"--date {when.isoformat()} is before the date of {t.ref} "
                             f"({t.document_date.isoformat()})")
        max_until = load_provisions().max_until(ref_, t.document_date, on=when)
        changed = False
        views: list[dict[str, Any]] = []
        for target_id in _target_ids(conn, t, kind):
            existing = conn.execute(sa.select(secrecy_marking).where(
                secrecy_marking.c.target == kind, secrecy_marking.c.target_id == target_id,
                secrecy_marking.c.provision == str(ref_),
                secrecy_marking.c.revoked_at.is_(None),
                sa.or_(secrecy_marking.c.note.is_(None),
                       secrecy_marking.c.note != DEFAULT_NOTE))
                .order_by(secrecy_marking.c.created_at)).first()
            if existing is not None:
                views.append(_marking_view(existing, t.ref, org.id))
                continue
            values = {"id": new_id(), "target": kind, "target_id": target_id,
                      "provision": str(ref_), "provision_known": True, "marked_on": when,
                      "marking_authority_id": oid, "marked_by": who, "note": reason,
                      "max_until": max_until, "created_at": utc_now()}
            conn.execute(secrecy_marking.insert().values(**values))
            created = conn.execute(sa.select(secrecy_marking).where(
                secrecy_marking.c.id == values["id"])).one()
            views.append(_marking_view(created, t.ref, org.id))
            changed = True
            append_event(
                conn, kind="secrecy_marked", actor=who, organisation_id=oid,
                case_id=t.case_id, document_id=t.id if t.kind == "document" else None,
                short_text=f"{_what(t, kind)} {t.ref} sekretessmarkerad enligt {ref_}",
                detail=reason,
                payload={"marking_id": values["id"], "target": kind, "provision": str(ref_),
                         "marked_on": when.isoformat(),
                         "max_until": max_until.isoformat() if max_until else None})
    return {"ref": t.ref, "kind": t.kind, "target": kind, "provision": str(ref_),
            "provision_title": _provision_title(str(ref_), when), "changed": changed,
            "markings": views}


def _what(t: MarkTarget, kind: str) -> str:
    return {"case_title": "Ärendemening i", "counterpart": "Avsändare/mottagare i",
            "description": "Beskrivning av", "file": "Fil i"}.get(
        kind, "Ärende" if t.kind == "case" else "Handling")


def _all_target_ids(conn: Connection, t: MarkTarget) -> list[tuple[str, str]]:
    """Every (target, target_id) pair a marking of ``t`` can have."""
    if t.kind == "case":
        return [("case_title", t.id)]
    pairs = [(k, t.id) for k in ("document", "counterpart", "description")]
    pairs += [("file", str(i)) for i in conn.execute(
        sa.select(file.c.id).where(file.c.document_id == t.id)).scalars()]
    return pairs


def _markings_of(conn: Connection, pairs: list[tuple[str, str]]) -> list[Any]:
    if not pairs:
        return []
    cond = sa.or_(*(sa.and_(secrecy_marking.c.target == k, secrecy_marking.c.target_id == i)
                    for k, i in pairs))
    return list(conn.execute(sa.select(secrecy_marking).where(cond)
                             .order_by(secrecy_marking.c.created_at, secrecy_marking.c.id)))


def unmark(
    config: Config,
    ref: str,
    *,
    reason: str,
    provision: str | None = None,
    marking_id: str | None = None,
    actor: str | None = None,
    org_id: str | None = None,
) -> dict[str, Any]:
    """Revoke (häva) markings of a document or case; they stay, with who, when and why.

    Give ``provision`` (every active marking of the reference with that provision, default
    ones included) or ``marking_id`` (one marking); with neither, the reference must have
    exactly one active marking. Revoking what is already revoked changes nothing
    (``changed`` false); a provision or id the reference never had is an error (exit 1).
    """
    if provision is not None and marking_id is not None:
        raise UsageError("give --provision or --id, not both")
    if not reason or not reason.strip():
        raise UsageError("--reason must say why the marking is revoked")
    wanted: str | None = None
    if provision is not None:
        try:
            wanted = str(parse_provision_ref(provision))
        except ProvisionError as exc:
            raise UsageError(f"--provision: {exc}") from None
    who = actor or current_actor()
    org = config.organisation(org_id)
    engine = open_registry(config)
    with write_transaction(engine) as conn:
        oid = organisation_id(conn, org.id)
        t = resolve_target(conn, oid, ref)
        rows = _markings_of(conn, _all_target_ids(conn, t))
        if marking_id is not None:
            chosen = [m for m in rows if m.id == marking_id]
            if not chosen:
                raise InvalidInputError(f"--id: {t.ref} has no marking {marking_id}")
        elif wanted is not None:
            chosen = [m for m in rows if m.provision == wanted]
            if not chosen:
                raise InvalidInputError(f"--provision: {t.ref} has no marking under {wanted}")
        else:
            active = [m for m in rows if m.revoked_at is None]
            if len(active) != 1:
                listed = ", ".join(f"{m.id} ({m.provision}, {m.target})" for m in active)
                raise UsageError(f"{t.ref} has {len(active)} active markings"
                                 f"{': ' + listed if listed else ''}; choose with --provision "
                                 "or --id")
            chosen = active
        now = utc_now()
        revoked: list[dict[str, Any]] = []
        for m in chosen:
            if m.revoked_at is not None:
                continue
            conn.execute(sa.update(secrecy_marking).where(secrecy_marking.c.id == m.id)
                         .values(revoked_at=now, revoked_by=who, revoked_reason=reason))
            append_event(
                conn, kind="secrecy_revoked", actor=who, organisation_id=oid,
                case_id=t.case_id, document_id=t.id if t.kind == "document" else None,
                short_text=f"Sekretessmarkering enligt {m.provision} av {t.ref} hävd",
                detail=reason,
                payload={"marking_id": m.id, "target": m.target, "provision": m.provision})
            row = conn.execute(sa.select(secrecy_marking)
                               .where(secrecy_marking.c.id == m.id)).one()
            revoked.append(_marking_view(row, t.ref, org.id))
    return {"ref": t.ref, "kind": t.kind, "changed": bool(revoked), "revoked": revoked}


# --------------------------------------------------------------------------- effective


def _effective(rows: Iterable[Any], key: str) -> dict[str, list[EffectiveMarking]]:
    found: dict[str, list[EffectiveMarking]] = {}
    for r in rows:
        found.setdefault(getattr(r, key), []).append(EffectiveMarking(
            r.id, r.target, r.provision, r.note == DEFAULT_NOTE, r.max_until))
    out: dict[str, list[EffectiveMarking]] = {}
    for owner, markings in found.items():
        explicit = [m for m in markings if not m.default]
        out[owner] = explicit or markings
    return out


def _active(targets: tuple[str, ...], ids: list[str]) -> sa.Select[Any]:
    return (sa.select(secrecy_marking.c.id, secrecy_marking.c.target,
                      secrecy_marking.c.target_id, secrecy_marking.c.provision,
                      secrecy_marking.c.note, secrecy_marking.c.max_until)
            .where(secrecy_marking.c.target.in_(targets),
                   secrecy_marking.c.target_id.in_(ids),
                   secrecy_marking.c.revoked_at.is_(None))
            .order_by(secrecy_marking.c.created_at, secrecy_marking.c.id))


def effective_markings(conn: Connection, document_ids: Iterable[str]
                       ) -> dict[str, list[EffectiveMarking]]:
    """The active markings that decide what the public sees of each document, by id.

    Only markings of the register entry count (targets ``document``, ``counterpart`` and
    ``description``; markings of files concern the files). Any explicit marking of a
    document supersedes the record type's default markings from registration. Documents
    without active markings are absent from the result.
    """
    ids = list(dict.fromkeys(document_ids))
    out: dict[str, list[EffectiveMarking]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        out.update(_effective(conn.execute(
            _active(("document", "counterpart", "description"), chunk)), "target_id"))
    return out


def effective_case_markings(conn: Connection, case_ids: Iterable[str]
                            ) -> dict[str, list[EffectiveMarking]]:
    """The active markings of each case's title (ärendemening), by case id."""
    ids = list(dict.fromkeys(case_ids))
    out: dict[str, list[EffectiveMarking]] = {}
    for start in range(0, len(ids), _CHUNK):
        out.update(_effective(conn.execute(_active(CASE_TARGETS, ids[start:start + _CHUNK])),
                              "target_id"))
    return out


# --------------------------------------------------------------------------- show / review


def list_markings(config: Config, ref: str, *, org_id: str | None = None) -> dict[str, Any]:
    """Every marking (active and revoked) of a case or document, oldest first.

    For a case: the markings of its title and of each of its documents (and their files).
    Each marking says whether it is ``effective`` (active, and not a default superseded by
    an explicit marking).
    """
    org = config.organisation(org_id)
    engine = open_registry(config)
    with connect(engine) as conn:
        oid = organisation_id(conn, org.id)
        t = resolve_target(conn, oid, ref)
        entries: list[tuple[MarkTarget, str]] = [(t, t.ref)]
        if t.kind == "case":
            for d in conn.execute(sa.select(document.c.id, document.c.ref, document.c.case_id,
                                            document.c.registered_at)
                                  .where(document.c.case_id == t.id).order_by(document.c.seq)):
                entries.append((MarkTarget("document", d.id, d.ref, oid, d.case_id,
                                           legal_date(d.registered_at)), d.ref))
        doc_ids = [e.id for e, _ in entries if e.kind == "document"]
        effective = {m.id for ms in effective_markings(conn, doc_ids).values() for m in ms}
        if t.kind == "case":
            effective |= {m.id for ms in effective_case_markings(conn, [t.id]).values()
                          for m in ms}
        names = _org_codes(conn)
        filenames = {str(f.id): str(f.filename) for f in conn.execute(
            sa.select(file.c.id, file.c.filename).where(file.c.document_id.in_(doc_ids)))
        } if doc_ids else {}
        views: list[dict[str, Any]] = []
        for entry, entry_ref in entries:
            for m in _markings_of(conn, _all_target_ids(conn, entry)):
                views.append(_marking_view(
                    m, entry_ref, names.get(m.marking_authority_id),
                    filename=filenames.get(m.target_id) if m.target == "file" else None,
                    effective=m.id in effective or (m.target == "file" and
                                                    m.revoked_at is None)))
    return {"ref": t.ref, "kind": t.kind, "markings": views}


def _org_codes(conn: Connection) -> dict[str, str]:
    return {str(r.id): str(r.code) for r in conn.execute(
        sa.select(organisation.c.id, organisation.c.code))}


def _computed_max_until(table: ProvisionTable, r: Any) -> date | None:
    """``max_until`` of a marking stored without one (registration's defaults)."""
    try:
        ref = parse_provision_ref(r.provision)
    except ProvisionError:
        return None
    if r.target == "case_title":
        if r.opened_at is None:
            return None
        start: date = r.opened_at
    elif r.registered_at is None:
        return None
    else:
        start = _document_date(r.date_received, r.date_drawn_up, r.date_dispatched,
                               r.registered_at)
    return table.max_until(ref, start, on=r.marked_on)


def review_markings(config: Config, *, before: date, org_id: str | None = None
                    ) -> list[dict[str, Any]]:
    """Active markings whose maximum time (``max_until``) has passed or falls before
    ``before``, for review (omprövning), oldest ``max_until`` first.

    ``org_id`` limits the review to one organisation (marking authority); ``None`` reviews
    every organisation in the registry (what the scheduled ``secrecy-review`` job wants).
    Each dict is JSON-ready: ``id``, ``target``, ``ref``, ``provision``, ``marked_on``,
    ``max_until``, ``max_until_source`` (``marking``, or ``computed`` for a marking stored
    without one, such as registration's defaults: the handling's date plus the provision's
    maximum), ``expired`` (``max_until`` before today), ``marking_authority``,
    ``marked_by``, ``default``, and ``file`` (the file name) for a file's marking.
    """
    now = today()
    limit = max(before, now)
    engine = open_registry(config)
    with connect(engine) as conn:
        codes = _org_codes(conn)
        entry_doc = document.alias("entry_doc")
        file_doc = document.alias("file_doc")
        q = (sa.select(secrecy_marking, case_.c.dnr, case_.c.opened_at,
                       sa.func.coalesce(entry_doc.c.ref, file_doc.c.ref).label("doc_ref"),
                       sa.func.coalesce(entry_doc.c.date_received, file_doc.c.date_received)
                       .label("date_received"),
                       sa.func.coalesce(entry_doc.c.date_drawn_up, file_doc.c.date_drawn_up)
                       .label("date_drawn_up"),
                       sa.func.coalesce(entry_doc.c.date_dispatched,
                                        file_doc.c.date_dispatched).label("date_dispatched"),
                       sa.func.coalesce(entry_doc.c.registered_at, file_doc.c.registered_at)
                       .label("registered_at"),
                       file.c.filename)
             .outerjoin(case_, sa.and_(secrecy_marking.c.target == "case_title",
                                       case_.c.id == secrecy_marking.c.target_id))
             .outerjoin(entry_doc, sa.and_(
                 secrecy_marking.c.target.in_(("document", "counterpart", "description")),
                 entry_doc.c.id == secrecy_marking.c.target_id))
             .outerjoin(file, sa.and_(secrecy_marking.c.target == "file",
                                      file.c.id == secrecy_marking.c.target_id))
             .outerjoin(file_doc, file_doc.c.id == file.c.document_id)
             .where(secrecy_marking.c.revoked_at.is_(None),
                    sa.or_(secrecy_marking.c.max_until < limit,
                           secrecy_marking.c.max_until.is_(None))))
        if org_id is not None:
            q = q.where(secrecy_marking.c.marking_authority_id ==
                        organisation_id(conn, config.organisation(org_id).id))
        table = load_provisions()
        out: list[dict[str, Any]] = []
        for r in conn.execute(q, execution_options={"stream_results": True,
                                                    "yield_per": _CHUNK}):
            until, source = r.max_until, "marking"
            if until is None:
                until, source = _computed_max_until(table, r), "computed"
                if until is None or until >= limit:
                    continue
            item = {"id": r.id, "target": r.target, "ref": r.dnr or r.doc_ref,
                    "provision": r.provision, "marked_on": r.marked_on.isoformat(),
                    "max_until": until.isoformat(), "max_until_source": source,
                    "expired": until < now,
                    "marking_authority": codes.get(r.marking_authority_id),
                    "marked_by": r.marked_by, "default": r.note == DEFAULT_NOTE}
            if r.target == "file":
                item["file"] = r.filename
            out.append(item)
        out.sort(key=lambda i: (i["max_until"], i["ref"] or "", i["id"]))
        return out
