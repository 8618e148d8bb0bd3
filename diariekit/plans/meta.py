"""Plan metadata (beslut, giltighet) from YAML, a CSV preface or a sidecar file."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from diariekit.errors import Location
from diariekit.findings import Finding, Severity
from diariekit.plans.model import LegalModel, PlanMeta, PlanStatus

_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")

# Preface keys of Excel plans (Danderyd style) → meta fields.
_PREFACE_KEYS: dict[str, str] = {
    "myndighet": "organisation",
    "nämnd": "organisation",
    "arkivbildare": "organisation",
    "organisation": "organisation",
    "dokument": "title",
    "titel": "title",
    "plan": "title",
    "rubrik": "title",
    "version": "version",
    "versionsnummer": "version",
    "beslutad": "adoption",
    "beslut": "adoption",
    "beslutsdatum": "adoption",
    "fastställd": "adoption",
    "antagen": "adoption",
    "dnr": "adoption_ref",
    "diarienummer": "adoption_ref",
    "beslutande": "adopted_by",
    "beslutsinstans": "adopted_by",
    "gäller från": "valid_from",
    "giltig från": "valid_from",
    "gäller fr.o.m.": "valid_from",
    "gäller till": "valid_to",
    "giltig till": "valid_to",
    "gäller t.o.m.": "valid_to",
    "ersätter": "supersedes",
    "organisationsnummer": "org_number",
    "org.nr": "org_number",
    "orgnr": "org_number",
}


def preface_field(key: str) -> str | None:
    """The meta field a preface key names ("Beslutad" → adoption), or ``None``."""
    norm = " ".join(key.casefold().replace("\u00a0", " ").split()).rstrip(":")
    return _PREFACE_KEYS.get(norm)


def split_adoption(text: str) -> tuple[str | None, str | None]:
    """"BUN 2023/0088 § 41, 2023-06-12" → (ref "BUN 2023/0088 § 41", date "2023-06-12")."""
    m = _DATE.search(text)
    when = m.group(1) if m else None
    rest = (text[: m.start()] + text[m.end() :]) if m else text
    ref = rest.strip(" ,;") or None
    return ref, when


def build_meta(
    values: Mapping[str, Any],
    *,
    file: str,
    lines: Mapping[str, int] | None = None,
    default_title: str = "",
    findings: list[Finding],
) -> PlanMeta:
    """Build :class:`PlanMeta`; bad dates or enum values become error findings."""
    lines = lines or {}

    def where(key: str) -> Location:
        return Location(file, lines.get(key), f"plan.{key}")

    def text(key: str) -> str | None:
        v = values.get(key)
        if v is None:
            return None
        s = str(v).strip()
        return s or None

    def day(key: str) -> date | None:
        s = text(key)
        if s is None:
            return None
        try:
            return date.fromisoformat(s)
        except ValueError:
            findings.append(Finding("plan.bad-date", Severity.ERROR,
                                    f"'{s}' is not a date (write YYYY-MM-DD)", where(key)))
            return None

    def enum(key: str, kind: Callable[[str], Any], default: Any) -> Any:
        s = text(key)
        if s is None:
            return default
        try:
            return kind(s)
        except ValueError:
            findings.append(Finding("plan.bad-value", Severity.ERROR,
                                    f"'{s}' is not a valid value", where(key)))
            return default

    known = {"title", "kind", "organisation", "org_number", "authority", "version", "status",
             "adopted_by", "adoption_ref", "adoption_date", "valid_from", "valid_to",
             "supersedes", "legal_model", "scheme", "retention_rounding", "notes"}
    extra = {k: str(v) for k, v in values.items() if k not in known and v is not None}
    return PlanMeta(
        title=text("title") or default_title,
        organisation=text("organisation") or "",
        version=text("version") or "",
        valid_from=day("valid_from"),
        kind=text("kind") or "dokumenthanteringsplan",
        org_number=text("org_number"),
        authority=text("authority"),
        status=enum("status", PlanStatus, PlanStatus.ADOPTED),
        adopted_by=text("adopted_by"),
        adoption_ref=text("adoption_ref"),
        adoption_date=day("adoption_date"),
        valid_to=day("valid_to"),
        supersedes=text("supersedes"),
        legal_model=enum("legal_model", LegalModel, LegalModel.PLAN_IS_DECISION),
        scheme=text("scheme"),
        retention_rounding=text("retention_rounding") or "calendar_year_end",
        notes=text("notes"),
        extra=MappingProxyType(extra),
    )
