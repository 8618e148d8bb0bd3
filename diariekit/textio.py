"""Reading the text files people export: encodings, CSV dialects, mojibake.

Swedish offices export "CSV" from Excel with ``;`` (``,`` is the decimal sign),
in Windows-1252 (older) or UTF-8 with a BOM (newer). We detect the BOM, try UTF-8,
fall back to Windows-1252, and refuse what cannot be text at all (exit 4). Text that
decodes but shows mojibake (``Ã¤``: UTF-8 read as Windows-1252 somewhere upstream) is
a content error reported with its line (exit 1), per decisions.md.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from diariekit.errors import InvalidInputError, Location, UnreadableInputError


@dataclass(frozen=True)
class DecodedText:
    """A text file's content with the encoding it was read in and its SHA-256."""

    text: str
    encoding: str
    sha256: str


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_text_file(path: Path, encoding: str | None = None) -> DecodedText:
    """Read and decode ``path``; raise :class:`UnreadableInputError` if it is not text."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableInputError("file not found", Location(str(path))) from None
    except IsADirectoryError:
        raise UnreadableInputError("is a folder, not a file", Location(str(path))) from None
    except OSError as exc:
        raise UnreadableInputError(f"cannot read: {exc.strerror}", Location(str(path))) from None
    return decode_bytes(data, str(path), encoding)


def decode_bytes(data: bytes, name: str, encoding: str | None = None) -> DecodedText:
    """Decode bytes as described in the module docstring."""
    digest = hashlib.sha256(data).hexdigest()
    if encoding:
        try:
            return DecodedText(_check_text(data.decode(encoding), name), encoding, digest)
        except (UnicodeDecodeError, LookupError) as exc:
            raise UnreadableInputError(
                f"cannot decode as {encoding}: {exc}", Location(name)
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"
    elif b"\x00" in data:
        raise UnreadableInputError(
            "not a text file (contains NUL bytes: binary data, or UTF-16 without a BOM); "
            "save it as UTF-8 or Windows-1252 CSV",
            Location(name),
        )
    else:
        try:
            return DecodedText(_check_text(data.decode("utf-8"), name), "utf-8", digest)
        except UnicodeDecodeError:
            enc = "cp1252"
    try:
        return DecodedText(_check_text(data.decode(enc), name), enc, digest)
    except UnicodeDecodeError as exc:
        raise UnreadableInputError(
            f"cannot decode as UTF-8 or Windows-1252 (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8",
            Location(name),
        ) from None


def _check_text(text: str, name: str) -> str:
    m = _CONTROL.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise UnreadableInputError(
            f"not a text file (control character U+{ord(m.group()):04X})", Location(name, line)
        )
    return text


# UTF-8 bytes of Swedish letters and punctuation read as Windows-1252 or Latin-1.
_MOJIBAKE = re.compile(r"Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013-\u203a]"
                       r"|â€[\u0080-\u00bf\u0152-\u203a™]|Â[\u00a0-\u00bf]")


def find_mojibake(text: str) -> list[tuple[int, str]]:
    """Lines (1-based) whose text looks like UTF-8 decoded as Windows-1252, with a snippet."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        m = _MOJIBAKE.search(line)
        if m:
            start = max(0, m.start() - 15)
            found.append((number, line[start : m.end() + 15].strip()))
    return found


CANDIDATE_DELIMITERS = (";", ",", "\t")


def sniff_delimiter(text: str, sample_lines: int = 40) -> str:
    """Choose ``;``, ``,`` or tab: the one that splits the sample into the widest rows.

    Preface rows (``Myndighet;Barn- och utbildningsnämnden``) are narrower than the
    heading row, so the widest row decides; ties go to ``;`` as Swedish Excel writes it.
    """
    sample = "\n".join(text.splitlines()[:sample_lines])
    best, best_width = ";", 0
    for delim in CANDIDATE_DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delim))
        except csv.Error:
            continue
        width = max((len(r) for r in rows), default=0)
        if width > best_width:
            best, best_width = delim, width
    return best


def iter_csv_records(
    text: str, delimiter: str, name: str = ""
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, cells)`` per CSV record; line is the record's first physical line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    previous_end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInputError(
                f"malformed CSV: {exc}", Location(name or None, previous_end + 1)
            ) from None
        start = previous_end + 1
        previous_end = reader.line_num
        yield start, cells
