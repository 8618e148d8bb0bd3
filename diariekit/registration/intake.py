"""Registration input (inkommande underlag): CSV, JSON Lines, JSON arrays, or a folder.

Rows stream from the file (flat memory however many rows) as :class:`IntakeRow` with
canonical field names, whatever the headings were called: Swedish or English, ``;`` or
``,``, UTF-8 or Windows-1252. A folder holds the files to register and a metadata
sidecar (``metadata.csv``, ``metadata.jsonl`` or ``metadata.json``) naming them.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from diariekit.errors import InvalidInputError, Location, UnreadableInputError
from diariekit.plans.headings import normalise_heading
from diariekit.textio import sniff_delimiter

FIELDS = ("external_id", "series", "case", "case_key", "case_title", "class", "record_type",
          "direction", "date", "counterpart", "description", "officer", "unit", "files",
          "secrecy", "person_ref", "document_type", "main_case", "status", "closed",
          "document", "subject")

_HEADINGS: dict[str, str] = {
    "externt id": "external_id", "extern id": "external_id", "extern referens": "external_id",
    "external id": "external_id", "id": "external_id",
    "serie": "series", "diarieserie": "series",
    "ärende": "case", "diarienummer": "case", "dnr": "case", "ärendenummer": "case",
    "case number": "case", "case ref": "case",
    "ärendenyckel": "case_key", "case key": "case_key",
    "ärendemening": "case_title", "ärenderubrik": "case_title", "rubrik": "case_title",
    "case title": "case_title", "title": "case_title",
    "klass": "class", "klassificering": "class", "class code": "class",
    "handlingstyp": "record_type", "record type": "record_type",
    "riktning": "direction", "in/ut": "direction", "direction": "direction",
    "datum": "date", "inkom": "date", "upprättad": "date", "handlingsdatum": "date",
    "avsändare/mottagare": "counterpart", "avsändare": "counterpart",
    "mottagare": "counterpart", "motpart": "counterpart", "part": "counterpart",
    "beskrivning": "description", "handlingsmening": "description",
    "dokumentbeskrivning": "description", "handling": "description",
    "handläggare": "officer", "case officer": "officer",
    "enhet": "unit", "grupp": "unit", "avdelning": "unit",
    "filer": "files", "fil": "files", "bilaga": "files", "bilagor": "files", "file": "files",
    "sekretess": "secrecy", "secrecy hint": "secrecy",
    "personnummer": "person_ref", "person": "person_ref", "personal identity number": "person_ref",
    "dokumenttyp": "document_type", "document type": "document_type",
    "huvudärende": "main_case", "main case": "main_case",
    "ärendestatus": "status", "avslutad": "closed", "dokumentnummer": "document",
    "handlingsnummer": "document", "document number": "document",
    "ämnesområde": "subject", "ämne": "subject",
}
for _f in FIELDS:
    _HEADINGS.setdefault(_f.replace("_", " "), _f)

METADATA_NAMES = ("metadata.csv", "metadata.jsonl", "metadata.json")


def field_for(heading: str, column_map: Mapping[str, str] | None = None) -> str | None:
    """The canonical intake field of a heading (or key), or ``None``."""
    norm = normalise_heading(heading).replace("_", " ")
    if column_map:
        for given, target in column_map.items():
            if normalise_heading(given).replace("_", " ") == norm:
                return target
    return _HEADINGS.get(norm)


@dataclass(frozen=True)
class IntakeRow:
    """One input row: canonical values, unmapped extras, and where it came from."""

    line: int
    values: Mapping[str, str | None]
    extra: Mapping[str, str]
    source: str
    base_dir: Path
    raw: Mapping[str, Any] = field(default_factory=dict)  # the row as written, keys as headed

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def location(self, field: str | None = None) -> Location:
        return Location(self.source, self.line, field)


def _detect_encoding(path: Path) -> str:
    """BOM, else UTF-8 if the whole file decodes as UTF-8 (streamed), else Windows-1252."""
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        try:
            while chunk := fh.read(1 << 20):
                if b"\x00" in chunk:
                    raise UnreadableInputError(
                        "not a text file (NUL bytes: binary data, or UTF-16 without a BOM)",
                        Location(str(path)))
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            return "cp1252"


def _open_text(path: Path, encoding: str | None) -> tuple[IO[str], str]:
    try:
        enc = encoding or _detect_encoding(path)
        return path.open("r", encoding=enc, newline="", errors="strict"), enc
    except FileNotFoundError:
        raise UnreadableInputError("file not found", Location(str(path))) from None
    except IsADirectoryError:
        raise UnreadableInputError("is a folder", Location(str(path))) from None
    except OSError as exc:
        raise UnreadableInputError(f"cannot read: {exc.strerror}", Location(str(path))) from None


def _csv_rows(path: Path, base: Path, encoding: str | None,
              column_map: Mapping[str, str] | None) -> Iterator[IntakeRow]:
    fh, enc = _open_text(path, encoding)
    name = str(path)
    with fh:
        try:
            sample = fh.read(64 * 1024)
            fh.seek(0)
        except UnicodeDecodeError as exc:
            raise UnreadableInputError(f"cannot decode as {enc}: {exc.reason}",
                                       Location(name)) from None
        reader = csv.reader(fh, delimiter=sniff_delimiter(sample), strict=True)
        end = 0
        header: list[str] | None = None
        fields: list[str | None] = []
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InvalidInputError(f"malformed CSV: {exc}", Location(name, end + 1)) from None
            except UnicodeDecodeError as exc:
                raise UnreadableInputError(f"cannot decode as {enc}: {exc.reason}",
                                           Location(name, end + 1)) from None
            start, end = end + 1, reader.line_num
            if header is None:
                header = [c.strip().lstrip("\ufeff") for c in cells]
                fields = [field_for(h, column_map) for h in header]
                known = [f for f in fields if f]
                if not known:
                    raise InvalidInputError(
                        "no known column headings (expected e.g. Serie, Ärendemening, Klass, "
                        "Handlingstyp, Riktning, Datum)", Location(name, start))
                seen: set[str] = set()
                for h, f in zip(header, fields, strict=True):
                    if f and f in seen:
                        raise InvalidInputError(f"two columns mean '{f}'", Location(name, start, h))
                    if f:
                        seen.add(f)
                continue
            if not any(c.strip() for c in cells):
                continue
            values: dict[str, str | None] = {}
            extra: dict[str, str] = {}
            raw: dict[str, str] = {}
            for i, cell in enumerate(cells):
                value = cell.strip() or None
                f = fields[i] if i < len(fields) else None
                heading = header[i] if i < len(header) and header[i] else f"column {i + 1}"
                raw[heading] = cell
                if f:
                    values[f] = value
                elif value is not None:
                    extra[heading] = value
            yield IntakeRow(start, values, extra, name, base, raw)


def _mapping_row(obj: Any, line: int, name: str, base: Path,
                 column_map: Mapping[str, str] | None) -> IntakeRow:
    if not isinstance(obj, dict):
        raise InvalidInputError("expected an object with fields", Location(name, line))
    values: dict[str, str | None] = {}
    extra: dict[str, str] = {}
    for key, raw in obj.items():
        if isinstance(raw, list):
            value: str | None = "|".join(str(v) for v in raw) if raw else None
        elif raw is None or raw == "":
            value = None
        elif isinstance(raw, dict):
            value = json.dumps(raw, ensure_ascii=False, sort_keys=True)
        else:
            value = str(raw).strip() or None
        f = field_for(str(key), column_map)
        if f:
            values[f] = value
        elif value is not None:
            extra[str(key)] = value
    return IntakeRow(line, values, extra, name, base, dict(obj))


def _jsonl_rows(path: Path, base: Path, encoding: str | None,
                column_map: Mapping[str, str] | None) -> Iterator[IntakeRow]:
    fh, enc = _open_text(path, encoding)
    name = str(path)
    with fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"not valid JSON: {exc.msg}",
                                        Location(name, number)) from None
            yield _mapping_row(obj, number, name, base, column_map)


def _json_array_rows(path: Path, base: Path, encoding: str | None,
                     column_map: Mapping[str, str] | None) -> Iterator[IntakeRow]:
    """A JSON array of objects; the line reported is where each object starts."""
    fh, _enc = _open_text(path, encoding)
    name = str(path)
    with fh:
        text = fh.read()
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "[":
        if text[pos:pos + 1] == "{":
            yield from _jsonl_rows(path, base, encoding, column_map)
            return
        raise InvalidInputError("expected a JSON array of objects", Location(name, 1))
    pos = _skip_ws(text, pos + 1)
    line = 1 + text.count("\n", 0, pos)
    while pos < len(text) and text[pos] != "]":
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"not valid JSON: {exc.msg}",
                                    Location(name, exc.lineno)) from None
        yield _mapping_row(obj, line, name, base, column_map)
        nxt = _skip_ws(text, end)
        if nxt < len(text) and text[nxt] == ",":
            nxt = _skip_ws(text, nxt + 1)
        line += text.count("\n", pos, nxt)
        pos = nxt


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def read_intake(path: Path, *, encoding: str | None = None,
                column_map: Mapping[str, str] | None = None) -> Iterator[IntakeRow]:
    """Rows of a registration input: CSV, JSON Lines, a JSON array, or a folder."""
    if path.is_dir():
        for meta_name in METADATA_NAMES:
            meta = path / meta_name
            if meta.is_file():
                yield from read_intake(meta, encoding=encoding, column_map=column_map)
                return
        raise InvalidInputError(
            f"the folder has no metadata sidecar ({', '.join(METADATA_NAMES)}) naming its "
            "files and their fields", Location(str(path)))
    if not path.exists():
        raise UnreadableInputError("file not found", Location(str(path)))
    base = path.parent
    suffix = path.suffix.casefold()
    if suffix in (".jsonl", ".ndjson"):
        yield from _jsonl_rows(path, base, encoding, column_map)
    elif suffix == ".json":
        yield from _json_array_rows(path, base, encoding, column_map)
    else:
        yield from _csv_rows(path, base, encoding, column_map)


__all__ = ["FIELDS", "IntakeRow", "field_for", "read_intake"]
