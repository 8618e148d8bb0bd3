"""Column headings of real plans (rubriker) mapped to the canonical record-type fields.

Real plans name their columns in many ways (domain.md §1.2): Handlingstyp, Handling,
Rutin/Handling, Handlingsslag; Media, Medium, Media/Format; Gallring, Gallringsfrist,
Bevaras/Gallras … Headings are normalised (casefold, no NBSP, soft hyphens or line
breaks, one spacing around ``/``) and looked up here; a column map in diariekit.toml
covers the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Canonical fields a plan column can feed.
FIELDS = (
    "row_ref",
    "class_code",
    "process",
    "name",
    "description",
    "registration",
    "medium",
    "medium_format",
    "formats",
    "original_copy",
    "storage",
    "sort_order",
    "secrecy",
    "retention_action",
    "retention",
    "legal_basis",
    "delivery",
    "responsible",
    "personal_data",
    "notes",
)

_EXACT: dict[str, str] = {
    # name of the record type
    "handlingstyp": "name",
    "handlingstyper": "name",
    "handling": "name",
    "handlingar": "name",
    "handlingsslag": "name",
    "rutin/handling": "name",
    "handlingstyp/handling": "name",
    "typ": "name",
    "typ av handling": "name",
    "benämning": "name",
    "informationsmängd": "name",
    "informationstyp": "name",
    # class and process
    "klass": "class_code",
    "klassificering": "class_code",
    "klassificeringskod": "class_code",
    "kod": "class_code",
    "processkod": "class_code",
    "processnummer": "class_code",
    "process nr": "class_code",
    "nr": "class_code",
    "process": "process",
    "processnamn": "process",
    "aktivitet": "process",
    "verksamhetsområde": "process",
    # row id
    "id dok": "row_ref",
    "id": "row_ref",
    "radnummer": "row_ref",
    "löpnummer": "row_ref",
    # description
    "beskrivning": "description",
    "förklaring": "description",
    # registration
    "registrering": "registration",
    "diarieförs": "registration",
    "diarieföring": "registration",
    "registrering/diarieföring": "registration",
    "registreras": "registration",
    "hantering": "registration",
    # medium and format
    "media": "medium",
    "medium": "medium",
    "bevarandeexemplar": "medium",
    "media/format": "medium_format",
    "medium/format": "medium_format",
    "format": "formats",
    "filformat": "formats",
    "arkivformat": "formats",
    "original/kopia": "original_copy",
    "o/k": "original_copy",
    # storage and order
    "förvaring": "storage",
    "förvaringsplats": "storage",
    "förvaringsplats/system": "storage",
    "lagringsplats": "storage",
    "system": "storage",
    "sortering": "sort_order",
    "sorteringsform": "sort_order",
    "sorteringsordning": "sort_order",
    # secrecy
    "sekretess": "secrecy",
    "sekretess/skydd": "secrecy",
    "sekretess (osl)": "secrecy",
    "sekretessbestämmelse": "secrecy",
    # retention
    "bevaras/gallras": "retention_action",
    "bevara/gallra": "retention_action",
    "b/g": "retention_action",
    "bevaras eller gallras": "retention_action",
    "gallring": "retention",
    "gallringsfrist": "retention",
    "gallring frist": "retention",
    "gallras efter": "retention",
    "bevaras/gallras frist": "retention",
    "bevarande/gallring": "retention",
    # legal basis
    "hänvisning till gallringsbeslut eller lagrum": "legal_basis",
    "hänvisning till föreskrift": "legal_basis",
    "gallringsföreskrifter": "legal_basis",
    "gallringsföreskrift": "legal_basis",
    "gallringsbeslut": "legal_basis",
    "lagrum": "legal_basis",
    "beslut/lagrum": "legal_basis",
    "stöd för gallring": "legal_basis",
    # delivery deadline (never the retention period, decisions.md)
    "leveransfrist": "delivery",
    "leverans": "delivery",
    "leverans till kommunarkiv": "delivery",
    "leverans till kommunarkivet": "delivery",
    "leverans till arkivmyndighet": "delivery",
    "leverans till e-arkiv": "delivery",
    # others
    "ansvar": "responsible",
    "ansvarig": "responsible",
    "personuppgifter": "personal_data",
    "innehåller personuppgifter": "personal_data",
    "anmärkning": "notes",
    "anmärkningar": "notes",
    "kommentar": "notes",
    "kommentarer": "notes",
    "övrigt": "notes",
    "notering": "notes",
}

# Headings that begin with these words, whatever follows, in this order.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tidsfrist för leverans", "delivery"),
    ("leverans till", "delivery"),
    ("leveransfrist", "delivery"),
    ("hänvisning till gallring", "legal_basis"),
    ("hänvisning till beslut", "legal_basis"),
    ("gallringsfrist", "retention"),
    ("bevaras/gallras", "retention_action"),
)

_SPACES = re.compile(r"\s+")
_FOOTNOTE = re.compile(r"[\s*¹²³⁴⁵⁶⁷⁸⁹⁰]+$")
_SLASH = re.compile(r"\s*/\s*")


def normalise_heading(heading: str) -> str:
    """Casefold, drop NBSP, soft hyphens, line breaks and footnote marks; unify ``/``."""
    h = heading.replace("\u00ad", "").replace("\u00a0", " ").replace("\ufeff", "")
    h = h.replace("–", "-").replace("—", "-")
    h = _SPACES.sub(" ", h).strip().casefold()
    h = _SLASH.sub("/", h)
    h = _FOOTNOTE.sub("", h).rstrip(":").strip()
    return h


def field_for_heading(heading: str, column_map: Mapping[str, str] | None = None) -> str | None:
    """The canonical field of a column heading, or ``None`` when it is not recognised.

    The column map from diariekit.toml (heading → field) is consulted first.
    """
    norm = normalise_heading(heading)
    if not norm:
        return None
    if column_map:
        for given, target in column_map.items():
            if normalise_heading(given) == norm:
                return target
    if norm in _EXACT:
        return _EXACT[norm]
    # "Gallring Frist" from a flattened two-row header; "Bevaras/ Gallras" etc.
    squashed = norm.replace(" ", "")
    for key, target in _EXACT.items():
        if key.replace(" ", "") == squashed:
            return target
    for prefix, target in _PREFIXES:
        if norm.startswith(prefix):
            return target
    return None
