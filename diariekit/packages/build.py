"""Build transfer packages (överföringspaket, SIP) for closed cases (avslutade ärenden).

One SIP per case (or, with size/count limits, per batch of cases), per the package profile
(default FGS Paketstruktur 2.0 = E-ARK CSIP/SIP 2.1.0 with CITS ERMS 3.0), written as a
folder, a zip or a tar under ``out_dir``::

    <OBJID>/METS.xml
    <OBJID>/documentation/leveransbeskrivning.txt
    <OBJID>/metadata/preservation/premis.xml
    <OBJID>/representations/rep1/METS.xml
    <OBJID>/representations/rep1/data/erms.xml
    <OBJID>/representations/rep1/data/attachments/<ref>-<n>.<ext>
    <OBJID>/representations/rep1/metadata/preservation/premis.xml
    <OBJID>/schemas/*.xsd            (only when a schema folder is available)

How it behaves:

* **One pass per file, flat memory.** Each file is copied from the content store
  (arkivlager) while it is hashed, in 4 MiB reads, several files at a time in worker threads
  (``min(4, os.cpu_count())``; results taken in a fixed order, so the output does not depend
  on the threads); a file whose bytes no longer match its SHA-256 stops the build
  (:class:`~diariekit.files.store.CorruptObjectError`). Documents are read from the registry
  a batch at a time and the XML is streamed: ERMS records are written document by document,
  and each file's PREMIS object and METS entry as soon as it is copied (the fixed parts of
  each document come from lxml trees, so the bytes are those of one whole tree). Nothing
  per file is kept for the whole build. Data files appear in METS and PREMIS in package
  order (document order, then file order), ``erms.xml`` last.
* **Durable, then atomic.** Every package of a run is written under a hidden temporary name
  (``.<name>.part``); when all are complete, one ``syncfs`` makes them durable and each is
  renamed to its final name (the OBJID folder, or ``<OBJID>.zip`` / ``<OBJID>.tar``). A
  failed or killed run leaves no package and records nothing.
* **Resumable.** Next to each temporary package a journal (``journal.jsonl``) lists the
  files already copied and hashed, and whether the package is complete. Run again with the
  same selection, options and output folder, a build reuses what is intact and copies only
  the rest; the result has the same bytes as an uninterrupted build (see :class:`_Journal`).
* **Deterministic.** The same registry content, profile and ``created`` time give the same
  bytes (fixed order, fixed timestamps, stable ids). ``created`` defaults to the time of
  the case's last logged event (transfer events excluded), so a rebuild is identical too.
  The OBJID is ``uuid-`` + uuid5(profile namespace, organisation | dnr | created).
* **Split.** With ``max_size`` / ``max_files`` the selected cases are packed in order into
  as few packages as the limits allow, each complete and valid on its own (one ERMS
  aggregation per case); a case over a limit by itself goes alone in its package. Cases are
  never split over packages (CSIP segmentation is a later feature).
* **Recorded.** After all packages are complete, one write transaction records the transfer
  (leverans, status ``built``, one submission reference), one ``transfer_package`` per SIP
  (OBJID, file name, SHA-256 of the zip/tar or of the root METS for a folder, size),
  ``transfer_item`` rows for each case and its documents, and a ``transfer_built`` event per
  case. A package whose OBJID is already recorded is written again but not recorded twice.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import signal
import tarfile
import threading
import uuid
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit import __version__
from diariekit.cases import resolve_case
from diariekit.clock import STOCKHOLM, legal_date
from diariekit.config import Config
from diariekit.errors import ConfigError, InvalidInputError, PolicyError, UsageError
from diariekit.events import append_event, current_actor
from diariekit.files.store import CHUNK_SIZE, ContentStore, CorruptObjectError
from diariekit.organisations import organisation_id
from diariekit.packages.erms import (
    ERMS_VERSIONS,
    Attachment,
    CaseData,
    Marking,
    RecordData,
    erms_parts,
    erms_record,
)
from diariekit.packages.mets import (
    MetsFile,
    build_root_mets,
    mets_file_entry,
    representation_mets_parts,
)
from diariekit.packages.premis import (
    LogEvent,
    PremisFile,
    build_package_premis,
    format_name,
    premis_file_link,
    premis_file_object,
    representation_premis_parts,
)
from diariekit.packages.profile import AgentTemplate, Profile, load_profile
from diariekit.packages.schemas import schema_dir
from diariekit.packages.validate import mime_ok
from diariekit.parallel import ordered_map
from diariekit.plans.retention import (
    Action,
    Trigger,
    add_period,
    parse_delivery,
    parse_retention,
)
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import (
    case_,
    document,
    event,
    file,
    new_id,
    organisation,
    plan,
    plan_class,
    plan_version,
    record_type,
    secrecy_marking,
    series,
    transfer,
    transfer_item,
    transfer_package,
)
from diariekit.registry.session import open_registry

__all__ = [
    "FORMATS",
    "BuildResult",
    "BuiltPackage",
    "Selection",
    "build_case_packages",
    "group_cases",
    "package_id",
    "parse_created",
    "parse_size",
]

FORMATS = ("dir", "zip", "tar")
REP = "rep1"
CLOSED_STATUSES = ("closed", "written_off", "forwarded")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Selection:
    """Which closed cases to package (urval): series, class, closing dates, delivery
    deadline (leveransfrist) passed by a date, or named cases (``--case``).

    Named cases are taken as given (they must be closed); otherwise cases already in a
    transfer that was not rejected are left out unless ``include_transferred``.
    """

    series: str | None = None
    class_code: str | None = None
    closed_from: date | None = None
    closed_to: date | None = None
    delivery_due_by: date | None = None
    cases: tuple[str, ...] = ()
    include_transferred: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"series": self.series, "class": self.class_code,
                "closed_from": _iso(self.closed_from), "closed_to": _iso(self.closed_to),
                "delivery_due_by": _iso(self.delivery_due_by), "cases": list(self.cases),
                "include_transferred": self.include_transferred}


@dataclass(frozen=True)
class BuiltPackage:
    """One finished SIP (överföringspaket) of a build: ``dnr`` is its (first) case,
    ``cases`` all its cases; ``oversize`` marks a case alone in its package because it is
    over the size/count limit by itself; ``reused_files`` counts data files taken from an
    interrupted earlier run (resume journal) instead of being copied again."""

    dnr: str
    package_id: str
    path: Path
    format: str
    sha256: str
    size: int
    documents: int
    files: int
    created: datetime
    recorded: bool = True
    cases: tuple[str, ...] = ()
    oversize: bool = False
    data_bytes: int = 0
    reused_files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.dnr, "cases": list(self.cases or (self.dnr,)),
                "package_id": self.package_id, "path": str(self.path),
                "format": self.format, "sha256": self.sha256, "size": self.size,
                "documents": self.documents, "files": self.files,
                "data_bytes": self.data_bytes, "created": self.created.isoformat(),
                "recorded": self.recorded, "oversize": self.oversize,
                "reused_files": self.reused_files}


@dataclass(frozen=True)
class BuildResult:
    """The outcome of :func:`build_case_packages`: the transfer (leverans) and its SIPs."""

    transfer_id: str | None
    submission_ref: str | None
    profile: str
    packages: tuple[BuiltPackage, ...] = ()
    selection: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    limits: dict[str, int | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"transfer_id": self.transfer_id, "submission_ref": self.submission_ref,
                "profile": self.profile, "selection": self.selection,
                "limits": self.limits, "notes": list(self.notes),
                "packages": [p.to_dict() for p in self.packages]}


@dataclass(frozen=True)
class _CaseHead:
    """A case as a package needs it before its documents are streamed."""

    case: CaseData
    events: list[LogEvent]
    doc_ids: list[str]


def parse_created(text: str) -> datetime:
    """``--date``: ISO date (midnight in Sweden) or date-time (naive = Swedish time)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=STOCKHOLM)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date expects YYYY-MM-DD or an ISO date-time, got '{text}'") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=STOCKHOLM)
    return value


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _safe(text: str) -> str:
    return _SAFE.sub("_", text).strip("_") or "x"


def _schema_dir(given: Path | None) -> Path | None:
    """The folder of official schemas: ``given``, else :func:`schemas.schema_dir`."""
    return schema_dir(given)


# --- selecting and reading cases -------------------------------------------------------------


def _select_cases(conn: Connection, oid: str, sel: Selection) -> list[str]:
    if sel.cases:
        ids: list[str] = []
        for text in sel.cases:
            ref = resolve_case(conn, oid, text)
            status = conn.execute(sa.select(case_.c.status).where(case_.c.id == ref.id)
                                  ).scalar_one()
            if status not in CLOSED_STATUSES:
                raise PolicyError(f"case {ref.dnr} is {status}: only closed cases "
                                  "(avslutade ärenden) are packaged for transfer")
            if ref.id not in ids:
                ids.append(ref.id)
        return ids
    q = (sa.select(case_.c.id).join(series, series.c.id == case_.c.series_id)
         .where(case_.c.organisation_id == oid, case_.c.status.in_(CLOSED_STATUSES),
                case_.c.closed_at.is_not(None))
         .order_by(series.c.code, case_.c.year, case_.c.number))
    if sel.series:
        q = q.where(series.c.code == sel.series)
    if sel.class_code:
        q = q.where(sa.or_(case_.c.class_code == sel.class_code,
                           case_.c.class_code.like(sel.class_code + ".%")))
    if sel.closed_from:
        q = q.where(case_.c.closed_at >= sel.closed_from)
    if sel.closed_to:
        q = q.where(case_.c.closed_at <= sel.closed_to)
    if not sel.include_transferred:
        q = q.where(~sa.exists().where(
            transfer_item.c.case_id == case_.c.id, transfer.c.id == transfer_item.c.transfer_id,
            transfer.c.status != "rejected"))
    ids = [str(r) for r in conn.execute(q).scalars()]
    if sel.delivery_due_by:
        ids = [i for i in ids if _delivery_due(conn, i, sel.delivery_due_by)]
    return ids


def _delivery_due(conn: Connection, case_id: str, by: date) -> bool:
    """True when a document of the case has passed its delivery deadline (leveransfrist) by
    ``by``: the stored ``delivery_due``, else computed from the plan row's delivery rule
    (counted from the document date, or from the closing date for ``case_closed``)."""
    rows = conn.execute(
        sa.select(document.c.delivery_due, document.c.date_received, document.c.date_drawn_up,
                  document.c.registered_at, record_type.c.delivery_raw, case_.c.closed_at)
        .join(case_, case_.c.id == document.c.case_id)
        .outerjoin(record_type, record_type.c.id == document.c.record_type_id)
        .where(document.c.case_id == case_id, document.c.status != "voided")).all()
    for r in rows:
        due = r.delivery_due
        if due is None and r.delivery_raw:
            rule = parse_delivery(r.delivery_raw)
            if rule.recognised and not rule.never and rule.period is not None:
                start = (r.closed_at if rule.trigger == Trigger.CASE_CLOSED else
                         r.date_received or r.date_drawn_up or legal_date(r.registered_at))
                if start is not None:
                    try:
                        due = add_period(start, rule.period, rule.rounding)
                    except ValueError:
                        due = None
        if due is not None and due <= by:
            return True
    return False


_MARKINGS_BATCH = 500  # target ids per query (well under SQLite's bound-parameter limit)


def _markings(conn: Connection, targets: Iterable[tuple[str, str]]) -> list[Marking]:
    """Active secrecy markings of the targets, target by target in the given order, each
    target's by (marked on, provision); one query per kind of target and batch of ids."""
    wanted = list(targets)
    found: dict[tuple[str, str], list[Marking]] = {}
    ids_by_kind: dict[str, list[str]] = {}
    for target, target_id in wanted:
        ids_by_kind.setdefault(target, []).append(target_id)
    for target, ids in ids_by_kind.items():
        for k in range(0, len(ids), _MARKINGS_BATCH):
            rows = conn.execute(
                sa.select(secrecy_marking, organisation.c.name.label("authority"))
                .join(organisation,
                      organisation.c.id == secrecy_marking.c.marking_authority_id)
                .where(secrecy_marking.c.target == target,
                       secrecy_marking.c.target_id.in_(ids[k:k + _MARKINGS_BATCH]),
                       secrecy_marking.c.revoked_at.is_(None))
                .order_by(secrecy_marking.c.marked_on, secrecy_marking.c.provision)).all()
            for r in rows:
                found.setdefault((target, r.target_id), []).append(
                    Marking(target, r.provision, r.marked_on, r.authority, r.max_until))
    out: list[Marking] = []
    for key in wanted:
        out.extend(found.get(key, ()))
    return out


def _class_title(conn: Connection, oid: str, code: str | None) -> tuple[str | None, str | None]:
    if not code:
        return None, None
    row = conn.execute(
        sa.select(plan_class.c.title, plan_version.c.scheme)
        .join(plan_version, plan_version.c.id == plan_class.c.plan_version_id)
        .join(plan, plan.c.id == plan_version.c.plan_id)
        .where(plan.c.organisation_id == oid, plan_class.c.code == code)
        .order_by(plan_version.c.valid_from.desc(), plan_version.c.imported_at.desc())
        .limit(1)).first()
    return (row.title, row.scheme) if row else (None, None)


def _record(conn: Connection, d: Any, closed: date | None) -> tuple[RecordData, list[str]]:
    protected = [p for p in (d.description_protected, d.counterpart_protected) if p]
    rt = None
    pv = None
    if d.record_type_id:
        rt = conn.execute(sa.select(record_type).where(record_type.c.id == d.record_type_id)
                          ).first()
        if rt is not None:
            pv = conn.execute(sa.select(plan_version)
                              .where(plan_version.c.id == rt.plan_version_id)).first()
    files = conn.execute(sa.select(file).where(file.c.document_id == d.id)
                         .order_by(file.c.variant, file.c.filename, file.c.sha256, file.c.id)
                         ).all()
    marks = _markings(conn, [(t, d.id) for t in ("document", "description", "counterpart")])
    marks += _markings(conn, [("file", f.id) for f in files])
    attachments = []
    for n, f in enumerate(files, start=1):
        suffix = _safe(Path(f.filename).suffix.lower()) if Path(f.filename).suffix else ""
        name = f"{_safe(d.ref)}-{n}{'.' + suffix.lstrip('.') if suffix else ''}"
        # libmagic's own types (inode/x-empty for an empty file) are not IANA media types
        mime = f.mime if f.mime and mime_ok(f.mime) else "application/octet-stream"
        attachments.append(Attachment(
            file_id=f.id, sha256=f.sha256, size=int(f.size), name=name,
            original_name=name if marks else f.filename, mime=mime, puid=f.pronom_puid,
            format_name=format_name(f.pronom_puid, mime), variant=f.variant))
    if rt is not None:
        rule = parse_retention(rt.retention_raw)
        retention_text = rule.describe()
        disposable = rule.recognised and rule.action == Action.DISPOSE
        legal = rt.legal_basis
        schedule = None
        if pv is not None:
            schedule = f"{pv.title}, version {pv.version}"
            if pv.adoption_ref:
                schedule += f" ({pv.adoption_ref})"
                if legal is None and pv.legal_model == "plan_is_decision":
                    legal = f"Beslut {pv.adoption_ref}"
    else:
        retention_text = "bevaras (handlingstyp saknas)"
        disposable = False
        legal = None
        schedule = None
    rec = RecordData(
        id=d.id, ref=d.ref, seq=d.seq, title=d.description, document_type=d.document_type,
        direction=d.direction, counterpart=d.counterpart, date_received=d.date_received,
        date_drawn_up=d.date_drawn_up, date_dispatched=d.date_dispatched,
        registered_at=d.registered_at, record_type=rt.name if rt is not None else None,
        row_ref=rt.row_ref if rt is not None else None,
        retention_raw=rt.retention_raw if rt is not None else None,
        retention_text=retention_text, disposable=disposable, legal_basis=legal,
        schedule_id=schedule, retention_due=d.retention_due, retention_start=closed,
        markings=tuple(marks),
        attachments=tuple(attachments))
    return rec, protected


def _case_head(conn: Connection, config: Config, org_code: str, oid: str,
               case_id: str) -> _CaseHead:
    """The case without its documents (loaded document by document while the package is
    written), its logged events and the ids of its documents in package order."""
    c = conn.execute(sa.select(case_, series.c.code.label("series_code"))
                     .join(series, series.c.id == case_.c.series_id)
                     .where(case_.c.id == case_id)).one()
    org = conn.execute(sa.select(organisation).where(organisation.c.id == oid)).one()
    municipality = config.organisation(org_code).municipality
    class_title, scheme = _class_title(conn, oid, c.class_code)
    doc_ids = [str(i) for i in conn.execute(
        sa.select(document.c.id).where(document.c.case_id == case_id,
                                       document.c.status != "voided")
        .order_by(document.c.seq, document.c.ref)).scalars()]
    where = event.c.case_id == case_id
    if doc_ids:
        where = sa.or_(where, event.c.document_id.in_(
            sa.select(document.c.id).where(document.c.case_id == case_id,
                                           document.c.status != "voided")))
    events = [LogEvent(e.id, e.kind, e.at, e.actor, e.short_text) for e in conn.execute(
        sa.select(event.c.id, event.c.kind, event.c.at, event.c.actor, event.c.short_text)
        .where(where, event.c.kind.not_in(_PACKAGE_NEUTRAL_EVENTS)).order_by(event.c.seq))]
    data = CaseData(
        id=c.id, dnr=c.dnr, series=c.series_code, title=c.title, class_code=c.class_code,
        class_title=class_title, status=c.status, opened_at=c.opened_at, closed_at=c.closed_at,
        officer=c.officer, unit=c.unit, org_code=org_code, org_name=org.name,
        org_number=org.orgnr, archive_creator_id=org.archive_creator_id,
        municipality=municipality, scheme=scheme,
        markings=tuple(_markings(conn, [("case_title", case_id)])), records=(),
        protected=tuple(p for p in (c.title_protected, c.person_ref) if p))
    return _CaseHead(data, events, doc_ids)


_DOCS_BATCH = 200


def _iter_records(conn: Connection, head: _CaseHead) -> Iterator[tuple[RecordData, list[str]]]:
    """The case's documents as ERMS records (with their files), a batch of rows at a time,
    in package order; with each, its protected strings (skyddade uppgifter)."""
    ids = head.doc_ids
    for k in range(0, len(ids), _DOCS_BATCH):
        batch = ids[k:k + _DOCS_BATCH]
        rows = {r.id: r for r in conn.execute(sa.select(document)
                                              .where(document.c.id.in_(batch)))}
        for doc_id in batch:
            yield _record(conn, rows[doc_id], head.case.closed_at)


#: Events that do not change what a package holds: building (and the archive accepting) the
#: same case again gives the same bytes. A rejection does count, so that a case the archive
#: sent back gets a new package (a new OBJID) the next time it is built.
_PACKAGE_NEUTRAL_EVENTS = ("transfer_built", "transfer_accepted")


def _load_case(conn: Connection, config: Config, org_code: str, oid: str,
               case_id: str) -> tuple[CaseData, list[LogEvent]]:
    """The whole case with its documents in memory (small cases, other callers)."""
    head = _case_head(conn, config, org_code, oid, case_id)
    records = []
    protected = list(head.case.protected)
    for rec, secret in _iter_records(conn, head):
        records.append(rec)
        protected += secret
    return replace(head.case, records=tuple(records),
                   protected=tuple(sorted(set(protected)))), head.events


def _default_created(case: CaseData, events: Sequence[LogEvent]) -> datetime:
    if events:
        return max(e.at for e in events).astimezone(STOCKHOLM).replace(microsecond=0)
    day = case.closed_at or case.opened_at
    return datetime.combine(day, time(0, 0), tzinfo=STOCKHOLM)


def package_id(profile: Profile, case: CaseData | Sequence[CaseData], created: datetime) -> str:
    """OBJID: the profile's ``objid_template`` filled and made file-name safe (e.g.
    ``"{org_code}-{dnr}-{date}"``), else ``uuid-`` + uuid5(profile namespace,
    organisation | dnr | created). A package of several cases (a batch) uses all their
    registration numbers (diarienummer), joined with ``+``."""
    cases = [case] if isinstance(case, CaseData) else list(case)
    first = cases[0]
    dnr = "+".join(c.dnr for c in cases)
    if profile.objid_template:
        values = {**first.template_values(), "dnr": dnr, "date": created.date().isoformat(),
                  "created": created.strftime("%Y%m%dT%H%M%S")}
        text = _safe(profile.objid_template.format_map(_Blank(values)))
        return text if text[:1].isalpha() or text[:1] == "_" else f"id-{text}"
    org = first.org_number or first.org_code
    name = f"{org}|{first.org_code}|{dnr}|{created.isoformat()}"
    return f"uuid-{uuid.uuid5(profile.objid_namespace, name)}"


# --- writing one package ---------------------------------------------------------------------

COPY_BUFFER = 4 << 20  # bytes per read: large, so hashing and copying release the GIL long
_buffers = threading.local()
_FADVISE = getattr(os, "posix_fadvise", None)


def _buffer() -> memoryview:
    view: memoryview | None = getattr(_buffers, "view", None)
    if view is None:
        view = memoryview(bytearray(COPY_BUFFER))
        _buffers.view = view
    return view


def _link_from_store(store: ContentStore, sha256: str, dest: Path) -> tuple[str, int] | None:
    """Hard-link one object to ``dest`` after reading it once to verify its hash; None when
    the file system cannot link it (another device, no permission): then it is copied."""
    digest = hashlib.sha256()
    size = 0
    view = _buffer()
    with store.open(sha256) as opened:
        src = cast(io.BufferedReader, opened)
        while count := src.readinto(view):
            digest.update(view[:count])
            size += count
    got = digest.hexdigest()
    if got != sha256:
        raise CorruptObjectError(f"stored object {sha256} reads back as {got}: the content "
                                 "store is damaged; run a store check before transferring")
    try:
        # A file left by an interrupted run (not in its journal) is replaced, as a copy
        # would overwrite it.
        dest.unlink(missing_ok=True)
        os.link(store.path_for(sha256), dest)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EACCES):
            return None
        raise
    return got, size


def _copy_from_store(store: ContentStore, sha256: str, dest: Path,
                     link: bool = False) -> tuple[str, int]:
    """Copy one object to ``dest`` while hashing it (one pass); return (sha256, size).

    With ``link``, hard-link it instead (verified by one read), where the file system allows.
    """
    if link:
        linked = _link_from_store(store, sha256, dest)
        if linked is not None:
            return linked
    digest = hashlib.sha256()
    size = 0
    view = _buffer()
    with store.open(sha256) as opened, open(dest, "wb", buffering=0) as out:
        src = cast(io.BufferedReader, opened)
        while count := src.readinto(view):
            chunk = view[:count]
            digest.update(chunk)
            out.write(chunk)
            size += count
        if _FADVISE is not None and size:
            # start writing the copy to disk now (does not wait), so that the final sync
            # overlaps with the copying instead of following it
            _FADVISE(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    got = digest.hexdigest()
    if got != sha256:
        raise CorruptObjectError(f"stored object {sha256} reads back as {got}: the content "
                                 "store is damaged; run a store check before transferring")
    return got, size


class _HashingFile:
    """A file written once, front to back, hashed on the way (no second read)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(path, "wb", buffering=CHUNK_SIZE)  # noqa: SIM115
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self._digest.update(data)
        self.size += len(data)

    def copy_from(self, fragment: BinaryIO) -> None:
        fragment.flush()
        fragment.seek(0)
        while chunk := fragment.read(CHUNK_SIZE):
            self.write(chunk)

    def close(self) -> MetsFile:
        self._out.close()
        return MetsFile(href="", size=self.size, sha256=self._digest.hexdigest(),
                        mime="text/xml")


def _write(path: Path, data: bytes) -> MetsFile:
    out = _HashingFile(path)
    out.write(data)
    return out.close()


def _with(f: MetsFile, href: str, mime: str | None = None, **kw: Any) -> MetsFile:
    return MetsFile(href=href, size=f.size, sha256=f.sha256, mime=mime or f.mime, **kw)


def _agents(profile: Profile, values: dict[str, str]) -> list[tuple[str, str, AgentTemplate]]:
    out: list[tuple[str, str, AgentTemplate]] = []
    if profile.archivist:
        out.append(("ARCHIVIST", "ORGANIZATION", profile.archivist.fill(values)))
    out.append(("CREATOR", "ORGANIZATION", profile.submitter.fill(values)))
    if profile.contact:
        out.append(("CREATOR", "INDIVIDUAL", profile.contact.fill(values)))
    if profile.preservation:
        out.append(("PRESERVATION", "ORGANIZATION", profile.preservation.fill(values)))
    return out


def _description(cases: Sequence[CaseData], objid: str, profile: Profile, created: datetime,
                 documents: int, files: int) -> bytes:
    first = cases[0]
    lines = [
        "Leveransbeskrivning (delivery description)",
        f"Paket (package): {objid}",
        *(f"Ärende (case): {c.dnr} {c.title}" for c in cases),
        f"Arkivbildare (archival creator): {first.org_name}"
        + (f" ({first.org_number})" if first.org_number else ""),
        f"Handlingar (records): {documents}, filer (files): {files}",
        f"Profil (profile): {profile.title}",
        f"Skapat av (created by): {profile.software_name} {__version__}, {created.isoformat()}",
        "Sekretess: skyddade uppgifter (OSL 5 kap. 2 §) ingår inte i metadata; "
        "sekretessmarkeringar finns som restriction i erms.xml.",
    ]
    if len(cases) > 1:
        lines.insert(2, f"Ärenden (cases): {len(cases)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


# --- the resume journal ----------------------------------------------------------------------

_KILL_ENV = "DIARIEKIT_TEST_KILL_AFTER_FILES"


def _kill_after() -> int | None:
    """Tests only: the number of files copied after which the build process kills itself
    (SIGKILL, as an interrupted build); read here and nowhere else."""
    value = os.environ.get(_KILL_ENV)
    return int(value) if value and value.isdigit() else None


class _Journal:
    """The resume journal (``journal.jsonl``) next to a package being written.

    First line: the build key (a SHA-256 over what the package is made of: OBJID, format,
    profile, creation time, the cases' documents, files and logged events, the diariekit
    version; so a case changed in the registry since the interrupted run is built from
    scratch). Then one line per data file copied, in package order: name, SHA-256 and size,
    flushed (not fsynced) as soon as the file is written. Last, a ``complete`` line when the
    package (folder or archive) is finished. An interrupted build, run again with the same
    selection, reuses the entries whose file is still there with that size (a prefix: the
    first entry that does not match, and all after it, are dropped and copied again), or the
    whole package when it is complete. A journal with another key is discarded with its
    temporary folder. It guards against a killed process (the page cache survives); after a
    power loss, files are checked by size only.
    """

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self.reused = 0
        self.complete: dict[str, Any] | None = None
        self.fresh = False
        self._reader: BinaryIO | None = None
        self._out: BinaryIO | None = None
        header = json.dumps({"key": key}).encode() + b"\n"
        try:
            reader = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            reader = None
        if reader is not None and reader.readline() == header:
            self._reader = reader
            last = b""
            for line in reader:
                last = line
            if last.startswith(b'{"complete"') and last.endswith(b"\n"):
                self.complete = json.loads(last)["complete"]
            reader.seek(len(header))
        else:
            if reader is not None:
                reader.close()
            self.fresh = True
            self._out = open(path, "wb")  # noqa: SIM115
            self._out.write(header)
            self._out.flush()

    def take(self, name: str, sha256: str, dest: Path) -> int | None:
        """The size of a file already copied by an earlier run and still intact, else None
        (and from then on, nothing more is reused)."""
        if self._reader is None:
            return None
        pos = self._reader.tell()
        line = self._reader.readline()
        try:
            entry = json.loads(line) if line.endswith(b"\n") else {}
        except ValueError:
            entry = {}
        if isinstance(entry, dict) and entry.get("n") == name and entry.get("sha") == sha256:
            try:
                if os.stat(dest).st_size == entry.get("size"):
                    self.reused += 1
                    return int(entry["size"])
            except OSError:
                pass
        self._stop(pos)
        return None

    def _stop(self, pos: int) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
            os.truncate(self.path, pos)
        if self._out is None:
            self._out = open(self.path, "ab")  # noqa: SIM115

    def add(self, name: str, sha256: str, size: int) -> None:
        if self._out is None:
            self._stop(self._reader.tell() if self._reader else 0)
        assert self._out is not None
        self._out.write(json.dumps({"n": name, "sha": sha256, "size": size}).encode() + b"\n")
        self._out.flush()

    def files_done(self) -> None:
        """All data files are in place: drop any stale entries after the reused ones."""
        if self._reader is not None:
            self._stop(self._reader.tell())

    def finish(self, info: dict[str, Any]) -> None:
        self.files_done()
        assert self._out is not None
        self._out.write(json.dumps({"complete": info}).encode() + b"\n")
        self._out.flush()
        os.fsync(self._out.fileno())
        self.complete = info

    def close(self) -> None:
        for handle in (self._reader, self._out):
            if handle is not None:
                handle.close()
        self._reader = self._out = None


# --- one package -----------------------------------------------------------------------------


@dataclass
class _Counts:
    documents: int = 0
    files: int = 0
    data_bytes: int = 0
    killed_after: int | None = None
    copied: int = 0
    protected: list[str] = field(default_factory=list)


def _write_tree(conn: Connection, folder: Path, work: Path, heads: Sequence[_CaseHead],
                profile: Profile, store: ContentStore, objid: str, created: datetime,
                schema_dir: Path | None, journal: _Journal, link: bool = False) -> _Counts:
    """Write the package folder, streaming: ERMS records document by document, data files
    copied and hashed in worker threads, their METS/PREMIS entries written as they come
    (in package order) to the PREMIS file and to a fragment of the METS, so memory does not
    grow with the number of files."""
    software = f"{profile.software_name} {__version__}"
    when = created.isoformat()
    rep_dir = folder / "representations" / REP
    attach_dir = rep_dir / "data" / "attachments"
    attach_dir.mkdir(parents=True, exist_ok=True)
    cases = [h.case for h in heads]
    counts = _Counts(killed_after=_kill_after())
    erms_out = _HashingFile(rep_dir / "data" / "erms.xml")
    erms_pieces = erms_parts(cases, created=created, software=software,
                             maintenance_status=profile.erms_maintenance_status,
                             version=profile.erms_version)
    premis_head, premis_middle, premis_tail = representation_premis_parts(
        rep=REP, created=created, software=profile.software_name, version=__version__)
    premis_out = _HashingFile(rep_dir / "metadata" / "preservation" / "premis.xml")
    premis_out.write(premis_head)

    def attachments() -> Generator[tuple[Attachment, int | None], None, None]:
        """Documents in order, each written to ERMS; their files, each with the size an
        earlier run already copied it with (resume), else None."""
        for n, head in enumerate(heads):
            erms_out.write(erms_pieces[n])
            for rec, secret in _iter_records(conn, head):
                counts.documents += 1
                counts.protected += secret
                erms_out.write(erms_record(rec, profile.erms_version))
                for att in rec.attachments:
                    yield att, journal.take(att.name, att.sha256, attach_dir / att.name)
        erms_out.write(erms_pieces[-1])

    def copy(item: tuple[Attachment, int | None]) -> tuple[Attachment, str, int, bool]:
        att, reused = item
        if reused is not None:
            return att, att.sha256, reused, True
        sha, size = _copy_from_store(store, att.sha256, attach_dir / att.name, link)
        return att, sha, size, False

    with open(work / "links.part", "w+b") as links, \
            open(work / "mets-files.part", "w+b") as mets_files:
        def entry(f: MetsFile, original_name: str) -> None:
            premis_out.write(premis_file_object(PremisFile(
                f.href, f.sha256, f.size, f.puid, f.format_name or f.mime,
                original_name)).encode("utf-8"))
            links.write(premis_file_link(f.href).encode("utf-8"))
            mets_files.write(mets_file_entry(REP, f, when).encode("utf-8"))

        items = attachments()
        with closing(items), closing(ordered_map(copy, items)) as copied:
            for att, sha, size, reused in copied:
                if not reused:
                    journal.add(att.name, sha, size)
                    counts.copied += 1
                    if counts.killed_after is not None and counts.copied >= counts.killed_after:
                        os.kill(os.getpid(), signal.SIGKILL)
                counts.files += 1
                counts.data_bytes += size
                entry(MetsFile(att.data_path, size, sha, att.mime, att.format_name, att.puid),
                      att.original_name)
        journal.files_done()
        erms = erms_out.close()
        xml_name = format_name("fmt/101", "Extensible Markup Language")
        entry(_with(erms, "data/erms.xml", format_name=xml_name, puid="fmt/101"), "erms.xml")
        premis_out.write(premis_middle)
        premis_out.copy_from(links)
        premis_out.write(premis_tail)
        rep_premis = premis_out.close()
        mets_head, mets_tail = representation_mets_parts(
            profile, rep=REP, created=created, version=__version__,
            premis=_with(rep_premis, "metadata/preservation/premis.xml"))
        rep_mets_out = _HashingFile(rep_dir / "METS.xml")
        rep_mets_out.write(mets_head)
        rep_mets_out.copy_from(mets_files)
        rep_mets_out.write(mets_tail)
        rep_mets = rep_mets_out.close()
    (work / "links.part").unlink()
    (work / "mets-files.part").unlink()

    doc = _write(folder / "documentation" / "leveransbeskrivning.txt",
                 _description(cases, objid, profile, created, counts.documents, counts.files))
    documentation = [_with(doc, "documentation/leveransbeskrivning.txt", "text/plain")]
    schemas: list[MetsFile] = []
    if schema_dir is not None:
        for rel in profile.schemas:
            source = schema_dir / rel
            if not source.is_file():
                continue
            written = _write(folder / "schemas" / source.name, source.read_bytes())
            schemas.append(_with(written, f"schemas/{source.name}"))
    first = cases[0]
    events = [e for h in heads for e in h.events]
    protected = sorted({*counts.protected, *(p for c in cases for p in c.protected)})
    root_premis = _write(folder / "metadata" / "preservation" / "premis.xml",
                         build_package_premis(objid=objid, created=created,
                                              software=profile.software_name,
                                              version=__version__, org_name=first.org_name,
                                              org_number=first.org_number, events=events,
                                              protected=protected))
    values = first.template_values()
    if len(cases) > 1:
        values["dnr"] = ""
        if len({c.series for c in cases}) > 1:
            values["series"] = ""
    agreement = (profile.submission_agreement.format_map(_Blank(values))
                 if profile.submission_agreement else None)
    reference = (profile.reference_code.format_map(_Blank(values)).strip("/")
                 if profile.reference_code else None)
    label = (f"{first.dnr} {first.title}" if len(cases) == 1 else
             f"{first.dnr} – {cases[-1].dnr} ({len(cases)} ärenden)")
    _write(folder / "METS.xml", build_root_mets(
        profile, objid=objid, label=label, created=created,
        version=__version__, agents=_agents(profile, values),
        submission_agreement=agreement or None, reference_code=reference or None,
        premis=_with(root_premis, "metadata/preservation/premis.xml"),
        documentation=documentation, schemas=schemas, rep=REP,
        rep_mets=_with(rep_mets, f"representations/{REP}/METS.xml")))
    return counts


def _entries(folder: Path) -> list[tuple[str, Path]]:
    """All paths under ``folder`` as (``<folder name>/relative``, path), sorted."""
    out = [(folder.name, folder)]
    for path in folder.rglob("*"):
        out.append((f"{folder.name}/{path.relative_to(folder).as_posix()}", path))
    return sorted(out)


def _write_zip(folder: Path, target: Path, created: datetime) -> None:
    local = created.astimezone(STOCKHOLM)
    stamp = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    stamp = max(stamp, _ZIP_EPOCH)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, path in _entries(folder):
            if path.is_dir():
                info = zipfile.ZipInfo(name + "/", date_time=stamp)
                info.external_attr = (0o40755 << 16) | 0x10
                info.create_system = 3
                zf.writestr(info, b"")
                continue
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = path.stat().st_size
            with open(path, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, CHUNK_SIZE)


def _write_tar(folder: Path, target: Path, created: datetime) -> None:
    mtime = int(created.timestamp())
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tf:
        for name, path in _entries(folder):
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path.is_dir():
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tf.addfile(info)
                continue
            info.mode = 0o644
            info.size = path.stat().st_size
            with open(path, "rb") as src:
                tf.addfile(info, src)


def _sha256_size(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _tree_size(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            total += os.stat(os.path.join(dirpath, name)).st_size
    return total


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_filesystem(folder: Path) -> None:
    """Make everything written under ``folder`` durable: one ``syncfs`` of its file system
    (instead of an fsync per file, which costs more than the copy with many small files);
    where ``syncfs`` is missing, fsync every file and folder."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        syncfs = None
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


@dataclass
class _Pending:
    """A package written under its temporary name, not yet renamed."""

    built: BuiltPackage
    source: Path | None  # None: already under its final name
    work: Path
    cases: list[tuple[str, str, list[str]]]  # (case id, dnr, document ids)


def _files_digest(conn: Connection, case_id: str) -> str:
    """SHA-256 over the case's documents and their files (ids and checksums), in order."""
    digest = hashlib.sha256()
    rows = conn.execute(
        sa.select(document.c.id, file.c.id, file.c.sha256)
        .join(file, file.c.document_id == document.c.id)
        .where(document.c.case_id == case_id, document.c.status != "voided")
        .order_by(document.c.id, file.c.id).execution_options(yield_per=2000))
    for doc_id, file_id, sha in rows:
        digest.update(f"{doc_id}|{file_id}|{sha}\n".encode())
    return digest.hexdigest()


def _build_key(conn: Connection, objid: str, fmt: str, profile: Profile, created: datetime,
               heads: Sequence[_CaseHead], schema_dir: Path | None) -> str:
    """What a package is made of, for the resume journal: any change to the cases (every
    registry change logs an event: a new marking, an edited title …), their documents or
    files, or to the options gives another key, and nothing of an older run is reused."""
    text = json.dumps({"objid": objid, "format": fmt, "profile": profile.id,
                       "profile_source": profile.source, "created": created.isoformat(),
                       "cases": [h.case.id for h in heads],
                       "documents": [hashlib.sha256("|".join(h.doc_ids).encode()).hexdigest()
                                     for h in heads],
                       "events": [hashlib.sha256("|".join(e.id for e in h.events).encode())
                                  .hexdigest() for h in heads],
                       "files": [_files_digest(conn, h.case.id) for h in heads],
                       "schemas": str(schema_dir) if schema_dir else None,
                       "version": __version__}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _rejected_package(conn: Connection, objid: str) -> bool:
    """Whether ``objid`` is a package of a transfer the archive rejected."""
    return conn.execute(
        sa.select(sa.func.count()).select_from(transfer_package)
        .join(transfer, transfer.c.id == transfer_package.c.transfer_id)
        .where(transfer_package.c.package_id == objid, transfer.c.status == "rejected")
    ).scalar_one() > 0


def _build_package(conn: Connection, heads: Sequence[_CaseHead], profile: Profile,
                   store: ContentStore, out_dir: Path, fmt: str, created: datetime | None,
                   schema_dir: Path | None, oversize: bool, link: bool = False) -> _Pending:
    cases = [h.case for h in heads]
    when = created or max(_default_created(h.case, h.events) for h in heads)
    objid = package_id(profile, cases if len(cases) > 1 else cases[0], when)
    while created is None and _rejected_package(conn, objid):
        # The archive sent back a package with this id (its rejection fell in the same
        # second as the case's last event): the new package is one second later, so it
        # gets an id of its own, still the same on every rebuild.
        when += timedelta(seconds=1)
        objid = package_id(profile, cases if len(cases) > 1 else cases[0], when)
    final = out_dir / (objid if fmt == "dir" else f"{objid}.{fmt}")
    work = out_dir / f".{final.name}.part"
    key = _build_key(conn, objid, fmt, profile, when, heads, schema_dir)
    if final.exists():
        renamed = _renamed_before(work, key, final, fmt)
        if renamed is None:
            raise PolicyError(f"{final} already exists: remove it or build into another "
                              "folder")
        # an earlier run of this build was stopped while renaming: this one is in place
        return _pending(renamed, heads, objid, final, fmt, when, oversize, None, work)
    work.mkdir(exist_ok=True)
    journal = _Journal(work / "journal.jsonl", key)
    if journal.fresh:
        # a new journal: anything else left in the folder is from another build
        for child in work.iterdir():
            if child.name != "journal.jsonl":
                _remove(child)
    tree = work / objid
    archive = work / f"{objid}.{fmt}"
    try:
        info = journal.complete
        source = tree if fmt == "dir" else archive
        if info is None or not source.exists():
            if info is not None:  # complete, but the output is gone: start over
                journal.close()
                _remove(work / "journal.jsonl")
                journal = _Journal(work / "journal.jsonl", key)
            tree.mkdir(exist_ok=True)
            # The folder is the package only for --format dir; for zip and tar it is a
            # temporary stage, which may share the store's files (the archive is the copy).
            counts = _write_tree(conn, tree, work, heads, profile, store, objid, when,
                                 schema_dir, journal, link=link or fmt != "dir")
            if fmt == "dir":
                sha, _ = _sha256_size(tree / "METS.xml")
                size = _tree_size(tree)
            else:
                (_write_zip if fmt == "zip" else _write_tar)(tree, archive, when)
                sha, size = _sha256_size(archive)
            info = {"sha256": sha, "size": size, "documents": counts.documents,
                    "files": counts.files, "data_bytes": counts.data_bytes,
                    "reused_files": journal.reused}
            journal.finish(info)
            if fmt != "dir":
                _remove(tree)
        else:
            info = {**info, "reused_files": info["files"]}
    finally:
        journal.close()
    return _pending(info, heads, objid, final, fmt, when, oversize, source, work)


def _pending(info: dict[str, Any], heads: Sequence[_CaseHead], objid: str, final: Path,
             fmt: str, when: datetime, oversize: bool, source: Path | None,
             work: Path) -> _Pending:
    built = BuiltPackage(dnr=heads[0].case.dnr, package_id=objid, path=final, format=fmt,
                         sha256=str(info["sha256"]), size=int(info["size"]),
                         documents=int(info["documents"]), files=int(info["files"]),
                         created=when, cases=tuple(h.case.dnr for h in heads),
                         oversize=oversize, data_bytes=int(info["data_bytes"]),
                         reused_files=int(info.get("reused_files", info["files"])))
    return _Pending(built, source, work, [(h.case.id, h.case.dnr, h.doc_ids) for h in heads])


def _renamed_before(work: Path, key: str, final: Path, fmt: str) -> dict[str, Any] | None:
    """The journal's record of ``final`` when an earlier run of the same build completed it
    and renamed it but was stopped before it removed its temporary folder; else None."""
    try:
        lines = (work / "journal.jsonl").read_bytes().splitlines()
    except OSError:
        return None
    if not lines or lines[0] != json.dumps({"key": key}).encode():
        return None
    if not lines[-1].startswith(b'{"complete"'):
        return None
    info: dict[str, Any] = json.loads(lines[-1])["complete"]
    if fmt == "dir":
        if not (final / "METS.xml").is_file():
            return None
        sha, _ = _sha256_size(final / "METS.xml")
    else:
        sha, _ = _sha256_size(final)
    return {**info, "reused_files": info["files"]} if sha == info["sha256"] else None


@contextmanager
def _run_lock(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder (``.diariekit-build.lock``, removed after)."""
    path = out_dir / ".diariekit-build.lock"
    with open(path, "wb") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PolicyError(f"another package build is writing in {out_dir}; wait for it "
                              "to finish") from None
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def _finish(pending: Sequence[_Pending], out_dir: Path) -> None:
    """Make every package durable, then give each its final name (all at the end, so an
    interrupted run leaves no package, only resumable temporaries)."""
    _sync_filesystem(out_dir)
    for p in pending:
        if p.source is not None and p.built.path.exists():
            raise PolicyError(f"{p.built.path} already exists: remove it or build into "
                              "another folder")
    for p in pending:
        if p.source is not None:
            os.rename(p.source, p.built.path)
    _fsync_dir(out_dir)
    for p in pending:
        _remove(p.work)


# --- splitting a transfer into packages ------------------------------------------------------


def _case_sizes(conn: Connection, case_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(files, bytes) of each case's documents (not voided)."""
    out = {cid: (0, 0) for cid in case_ids}
    for k in range(0, len(case_ids), _MARKINGS_BATCH):
        rows = conn.execute(
            sa.select(document.c.case_id, sa.func.count(file.c.id),
                      sa.func.coalesce(sa.func.sum(file.c.size), 0))
            .join(file, file.c.document_id == document.c.id)
            .where(document.c.case_id.in_(case_ids[k:k + _MARKINGS_BATCH]),
                   document.c.status != "voided")
            .group_by(document.c.case_id)).all()
        for cid, count, size in rows:
            out[str(cid)] = (int(count), int(size))
    return out


def group_cases(sizes: Sequence[tuple[int, int]], *, max_size: int | None,
                max_files: int | None) -> list[tuple[list[int], bool]]:
    """Split a transfer: consecutive cases (by index) into packages of at most ``max_files``
    files and ``max_size`` bytes of data files. A case over a limit on its own goes alone in
    its package (flagged True). Without limits, one package per case."""
    if max_size is None and max_files is None:
        return [([i], False) for i in range(len(sizes))]
    groups: list[tuple[list[int], bool]] = []
    current: list[int] = []
    files = size = 0
    for i, (n, b) in enumerate(sizes):
        over = (max_files is not None and n > max_files) or (max_size is not None and
                                                              b > max_size)
        if over:
            if current:
                groups.append((current, False))
                current, files, size = [], 0, 0
            groups.append(([i], True))
            continue
        fits = ((max_files is None or files + n <= max_files)
                and (max_size is None or size + b <= max_size))
        if current and not fits:
            groups.append((current, False))
            current, files, size = [], 0, 0
        current.append(i)
        files += n
        size += b
    if current:
        groups.append((current, False))
    return groups


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``--max-size``: bytes, or a number with K, M, G or T (powers of 1024: ``500M``,
    ``2GiB``, ``1.5G``)."""
    m = _SIZE.match(text)
    if not m:
        raise UsageError(f"--max-size expects a size such as 500M or 2G, got '{text}'")
    value = float(m.group(1)) * 1024 ** "bkmgt".index((m.group(2) or "b").lower())
    if value < 1:
        raise UsageError(f"--max-size must be at least 1 byte, got '{text}'")
    return int(value)


# --- recording -------------------------------------------------------------------------------


def _record_transfer(conn: Connection, oid: str, profile: Profile, sel: Selection,
                     built: Sequence[_Pending], actor: str
                     ) -> tuple[str | None, str | None, set[str]]:
    ids = [p.built.package_id for p in built]
    known = set(conn.execute(sa.select(transfer_package.c.package_id)
                             .where(transfer_package.c.package_id.in_(ids))).scalars())
    new = [p for p in built if p.built.package_id not in known]
    if not new:
        return None, None, known
    org = conn.execute(sa.select(organisation).where(organisation.c.id == oid)).one()
    recipient = org.archives_authority_id or org.parent_id or oid
    first = min(p.built.created for p in new)
    tag = hashlib.sha256("|".join(sorted(p.built.package_id for p in new)).encode()).hexdigest()
    submission_ref = f"{org.code.upper()}-{first.strftime('%Y%m%d')}-{tag[:12]}"
    transfer_id = new_id()
    conn.execute(transfer.insert().values(
        id=transfer_id, organisation_id=oid, recipient_id=recipient,
        submission_ref=submission_ref, scope=sel.to_dict(), profile=profile.id,
        built_by=actor, status="built"))
    for seq, p in enumerate(new, start=1):
        b = p.built
        pkg_row = new_id()
        conn.execute(transfer_package.insert().values(
            id=pkg_row, transfer_id=transfer_id, seq=seq, package_id=b.package_id,
            filename=b.path.name, sip_sha256=b.sha256, size=b.size))
        for case_id, dnr, doc_ids in p.cases:
            conn.execute(transfer_item.insert().values(
                id=new_id(), transfer_id=transfer_id, package_id=pkg_row, case_id=case_id))
            for k in range(0, len(doc_ids), _MARKINGS_BATCH):
                conn.execute(transfer_item.insert(), [
                    {"id": new_id(), "transfer_id": transfer_id, "package_id": pkg_row,
                     "case_id": case_id, "document_id": doc_id}
                    for doc_id in doc_ids[k:k + _MARKINGS_BATCH]])
            append_event(conn, kind="transfer_built", actor=actor, organisation_id=oid,
                         case_id=case_id,
                         short_text=f"Ärende {dnr} paketerat för leverans (SIP {b.package_id})",
                         payload={"transfer_id": transfer_id, "submission_ref": submission_ref,
                                  "package_id": b.package_id, "format": b.format,
                                  "sha256": b.sha256, "size": b.size, "profile": profile.id})
    return transfer_id, submission_ref, known


def build_case_packages(config: Config, *, org_id: str | None = None,
                        select: Selection | None = None, out_dir: Path, fmt: str = "dir",
                        created: datetime | None = None, actor: str | None = None,
                        profile: Profile | str | Path | None = None,
                        schema_dir: Path | None = None, max_size: int | None = None,
                        max_files: int | None = None, link: bool = False) -> BuildResult:
    """Build the transfer packages (överföringspaket, SIP) of the selected closed cases.

    ``link`` (``--link``, folder output only) hard-links the data files from the content
    store instead of copying them, where the file system allows (each is still read once to
    verify its SHA-256). A linked package shares its files with the store: move or upload
    it and then delete it, since data in a linked package left on disk outlives disposal
    (gallring) of the stored file. Zip and tar output always stage this way internally;
    the archive itself is the copy.

    One package per case; with ``max_size`` (bytes of data files) and/or ``max_files``, the
    cases are packed, in selection order, into as few packages as the limits allow (a case
    over a limit on its own goes alone in its package, reported in ``BuildResult.notes``).
    All packages of a run form one transfer (leverans) with one submission reference.

    ``created`` fixes CREATEDATE (and so the OBJIDs) for every package; by default each
    package's last logged event is used. ``schema_dir`` (default:
    ``diariekit.packages.schemas.schema_dir()``) supplies the XSDs copied into ``schemas/``;
    without one, packages carry no ``schemas/`` folder. An interrupted build, run again with
    the same selection and output folder, resumes from its journal. Returns the transfer
    recorded and its packages; raises :class:`~diariekit.errors.InvalidInputError` when no
    case matches.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    if created is not None and (created.tzinfo is None or created.utcoffset() is None):
        raise UsageError("the package creation time needs a timezone")
    if max_size is not None and max_size < 1:
        raise UsageError("--max-size must be at least 1 byte")
    if max_files is not None and max_files < 1:
        raise UsageError("--max-files must be at least 1")
    sel = select or Selection()
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    if prof.erms_version not in ERMS_VERSIONS:
        raise ConfigError(f"package profile {prof.id}: ERMS {prof.erms_version} output is not "
                          f"implemented; use one of {', '.join(ERMS_VERSIONS)}")
    who = actor or current_actor()
    engine = open_registry(config)
    org = config.organisation(org_id)
    store = ContentStore(config.storage_path)
    schemas = _schema_dir(schema_dir)
    pending: list[_Pending] = []
    notes: list[str] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    with _run_lock(out_dir), connect(engine) as conn:
        oid = organisation_id(conn, org.id)
        case_ids = _select_cases(conn, oid, sel)
        if not case_ids:
            raise InvalidInputError("no closed case matches the selection (inga avslutade "
                                    "ärenden att leverera)")
        split = max_size is not None or max_files is not None
        sizes = _case_sizes(conn, case_ids) if split else {}
        groups = group_cases([sizes.get(c, (0, 0)) for c in case_ids], max_size=max_size,
                             max_files=max_files)
        for indices, oversize in groups:
            heads = [_case_head(conn, config, org.id, oid, case_ids[i]) for i in indices]
            if oversize:
                n, b = sizes[heads[0].case.id]
                notes.append(f"case {heads[0].case.dnr} ({n} files, {b} bytes) is over the "
                             "package limit on its own: packaged alone")
            pending.append(_build_package(conn, heads, prof, store, out_dir, fmt, created,
                                          schemas, oversize, link))
            conn.rollback()  # end the read transaction between packages
        _finish(pending, out_dir)
    try:
        with write_transaction(engine) as conn:
            transfer_id, submission_ref, known = _record_transfer(conn, oid, prof, sel,
                                                                  pending, who)
    except BaseException:
        for p in pending:
            _remove(p.built.path)
        raise
    packages = tuple(replace(p.built, recorded=p.built.package_id not in known)
                     for p in pending)
    return BuildResult(transfer_id=transfer_id, submission_ref=submission_ref, profile=prof.id,
                       packages=packages, selection=sel.to_dict(), notes=tuple(notes),
                       limits={"max_size": max_size, "max_files": max_files})
