"""Build transfer packages (överföringspaket, SIP) for closed cases (avslutade ärenden).

One SIP per case, per the package profile (default FGS Paketstruktur 2.0 = E-ARK CSIP/SIP
2.1.0 with CITS ERMS 3.0), written as a folder, a zip or a tar under ``out_dir``::

    <OBJID>/METS.xml
    <OBJID>/documentation/leveransbeskrivning.txt
    <OBJID>/metadata/preservation/premis.xml
    <OBJID>/representations/rep1/METS.xml
    <OBJID>/representations/rep1/data/erms.xml
    <OBJID>/representations/rep1/data/attachments/<ref>-<n>.<ext>
    <OBJID>/representations/rep1/metadata/preservation/premis.xml
    <OBJID>/schemas/*.xsd            (only when a schema folder is available)

How it behaves:

* **One pass per file.** Each file is copied from the content store (arkivlager) while it is
  hashed, in 1 MiB chunks, several files at a time in worker threads
  (``min(4, os.cpu_count())``; results gathered in a fixed order, so the output does not
  depend on the threads); a file whose bytes no longer match its SHA-256 stops the build
  (:class:`~diariekit.files.store.CorruptObjectError`).
* **Atomic.** A package is written under a hidden temporary name and renamed to its final
  name (the OBJID folder, or ``<OBJID>.zip`` / ``<OBJID>.tar``) only when complete. If any
  package of the run fails, the packages this run already finished are removed again and
  nothing is recorded: a build is all or nothing.
* **Deterministic.** The same registry content, profile and ``created`` time give the same
  bytes (sorted entries, fixed timestamps, stable ids). ``created`` defaults to the time of
  the case's last logged event (transfer events excluded), so a rebuild is identical too.
  The OBJID is ``uuid-`` + uuid5(profile namespace, organisation | dnr | created).
* **Recorded.** After all packages are complete, one write transaction records the transfer
  (leverans, status ``built``), one ``transfer_package`` per SIP (OBJID, file name, SHA-256
  of the zip/tar or of the root METS for a folder, size), ``transfer_item`` rows for the case
  and its documents, and a ``transfer_built`` event per case. A package whose OBJID is
  already recorded is written again but not recorded twice.

Not yet: splitting one case over several packages by size, and a resume journal for very
large builds.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

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
    Attachment,
    CaseData,
    Marking,
    RecordData,
    build_erms,
)
from diariekit.packages.mets import MetsFile, build_representation_mets, build_root_mets
from diariekit.packages.premis import (
    LogEvent,
    PremisFile,
    build_package_premis,
    build_representation_premis,
    format_name,
)
from diariekit.packages.profile import AgentTemplate, Profile, load_profile
from diariekit.packages.schemas import schema_dir
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
    "parse_created",
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
    """One finished SIP (överföringspaket) of a build."""

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

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.dnr, "package_id": self.package_id, "path": str(self.path),
                "format": self.format, "sha256": self.sha256, "size": self.size,
                "documents": self.documents, "files": self.files,
                "created": self.created.isoformat(), "recorded": self.recorded}


@dataclass(frozen=True)
class BuildResult:
    """The outcome of :func:`build_case_packages`: the transfer (leverans) and its SIPs."""

    transfer_id: str | None
    submission_ref: str | None
    profile: str
    packages: tuple[BuiltPackage, ...] = ()
    selection: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"transfer_id": self.transfer_id, "submission_ref": self.submission_ref,
                "profile": self.profile, "selection": self.selection,
                "packages": [p.to_dict() for p in self.packages]}


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
        mime = f.mime or "application/octet-stream"
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


def _load_case(conn: Connection, config: Config, org_code: str, oid: str,
               case_id: str) -> tuple[CaseData, list[LogEvent]]:
    c = conn.execute(sa.select(case_, series.c.code.label("series_code"))
                     .join(series, series.c.id == case_.c.series_id)
                     .where(case_.c.id == case_id)).one()
    org = conn.execute(sa.select(organisation).where(organisation.c.id == oid)).one()
    municipality = config.organisation(org_code).municipality
    class_title, scheme = _class_title(conn, oid, c.class_code)
    protected = [p for p in (c.title_protected, c.person_ref) if p]
    records = []
    for d in conn.execute(sa.select(document).where(document.c.case_id == case_id,
                                                    document.c.status != "voided")
                          .order_by(document.c.seq, document.c.ref)):
        rec, secret = _record(conn, d, c.closed_at)
        records.append(rec)
        protected += secret
    doc_ids = [r.id for r in records]
    where = event.c.case_id == case_id
    if doc_ids:
        where = sa.or_(where, event.c.document_id.in_(doc_ids))
    events = [LogEvent(e.id, e.kind, e.at, e.actor, e.short_text) for e in conn.execute(
        sa.select(event.c.id, event.c.kind, event.c.at, event.c.actor, event.c.short_text)
        .where(where, ~event.c.kind.like("transfer%")).order_by(event.c.seq))]
    data = CaseData(
        id=c.id, dnr=c.dnr, series=c.series_code, title=c.title, class_code=c.class_code,
        class_title=class_title, status=c.status, opened_at=c.opened_at, closed_at=c.closed_at,
        officer=c.officer, unit=c.unit, org_code=org_code, org_name=org.name,
        org_number=org.orgnr, archive_creator_id=org.archive_creator_id,
        municipality=municipality, scheme=scheme,
        markings=tuple(_markings(conn, [("case_title", case_id)])), records=tuple(records),
        protected=tuple(sorted(set(protected))))
    return data, events


def _default_created(case: CaseData, events: Sequence[LogEvent]) -> datetime:
    if events:
        return max(e.at for e in events).astimezone(STOCKHOLM).replace(microsecond=0)
    day = case.closed_at or case.opened_at
    return datetime.combine(day, time(0, 0), tzinfo=STOCKHOLM)


def package_id(profile: Profile, case: CaseData, created: datetime) -> str:
    """OBJID: the profile's ``objid_template`` filled and made file-name safe (e.g.
    ``"{org_code}-{dnr}-{date}"``), else ``uuid-`` + uuid5(profile namespace,
    organisation | dnr | created)."""
    if profile.objid_template:
        values = {**case.template_values(), "date": created.date().isoformat(),
                  "created": created.strftime("%Y%m%dT%H%M%S")}
        text = _safe(profile.objid_template.format_map(_Blank(values)))
        return text if text[:1].isalpha() or text[:1] == "_" else f"id-{text}"
    org = case.org_number or case.org_code
    name = f"{org}|{case.org_code}|{case.dnr}|{created.isoformat()}"
    return f"uuid-{uuid.uuid5(profile.objid_namespace, name)}"


# --- writing one package ---------------------------------------------------------------------


def _copy_from_store(store: ContentStore, sha256: str, dest: Path) -> tuple[str, int]:
    """Copy one object to ``dest`` while hashing it (one pass); return (sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    with store.open(sha256) as src, open(dest, "wb") as out:
        while True:
            chunk = src.read(CHUNK_SIZE)
            if not chunk:
                break
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    got = digest.hexdigest()
    if got != sha256:
        raise CorruptObjectError(f"stored object {sha256} reads back as {got}: the content "
                                 "store is damaged; run a store check before transferring")
    return got, size


def _write(path: Path, data: bytes) -> MetsFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return MetsFile(href="", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                    mime="text/xml")


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


def _description(case: CaseData, objid: str, profile: Profile, created: datetime) -> bytes:
    files = sum(len(r.attachments) for r in case.records)
    lines = [
        "Leveransbeskrivning (delivery description)",
        f"Paket (package): {objid}",
        f"Ärende (case): {case.dnr} {case.title}",
        f"Arkivbildare (archival creator): {case.org_name}"
        + (f" ({case.org_number})" if case.org_number else ""),
        f"Handlingar (records): {len(case.records)}, filer (files): {files}",
        f"Profil (profile): {profile.title}",
        f"Skapat av (created by): {profile.software_name} {__version__}, {created.isoformat()}",
        "Sekretess: skyddade uppgifter (OSL 5 kap. 2 §) ingår inte i metadata; "
        "sekretessmarkeringar finns som restriction i erms.xml.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _write_tree(folder: Path, case: CaseData, events: Sequence[LogEvent], profile: Profile,
                store: ContentStore, objid: str, created: datetime,
                schema_dir: Path | None) -> None:
    software = f"{profile.software_name} {__version__}"
    rep_dir = folder / "representations" / REP
    attach_dir = rep_dir / "data" / "attachments"
    attach_dir.mkdir(parents=True)
    data_files: list[MetsFile] = []
    premis_files: list[PremisFile] = []
    attachments = [att for rec in case.records for att in rec.attachments]

    def copy(att: Attachment) -> tuple[str, int]:
        return _copy_from_store(store, att.sha256, attach_dir / att.name)

    # Copy and hash in worker threads, one pass per file; results in attachment order.
    with closing(ordered_map(copy, attachments)) as copied:
        for att, (sha, size) in zip(attachments, copied, strict=True):
            data_files.append(MetsFile(att.data_path, size, sha, att.mime, att.format_name,
                                       att.puid))
            premis_files.append(PremisFile(att.data_path, sha, size, att.puid,
                                           att.format_name, att.original_name))
    erms = _write(rep_dir / "data" / "erms.xml",
                  build_erms(case, created=created, software=software,
                             maintenance_status=profile.erms_maintenance_status))
    xml_name = format_name("fmt/101", "Extensible Markup Language")
    data_files.append(_with(erms, "data/erms.xml", format_name=xml_name, puid="fmt/101"))
    premis_files.append(PremisFile("data/erms.xml", erms.sha256, erms.size, "fmt/101",
                                   xml_name, "erms.xml"))
    premis_files.sort(key=lambda p: p.path)
    rep_premis = _write(rep_dir / "metadata" / "preservation" / "premis.xml",
                        build_representation_premis(premis_files, rep=REP, created=created,
                                                    software=profile.software_name,
                                                    version=__version__))
    rep_mets = _write(rep_dir / "METS.xml", build_representation_mets(
        profile, rep=REP, created=created, version=__version__,
        premis=_with(rep_premis, "metadata/preservation/premis.xml"), data=data_files))
    doc = _write(folder / "documentation" / "leveransbeskrivning.txt",
                 _description(case, objid, profile, created))
    documentation = [_with(doc, "documentation/leveransbeskrivning.txt", "text/plain")]
    schemas: list[MetsFile] = []
    if schema_dir is not None:
        for rel in profile.schemas:
            source = schema_dir / rel
            if not source.is_file():
                continue
            written = _write(folder / "schemas" / source.name, source.read_bytes())
            schemas.append(_with(written, f"schemas/{source.name}"))
    root_premis = _write(folder / "metadata" / "preservation" / "premis.xml",
                         build_package_premis(objid=objid, created=created,
                                              software=profile.software_name,
                                              version=__version__, org_name=case.org_name,
                                              org_number=case.org_number, events=events,
                                              protected=case.protected))
    values = case.template_values()
    agreement = (profile.submission_agreement.format_map(_Blank(values))
                 if profile.submission_agreement else None)
    reference = (profile.reference_code.format_map(_Blank(values)).strip("/")
                 if profile.reference_code else None)
    _write(folder / "METS.xml", build_root_mets(
        profile, objid=objid, label=f"{case.dnr} {case.title}", created=created,
        version=__version__, agents=_agents(profile, values),
        submission_agreement=agreement or None, reference_code=reference or None,
        premis=_with(root_premis, "metadata/preservation/premis.xml"),
        documentation=documentation, schemas=schemas, rep=REP,
        rep_mets=_with(rep_mets, f"representations/{REP}/METS.xml")))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


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


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_size(path: Path) -> int:
    _fsync(path)
    return path.stat().st_size


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _build_one(case: CaseData, events: Sequence[LogEvent], profile: Profile,
               store: ContentStore, out_dir: Path, fmt: str, created: datetime,
               schema_dir: Path | None) -> BuiltPackage:
    objid = package_id(profile, case, created)
    final = out_dir / (objid if fmt == "dir" else f"{objid}.{fmt}")
    if final.exists():
        raise PolicyError(f"{final} already exists: remove it or build into another folder")
    work = out_dir / f".{objid}.part-{os.getpid()}"
    tree = work / objid
    _remove(work)
    try:
        tree.mkdir(parents=True)
        _write_tree(tree, case, events, profile, store, objid, created, schema_dir)
        if fmt == "dir":
            sha, _ = _sha256_size(tree / "METS.xml")
            with closing(ordered_map(_fsync_size, (p for p in tree.rglob("*")
                                                   if p.is_file()))) as sizes:
                size = sum(sizes)
            os.rename(tree, final)
        else:
            archive = work / f"{objid}.{fmt}"
            (_write_zip if fmt == "zip" else _write_tar)(tree, archive, created)
            _fsync(archive)
            sha, size = _sha256_size(archive)
            os.rename(archive, final)
    finally:
        _remove(work)
    return BuiltPackage(dnr=case.dnr, package_id=objid, path=final, format=fmt, sha256=sha,
                        size=size, documents=len(case.records),
                        files=sum(len(r.attachments) for r in case.records), created=created)


# --- recording -------------------------------------------------------------------------------


def _record_transfer(conn: Connection, oid: str, profile: Profile, sel: Selection,
                     built: list[tuple[BuiltPackage, CaseData]], actor: str
                     ) -> tuple[str | None, str | None, set[str]]:
    ids = [b.package_id for b, _ in built]
    known = set(conn.execute(sa.select(transfer_package.c.package_id)
                             .where(transfer_package.c.package_id.in_(ids))).scalars())
    new = [(b, c) for b, c in built if b.package_id not in known]
    if not new:
        return None, None, known
    org = conn.execute(sa.select(organisation).where(organisation.c.id == oid)).one()
    recipient = org.archives_authority_id or org.parent_id or oid
    first = min(b.created for b, _ in new)
    tag = hashlib.sha256("|".join(sorted(b.package_id for b, _ in new)).encode()).hexdigest()
    submission_ref = f"{org.code.upper()}-{first.strftime('%Y%m%d')}-{tag[:12]}"
    transfer_id = new_id()
    conn.execute(transfer.insert().values(
        id=transfer_id, organisation_id=oid, recipient_id=recipient,
        submission_ref=submission_ref, scope=sel.to_dict(), profile=profile.id,
        built_by=actor, status="built"))
    for seq, (b, case) in enumerate(new, start=1):
        pkg_row = new_id()
        conn.execute(transfer_package.insert().values(
            id=pkg_row, transfer_id=transfer_id, seq=seq, package_id=b.package_id,
            filename=b.path.name, sip_sha256=b.sha256, size=b.size))
        conn.execute(transfer_item.insert().values(
            id=new_id(), transfer_id=transfer_id, package_id=pkg_row, case_id=case.id))
        for rec in case.records:
            conn.execute(transfer_item.insert().values(
                id=new_id(), transfer_id=transfer_id, package_id=pkg_row, case_id=case.id,
                document_id=rec.id))
        append_event(conn, kind="transfer_built", actor=actor, organisation_id=oid,
                     case_id=case.id,
                     short_text=f"Ärende {case.dnr} paketerat för leverans (SIP {b.package_id})",
                     payload={"transfer_id": transfer_id, "submission_ref": submission_ref,
                              "package_id": b.package_id, "format": b.format,
                              "sha256": b.sha256, "size": b.size, "profile": profile.id})
    return transfer_id, submission_ref, known


def build_case_packages(config: Config, *, org_id: str | None = None,
                        select: Selection | None = None, out_dir: Path, fmt: str = "dir",
                        created: datetime | None = None, actor: str | None = None,
                        profile: Profile | str | Path | None = None,
                        schema_dir: Path | None = None) -> BuildResult:
    """Build one transfer package (överföringspaket, SIP) per selected closed case.

    ``created`` fixes CREATEDATE (and so the OBJIDs) for every package; by default each
    case's last logged event is used. ``schema_dir`` (default:
    ``diariekit.packages.schemas.schema_dir()``) supplies the XSDs copied into ``schemas/``;
    without one, packages carry no ``schemas/`` folder. Returns the transfer (leverans)
    recorded and its packages; raises :class:`~diariekit.errors.InvalidInputError` when no
    case matches.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    if created is not None and (created.tzinfo is None or created.utcoffset() is None):
        raise UsageError("the package creation time needs a timezone")
    sel = select or Selection()
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    if prof.erms_version != "3.0":
        raise ConfigError(f"package profile {prof.id}: ERMS {prof.erms_version} output is not "
                          "implemented yet; use ERMS 3.0 (the default)")
    who = actor or current_actor()
    engine = open_registry(config)
    org = config.organisation(org_id)
    store = ContentStore(config.storage_path)
    with connect(engine) as conn:
        oid = organisation_id(conn, org.id)
        case_ids = _select_cases(conn, oid, sel)
        loaded = [_load_case(conn, config, org.id, oid, cid) for cid in case_ids]
    if not loaded:
        raise InvalidInputError("no closed case matches the selection (inga avslutade ärenden "
                                "att leverera)")
    out_dir.mkdir(parents=True, exist_ok=True)
    schemas = _schema_dir(schema_dir)
    built: list[tuple[BuiltPackage, CaseData]] = []
    try:
        for case, events in loaded:
            when = created or _default_created(case, events)
            built.append((_build_one(case, events, prof, store, out_dir, fmt, when, schemas),
                          case))
        with write_transaction(engine) as conn:
            transfer_id, submission_ref, known = _record_transfer(conn, oid, prof, sel, built,
                                                                  who)
    except BaseException:
        for b, _ in built:
            _remove(b.path)
        raise
    packages = tuple(replace(b, recorded=b.package_id not in known) for b, _ in built)
    return BuildResult(transfer_id=transfer_id, submission_ref=submission_ref, profile=prof.id,
                       packages=packages, selection=sel.to_dict())
