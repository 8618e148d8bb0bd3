"""Plan versions in the registry: import (idempotent), activity, and loading back.

"Active" means adopted and valid on a given date for that organisation (decisions.md).
A record is classified under the version active on its registration date and keeps
that link. Import stores classes and record types with the raw text beside the parsed
rules; loading back re-parses the raw text, so a stored plan reads as it was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.clock import today
from diariekit.config import Config
from diariekit.errors import InvalidInputError, Location
from diariekit.events import append_event
from diariekit.organisations import organisation_id
from diariekit.plans.build import build_record_type
from diariekit.plans.model import (
    LegalModel,
    Plan,
    PlanClass,
    PlanMeta,
    PlanStatus,
    RecordType,
    SourceInfo,
)
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import new_id, plan, plan_class, plan_version, record_type
from diariekit.registry.session import open_registry


@dataclass(frozen=True)
class ImportResult:
    """The outcome of :func:`import_plan`."""

    plan_version_id: str
    created: bool
    organisation: str
    version: str
    active_now: bool
    superseded: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"plan_version_id": self.plan_version_id, "created": self.created,
                "organisation": self.organisation, "version": self.version,
                "active_now": self.active_now, "superseded": self.superseded}


@dataclass(frozen=True)
class VersionRow:
    """One stored plan version, as ``plan list`` shows it."""

    id: str
    organisation: str
    title: str
    version: str
    status: str
    valid_from: str | None
    valid_to: str | None
    record_types: int
    active: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _was_adopted(meta: Mapping[str, Any] | None) -> bool:
    """Whether a version now ``superseded`` had been adopted (its imported status)."""
    return (meta or {}).get("status") == PlanStatus.ADOPTED.value


def _is_active(status: str, valid_from: date | None, valid_to: date | None, on: date,
               meta: Mapping[str, Any] | None = None) -> bool:
    """In force (gällande) on ``on``: adopted, or adopted and since superseded by a later
    version (then in force until its ``valid_to``, the day before the new one's start, so
    that importing a version that starts next year leaves this one in force until then).
    A draft is never in force, superseded or not."""
    if valid_from is None or valid_from > on:
        return False
    if status == PlanStatus.ADOPTED:
        return valid_to is None or valid_to >= on
    return (status == PlanStatus.SUPERSEDED and valid_to is not None and valid_to >= on
            and _was_adopted(meta))


def _record_type_row(version_id: str, rt: RecordType) -> dict[str, Any]:
    return {
        "id": new_id(), "plan_version_id": version_id, "row_ref": rt.key,
        "class_code": rt.class_code, "process": rt.process, "name": rt.name,
        "description": rt.description, "registration": str(rt.registration.kind),
        "registration_raw": rt.registration.raw or None, "medium": rt.medium,
        "formats": {"raw": rt.formats.raw, "formats": [f.name for f in rt.formats.formats],
                    "media": list(rt.formats.media), "unknown": list(rt.formats.unknown)},
        "original_copy": rt.original_copy, "storage": rt.storage, "sort_order": rt.sort_order,
        "secrecy_raw": rt.secrecy.raw or None, "secrecy": rt.secrecy.to_dict(),
        "retention_raw": rt.retention.raw, "retention": rt.retention.to_dict(),
        "legal_basis": rt.legal_basis, "delivery_raw": rt.delivery.raw or None,
        "delivery": rt.delivery.to_dict(), "responsible": rt.responsible,
        "personal_data": rt.personal_data, "notes": rt.notes,
        "extra": dict(rt.extra) or None, "source_line": rt.line, "parse_warnings": None,
    }


def import_plan(config: Config, loaded: Plan, *, org_id: str | None = None,
                actor: str | None = None) -> ImportResult:
    """Store ``loaded`` as a plan version of the organisation; idempotent on the file hash."""
    org = config.organisation(org_id)
    meta = loaded.meta
    where = Location(loaded.source.path)
    if not meta.version:
        raise InvalidInputError("the plan has no version: add one to the plan (or the CSV "
                                "preface 'Version'), or give --set version=…", where)
    if meta.valid_from is None:
        raise InvalidInputError("the plan states no valid_from date: add it, or give "
                                "--set valid_from=YYYY-MM-DD", where)
    engine = open_registry(config)
    with write_transaction(engine) as conn:
        oid = organisation_id(conn, org.id)
        same = conn.execute(
            sa.select(plan_version.c.id, plan_version.c.version, plan_version.c.status,
                      plan_version.c.valid_from, plan_version.c.valid_to, plan_version.c.meta)
            .join(plan, plan.c.id == plan_version.c.plan_id)
            .where(plan.c.organisation_id == oid,
                   plan_version.c.source_sha256 == loaded.source.sha256)).first()
        if same is not None:
            return ImportResult(same.id, False, org.id, same.version,
                                _is_active(same.status, same.valid_from, same.valid_to, today(),
                                           same.meta))
        plan_id = conn.execute(sa.select(plan.c.id).where(
            plan.c.organisation_id == oid, plan.c.title == meta.title)).scalar_one_or_none()
        if plan_id is None:
            plan_id = new_id()
            conn.execute(plan.insert().values(id=plan_id, organisation_id=oid, title=meta.title,
                                              kind=meta.kind))
        clash = conn.execute(sa.select(plan_version.c.source_sha256).where(
            plan_version.c.plan_id == plan_id, plan_version.c.version == meta.version)
        ).scalar_one_or_none()
        if clash is not None:
            raise InvalidInputError(
                f"version {meta.version} of '{meta.title}' is already in the registry with "
                "other content: a changed plan needs a new version", where)
        superseded = None
        supersedes_id = None
        if meta.supersedes:
            old = conn.execute(sa.select(plan_version).where(
                plan_version.c.plan_id == plan_id,
                plan_version.c.version == meta.supersedes)).first()
            if old is not None:
                supersedes_id = old.id
                # Only an adopted version is superseded; a draft or a repealed one is left
                # as it is (it was never, or is no longer, in force).
                if meta.status is PlanStatus.ADOPTED and old.status == PlanStatus.ADOPTED:
                    end = meta.valid_from - timedelta(days=1)
                    new_end = min(old.valid_to, end) if old.valid_to else end
                    conn.execute(plan_version.update().where(plan_version.c.id == old.id)
                                 .values(status=PlanStatus.SUPERSEDED.value, valid_to=new_end))
                    superseded = old.version
        version_id = new_id()
        conn.execute(plan_version.insert().values(
            id=version_id, plan_id=plan_id, version=meta.version, title=meta.title,
            kind=meta.kind, status=meta.status.value, adopted_by=meta.adopted_by,
            adoption_ref=meta.adoption_ref, adoption_date=meta.adoption_date,
            valid_from=meta.valid_from, valid_to=meta.valid_to,
            legal_model=meta.legal_model.value, supersedes_id=supersedes_id,
            scheme=meta.scheme, source_file=loaded.source.path,
            source_sha256=loaded.source.sha256, source_encoding=loaded.source.encoding,
            source_dialect=loaded.source.delimiter, source_format=loaded.source.format,
            meta=meta.to_dict(), imported_by=actor))
        if loaded.classes:
            conn.execute(plan_class.insert(), [
                {"id": new_id(), "plan_version_id": version_id, "code": c.code,
                 "title": c.title, "level": c.level, "parent_code": c.parent_code,
                 "description": c.description, "line": c.line} for c in loaded.classes])
        if loaded.record_types:
            conn.execute(record_type.insert(),
                         [_record_type_row(version_id, rt) for rt in loaded.record_types])
        append_event(
            conn, kind="plan_imported", actor=actor, organisation_id=oid,
            short_text=f"{meta.title} version {meta.version} inläst",
            detail=f"{len(loaded.record_types)} handlingstyper; beslut {meta.adoption_ref or '-'}",
            payload={"plan_version_id": version_id, "version": meta.version,
                     "sha256": loaded.source.sha256, "source": loaded.source.path,
                     "supersedes": superseded})
        if superseded:
            append_event(conn, kind="plan_superseded", actor=actor, organisation_id=oid,
                         short_text=f"{meta.title} version {superseded} ersatt av "
                                    f"{meta.version}",
                         payload={"version": superseded, "by": meta.version})
    active = _is_active(meta.status.value, meta.valid_from, meta.valid_to, today())
    return ImportResult(version_id, True, org.id, meta.version, active, superseded)


def list_versions(config: Config, org_id: str | None = None,
                  on: date | None = None) -> list[VersionRow]:
    """Plan versions in the registry, newest first per plan."""
    from diariekit.registry.schema import organisation

    on = on or today()
    engine = open_registry(config)
    with connect(engine) as conn:
        counts = (sa.select(record_type.c.plan_version_id, sa.func.count().label("n"))
                  .group_by(record_type.c.plan_version_id).subquery())
        q = (sa.select(plan_version, organisation.c.code.label("org"),
                       sa.func.coalesce(counts.c.n, 0).label("n"))
             .join(plan, plan.c.id == plan_version.c.plan_id)
             .join(organisation, organisation.c.id == plan.c.organisation_id)
             .outerjoin(counts, counts.c.plan_version_id == plan_version.c.id)
             .order_by(organisation.c.code, plan.c.title, plan_version.c.valid_from.desc()))
        if org_id:
            q = q.where(organisation.c.code == config.organisation(org_id).id)
        return [VersionRow(r.id, r.org, r.title, r.version, r.status,
                           r.valid_from.isoformat() if r.valid_from else None,
                           r.valid_to.isoformat() if r.valid_to else None, r.n,
                           _is_active(r.status, r.valid_from, r.valid_to, on, r.meta))
                for r in conn.execute(q)]


def active_version_ids(conn: Connection, org_registry_id: str, on: date) -> list[str]:
    """Ids of the plan versions of an organisation in force on ``on`` (one per plan)."""
    rows = conn.execute(
        sa.select(plan_version.c.id, plan_version.c.plan_id, plan_version.c.status,
                  plan_version.c.meta)
        .join(plan, plan.c.id == plan_version.c.plan_id)
        .where(plan.c.organisation_id == org_registry_id,
               plan_version.c.valid_from <= on,
               sa.or_(sa.and_(plan_version.c.status == PlanStatus.ADOPTED.value,
                              sa.or_(plan_version.c.valid_to.is_(None),
                                     plan_version.c.valid_to >= on)),
                      sa.and_(plan_version.c.status == PlanStatus.SUPERSEDED.value,
                              plan_version.c.valid_to >= on)))
        .order_by(plan_version.c.valid_from.desc())).all()
    seen: set[str] = set()
    out: list[str] = []
    for r in rows:
        if r.status == PlanStatus.SUPERSEDED and not _was_adopted(r.meta):
            continue  # a draft that a later version replaced: never in force
        if r.plan_id not in seen:
            seen.add(r.plan_id)
            out.append(r.id)
    return out


def load_version(conn: Connection, version_id: str) -> Plan:
    """Rebuild a stored plan version as a :class:`Plan` (re-parsing the raw text)."""
    v = conn.execute(sa.select(plan_version).where(plan_version.c.id == version_id)).one()
    stored: dict[str, Any] = v.meta or {}
    meta = PlanMeta(
        title=v.title, organisation=stored.get("organisation") or "", version=v.version,
        valid_from=v.valid_from, kind=v.kind, org_number=stored.get("org_number"),
        authority=stored.get("authority"), status=PlanStatus(v.status),
        adopted_by=v.adopted_by, adoption_ref=v.adoption_ref, adoption_date=v.adoption_date,
        valid_to=v.valid_to, supersedes=stored.get("supersedes"),
        legal_model=LegalModel(v.legal_model), scheme=v.scheme,
        retention_rounding=stored.get("retention_rounding") or "calendar_year_end",
        notes=stored.get("notes"), extra=MappingProxyType(stored.get("extra") or {}))
    classes = tuple(
        PlanClass(c.code, c.title, c.parent_code, False, c.level, c.description, c.line)
        for c in conn.execute(sa.select(plan_class).where(
            plan_class.c.plan_version_id == version_id).order_by(plan_class.c.line)))
    rts = []
    for r in conn.execute(sa.select(record_type).where(
            record_type.c.plan_version_id == version_id).order_by(record_type.c.source_line)):
        formats = (r.formats or {}).get("raw")
        rts.append(build_record_type(
            key=r.row_ref, name=r.name, class_code=r.class_code, process=r.process,
            cells={"description": r.description, "registration": r.registration_raw,
                   "medium": r.medium, "formats": formats, "original_copy": r.original_copy,
                   "storage": r.storage, "sort_order": r.sort_order, "secrecy": r.secrecy_raw,
                   "retention": r.retention_raw, "legal_basis": r.legal_basis,
                   "delivery": r.delivery_raw, "responsible": r.responsible, "notes": r.notes},
            line=r.source_line, extra=r.extra or {}, personal_data=r.personal_data))
    source = SourceInfo(v.source_file or "", v.source_sha256 or "", v.source_format or "",
                        v.source_encoding, v.source_dialect)
    return Plan(meta, classes, tuple(rts), source)


def load_plan_ref(config: Config, ref: str, org_id: str | None = None) -> Plan:
    """``active`` (the version in force today) or a version string, from the registry."""
    org = config.organisation(org_id)
    engine = open_registry(config)
    with connect(engine) as conn:
        oid = organisation_id(conn, org.id)
        if ref == "active":
            ids = active_version_ids(conn, oid, today())
            if not ids:
                raise InvalidInputError(f"no plan is in force today for {org.id}: "
                                        "import one with `diariekit plan import`")
            return load_version(conn, ids[0])
        found = conn.execute(
            sa.select(plan_version.c.id).join(plan, plan.c.id == plan_version.c.plan_id)
            .where(plan.c.organisation_id == oid, plan_version.c.version == ref)
            .order_by(plan_version.c.imported_at.desc())).first()
        if found is None:
            raise InvalidInputError(f"no plan version '{ref}' for {org.id} in the registry "
                                    "(see `diariekit plan list`)")
        return load_version(conn, found.id)


__all__ = ["ImportResult", "active_version_ids", "import_plan", "list_versions",
           "load_plan_ref", "load_version"]
