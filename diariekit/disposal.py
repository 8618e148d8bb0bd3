"""Disposal (gallring): batches proposed, approved, run and logged (gallringsomgång).

The life of a batch (domain.md §5.1):

1. :func:`propose_batch` (``disposal propose``) selects every document of an organisation whose
   retention date (:mod:`diariekit.retention_dates`) has passed on the batch date, that is not
   under a hold (:mod:`diariekit.holds`), not in a transfer the archive has not yet accepted,
   not in an open case and not in another open batch. Each item keeps the rule as applied
   (plan row, rule text, plan version and its decision), so the log can be written from the
   items alone. Status ``proposed``.
2. :func:`approve_batch` (``disposal approve --by``): the person with delegation approves the
   proposal (gallringsförslag); status ``approved``.
3. :func:`run_batch` (``disposal run``): only an approved batch runs, and not before its date.
   Holds, the rule in force and the document's state are checked again at run time. For each
   item that is still clear, the decision to destroy is committed first (``hold_check =
   'clear'``, the intent); then the files are removed from the content store and the item is
   marked ``destroyed``, the document ``disposed`` (the register entry stays as a tombstone),
   in one write transaction that also appends a ``disposal_executed`` event per document.
   A file whose content another live document still uses is kept for that document.
4. When every item has an outcome, the disposal log (gallringsprotokoll) is written as CSV and
   HTML into the log folder (kept, never disposed of) and into the content store, their
   SHA-256 go into the ``disposal_completed`` event, and the batch is ``completed``.

**Crash safety.** A run killed at any point resumes with ``disposal run`` again: an item with a
committed intent whose files are already (partly) gone is completed as destroyed (also if a
hold was placed meanwhile: that is reported as a deviation); an item with its files intact is
checked again. So at the end nothing is reported destroyed that is not, and nothing is
destroyed that is not reported. ``DIARIEKIT_FAULT_AFTER_DELETES=N`` (tests only) kills the
process after N files have been removed.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.clock import today
from diariekit.config import Config
from diariekit.errors import InvalidInputError, PolicyError, UsageError
from diariekit.events import append_event, append_events, current_actor
from diariekit.files.store import ContentStore
from diariekit.holds import holds_for
from diariekit.organisations import organisation_id
from diariekit.plans.store import active_version_ids
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import (
    DISPOSAL_METHODS,
    case_,
    disposal_batch,
    disposal_item,
    document,
    file,
    new_id,
    plan,
    plan_version,
    record_type,
)
from diariekit.registry.session import open_registry
from diariekit.retention_dates import (
    CLOSED_CASE_STATUSES,
    DueDate,
    compute_due_dates,
    store_due_dates,
)
from diariekit.transfers import documents_in_transfers

__all__ = ["OPEN_STATUSES", "ProposeResult", "RunResult", "approve_batch", "batch_detail",
           "list_batches", "propose_batch", "run_batch"]

#: Batch statuses whose items are still to be decided or destroyed.
OPEN_STATUSES = ("draft", "proposed", "approved", "executing")
#: Transfer statuses that mean "not yet accepted by the archive".
PENDING_TRANSFER = ("built", "validated", "sent", "received")

_CHUNK = 200
_FAULT_ENV = "DIARIEKIT_FAULT_AFTER_DELETES"


@dataclass
class ProposeResult:
    """The outcome of :func:`propose_batch`: the batch (if anything was due) and what was
    left out, by reason."""

    batch_id: str | None
    organisation: str
    as_of: date
    item_count: int = 0
    file_count: int = 0
    byte_count: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "organisation": self.organisation,
                "as_of": self.as_of.isoformat(), "items": self.item_count,
                "files": self.file_count, "bytes": self.byte_count,
                "skipped": dict(sorted(self.skipped.items()))}


@dataclass
class RunResult:
    """The outcome of :func:`run_batch`."""

    batch_id: str
    status: str
    outcomes: Counter[str] = field(default_factory=Counter)
    files_removed: int = 0
    bytes_removed: int = 0
    log_files: list[str] = field(default_factory=list)
    log_notes: list[str] = field(default_factory=list)
    already_completed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "status": self.status,
                "outcomes": dict(sorted(self.outcomes.items())),
                "files_removed": self.files_removed, "bytes_removed": self.bytes_removed,
                "log_files": self.log_files, "log_notes": self.log_notes,
                "already_completed": self.already_completed}


# --------------------------------------------------------------------------- propose


def _pending_transfer(conn: Connection, ids: list[str]) -> set[str]:
    """Documents (of ``ids``) in a transfer the archive has not accepted or rejected."""
    return {doc for doc, _ in documents_in_transfers(conn, ids, PENDING_TRANSFER)}


def _in_open_batch(conn: Connection, ids: list[str], but: str | None = None) -> set[str]:
    out: set[str] = set()
    for k in range(0, len(ids), 500):
        q = (sa.select(disposal_item.c.object_id)
             .join(disposal_batch, disposal_batch.c.id == disposal_item.c.batch_id)
             .where(disposal_item.c.object_kind == "document",
                    disposal_item.c.object_id.in_(ids[k:k + 500]),
                    disposal_item.c.outcome.is_(None),
                    disposal_batch.c.status.in_(OPEN_STATUSES)))
        if but is not None:
            q = q.where(disposal_batch.c.id != but)
        out.update(str(i) for i in conn.execute(q).scalars())
    return out


def _open_cases(conn: Connection, ids: list[str]) -> set[str]:
    out: set[str] = set()
    for k in range(0, len(ids), 500):
        q = (sa.select(document.c.id).join(case_, case_.c.id == document.c.case_id)
             .where(document.c.id.in_(ids[k:k + 500]),
                    case_.c.status.not_in(CLOSED_CASE_STATUSES)))
        out.update(str(i) for i in conn.execute(q).scalars())
    return out


def _file_totals(conn: Connection, ids: list[str]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for k in range(0, len(ids), 500):
        for r in conn.execute(
                sa.select(file.c.document_id, sa.func.count(), sa.func.sum(file.c.size))
                .where(file.c.document_id.in_(ids[k:k + 500]))
                .group_by(file.c.document_id)):
            out[r[0]] = (int(r[1]), int(r[2] or 0))
    return out


def propose_batch(config: Config, *, as_of: date | None = None, org_id: str | None = None,
                  actor: str | None = None) -> ProposeResult:
    """Propose a disposal batch (gallringsförslag) of everything due by ``as_of``.

    Also refreshes the stored retention dates of the organisation's documents. Returns a
    result with ``batch_id`` None when nothing is due.
    """
    org = config.organisation(org_id)
    when = as_of or today()
    who = actor or current_actor()
    res = ProposeResult(None, org.id, when)
    with write_transaction(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        due: list[DueDate] = []
        changed: list[DueDate] = []
        for d in compute_due_dates(conn, org_reg, on=when):
            if d.changed:
                changed.append(d)
            if d.due is not None and d.due <= when:
                due.append(d)
        store_due_dates(conn, changed)  # after the scan, not while its cursor is open
        ids = [d.document_id for d in due]
        excluded = {
            "held": set(holds_for(conn, org_reg, ids)),
            "pending_transfer": _pending_transfer(conn, ids),
            "case_open": _open_cases(conn, ids),
            "in_other_batch": _in_open_batch(conn, ids),
        }
        chosen: list[DueDate] = []
        for d in due:
            reason = next((k for k, v in excluded.items() if d.document_id in v), None)
            if reason:
                res.skipped[reason] += 1
            else:
                chosen.append(d)
        if not chosen:
            return res
        batch_id = new_id()
        versions = active_version_ids(conn, org_reg, when)
        conn.execute(disposal_batch.insert().values(
            id=batch_id, organisation_id=org_reg, as_of=when, status="proposed",
            criteria={"as_of": when.isoformat(), "organisation": org.id},
            plan_version_ids=versions, created_by=who))
        totals = _file_totals(conn, [d.document_id for d in chosen])
        rows = []
        for d in sorted(chosen, key=lambda x: x.ref):
            n, size = totals.get(d.document_id, (0, 0))
            res.file_count += n
            res.byte_count += size
            assert d.rule is not None
            rows.append({"id": new_id(), "batch_id": batch_id, "object_kind": "document",
                         "object_id": d.document_id, "ref": d.ref,
                         "record_type_id": d.record_type_id,
                         "plan_version_id": d.plan_version_id, "retention_raw": d.rule.raw,
                         "retention": d.rule.to_dict(), "due": d.due, "file_count": n,
                         "byte_count": size})
        for k in range(0, len(rows), 500):
            conn.execute(disposal_item.insert(), rows[k:k + 500])
        res.batch_id = batch_id
        res.item_count = len(rows)
        append_event(conn, kind="disposal_proposed", actor=who, organisation_id=org_reg,
                     event_date=today(),
                     short_text=f"Gallringsförslag med {len(rows)} handlingar "
                                f"(gallringsdatum {when.isoformat()})",
                     payload={"batch_id": batch_id, **res.to_dict()})
    return res


# --------------------------------------------------------------------------- look up


def _batch(conn: Connection, org_reg: str, batch_id: str) -> Any:
    text = batch_id.strip()
    if len(text) < 4:
        raise UsageError("give at least 4 characters of the batch id")
    rows = list(conn.execute(sa.select(disposal_batch).where(
        disposal_batch.c.organisation_id == org_reg, disposal_batch.c.id.like(text + "%"))))
    if not rows:
        raise InvalidInputError(f"no disposal batch {batch_id}")
    if len(rows) > 1:
        raise UsageError(f"'{batch_id}' matches several batches: give more of the id")
    return rows[0]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _batch_dict(b: Any) -> dict[str, Any]:
    return {"id": b.id, "status": b.status, "as_of": _iso(b.as_of),
            "created_by": b.created_by, "created_at": _iso(b.created_at),
            "approved_by": b.approved_by, "approved_at": _iso(b.approved_at),
            "approval_ref": b.approval_ref, "method": b.method,
            "executed_by": b.executed_by, "executed_at": _iso(b.executed_at),
            "completed_at": _iso(b.completed_at), "deviations": b.deviations}


def list_batches(config: Config, *, org_id: str | None = None) -> list[dict[str, Any]]:
    """The organisation's disposal batches, newest first, with item counts."""
    org = config.organisation(org_id)
    with connect(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        counts: dict[str, int] = dict(conn.execute(
            sa.select(disposal_item.c.batch_id, sa.func.count())
            .join(disposal_batch, disposal_batch.c.id == disposal_item.c.batch_id)
            .where(disposal_batch.c.organisation_id == org_reg)
            .group_by(disposal_item.c.batch_id)).tuples().all())
        return [{**_batch_dict(b), "items": counts.get(b.id, 0)} for b in conn.execute(
            sa.select(disposal_batch).where(disposal_batch.c.organisation_id == org_reg)
            .order_by(disposal_batch.c.created_at.desc()))]


def batch_items(conn: Connection, batch_id: str) -> list[dict[str, Any]]:
    """The items of a batch, by reference, JSON-ready (what the log is written from)."""
    q = (sa.select(disposal_item, record_type.c.name.label("record_type"),
                   record_type.c.row_ref, record_type.c.legal_basis,
                   plan.c.title.label("plan_title"), plan_version.c.version,
                   plan_version.c.adoption_ref, plan_version.c.adoption_date,
                   plan_version.c.adopted_by)
         .outerjoin(record_type, record_type.c.id == disposal_item.c.record_type_id)
         .outerjoin(plan_version, plan_version.c.id == disposal_item.c.plan_version_id)
         .outerjoin(plan, plan.c.id == plan_version.c.plan_id)
         .where(disposal_item.c.batch_id == batch_id)
         .order_by(disposal_item.c.ref, disposal_item.c.id))
    out = []
    for r in conn.execute(q):
        rule = (r.retention or {}).get("description") or r.retention_raw
        plan_name = f"{r.plan_title} {r.version}".strip() if r.plan_title else None
        # Without a basis on the row, the adopted plan is the disposal decision itself
        # (legal_model plan_is_decision, domain.md §1.4).
        basis = r.legal_basis or (
            f"{plan_name}, beslut {r.adoption_ref or '?'} {_iso(r.adoption_date) or ''}".strip()
            if plan_name else None)
        out.append({
            "ref": r.ref, "object_kind": r.object_kind, "record_type": r.record_type,
            "row_ref": r.row_ref, "rule": rule, "rule_raw": r.retention_raw, "due": _iso(r.due),
            "legal_basis": basis, "plan": plan_name,
            "decision": r.adoption_ref, "decision_date": _iso(r.adoption_date),
            "decided_by": r.adopted_by, "hold_check": r.hold_check, "hold_ids": r.hold_ids,
            "outcome": r.outcome, "outcome_at": _iso(r.outcome_at),
            "files": r.file_count or 0, "bytes": r.byte_count or 0, "note": r.note,
        })
    return out


def batch_detail(config: Config, batch_id: str, *, org_id: str | None = None) -> dict[str, Any]:
    """A batch and its items (``disposal show``)."""
    org = config.organisation(org_id)
    with connect(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        b = _batch(conn, org_reg, batch_id)
        items = batch_items(conn, b.id)
        log_doc = conn.execute(sa.select(document.c.ref).where(
            document.c.organisation_id == org_reg,
            document.c.external_id == f"gallringsprotokoll:{b.id}")).scalar_one_or_none()
    return {**_batch_dict(b), "organisation": org.id, "items": items,
            "log_document": log_doc,
            "totals": {"items": len(items), "files": sum(i["files"] for i in items),
                       "bytes": sum(i["bytes"] for i in items)}}


# --------------------------------------------------------------------------- approve


def approve_batch(config: Config, batch_id: str, *, by: str, org_id: str | None = None,
                  approval_ref: str | None = None, method: str = "secure_delete",
                  actor: str | None = None) -> dict[str, Any]:
    """Approve a proposed batch (beslut om gallring enligt delegation)."""
    if not by.strip():
        raise UsageError("--by must name the person who approves")
    if method not in DISPOSAL_METHODS:
        raise UsageError(f"--method must be one of {', '.join(DISPOSAL_METHODS)}")
    org = config.organisation(org_id)
    with write_transaction(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        b = _batch(conn, org_reg, batch_id)
        if b.status == "approved" and b.approved_by == by:
            return _batch_dict(b)
        if b.status != "proposed":
            raise PolicyError(f"batch {b.id} is {b.status}; only a proposed batch can be "
                              "approved")
        conn.execute(sa.update(disposal_batch).where(disposal_batch.c.id == b.id).values(
            status="approved", approved_by=by, approved_at=datetime.now(UTC),
            approval_ref=approval_ref, method=method))
        append_event(conn, kind="disposal_approved", actor=actor or current_actor(),
                     organisation_id=org_reg,
                     short_text=f"Gallringsförslag godkänt av {by}",
                     payload={"batch_id": b.id, "approval_ref": approval_ref,
                              "method": method})
        return _batch_dict(conn.execute(sa.select(disposal_batch)
                                        .where(disposal_batch.c.id == b.id)).one())


# --------------------------------------------------------------------------- run


class _Fault:
    """Test hook: kill the process after N files removed (``DIARIEKIT_FAULT_AFTER_DELETES``)."""

    def __init__(self) -> None:
        raw = os.environ.get(_FAULT_ENV)
        self.left = int(raw) if raw and raw.isdigit() else None

    def removed_one(self) -> None:
        if self.left is not None:
            self.left -= 1
            if self.left <= 0:
                os._exit(137)


def _doc_files(conn: Connection, ids: list[str]) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {i: [] for i in ids}
    for r in conn.execute(sa.select(file.c.document_id, file.c.sha256, file.c.size)
                          .where(file.c.document_id.in_(ids)).order_by(file.c.id)):
        out[r.document_id].append((r.sha256, int(r.size)))
    return out


def _shared_elsewhere(conn: Connection, hashes: set[str], going: set[str]) -> set[str]:
    """Hashes still used by a live file row of a document not being disposed of now."""
    if not hashes:
        return set()
    rows = conn.execute(sa.select(file.c.sha256, file.c.document_id)
                        .join(document, document.c.id == file.c.document_id)
                        .where(file.c.sha256.in_(sorted(hashes)),
                               document.c.status != "disposed"))
    return {r.sha256 for r in rows if r.document_id not in going}


def _check_chunk(conn: Connection, org_reg: str, b: Any, items: list[Any],
                 store: ContentStore, today_: date) -> None:
    """Phase 1: decide each undecided item (skip, or commit the intent to destroy)."""
    ids = [i.object_id for i in items]
    held = holds_for(conn, org_reg, ids)
    files = _doc_files(conn, ids)
    dues = {d.document_id: d for d in compute_due_dates(
        conn, org_reg, on=today_, document_ids=ids, include_disposed=True)}
    now = datetime.now(UTC)
    status = dict(conn.execute(sa.select(document.c.id, document.c.status)
                               .where(document.c.id.in_(ids))).tuples().all())
    for it in items:
        doc_files = files.get(it.object_id, [])
        started = it.hold_check == "clear" and any(
            not store.exists(h) for h, _ in doc_files)
        values: dict[str, Any]
        if started:
            note = "gallringsstopp lagt under pågående gallring" if it.object_id in held else None
            values = {"note": note} if note else {}
        elif status.get(it.object_id) == "disposed":
            values = {"hold_check": "clear"}
        elif it.object_id in held:
            values = {"hold_check": "held", "hold_ids": held[it.object_id],
                      "outcome": "skipped_hold", "outcome_at": now}
        else:
            d = dues.get(it.object_id)
            problem = None
            if status.get(it.object_id) not in ("registered", "transferred"):
                problem = f"handlingen har status {status.get(it.object_id)}"
            elif d is None or d.due is None:
                problem = f"regeln ger inte längre något datum ({d.basis if d else '?'})"
            elif d.due > b.as_of:
                problem = f"inte längre gallringsbar förrän {d.due.isoformat()}"
            elif d.rule is not None and d.rule.raw != it.retention_raw:
                problem = f"regeln har ändrats: {d.rule.raw}"
            values = ({"hold_check": "clear", "outcome": "skipped_changed", "outcome_at": now,
                       "note": problem} if problem else {"hold_check": "clear"})
        if values:
            conn.execute(sa.update(disposal_item).where(disposal_item.c.id == it.id)
                         .values(**values))


def _destroy_chunk(conn: Connection, org_reg: str, b: Any, items: list[Any],
                   store: ContentStore, fault: _Fault, res: RunResult, who: str) -> None:
    """Phase 2: remove the files of items with a committed intent; mark them destroyed."""
    ids = [i.object_id for i in items]
    files = _doc_files(conn, ids)
    hashes = {h for fs in files.values() for h, _ in fs}
    keep = _shared_elsewhere(conn, hashes, set(ids))
    now = datetime.now(UTC)
    events = []
    refs = dict(conn.execute(sa.select(document.c.id, document.c.case_id)
                             .where(document.c.id.in_(ids))).tuples().all())
    for it in items:
        for h, size in files.get(it.object_id, []):
            if h in keep:
                continue
            if store.delete(h):
                res.files_removed += 1
                res.bytes_removed += size
                fault.removed_one()
        conn.execute(sa.update(disposal_item).where(disposal_item.c.id == it.id).values(
            outcome="destroyed", outcome_at=now))
        conn.execute(sa.update(document).where(document.c.id == it.object_id).values(
            status="disposed"))
        events.append({"kind": "disposal_executed", "actor": who, "organisation_id": org_reg,
                       "case_id": refs.get(it.object_id), "document_id": it.object_id,
                       "short_text": f"Handling {it.ref} gallrad",
                       "detail": f"Gallringsregel: {it.retention_raw}",
                       "payload": {"batch_id": b.id, "files": it.file_count,
                                   "bytes": it.byte_count}})
    append_events(conn, events)


def _lock_batch(conn: Connection, batch_id: str) -> None:
    """Serialise runs of one batch: a row lock on PostgreSQL (SQLite's write transaction
    already holds the database's write lock)."""
    conn.execute(sa.select(disposal_batch.c.id).where(disposal_batch.c.id == batch_id)
                 .with_for_update())


def _undecided(conn: Connection, batch_id: str, *, intent: bool) -> list[Any]:
    q = (sa.select(disposal_item).where(disposal_item.c.batch_id == batch_id,
                                        disposal_item.c.outcome.is_(None))
         .order_by(disposal_item.c.ref, disposal_item.c.id).limit(_CHUNK))
    q = q.where(disposal_item.c.hold_check == "clear") if intent else q.where(
        disposal_item.c.hold_check.is_(None))
    return list(conn.execute(q))


def run_batch(config: Config, batch_id: str, *, org_id: str | None = None,
              log_dir: Path | None = None, actor: str | None = None) -> RunResult:
    """Run an approved batch (or resume one that was interrupted); write the disposal log."""
    from diariekit.disposal_log import write_log  # noqa: PLC0415 (log imports this module)
    org = config.organisation(org_id)
    who = actor or current_actor()
    engine = open_registry(config)
    store = ContentStore(config.storage_path)
    fault = _Fault()
    with write_transaction(engine) as conn:
        org_reg = organisation_id(conn, org.id)
        b = _batch(conn, org_reg, batch_id)
        res = RunResult(b.id, b.status)
        if b.status == "completed":
            res.already_completed = True
            return res
        if b.status not in ("approved", "executing"):
            raise PolicyError(f"batch {b.id} is {b.status}: only an approved batch runs "
                              "(diariekit disposal approve)")
        if b.as_of > today():
            raise PolicyError(f"batch {b.id} is for {b.as_of}: it cannot run before that date")
        if b.status == "approved":
            conn.execute(sa.update(disposal_batch).where(disposal_batch.c.id == b.id).values(
                status="executing", executed_by=who, executed_at=datetime.now(UTC)))
            append_event(conn, kind="disposal_started", actor=who, organisation_id=org_reg,
                         short_text="Gallring påbörjad", payload={"batch_id": b.id})
    while True:
        with write_transaction(engine) as conn:
            _lock_batch(conn, b.id)
            undecided = _undecided(conn, b.id, intent=False)
            intents = _undecided(conn, b.id, intent=True)
            if undecided or intents:
                _check_chunk(conn, org_reg, b, undecided + intents, store, today())
        if not undecided and not intents:
            break
        with write_transaction(engine) as conn:
            _lock_batch(conn, b.id)
            intents = _undecided(conn, b.id, intent=True)
            if intents:
                _destroy_chunk(conn, org_reg, b, intents, store, fault, res, who)
    with write_transaction(engine) as conn:
        _lock_batch(conn, b.id)
        b = conn.execute(sa.select(disposal_batch).where(disposal_batch.c.id == b.id)).one()
        if b.status == "completed":  # another run of the same batch finished first
            res.status, res.already_completed = "completed", True
            return res
        items = batch_items(conn, b.id)
        res.outcomes.update(i["outcome"] for i in items)
        folder = log_dir or (config.path.parent / "gallringsprotokoll")
        log = write_log(config, org.id, _batch_dict(b), items, folder, store)
        written = log.files
        res.log_files = [str(p) for p, _ in written]
        res.log_notes = log.notes
        skipped = sum(1 for i in items if i["outcome"] != "destroyed")
        noted = [f"{i['ref']}: {i['note']}" for i in items
                 if i["outcome"] == "destroyed" and i["note"]]
        deviation = "; ".join(
            ([f"{skipped} poster gallrades inte (se protokollet)"] if skipped else []) + noted)
        conn.execute(sa.update(disposal_batch).where(disposal_batch.c.id == b.id).values(
            status="completed", completed_at=datetime.now(UTC), deviations=deviation or None))
        _mark_cases(conn, [i for i in items if i["outcome"] == "destroyed"], b.id)
        destroyed = res.outcomes.get("destroyed", 0)
        append_event(conn, kind="disposal_completed", actor=who, organisation_id=org_reg,
                     short_text=f"Gallring genomförd: {destroyed} handlingar gallrade",
                     payload={"batch_id": b.id, "outcomes": dict(res.outcomes),
                              "log": {p.name: sha for p, sha in written}})
        res.status = "completed"
    return res


def _mark_cases(conn: Connection, destroyed: list[dict[str, Any]], batch_id: str) -> None:
    """A case whose every (non-voided) document is disposed of is itself ``disposed``."""
    case_ids = {r.case_id for r in conn.execute(
        sa.select(document.c.case_id).join(disposal_item,
                                           disposal_item.c.object_id == document.c.id)
        .where(disposal_item.c.batch_id == batch_id, disposal_item.c.outcome == "destroyed",
               document.c.case_id.is_not(None)))}
    for cid in sorted(case_ids):
        left = conn.execute(sa.select(sa.func.count()).select_from(document).where(
            document.c.case_id == cid,
            document.c.status.not_in(("disposed", "voided")))).scalar_one()
        if not left:
            conn.execute(sa.update(case_).where(case_.c.id == cid).values(
                disposition="disposed"))
