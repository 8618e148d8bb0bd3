"""Load a plan exported from Excel as CSV (dokumenthanteringsplan i CSV).

Handles what real exports contain (domain.md §1.2): ``;``, ``,`` or tab; UTF-8 with or
without BOM or Windows-1252; a preface of key/value rows before the heading row;
section rows that name a process on a row of their own (the rows under them keep the
section); line breaks inside quoted cells; headings in many variants. Nothing is
dropped: unrecognised columns are kept as extra attributes of the row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from diariekit.errors import Location
from diariekit.findings import Finding, Severity
from diariekit.plans.build import build_record_type, clean_cell
from diariekit.plans.headings import field_for_heading
from diariekit.plans.meta import build_meta, preface_field, split_adoption
from diariekit.plans.model import LoadResult, Plan, PlanClass, RecordType, SourceInfo, parent_of
from diariekit.textio import DecodedText, find_mojibake, iter_csv_records, sniff_delimiter

_CODE = re.compile(r"^\d+(?:\.\d+)*$")
_CODE_TITLE = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(\S.*)$")
_CONTEXT_FIELDS = {"class_code", "process", "row_ref"}


def load_csv_plan(
    path: Path,
    decoded: DecodedText,
    *,
    column_map: Mapping[str, str] | None = None,
    meta_values: Mapping[str, Any] | None = None,
    delimiter: str | None = None,
) -> LoadResult:
    """Load a CSV plan. ``meta_values`` (sidecar, command line) win over the preface."""
    file = str(path)
    findings: list[Finding] = []
    for line, snippet in find_mojibake(decoded.text):
        findings.append(Finding(
            "plan.mojibake", Severity.ERROR,
            f"text looks wrongly encoded ('{snippet}'): UTF-8 read as Windows-1252 somewhere "
            "before this file was saved; fix the text (å ä ö) and save again",
            Location(file, line)))
    delim = delimiter or sniff_delimiter(decoded.text)
    records = list(iter_csv_records(decoded.text, delim, file))

    header_index = _find_header(records, column_map)
    if header_index is None:
        findings.append(Finding(
            "plan.no-heading-row", Severity.ERROR,
            "no heading row found: expected a column for the record type such as "
            "'Handlingstyp', 'Handling' or 'Rutin/Handling' (map other headings in "
            "diariekit.toml [plans.column_map])", Location(file, records[0][0] if records else 1)))
        return LoadResult(None, tuple(findings))

    header_line, header = records[header_index]
    preface: dict[str, Any] = {}
    preface_lines: dict[str, int] = {}
    for line, cells in records[:header_index]:
        _read_preface_row(cells, line, preface, preface_lines)

    columns: list[str | None] = []
    seen: dict[str, str] = {}
    for heading in header:
        field = field_for_heading(heading, column_map)
        if field is not None and field in seen:
            findings.append(Finding(
                "plan.duplicate-column", Severity.WARNING,
                f"columns '{seen[field]}' and '{heading.strip()}' both mean '{field}'; "
                f"the first is used, the second kept as an extra attribute",
                Location(file, header_line, heading.strip())))
            field = None
        elif field is not None:
            seen[field] = heading.strip()
        elif heading.strip():
            findings.append(Finding(
                "plan.unknown-column", Severity.INFO,
                f"column '{heading.strip()}' is not a known plan heading; its values are kept "
                "as extra attributes (map it in diariekit.toml [plans.column_map])",
                Location(file, header_line, heading.strip())))
        columns.append(field)
    if "retention" not in seen and "retention_action" not in seen:
        findings.append(Finding(
            "plan.missing-column", Severity.ERROR,
            "no retention column: expected 'Bevaras/Gallras', 'Gallring' or 'Gallringsfrist'",
            Location(file, header_line)))

    merged = dict(preface)
    merged.update({k: v for k, v in (meta_values or {}).items() if v is not None})
    meta = build_meta(merged, file=file, lines=preface_lines, default_title=path.stem,
                      findings=findings)

    classes: dict[str, PlanClass] = {}
    record_types: list[RecordType] = []
    section_code: str | None = None
    section_title: str | None = None
    for line, raw_cells in records[header_index + 1 :]:
        row = [clean_cell(c) for c in raw_cells]
        if not any(row):
            continue
        values: dict[str, str | None] = {}
        extra: dict[str, str] = {}
        for i, value in enumerate(row):
            field = columns[i] if i < len(columns) else None
            if field is not None:
                values[field] = value
            elif value is not None:
                named = header[i].strip() if i < len(header) else ""
                extra[named or f"column {i + 1}"] = value
        name = values.get("name")
        filled = [v for v in row if v is not None]
        is_section = len(filled) == 1 or (
            name is None
            and not extra
            and all(v is None for f, v in values.items() if f not in _CONTEXT_FIELDS)
        )
        if is_section:
            section_code, section_title = _section(values, filled)
            if section_code is not None and section_code not in classes:
                classes[section_code] = PlanClass(
                    section_code, section_title or section_code, parent_of(section_code),
                    line=line)
            elif section_code is None and section_title and section_title not in classes:
                classes[section_title] = PlanClass(None, section_title, line=line)
            continue
        if name is None:
            findings.append(Finding(
                "plan.missing-name", Severity.ERROR,
                "row has rules but no record type name", Location(file, line, seen.get("name"))))
            continue
        class_code = values.get("class_code") or section_code
        if class_code is not None and not _CODE.match(class_code):
            m = _CODE_TITLE.match(class_code)
            if m:
                class_code = m.group(1)
        process = values.get("process") or section_title
        if class_code is not None and class_code not in classes:
            classes[class_code] = PlanClass(
                class_code, process or class_code, parent_of(class_code), line=line)
        section_key = class_code or section_title or ""
        key = values.get("row_ref") or f"{section_key}/{' '.join(name.casefold().split())}"
        record_types.append(build_record_type(
            key=key, name=name, class_code=class_code, process=process, cells=values,
            line=line, extra=extra))

    source = SourceInfo(file, decoded.sha256, "csv", decoded.encoding, delim)
    plan = Plan(meta, tuple(classes.values()), tuple(record_types), source)
    return LoadResult(plan, tuple(findings))


def _find_header(
    records: list[tuple[int, list[str]]], column_map: Mapping[str, str] | None
) -> int | None:
    """The heading row: the first with a name column and at least one other known column."""
    for index, (_line, cells) in enumerate(records[:50]):
        fields = {field_for_heading(c, column_map) for c in cells if c.strip()}
        fields.discard(None)
        if "name" in fields and len(fields) >= 2:
            return index
    return None


def _read_preface_row(
    cells: list[str], line: int, preface: dict[str, Any], lines: dict[str, int]
) -> None:
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < 2:
        return
    key, value = filled[0], " ".join(filled[1:])
    field = preface_field(key)
    if field == "adoption":
        ref, when = split_adoption(value)
        if ref and "adoption_ref" not in preface:
            preface["adoption_ref"], lines["adoption_ref"] = ref, line
        if when:
            preface["adoption_date"], lines["adoption_date"] = when, line
    elif field is not None:
        preface[field], lines[field] = value, line
    else:
        preface[key.rstrip(":")] = value


def _section(values: Mapping[str, str | None], filled: list[str]) -> tuple[str | None, str | None]:
    """Code and title of a section row ("3.1;Utbildning i grundskolan" or "3.1 Utbildning")."""
    code = values.get("class_code")
    if code is not None and _CODE.match(code):
        rest = [v for v in filled if v != code]
        return code, (values.get("process") or (rest[0] if rest else None))
    text = " ".join(filled)
    m = _CODE_TITLE.match(text)
    if m:
        return m.group(1), m.group(2)
    if _CODE.match(text):
        return text, None
    return None, text
