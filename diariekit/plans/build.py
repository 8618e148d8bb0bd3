"""Turn the text of one plan row into a :class:`RecordType` (shared by all loaders)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from diariekit.files.formats import FormatsCell, parse_formats_cell
from diariekit.plans.model import RecordType, parse_registration
from diariekit.plans.retention import parse_delivery, parse_retention, parse_retention_columns
from diariekit.secrecy import parse_secrecy_cell

_TRUE = {"ja", "j", "x", "yes", "true", "1"}
_FALSE = {"nej", "n", "no", "false", "0", "-"}


def clean_cell(value: str | None) -> str | None:
    """Strip a cell: NBSP and soft hyphens out, line breaks folded; empty → ``None``."""
    if value is None:
        return None
    v = value.replace("\u00ad", "").replace("\u00a0", " ").replace("\ufeff", "")
    v = re.sub(r"[ \t]*\r?\n[ \t]*", "\n", v).strip()
    return v or None


def parse_bool_cell(value: str | None) -> bool | None:
    """"Ja"/"Nej" and friends; anything else is ``None`` (not stated)."""
    if value is None:
        return None
    low = value.strip().casefold()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return None


def build_record_type(
    *,
    key: str,
    name: str,
    class_code: str | None,
    process: str | None,
    cells: Mapping[str, str | None],
    line: int | None,
    field_lines: Mapping[str, int] | None = None,
    extra: Mapping[str, str] | None = None,
    personal_data: bool | None = None,
) -> RecordType:
    """Build a record type from canonical field texts (see ``headings.FIELDS``)."""
    retention_text = cells.get("retention")
    action_text = cells.get("retention_action")
    if action_text is not None:
        retention = parse_retention_columns(action_text, retention_text)
    else:
        retention = parse_retention(retention_text)
    medium = cells.get("medium")
    formats_text = cells.get("formats")
    combined = cells.get("medium_format")
    if combined is not None:
        parsed = parse_formats_cell(combined)
        if medium is None and parsed.media:
            medium = ", ".join(parsed.media)
        formats = parsed if formats_text is None else parse_formats_cell(formats_text)
    else:
        formats = parse_formats_cell(formats_text) if formats_text else FormatsCell(raw="")
    if personal_data is None:
        personal_data = parse_bool_cell(cells.get("personal_data"))
    return RecordType(
        key=key,
        name=name,
        class_code=class_code,
        process=process,
        retention=retention,
        registration=parse_registration(cells.get("registration")),
        secrecy=parse_secrecy_cell(cells.get("secrecy")),
        formats=formats,
        delivery=parse_delivery(cells.get("delivery")),
        description=cells.get("description"),
        medium=medium,
        original_copy=cells.get("original_copy"),
        legal_basis=cells.get("legal_basis"),
        storage=cells.get("storage"),
        sort_order=cells.get("sort_order"),
        responsible=cells.get("responsible"),
        personal_data=personal_data,
        notes=cells.get("notes"),
        line=line,
        field_lines=MappingProxyType(dict(field_lines or {})),
        extra=MappingProxyType(dict(extra or {})),
    )
