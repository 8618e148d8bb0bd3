"""The document-management plan (dokumenthanteringsplan) as validated data.

A plan version holds a tree of classes (processes, as in SKR's KLASSA) and the record
types (handlingstyper) filed under them. Every record type states registration,
medium and formats, default secrecy, retention (bevaras/gallras), legal basis,
delivery deadline (leveransfrist) and storage. Raw text from the source is always
kept beside what was parsed from it: parsers are total and drop nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from diariekit.files.formats import FormatsCell
from diariekit.findings import Finding
from diariekit.plans.retention import DeliveryRule, RetentionRule
from diariekit.secrecy import SecrecyHint


class PlanStatus(StrEnum):
    """Status of a plan version (utkast, antagen, ersatt, upphävd)."""

    DRAFT = "draft"
    ADOPTED = "adopted"
    SUPERSEDED = "superseded"
    REPEALED = "repealed"


class LegalModel(StrEnum):
    """Where the authority to dispose of records comes from (domain.md §1.1)."""

    PLAN_IS_DECISION = "plan_is_decision"
    REFERS_TO_AUTHORITY_DECISION = "refers_to_authority_decision"
    STATE_RA_FS = "state_ra_fs"


class RegistrationKind(StrEnum):
    """How a record type is registered (diarieförs, registreras i system, hålls ordnad)."""

    DIARY = "diary"
    SYSTEM = "system"
    ORDERED = "ordered"
    NONE = "none"
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True)
class Registration:
    """The registration column of a plan row, parsed, with its raw text."""

    kind: RegistrationKind
    raw: str = ""
    system: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "raw": self.raw, "system": self.system}


_SYSTEM_RE = re.compile(r"^(?:registreras|diarieförs|förs|lagras|dokumenteras)\s+i\s+(?P<sys>.+)$")


def parse_registration(text: str | None) -> Registration:
    """Parse a registration cell: "Diarieförs", "Registreras i Procapita", "Förvaras ordnat"."""
    raw = (text or "").strip()
    low = " ".join(raw.casefold().split()).rstrip(".")
    if not low or low in {"-", "–"}:
        return Registration(RegistrationKind.UNSPECIFIED, raw)
    m = _SYSTEM_RE.match(low)
    if m:
        system = raw[len(raw) - len(m.group("sys")) :].strip().rstrip(".")
        if "diarium" not in system.casefold() and "diariet" not in system.casefold():
            return Registration(RegistrationKind.SYSTEM, raw, system)
        return Registration(RegistrationKind.DIARY, raw)
    if low in {"nej", "ej", "n", "registreras ej", "diarieförs ej", "ej diarieförs"}:
        return Registration(RegistrationKind.NONE, raw)
    if "ordna" in low:  # "förvaras ordnat", "hålls ordnade", "ordnas"
        return Registration(RegistrationKind.ORDERED, raw)
    if low in {"ja", "j", "d", "x"} or low.startswith(("diarieförs", "registreras", "diarium")):
        return Registration(RegistrationKind.DIARY, raw)
    return Registration(RegistrationKind.UNSPECIFIED, raw)


@dataclass(frozen=True)
class PlanMeta:
    """The governing-document metadata of a plan version (beslut, giltighet)."""

    title: str
    organisation: str
    version: str
    valid_from: date | None
    kind: str = "dokumenthanteringsplan"
    org_number: str | None = None
    authority: str | None = None
    status: PlanStatus = PlanStatus.ADOPTED
    adopted_by: str | None = None
    adoption_ref: str | None = None
    adoption_date: date | None = None
    valid_to: date | None = None
    supersedes: str | None = None
    legal_model: LegalModel = LegalModel.PLAN_IS_DECISION
    scheme: str | None = None
    retention_rounding: str = "calendar_year_end"
    notes: str | None = None
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind,
            "organisation": self.organisation,
            "org_number": self.org_number,
            "authority": self.authority,
            "version": self.version,
            "status": str(self.status),
            "adopted_by": self.adopted_by,
            "adoption_ref": self.adoption_ref,
            "adoption_date": _iso(self.adoption_date),
            "valid_from": _iso(self.valid_from),
            "valid_to": _iso(self.valid_to),
            "supersedes": self.supersedes,
            "legal_model": str(self.legal_model),
            "scheme": self.scheme,
            "retention_rounding": self.retention_rounding,
            "notes": self.notes,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True)
class PlanClass:
    """A class of the classification scheme (klass/process), e.g. ``2.3.2``.

    ``code`` is ``None`` for a CSV section that names a process without a code; such a
    section is keyed by its title.
    """

    code: str | None
    title: str
    parent_code: str | None = None
    parent_explicit: bool = False
    level: str | None = None
    description: str | None = None
    line: int | None = None

    @property
    def key(self) -> str:
        return self.code if self.code is not None else self.title

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "parent": self.parent_code,
            "level": self.level,
            "description": self.description,
            "line": self.line,
        }


@dataclass(frozen=True)
class RecordType:
    """A record type (handlingstyp): one row of the plan with its rules.

    ``key`` is stable across versions: the given ``id`` in YAML, or in CSV the row id
    column if there is one, else the normalised (class or section, name) pair.
    """

    key: str
    name: str
    class_code: str | None
    process: str | None
    retention: RetentionRule
    registration: Registration = field(default_factory=lambda: Registration(
        RegistrationKind.UNSPECIFIED))
    secrecy: SecrecyHint = field(default_factory=lambda: SecrecyHint(raw=""))
    formats: FormatsCell = field(default_factory=lambda: FormatsCell(raw=""))
    delivery: DeliveryRule = field(default_factory=lambda: DeliveryRule(raw=""))
    description: str | None = None
    medium: str | None = None
    original_copy: str | None = None
    legal_basis: str | None = None
    storage: str | None = None
    sort_order: str | None = None
    responsible: str | None = None
    personal_data: bool | None = None
    notes: str | None = None
    line: int | None = None
    field_lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    extra: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def line_of(self, field_name: str) -> int | None:
        """The physical line where ``field_name`` was written, else the row's line."""
        return self.field_lines.get(field_name, self.line)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "name": self.name,
            "class": self.class_code,
            "process": self.process,
            "description": self.description,
            "registration": self.registration.to_dict(),
            "medium": self.medium,
            "formats": self.formats.raw,
            "original_copy": self.original_copy,
            "secrecy": self.secrecy.to_dict(),
            "retention": self.retention.to_dict(),
            "legal_basis": self.legal_basis,
            "delivery": self.delivery.to_dict(),
            "storage": self.storage,
            "sort_order": self.sort_order,
            "responsible": self.responsible,
            "personal_data": self.personal_data,
            "notes": self.notes,
            "line": self.line,
            "extra": dict(self.extra),
        }


@dataclass(frozen=True)
class SourceInfo:
    """Where a plan was read from: file, its SHA-256, format, encoding and CSV dialect."""

    path: str
    sha256: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }


@dataclass(frozen=True)
class Plan:
    """One version of a document-management plan (dokumenthanteringsplan)."""

    meta: PlanMeta
    classes: tuple[PlanClass, ...]
    record_types: tuple[RecordType, ...]
    source: SourceInfo

    def class_by_key(self) -> dict[str, PlanClass]:
        return {c.key: c for c in self.classes}

    def record_type_by_key(self) -> dict[str, RecordType]:
        return {r.key: r for r in self.record_types}

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.meta.to_dict(),
            "source": self.source.to_dict(),
            "classes": [c.to_dict() for c in self.classes],
            "record_types": [r.to_dict() for r in self.record_types],
        }


@dataclass(frozen=True)
class LoadResult:
    """What a loader returns: the plan (``None`` when it could not be built) and findings."""

    plan: Plan | None
    findings: tuple[Finding, ...] = ()


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def parent_of(code: str) -> str | None:
    """The dotted parent code: ``1.2.3`` → ``1.2``; a top-level code has none."""
    return code.rsplit(".", 1)[0] if "." in code else None
