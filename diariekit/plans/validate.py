"""Validation of a plan (granskning av dokumenthanteringsplan): schema and meaning.

Meaning checks: unique class codes and record-type ids, a resolvable class tree,
every retention rule parseable, every disposal backed by a legal basis (on the row,
or the plan's own adoption when the adopted plan is the gallringsbeslut), OSL
references well-formed, superseded or expired plans flagged, unknown formats flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from diariekit.errors import Location
from diariekit.findings import Finding, Severity, has_errors, sorted_findings
from diariekit.plans.loading import load_plan
from diariekit.plans.model import (
    LegalModel,
    Plan,
    PlanStatus,
    RecordType,
    RegistrationKind,
)
from diariekit.plans.retention import Action

# Words in a note that often override the rule (domain.md §1.1).
_OVERRIDE_WORDS = re.compile(r"\b(bevaras|gallras|dock|om)\b", re.IGNORECASE)


def check_plan(plan: Plan, *, today: date | None = None) -> list[Finding]:
    """All meaning findings for a loaded plan."""
    today = today or date.today()
    file = plan.source.path
    out: list[Finding] = []
    _check_meta(plan, today, out)

    first_class_line: dict[str, int | None] = {}
    for cls in plan.classes:
        if cls.key in first_class_line:
            out.append(Finding(
                "plan.duplicate-class", Severity.ERROR,
                f"class code '{cls.key}' is defined twice (first on line "
                f"{first_class_line[cls.key]})", Location(file, cls.line, "code")))
        else:
            first_class_line[cls.key] = cls.line
    is_csv = plan.source.format == "csv"
    for cls in plan.classes:
        if cls.parent_code is not None and cls.parent_code not in first_class_line:
            severity = Severity.WARNING if is_csv and not cls.parent_explicit else Severity.ERROR
            out.append(Finding(
                "plan.unresolved-parent", severity,
                f"class '{cls.key}' has parent '{cls.parent_code}', which the plan does not "
                "define", Location(file, cls.line, "parent" if cls.parent_explicit else "code")))

    first_rt_line: dict[str, int | None] = {}
    for rt in plan.record_types:
        if rt.key in first_rt_line:
            label = "record type id" if plan.source.format == "yaml" else "record type"
            out.append(Finding(
                "plan.duplicate-record-type", Severity.ERROR,
                f"{label} '{rt.key}' appears twice (first on line {first_rt_line[rt.key]}); "
                "record types need a stable unique key",
                Location(file, rt.line_of("id"), "id" if plan.source.format == "yaml"
                         else "Handlingstyp")))
        else:
            first_rt_line[rt.key] = rt.line
        if rt.class_code is not None and rt.class_code not in first_class_line:
            out.append(Finding(
                "plan.unknown-class", Severity.ERROR,
                f"record type '{rt.name}' refers to class '{rt.class_code}', which the plan "
                "does not define", Location(file, rt.line, "class")))
        _check_record_type(plan, rt, out)
    return sorted_findings(out)


def _check_meta(plan: Plan, today: date, out: list[Finding]) -> None:
    meta, file = plan.meta, plan.source.path
    loc = Location(file, None, None)
    if not meta.organisation:
        out.append(Finding("plan.no-organisation", Severity.WARNING,
                           "the plan names no organisation (arkivbildare)", loc))
    if not meta.version:
        out.append(Finding("plan.no-version", Severity.WARNING,
                           "the plan has no version; 'plan import' will need one", loc))
    if meta.valid_from is None:
        out.append(Finding("plan.no-valid-from", Severity.WARNING,
                           "the plan states no date it is valid from ('Gäller från')", loc))
    if meta.status in (PlanStatus.SUPERSEDED, PlanStatus.REPEALED):
        out.append(Finding("plan.superseded", Severity.WARNING,
                           f"the plan's status is '{meta.status}': it no longer governs", loc))
    if meta.valid_to is not None and meta.valid_to < today:
        out.append(Finding("plan.expired", Severity.WARNING,
                           f"the plan expired on {meta.valid_to.isoformat()}", loc))
    if meta.valid_from is not None and meta.valid_to is not None \
            and meta.valid_to < meta.valid_from:
        out.append(Finding("plan.bad-validity", Severity.ERROR,
                           "valid_to is before valid_from", loc))
    if meta.valid_from is not None and meta.valid_from > today:
        out.append(Finding("plan.not-yet-valid", Severity.INFO,
                           f"the plan takes effect on {meta.valid_from.isoformat()}", loc))
    if meta.status is PlanStatus.DRAFT:
        out.append(Finding("plan.draft", Severity.INFO,
                           "the plan is a draft: nothing may be disposed of under it", loc))


def _plan_is_basis(plan: Plan) -> bool:
    meta = plan.meta
    return meta.legal_model is LegalModel.PLAN_IS_DECISION and bool(meta.adoption_ref)


def _check_record_type(plan: Plan, rt: RecordType, out: list[Finding]) -> None:
    file = plan.source.path
    yaml_form = plan.source.format == "yaml"

    def loc(field: str, csv_field: str | None = None) -> Location:
        return Location(file, rt.line_of(field), field if yaml_form else (csv_field or field))

    rule = rt.retention
    if not rule.recognised:
        problem = rule.problem or "not a retention rule diariekit understands"
        out.append(Finding(
            "plan.retention-unparsed", Severity.ERROR,
            f"retention '{rule.raw}' of '{rt.name}': {problem}; until fixed it is treated "
            "as bevaras", loc("retention")))
    elif rule.see_notes:
        out.append(Finding(
            "plan.retention-see-notes", Severity.WARNING,
            f"retention of '{rt.name}' refers to the notes ('{rule.raw}'): needs review",
            loc("retention")))
    # An unreadable rule is already an error above and is treated as bevaras.
    disposes = (rule.recognised and rule.action in (Action.DISPOSE, Action.REVIEW)
                and not rule.see_notes)
    if disposes and not rt.legal_basis and not _plan_is_basis(plan):
        why = ("the plan is not itself the disposal decision"
               if plan.meta.legal_model is not LegalModel.PLAN_IS_DECISION
               else "the plan states no adoption decision (adoption_ref)")
        out.append(Finding(
            "plan.no-legal-basis", Severity.ERROR,
            f"'{rt.name}' is disposed of ({rule.describe()}) without a legal basis: give "
            f"legal_basis (gallringsbeslut or lagrum) on the row; {why}",
            loc("legal_basis" if "legal_basis" in rt.field_lines else "retention",
                "legal_basis")))
    if rt.notes and rule.recognised and _OVERRIDE_WORDS.search(rt.notes):
        out.append(Finding(
            "plan.note-may-override", Severity.INFO,
            f"the note of '{rt.name}' may change its rule: \"{_short(rt.notes)}\"",
            loc("notes")))
    for problem in rt.secrecy.problems:
        out.append(Finding("plan.secrecy-invalid", Severity.ERROR,
                           f"secrecy of '{rt.name}': {problem}", loc("secrecy")))
    for warning in rt.secrecy.warnings:
        out.append(Finding("plan.secrecy-unspecified", Severity.WARNING,
                           f"secrecy of '{rt.name}': {warning}", loc("secrecy")))
    if (rt.secrecy.provisions or rt.secrecy.may_contain) and rt.registration.kind in (
            RegistrationKind.ORDERED, RegistrationKind.NONE):
        out.append(Finding(
            "plan.secret-not-registered", Severity.WARNING,
            f"'{rt.name}' may hold secret data but is not registered "
            f"('{rt.registration.raw}'): secret documents must be registered (OSL 5 kap. 1 §)",
            loc("registration")))
    for word in rt.formats.unknown:
        out.append(Finding("plan.unknown-format", Severity.WARNING,
                           f"format '{word}' of '{rt.name}' is not a known file format",
                           loc("formats", "formats")))
    if not rt.delivery.recognised:
        out.append(Finding(
            "plan.delivery-unparsed", Severity.WARNING,
            f"delivery deadline '{rt.delivery.raw}' of '{rt.name}': "
            f"{rt.delivery.problem or 'not understood'}", loc("delivery")))


def _short(text: str, width: int = 80) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


def validate_plan_file(
    path: Path,
    *,
    column_map: Mapping[str, str] | None = None,
    meta_values: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> tuple[Plan | None, list[Finding]]:
    """Load and check one plan file: ``(plan or None, findings in reading order)``."""
    result = load_plan(path, column_map=column_map, meta_values=meta_values)
    findings = list(result.findings)
    if result.plan is not None:
        findings.extend(check_plan(result.plan, today=today))
    return result.plan, sorted_findings(findings)


__all__ = ["check_plan", "has_errors", "validate_plan_file"]
