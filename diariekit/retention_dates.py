"""Retention and delivery dates (gallrings- och leveransfrister) of registered documents.

"Class determines destiny": a document's record type (handlingstyp) gives its retention rule
(gallringsregel) and delivery deadline (leveransfrist); the rule's trigger gives the date the
period counts from. This module computes both dates, stores them on the document
(``retention_due``, ``delivery_due``, with the basis in ``due_basis``) and explains them.

**The rule in force.** A document keeps the record type it was classified under, but the
rule applied is that of the same plan row (``row_ref``) in the version of its plan in force
on the day of the computation, so a new plan version re-computes dates
(``diariekit retention recompute --dry-run`` shows the changes first). A row that is gone
from the plan in force gives no date: nothing is disposed of under a rule that no longer
exists.

**Triggers** (utgångspunkt), and where their dates come from:

=================  ======================================================================
document_date      the document's own date: drawn up, else received, else dispatched,
                   else the registration date
registered         the registration date
case_closed        the case's closing date (none while the case is open)
last_entry         the latest document date in the case (sista anteckning), once the case
                   is closed; a loose document's own date
transferred        the date the archive accepted the transfer holding the document
                   (``transfer accept``), never the build date
scan_verified      a ``scan_verified`` event on the document (``retention trigger``):
                   the scan is registered as the new original
employment_end,    a date recorded by a person with ``diariekit retention trigger``
death,             (on the document or its case)
decision_final,
audit_discharged
custom             never: a person must judge
=================  ======================================================================

Rules that keep (bevaras), rules the grammar did not understand, "se anmärkning",
conditional rules (``gallras om …``) and "vid inaktualitet" (a person's judgement, also
when capped: the cap is shown, never acted on) give no date. Unclassified documents are
kept. Calendar-year rounding (kalenderårsskiftet) is :func:`~diariekit.plans.retention.add_period`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.cases import resolve_case, resolve_document, series_formats
from diariekit.clock import legal_date, today
from diariekit.config import Config
from diariekit.errors import InvalidInputError, UsageError
from diariekit.events import append_event, current_actor
from diariekit.organisations import organisation_id
from diariekit.plans.retention import (
    Action,
    DeliveryRule,
    RetentionRule,
    Trigger,
    add_period,
    parse_delivery,
)
from diariekit.plans.store import active_version_ids
from diariekit.registration.dnr import parse_any
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import (
    case_,
    document,
    event,
    plan_version,
    record_type,
)
from diariekit.registry.session import open_registry
from diariekit.transfers import accepted_on

__all__ = [
    "CLOSED_CASE_STATUSES",
    "RECORDED_TRIGGERS",
    "DueDate",
    "RecomputeResult",
    "compute_due_dates",
    "recompute_due_dates",
    "record_trigger",
]

#: Case statuses that count as closed (avslutat) for ``case_closed`` and ``last_entry``.
CLOSED_CASE_STATUSES = ("closed", "written_off", "forwarded")

#: Triggers whose date a person records (``diariekit retention trigger``) and their event kind.
RECORDED_TRIGGERS: dict[Trigger, str] = {
    Trigger.SCAN_VERIFIED: "scan_verified",
    Trigger.EMPLOYMENT_END: "trigger_recorded",
    Trigger.DEATH: "trigger_recorded",
    Trigger.DECISION_FINAL: "trigger_recorded",
    Trigger.AUDIT_DISCHARGED: "trigger_recorded",
}

_CHUNK = 500  # ids per IN (…) query


@dataclass(frozen=True)
class DueDate:
    """The computed dates of one document and why (underlag för gallringsfristen)."""

    document_id: str
    ref: str
    case_id: str | None
    record_type_id: str | None
    plan_version_id: str | None
    row_ref: str | None
    rule: RetentionRule | None
    trigger_date: date | None
    due: date | None
    delivery_due: date | None
    basis: str
    stored_due: date | None = None
    stored_delivery_due: date | None = None

    @property
    def disposable(self) -> bool:
        """True when the rule is an unconditional disposal with a date."""
        return self.due is not None

    @property
    def changed(self) -> bool:
        return (self.due, self.delivery_due) != (self.stored_due, self.stored_delivery_due)

    def due_basis(self) -> dict[str, Any]:
        return {"plan_version_id": self.plan_version_id, "row_ref": self.row_ref,
                "rule": self.rule.describe() if self.rule else None,
                "trigger_date": self.trigger_date.isoformat() if self.trigger_date else None,
                "basis": self.basis}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "rule": self.rule.describe() if self.rule else "bevaras",
            "rule_raw": self.rule.raw if self.rule else None,
            "trigger": self.rule.due_trigger.value if self.rule and self.rule.due_trigger
            else None,
            "trigger_date": _iso(self.trigger_date), "retention_due": _iso(self.due),
            "delivery_due": _iso(self.delivery_due), "basis": self.basis,
            "plan_version_id": self.plan_version_id, "row_ref": self.row_ref,
        }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass
class _Facts:
    """What the trigger dates of a chunk of documents are computed from."""

    last_entry: dict[str, date] = field(default_factory=dict)
    accepted: dict[str, date] = field(default_factory=dict)
    recorded: dict[tuple[str, str], date] = field(default_factory=dict)


def _doc_date(r: Any) -> date:
    return r.date_drawn_up or r.date_received or r.date_dispatched or legal_date(r.registered_at)


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for k in range(0, len(ids), _CHUNK):
        yield ids[k:k + _CHUNK]


def _facts(conn: Connection, rows: Sequence[Any]) -> _Facts:
    facts = _Facts()
    doc_ids = [r.id for r in rows]
    case_ids = sorted({r.case_id for r in rows if r.case_id})
    for chunk in _chunks(case_ids):
        for c in conn.execute(
                sa.select(document.c.case_id, document.c.date_drawn_up, document.c.date_received,
                          document.c.date_dispatched, document.c.registered_at)
                .where(document.c.case_id.in_(chunk), document.c.status != "voided")):
            d = _doc_date(c)
            if d > facts.last_entry.get(c.case_id, date.min):
                facts.last_entry[c.case_id] = d
    facts.accepted = accepted_on(conn, doc_ids)
    targets = doc_ids + case_ids
    kinds = sorted(set(RECORDED_TRIGGERS.values()))
    for chunk in _chunks(targets):
        q = (sa.select(event.c.document_id, event.c.case_id, event.c.kind, event.c.event_date,
                       event.c.payload)
             .where(event.c.kind.in_(kinds),
                    sa.or_(event.c.document_id.in_(chunk),
                           sa.and_(event.c.document_id.is_(None), event.c.case_id.in_(chunk))))
             .order_by(event.c.seq))
        for e in conn.execute(q):
            trig = (Trigger.SCAN_VERIFIED.value if e.kind == "scan_verified"
                    else (e.payload or {}).get("trigger"))
            if trig:
                facts.recorded[(e.document_id or e.case_id, trig)] = e.event_date
    return facts


def _trigger_date(trigger: Trigger, r: Any, facts: _Facts) -> tuple[date | None, str]:
    """The date ``trigger`` happened for document row ``r``, or None and why not."""
    closed = r.case_status in CLOSED_CASE_STATUSES
    if trigger == Trigger.DOCUMENT_DATE:
        return _doc_date(r), "handlingens datum"
    if trigger == Trigger.REGISTERED:
        return legal_date(r.registered_at), "registreringsdatum"
    if trigger == Trigger.CASE_CLOSED:
        if r.case_id is None:
            return None, "handlingen hör inte till något ärende"
        if not closed or r.closed_at is None:
            return None, "ärendet är inte avslutat"
        return r.closed_at, "ärendets avslut"
    if trigger == Trigger.LAST_ENTRY:
        if r.case_id is None:
            return _doc_date(r), "sista anteckning (handlingens datum)"
        if not closed:
            return None, "akten är inte avslutad (sista anteckning kan komma)"
        return facts.last_entry.get(r.case_id, _doc_date(r)), "sista anteckning i akten"
    if trigger == Trigger.TRANSFERRED:
        d = facts.accepted.get(r.id)
        return (d, "arkivets mottagningskvittens") if d else (
            None, "ingen leverans är kvitterad av arkivet")
    if trigger in RECORDED_TRIGGERS:
        d = facts.recorded.get((r.id, trigger.value))
        if d is None and r.case_id:
            d = facts.recorded.get((r.case_id, trigger.value))
        return (d, f"registrerad händelse ({trigger.value})") if d else (
            None, f"datum för {trigger.value} är inte registrerat (diariekit retention trigger)")
    return None, "räknas från en händelse som en person måste bedöma"


def _no_date_reason(rule: RetentionRule) -> str | None:
    """Why a rule never gives a date on its own, or None when it may."""
    if not rule.recognised:
        return "regeln är inte tolkad: bevaras tills planen rättas"
    if rule.see_notes:
        return "se anmärkning: en person måste bedöma"
    if rule.action == Action.KEEP:
        return "bevaras"
    if rule.action == Action.REVIEW:
        if rule.conditional:
            return "villkorad gallring: villkoret prövas av en person"
        return "gallras vid inaktualitet: en person bedömer, aldrig automatiskt"
    if rule.trigger is None or rule.trigger == Trigger.CUSTOM:
        return "räknas från en händelse som diariekit inte registrerar"
    return None


def _delivery(rule: DeliveryRule | None, r: Any, facts: _Facts) -> date | None:
    if rule is None or not rule.recognised or rule.never or rule.period is None:
        return None
    start, _ = _trigger_date(rule.trigger or Trigger.DOCUMENT_DATE, r, facts)
    if start is None:
        return None
    try:
        return add_period(start, rule.period, rule.rounding)
    except ValueError:
        return None


def _rules_in_force(conn: Connection, org_reg_id: str, on: date,
                    ) -> dict[tuple[str, str], tuple[str, str, Any, str | None]]:
    """(plan id, row_ref) → (record type id, plan version id, retention JSON, delivery raw)
    for the plan versions in force on ``on``."""
    ids = active_version_ids(conn, org_reg_id, on)
    out: dict[tuple[str, str], tuple[str, str, Any, str | None]] = {}
    if not ids:
        return out
    for r in conn.execute(
            sa.select(plan_version.c.plan_id, record_type.c.row_ref, record_type.c.id,
                      record_type.c.plan_version_id, record_type.c.retention,
                      record_type.c.delivery_raw)
            .join(plan_version, plan_version.c.id == record_type.c.plan_version_id)
            .where(record_type.c.plan_version_id.in_(ids))):
        out[(r.plan_id, r.row_ref)] = (r.id, r.plan_version_id, r.retention, r.delivery_raw)
    return out


def _document_query(org_reg_id: str) -> sa.Select[Any]:
    own_version = plan_version.alias("own_version")
    return (
        sa.select(document.c.id, document.c.ref, document.c.case_id, document.c.status,
                  document.c.record_type_id, document.c.date_drawn_up,
                  document.c.date_received, document.c.date_dispatched,
                  document.c.registered_at, document.c.retention_due,
                  document.c.delivery_due, record_type.c.row_ref,
                  own_version.c.plan_id, case_.c.status.label("case_status"),
                  case_.c.closed_at)
        .select_from(document)
        .outerjoin(case_, case_.c.id == document.c.case_id)
        .outerjoin(record_type, record_type.c.id == document.c.record_type_id)
        .outerjoin(own_version, own_version.c.id == record_type.c.plan_version_id)
        .where(document.c.organisation_id == org_reg_id)
        .order_by(document.c.registered_at, document.c.ref))


def compute_due_dates(conn: Connection, org_reg_id: str, *, on: date,
                      document_ids: Sequence[str] | None = None,
                      include_disposed: bool = False) -> Iterator[DueDate]:
    """Compute the dates of an organisation's documents (or of ``document_ids``), streaming.

    Voided and disposed documents are left out (unless ``include_disposed``); their dates no
    longer matter.
    """
    rules = _rules_in_force(conn, org_reg_id, on)
    parsed: dict[str, RetentionRule] = {}
    deliveries: dict[str, DeliveryRule] = {}
    q = _document_query(org_reg_id)
    if not include_disposed:
        q = q.where(document.c.status.in_(("registered", "transferred")))
    wanted = list(document_ids) if document_ids is not None else None
    for chunk_rows in _row_chunks(conn, q, wanted):
        facts = _facts(conn, chunk_rows)
        for r in chunk_rows:
            yield _due_for(r, rules, parsed, deliveries, facts)


def _row_chunks(conn: Connection, q: sa.Select[Any],
                wanted: list[str] | None) -> Iterator[list[Any]]:
    if wanted is not None:
        for chunk in _chunks(wanted):
            yield list(conn.execute(q.where(document.c.id.in_(chunk))))
        return
    result = conn.execute(q.execution_options(yield_per=_CHUNK))
    for part in result.partitions(_CHUNK):
        yield list(part)


def _due_for(r: Any, rules: dict[tuple[str, str], tuple[str, str, Any, str | None]],
             parsed: dict[str, RetentionRule], deliveries: dict[str, DeliveryRule],
             facts: _Facts) -> DueDate:
    def result(rule: RetentionRule | None, trig: date | None, due: date | None,
               delivery: date | None, basis: str, rt_id: str | None = None,
               pv_id: str | None = None) -> DueDate:
        return DueDate(r.id, r.ref, r.case_id, rt_id or r.record_type_id, pv_id, r.row_ref,
                       rule, trig, due, delivery, basis, r.retention_due, r.delivery_due)

    if r.record_type_id is None:
        return result(None, None, None, None, "oklassificerad: bevaras")
    in_force = rules.get((r.plan_id, r.row_ref))
    if in_force is None:
        return result(None, None, None, None,
                      "raden finns inte i planen som gäller i dag: ingen gallring")
    rt_id, pv_id, rule_json, delivery_raw = in_force
    rule = parsed.get(rt_id)
    if rule is None:
        rule = parsed[rt_id] = RetentionRule.from_dict(rule_json or {"raw": "", "action": "keep"})
    drule = deliveries.get(rt_id)
    if drule is None:
        drule = deliveries[rt_id] = parse_delivery(delivery_raw)
    delivery = _delivery(drule, r, facts)
    reason = _no_date_reason(rule)
    if reason is not None:
        return result(rule, None, None, delivery, reason, rt_id, pv_id)
    assert rule.trigger is not None
    trig, how = _trigger_date(rule.trigger, r, facts)
    if trig is None:
        return result(rule, None, None, delivery, how, rt_id, pv_id)
    try:
        due = add_period(trig, rule.period, rule.rounding) if rule.period else trig
    except ValueError as exc:
        return result(rule, trig, None, delivery, str(exc), rt_id, pv_id)
    return result(rule, trig, due, delivery, f"{rule.describe()}: {how} {trig.isoformat()}",
                  rt_id, pv_id)


def dates_at_registration(rule: RetentionRule | None, delivery: DeliveryRule | None,
                          doc_date: date, reg_date: date
                          ) -> tuple[date | None, date | None, dict[str, Any]]:
    """(retention date, delivery date, basis) of a document being registered.

    At registration only the document's own date and the registration date are known; a rule
    counting from anything else (the case's closing, a transfer …) gets its date later
    (``case close``, ``retention trigger``, ``retention recompute``). Gives what
    :func:`compute_due_dates` would give for the same document right after registration.
    """
    known = {Trigger.DOCUMENT_DATE: doc_date, Trigger.REGISTERED: reg_date}
    due: date | None = None
    trig: date | None = None
    basis = "oklassificerad: bevaras" if rule is None else (_no_date_reason(rule) or "")
    if rule is not None and not basis:
        assert rule.trigger is not None
        trig = known.get(rule.trigger)
        if trig is None:
            basis = f"datum för {rule.trigger.value} saknas vid registreringen"
        else:
            try:
                due = add_period(trig, rule.period, rule.rounding) if rule.period else trig
                what = "handlingens datum" if rule.trigger == Trigger.DOCUMENT_DATE \
                    else "registreringsdatum"
                basis = f"{rule.describe()}: {what} {trig.isoformat()}"
            except ValueError as exc:
                basis = str(exc)
    delivery_due = None
    if delivery is not None and delivery.recognised and not delivery.never and delivery.period:
        start = known.get(delivery.trigger or Trigger.DOCUMENT_DATE)
        if start is not None:
            try:
                delivery_due = add_period(start, delivery.period, delivery.rounding)
            except ValueError:
                delivery_due = None
    return due, delivery_due, {
        "rule": rule.describe() if rule else None,
        "trigger_date": trig.isoformat() if trig else None, "basis": basis}


# --------------------------------------------------------------------------- recompute


@dataclass
class RecomputeResult:
    """What ``retention recompute`` changed (or, with ``dry_run``, would change)."""

    organisation: str
    on: date
    dry_run: bool
    checked: int = 0
    changed: int = 0
    #: changes that make a document disposable sooner than its stored date said (or at all)
    earlier: int = 0
    changes: list[DueDate] = field(default_factory=list)
    shown_limit: int = 1000

    def count_change(self, d: DueDate) -> None:
        """Count a change; keep the first :attr:`shown_limit` to show."""
        self.changed += 1
        if d.due is not None and (d.stored_due is None or d.due < d.stored_due):
            self.earlier += 1
        if len(self.changes) < self.shown_limit:
            self.changes.append(d)

    def to_dict(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation, "on": self.on.isoformat(),
            "dry_run": self.dry_run, "checked": self.checked, "changed": self.changed,
            "earlier": self.earlier,
            "changes": [{**c.to_dict(), "old_retention_due": _iso(c.stored_due),
                         "old_delivery_due": _iso(c.stored_delivery_due)}
                        for c in self.changes[:self.shown_limit]],
        }


def recompute_due_dates(config: Config, *, org_id: str | None = None, on: date | None = None,
                        dry_run: bool = False, actor: str | None = None) -> RecomputeResult:
    """Re-compute and store every document's dates; one ``retention_recomputed`` event.

    With ``dry_run`` nothing is written: the result lists what would change.
    """
    org = config.organisation(org_id)
    when = on or today()
    engine = open_registry(config)
    res = RecomputeResult(org.id, when, dry_run)
    if dry_run:
        with connect(engine) as conn:
            org_reg = organisation_id(conn, org.id)
            for d in compute_due_dates(conn, org_reg, on=when):
                res.checked += 1
                if d.changed:
                    res.count_change(d)
        return res
    with write_transaction(engine) as conn:
        org_reg = organisation_id(conn, org.id)
        # Updates are applied after the scan, not while its cursor is open.
        updates: list[dict[str, Any]] = []
        for d in compute_due_dates(conn, org_reg, on=when):
            res.checked += 1
            if d.changed:
                res.count_change(d)
                updates.append(_update_row(d))
        _apply_updates(conn, updates)
        if updates:
            append_event(conn, kind="retention_recomputed", actor=actor or current_actor(),
                         organisation_id=org_reg, event_date=when,
                         short_text=f"Gallrings- och leveransfrister omräknade för "
                                    f"{len(updates)} handlingar",
                         payload={"checked": res.checked, "changed": len(updates),
                                  "plan_version_ids": active_version_ids(conn, org_reg, when)})
    return res


def _update_row(d: DueDate) -> dict[str, Any]:
    return {"b_id": d.document_id, "retention_due": d.due, "delivery_due": d.delivery_due,
            "due_basis": d.due_basis()}


def _apply_updates(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    stmt = (sa.update(document).where(document.c.id == sa.bindparam("b_id"))
            .values(retention_due=sa.bindparam("retention_due"),
                    delivery_due=sa.bindparam("delivery_due"),
                    due_basis=sa.bindparam("due_basis")))
    for k in range(0, len(rows), _CHUNK):
        conn.execute(stmt, list(rows[k:k + _CHUNK]))


def store_due_dates(conn: Connection, dates: Sequence[DueDate]) -> None:
    """Write computed dates that differ from the stored ones (inside the caller's
    transaction, after any scan over documents has finished; the caller's event covers
    them)."""
    _apply_updates(conn, [_update_row(d) for d in dates if d.changed])


def refresh_case_dates(conn: Connection, org_reg_id: str, case_id: str) -> int:
    """Re-compute and store the dates of one case's documents (after it is closed, or a
    trigger is recorded), inside the caller's transaction; return how many changed."""
    ids = [str(i) for i in conn.execute(
        sa.select(document.c.id).where(document.c.case_id == case_id)).scalars()]
    dates = list(compute_due_dates(conn, org_reg_id, on=today(), document_ids=ids))
    store_due_dates(conn, dates)
    return sum(d.changed for d in dates)


# --------------------------------------------------------------------------- show / trigger


def resolve_ref(conn: Connection, org_reg_id: str, ref: str) -> tuple[str, str, str]:
    """("document" | "case", registry id, canonical reference) for a document or case ref."""
    parsed = parse_any(ref, series_formats(conn, org_reg_id))
    if parsed.seq is None:
        c = resolve_case(conn, org_reg_id, ref)
        return "case", c.id, c.dnr
    c, seq = resolve_document(conn, org_reg_id, ref)
    row = conn.execute(sa.select(document.c.id, document.c.ref)
                       .where(document.c.case_id == c.id, document.c.seq == seq)).first()
    if row is None:
        raise InvalidInputError(f"no document {ref} in the registry")
    return "document", row.id, row.ref


def explain(config: Config, ref: str, *, org_id: str | None = None,
            on: date | None = None) -> dict[str, Any]:
    """The dates of a document, or of every document of a case, with their basis."""
    org = config.organisation(org_id)
    when = on or today()
    with connect(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        kind, obj_id, canonical = resolve_ref(conn, org_reg, ref)
        if kind == "document":
            ids = [obj_id]
        else:
            ids = [str(i) for i in conn.execute(
                sa.select(document.c.id).where(document.c.case_id == obj_id)
                .order_by(document.c.seq)).scalars()]
        docs = list(compute_due_dates(conn, org_reg, on=when, document_ids=ids,
                                      include_disposed=True))
    out: dict[str, Any] = {"ref": canonical, "kind": kind, "on": when.isoformat(),
                           "documents": [d.to_dict() for d in docs]}
    if kind == "case":
        dues = [d.due for d in docs]
        out["case_retention_due"] = (_iso(max(d for d in dues if d is not None))
                                     if dues and all(d is not None for d in dues) else None)
    return out


def record_trigger(config: Config, ref: str, trigger: str, on: date, *,
                   org_id: str | None = None, note: str | None = None,
                   actor: str | None = None) -> dict[str, Any]:
    """Record the date of a trigger event a person knows (``retention trigger``)."""
    try:
        trig = Trigger(trigger)
    except ValueError:
        trig = None
    if trig is None or trig not in RECORDED_TRIGGERS:
        names = ", ".join(t.value for t in RECORDED_TRIGGERS)
        raise UsageError(f"--event must be one of {names}, got '{trigger}'")
    if on > today():
        raise InvalidInputError(f"--date {on} is in the future")
    org = config.organisation(org_id)
    with write_transaction(open_registry(config)) as conn:
        org_reg = organisation_id(conn, org.id)
        kind, obj_id, canonical = resolve_ref(conn, org_reg, ref)
        case_id = obj_id if kind == "case" else conn.execute(
            sa.select(document.c.case_id).where(document.c.id == obj_id)).scalar()
        text = ("Skannad handling kontrollerad och registrerad som original"
                if trig == Trigger.SCAN_VERIFIED else f"Händelse registrerad: {trig.value}")
        append_event(conn, kind=RECORDED_TRIGGERS[trig], actor=actor or current_actor(),
                     organisation_id=org_reg, case_id=case_id,
                     document_id=obj_id if kind == "document" else None, event_date=on,
                     short_text=f"{text} ({canonical})", detail=note,
                     payload={"trigger": trig.value, "date": on.isoformat()})
        if case_id is not None:
            refresh_case_dates(conn, org_reg, case_id)
    return {"ref": canonical, "trigger": trig.value, "date": on.isoformat()}
