"""Transfers to the archive (leveranser) and their receipts (leveranskvittenser).

``diariekit package build`` records a transfer with status ``built`` and one
``transfer_package`` per SIP (``package_id`` = the package's OBJID). This module reads
transfers and records what the archive (arkivmyndigheten / e-arkivet) answered:

* **accept** (``transfer accept PACKAGE_ID``): the whole transfer is marked ``accepted``
  with the receipt reference (leveranskvittens), the time the status changed, and
  ``responsibility_transferred_at`` = the acceptance date (midnight in Sweden for a given
  date; now when the date is today). A ``transfer_accepted`` event is appended per case in
  the transfer, in the same transaction. Rules "gallras efter leverans" count from this
  date (:func:`accepted_on`), never from the build.
* **reject** (``transfer reject PACKAGE_ID --reason …``): ``rejected``, with a
  ``transfer_rejected`` event per case carrying the reason. Cases of a rejected transfer are
  eligible to be packaged again.

Accepting an accepted transfer (or rejecting a rejected one) again changes nothing.
Accepting a rejected transfer, or rejecting an accepted one, is refused
(:class:`~diariekit.errors.PolicyError`, exit 6): that takes a new transfer.

The case and document rows are not changed by a receipt: the register entries stay as
they are (local copies are disposed of through a disposal batch, which asks
:func:`accepted_on`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.clock import STOCKHOLM, legal_date, today
from diariekit.config import Config
from diariekit.errors import InvalidInputError, PolicyError, UsageError
from diariekit.events import append_events, current_actor
from diariekit.organisations import organisation_id
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import (
    TRANSFER_STATUSES,
    case_,
    document,
    event,
    organisation,
    transfer,
    transfer_item,
    transfer_package,
    utc_now,
)
from diariekit.registry.session import open_registry

__all__ = [
    "OPEN_STATUSES",
    "ReceiptResult",
    "TransferView",
    "accept_transfer",
    "accepted_on",
    "case_transfers",
    "get_transfer",
    "list_transfers",
    "reject_transfer",
]

#: Statuses from which the archive's answer (accept or reject) may still come.
OPEN_STATUSES = ("built", "validated", "sent", "received")
_BATCH = 500  # ids per IN (...) query, well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class TransferView:
    """A transfer (leverans) as shown by ``transfer show`` / ``transfer list``."""

    id: str
    submission_ref: str
    organisation: str
    recipient: str
    profile: str
    status: str
    built_at: datetime
    built_by: str | None
    receipt_ref: str | None
    status_changed_at: datetime | None
    responsibility_transferred_at: datetime | None
    rejected_reason: str | None
    packages: tuple[dict[str, Any], ...]
    cases: tuple[str, ...]
    documents: int

    @property
    def accepted_on(self) -> date | None:
        """The legal date the archive accepted the transfer (Europe/Stockholm)."""
        if self.status != "accepted" or self.responsibility_transferred_at is None:
            return None
        return legal_date(self.responsibility_transferred_at)

    def to_dict(self) -> dict[str, Any]:
        """The stable ``--json`` shape of a transfer."""
        return {
            "id": self.id, "submission_ref": self.submission_ref,
            "organisation": self.organisation, "recipient": self.recipient,
            "profile": self.profile, "status": self.status,
            "built_at": self.built_at.isoformat(), "built_by": self.built_by,
            "receipt_ref": self.receipt_ref,
            "status_changed_at": _iso(self.status_changed_at),
            "responsibility_transferred_at": _iso(self.responsibility_transferred_at),
            "accepted_on": self.accepted_on.isoformat() if self.accepted_on else None,
            "rejected_reason": self.rejected_reason,
            "packages": [dict(p) for p in self.packages],
            "cases": list(self.cases), "documents": self.documents,
        }


@dataclass(frozen=True)
class ReceiptResult:
    """The outcome of :func:`accept_transfer` / :func:`reject_transfer`."""

    transfer: TransferView
    changed: bool
    events: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.transfer.to_dict(), "changed": self.changed, "events": self.events}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- reading -------------------------------------------------------------------------------


def _find_transfer_id(conn: Connection, ref: str) -> str:
    """A transfer by its id, submission reference or one of its package ids (OBJID)."""
    text = ref.strip()
    found = conn.execute(sa.select(transfer_package.c.transfer_id)
                         .where(transfer_package.c.package_id == text)).scalar()
    if found is None:
        found = conn.execute(sa.select(transfer.c.id).where(
            sa.or_(transfer.c.id == text, transfer.c.submission_ref == text))).scalar()
    if found is None:
        raise InvalidInputError(
            f"no transfer or package '{text}' in the registry (give a package id (OBJID), "
            "a submission reference or a transfer id; `diariekit transfer list` shows them)")
    return str(found)


def _rejected_reason(conn: Connection, transfer_id: str) -> str | None:
    """The reason given with the latest ``transfer_rejected`` event of the transfer."""
    payloads = conn.execute(
        sa.select(event.c.payload).where(event.c.kind == "transfer_rejected")
        .order_by(event.c.seq.desc())).scalars()
    for payload in payloads:
        if isinstance(payload, dict) and payload.get("transfer_id") == transfer_id:
            reason = payload.get("reason")
            return str(reason) if reason is not None else None
    return None


def _view(conn: Connection, transfer_id: str) -> TransferView:
    sender = organisation.alias("sender")
    recipient = organisation.alias("recipient")
    row = conn.execute(
        sa.select(transfer, sender.c.code.label("org_code"),
                  recipient.c.name.label("recipient_name"))
        .join(sender, sender.c.id == transfer.c.organisation_id)
        .join(recipient, recipient.c.id == transfer.c.recipient_id)
        .where(transfer.c.id == transfer_id)).one()
    packages: list[dict[str, Any]] = []
    for p in conn.execute(sa.select(transfer_package)
                          .where(transfer_package.c.transfer_id == transfer_id)
                          .order_by(transfer_package.c.seq)):
        dnrs = sorted({str(d) for d in conn.execute(
            sa.select(case_.c.dnr).join(transfer_item, transfer_item.c.case_id == case_.c.id)
            .where(transfer_item.c.package_id == p.id)).scalars()})
        packages.append({"seq": p.seq, "package_id": p.package_id, "filename": p.filename,
                         "sha256": p.sip_sha256, "size": p.size,
                         "built_at": p.built_at.isoformat(), "cases": dnrs})
    cases = tuple(sorted({str(d) for d in conn.execute(
        sa.select(case_.c.dnr).join(transfer_item, transfer_item.c.case_id == case_.c.id)
        .where(transfer_item.c.transfer_id == transfer_id)).scalars()}))
    documents = int(conn.execute(
        sa.select(sa.func.count(sa.distinct(transfer_item.c.document_id)))
        .where(transfer_item.c.transfer_id == transfer_id)).scalar_one())
    return TransferView(
        id=row.id, submission_ref=row.submission_ref, organisation=row.org_code,
        recipient=row.recipient_name, profile=row.profile, status=row.status,
        built_at=row.built_at, built_by=row.built_by, receipt_ref=row.receipt_ref,
        status_changed_at=row.status_changed_at,
        responsibility_transferred_at=row.responsibility_transferred_at,
        rejected_reason=(_rejected_reason(conn, row.id) if row.status == "rejected" else None),
        packages=tuple(packages), cases=cases, documents=documents)


def get_transfer(config: Config, ref: str) -> TransferView:
    """One transfer by transfer id, submission reference or package id (OBJID)."""
    engine = open_registry(config)
    with connect(engine) as conn:
        return _view(conn, _find_transfer_id(conn, ref))


def list_transfers(config: Config, *, status: str | None = None,
                   org_id: str | None = None) -> list[TransferView]:
    """Transfers, oldest first; all organisations unless ``org_id`` is given."""
    if status is not None and status not in TRANSFER_STATUSES:
        raise UsageError(f"--status must be one of {', '.join(TRANSFER_STATUSES)}, "
                         f"got '{status}'")
    engine = open_registry(config)
    with connect(engine) as conn:
        q = sa.select(transfer.c.id).order_by(transfer.c.built_at, transfer.c.submission_ref)
        if status is not None:
            q = q.where(transfer.c.status == status)
        if org_id is not None:
            q = q.where(transfer.c.organisation_id == organisation_id(
                conn, config.organisation(org_id).id))
        return [_view(conn, str(i)) for i in conn.execute(q).scalars()]


def case_transfers(conn: Connection, case_id: str) -> list[dict[str, Any]]:
    """The transfers a case is in (for ``case show``): submission reference, package id,
    status, receipt and dates, oldest first."""
    rows = conn.execute(
        sa.select(transfer.c.id, transfer.c.submission_ref, transfer.c.status,
                  transfer.c.receipt_ref, transfer.c.built_at, transfer.c.status_changed_at,
                  transfer.c.responsibility_transferred_at, transfer_package.c.package_id)
        .join(transfer_item, transfer_item.c.transfer_id == transfer.c.id)
        .outerjoin(transfer_package, transfer_package.c.id == transfer_item.c.package_id)
        .where(transfer_item.c.case_id == case_id, transfer_item.c.document_id.is_(None))
        .order_by(transfer.c.built_at, transfer.c.submission_ref)).all()
    out: list[dict[str, Any]] = []
    for r in rows:
        accepted = (legal_date(r.responsibility_transferred_at)
                    if r.status == "accepted" and r.responsibility_transferred_at else None)
        out.append({
            "transfer_id": r.id, "submission_ref": r.submission_ref,
            "package_id": r.package_id, "status": r.status, "receipt_ref": r.receipt_ref,
            "built": legal_date(r.built_at).isoformat(),
            "status_changed": (legal_date(r.status_changed_at).isoformat()
                               if r.status_changed_at else None),
            "accepted_on": accepted.isoformat() if accepted else None,
            "rejected_reason": (_rejected_reason(conn, r.id) if r.status == "rejected"
                                else None)})
    return out


def documents_in_transfers(conn: Connection, document_ids: Iterable[str],
                           statuses: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """(document id, transfer row) for each of ``document_ids`` in a transfer whose status is
    one of ``statuses``: listed itself, or through its case."""
    ids = list(dict.fromkeys(document_ids))
    wanted = list(statuses)
    for k in range(0, len(ids), _BATCH):
        q = (sa.select(document.c.id.label("document_id"), transfer)
             .select_from(document)
             .join(transfer_item, sa.or_(transfer_item.c.document_id == document.c.id,
                                         sa.and_(transfer_item.c.document_id.is_(None),
                                                 transfer_item.c.case_id == document.c.case_id)))
             .join(transfer, transfer.c.id == transfer_item.c.transfer_id)
             .where(document.c.id.in_(ids[k:k + _BATCH]), transfer.c.status.in_(wanted)))
        for r in conn.execute(q):
            yield str(r.document_id), r


def accepted_on(conn: Connection, document_ids: Iterable[str]) -> dict[str, date]:
    """For each document in an accepted transfer (itself or through its case), the legal
    date (Europe/Stockholm) the archive accepted it: the day "gallras efter leverans" counts
    from.

    Documents in no accepted transfer are left out. A document in several accepted
    transfers gets the earliest date.
    """
    out: dict[str, date] = {}
    for doc, t in documents_in_transfers(conn, document_ids, ("accepted",)):
        moment = t.responsibility_transferred_at or t.status_changed_at
        if moment is None:
            continue
        day = legal_date(moment)
        if doc not in out or day < out[doc]:
            out[doc] = day
    return out


# --- the archive's answer ------------------------------------------------------------------


def _moment(day: date) -> datetime:
    """The timestamp for a legal date: now if it is today, else midnight in Sweden."""
    now = utc_now()
    if legal_date(now) == day:
        return now
    return datetime.combine(day, time(0, 0), tzinfo=STOCKHOLM)


def _answer(config: Config, package_id: str, *, new_status: str, on: date | None,
            actor: str | None, receipt_ref: str | None = None,
            reason: str | None = None) -> ReceiptResult:
    when = on or today()
    if when > today():
        raise UsageError(f"--date {when.isoformat()} is in the future")
    who = actor or current_actor()
    engine = open_registry(config)
    with write_transaction(engine) as conn:
        pkg = conn.execute(sa.select(transfer_package.c.transfer_id)
                           .where(transfer_package.c.package_id == package_id.strip())).first()
        if pkg is None:
            raise InvalidInputError(
                f"no package '{package_id}' in the registry: give the package id (OBJID) "
                "printed by `diariekit package build` (see `diariekit transfer list`)")
        tid = str(pkg.transfer_id)
        row = conn.execute(sa.select(transfer).where(transfer.c.id == tid)
                           .with_for_update()).one()
        if row.status == new_status:
            return ReceiptResult(_view(conn, tid), changed=False, events=0)
        if row.status not in OPEN_STATUSES:
            raise PolicyError(
                f"transfer {row.submission_ref} was {row.status} by the archive: it cannot "
                f"be {new_status} now (a rejected transfer's cases are delivered in a new "
                "transfer)")
        if when < legal_date(row.built_at):
            raise InvalidInputError(
                f"--date {when.isoformat()} is before the transfer was built "
                f"({legal_date(row.built_at).isoformat()})")
        now = utc_now()
        values: dict[str, Any] = {"status": new_status, "status_changed_at": now}
        if new_status == "accepted":
            values["receipt_ref"] = receipt_ref
            values["responsibility_transferred_at"] = _moment(when)
        conn.execute(sa.update(transfer).where(transfer.c.id == tid).values(**values))
        items = conn.execute(
            sa.select(case_.c.id, case_.c.dnr, transfer_package.c.package_id)
            .join(transfer_item, transfer_item.c.case_id == case_.c.id)
            .outerjoin(transfer_package, transfer_package.c.id == transfer_item.c.package_id)
            .where(transfer_item.c.transfer_id == tid, transfer_item.c.document_id.is_(None))
            .order_by(case_.c.dnr)).all()
        events: list[dict[str, Any]] = []
        for item in items:
            payload: dict[str, Any] = {"transfer_id": tid, "submission_ref": row.submission_ref,
                                       "package_id": item.package_id, "date": when.isoformat()}
            if new_status == "accepted":
                receipt = f", kvittens {receipt_ref}" if receipt_ref else ""
                text = (f"Ärende {item.dnr} mottaget av arkivet (leverans "
                        f"{row.submission_ref}{receipt})")
                payload["receipt_ref"] = receipt_ref
            else:
                text = (f"Leverans {row.submission_ref} av ärende {item.dnr} avvisad av "
                        "arkivet")
                payload["reason"] = reason
            events.append({"kind": f"transfer_{new_status}", "actor": who,
                           "organisation_id": row.organisation_id, "case_id": item.id,
                           "event_date": when, "short_text": text,
                           "detail": reason if new_status == "rejected" else None,
                           "payload": payload})
        append_events(conn, events)
        return ReceiptResult(_view(conn, tid), changed=True, events=len(events))


def accept_transfer(config: Config, package_id: str, *, receipt_ref: str | None = None,
                    on: date | None = None, actor: str | None = None) -> ReceiptResult:
    """Record the archive's acceptance (mottagande, leveranskvittens) of the transfer that
    holds package ``package_id``: status ``accepted``, the receipt reference, and
    responsibility transferred on ``on`` (default today). One ``transfer_accepted`` event
    per case, in the same transaction. Again on an accepted transfer: no change."""
    ref = receipt_ref.strip() if receipt_ref else None
    if receipt_ref is not None and not ref:
        raise UsageError("--receipt must not be empty")
    return _answer(config, package_id, new_status="accepted", on=on, actor=actor,
                   receipt_ref=ref)


def reject_transfer(config: Config, package_id: str, *, reason: str, on: date | None = None,
                    actor: str | None = None) -> ReceiptResult:
    """Record that the archive rejected the transfer holding ``package_id`` (status
    ``rejected``, a ``transfer_rejected`` event per case with the reason). Its cases may be
    packaged again. Again on a rejected transfer: no change."""
    if not reason.strip():
        raise UsageError("--reason must say why the archive rejected the transfer")
    return _answer(config, package_id, new_status="rejected", on=on, actor=actor,
                   reason=reason.strip())
