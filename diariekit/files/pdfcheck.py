"""PDF checks (PDF-kontroll) for preservation: PDF/A claim, encryption, JavaScript, fonts.

What an archive refuses in a PDF is what makes it unreadable or unpredictable later:
encryption (kryptering), scripts, fonts that are not embedded (ej inbäddade typsnitt). These
checks read the file with pikepdf (qpdf) and report what they find; they are not a PDF/A
validator (use veraPDF for that): ``pdfa_claim`` is what the file *says* in its XMP
metadata, not a verdict. A damaged or hostile PDF never raises: the report carries the
error, and qpdf's repair warnings are kept.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from diariekit.files import require_regular_file

__all__ = ["PdfReport", "check_pdf", "read_pdfa_claim"]

PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
_PART = f"{{{PDFAID_NS}}}part"
_CONFORMANCE = f"{{{PDFAID_NS}}}conformance"

#: Objects (direct and indirect) looked at before the walk gives up; keeps a hostile file
#: with millions of objects from holding a worker for minutes.
MAX_OBJECTS = 2_000_000
#: Nesting of direct objects followed inside one indirect object.
MAX_DEPTH = 64
#: qpdf warnings kept in a report; a badly damaged file can produce thousands.
MAX_WARNINGS = 100

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_SIMPLE_AND_CID_FONTS = frozenset(
    {"/Type1", "/MMType1", "/TrueType", "/CIDFontType0", "/CIDFontType2"}
)


@dataclass(frozen=True)
class PdfReport:
    """What :func:`check_pdf` found in one PDF.

    ``pdfa_claim`` is the PDF/A part and conformance the XMP metadata claims ("1B", "2U",
    "4"), None without a claim. ``unembedded_fonts`` lists every font whose descriptor has no
    font file (standard-14 fonts included: PDF/A wants them embedded too); Type 3 fonts are
    embedded by nature. ``error`` is set when the file cannot be read as a PDF (or is
    encrypted with an unknown password); ``warnings`` are qpdf's notes on damage it repaired
    while reading, and a note when the walk hit :data:`MAX_OBJECTS`.
    """

    pdfa_claim: str | None
    encrypted: bool
    javascript: bool
    unembedded_fonts: tuple[str, ...]
    pages: int | None
    error: str | None
    version: str | None = None
    warnings: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        """Human sentences, one per problem for preservation; empty when none was found.

        A PDF/A claim is not a problem, and neither is its absence (the plan's accepted
        formats decide whether plain PDF will do).
        """
        found: list[str] = []
        if self.error is not None:
            found.append(f"cannot be read as PDF: {self.error}")
        if self.encrypted:
            found.append("encrypted")
        if self.javascript:
            found.append("contains JavaScript")
        if self.unembedded_fonts:
            found.append("fonts not embedded: " + ", ".join(self.unembedded_fonts))
        if self.warnings:
            more = f" (and {len(self.warnings) - 1} more)" if len(self.warnings) > 1 else ""
            found.append(f"damaged or malformed, read with repairs: {self.warnings[0]}{more}")
        return found

    def to_dict(self) -> dict[str, object]:
        return {
            "pdfa_claim": self.pdfa_claim,
            "encrypted": self.encrypted,
            "javascript": self.javascript,
            "unembedded_fonts": list(self.unembedded_fonts),
            "pages": self.pages,
            "version": self.version,
            "error": self.error,
            "warnings": list(self.warnings),
            "problems": self.problems(),
        }


def read_pdfa_claim(xmp: bytes) -> str | None:
    """The PDF/A claim in an XMP packet ("1B", "2U", "4"), or None.

    Reads ``pdfaid:part`` and ``pdfaid:conformance`` both as attributes of
    ``rdf:Description`` and as elements. A packet that does not parse, or that declares
    entities (never needed in XMP, and the way to a billion-laughs attack), has no claim.
    """
    if b"<!ENTITY" in xmp or b"<!entity" in xmp:
        return None
    try:
        root = ET.fromstring(xmp.strip(b"\x00 \t\r\n"))
    except ET.ParseError:
        return None
    part: str | None = None
    conformance: str | None = None
    for element in root.iter():
        part = part or _clean(element.get(_PART))
        conformance = conformance or _clean(element.get(_CONFORMANCE))
        if element.tag == _PART:
            part = part or _clean(element.text)
        elif element.tag == _CONFORMANCE:
            conformance = conformance or _clean(element.text)
    if part is None:
        return None
    return part + (conformance.upper() if conformance else "")


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


def check_pdf(path: Path) -> PdfReport:
    """Check one PDF; never raises for a bad PDF, only for a file that is not there.

    An encrypted PDF with an empty user password (only an owner password, restricting
    printing or copying) is opened and inspected; with an unknown user password the report
    says ``encrypted`` and carries an error. Raises
    :class:`~diariekit.errors.UnreadableInputError` when the path is missing or not a
    regular file.
    """
    path = Path(path)
    require_regular_file(path)

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return PdfReport(
            pdfa_claim=None,
            encrypted=True,
            javascript=False,
            unembedded_fonts=(),
            pages=None,
            error="encrypted with a user password (lösenord); cannot be inspected without it",
        )
    except Exception as exc:  # qpdf raises PdfError and others on hostile input
        return _unopenable(path, exc)
    with pdf:
        try:
            return _inspect(pdf, path)
        except Exception as exc:  # damage found only while reading objects
            return _unopenable(path, exc, encrypted=_is_encrypted(pdf))


def _unopenable(path: Path, exc: Exception, *, encrypted: bool = False) -> PdfReport:
    return PdfReport(
        pdfa_claim=None,
        encrypted=encrypted,
        javascript=False,
        unembedded_fonts=(),
        pages=None,
        error=_strip_path(str(exc) or type(exc).__name__, path),
    )


def _is_encrypted(pdf: pikepdf.Pdf) -> bool:
    try:
        return bool(pdf.is_encrypted)
    except Exception:
        return False


def _inspect(pdf: pikepdf.Pdf, path: Path) -> PdfReport:
    notes: list[str] = []
    javascript, fonts, complete = _walk(pdf)
    if not complete:
        notes.append(f"stopped after {MAX_OBJECTS} objects; later objects were not checked")
    javascript = javascript or _has_javascript_tree(pdf)
    try:
        pages: int | None = len(pdf.pages)
    except Exception:
        pages = None
    warnings = list(dict.fromkeys(_strip_path(w, path) for w in pdf.get_warnings()))
    if len(warnings) > MAX_WARNINGS:
        dropped = len(warnings) - MAX_WARNINGS
        warnings = [*warnings[:MAX_WARNINGS], f"{dropped} more warnings from qpdf not kept"]
    return PdfReport(
        pdfa_claim=_pdfa_claim(pdf),
        encrypted=_is_encrypted(pdf),
        javascript=javascript,
        unembedded_fonts=tuple(fonts),
        pages=pages,
        error=None,
        version=str(pdf.pdf_version) or None,
        warnings=(*warnings, *notes),
    )


def _strip_path(text: str, path: Path) -> str:
    """qpdf prefixes messages with the file name; the report is already about that file."""
    for prefix in (f"{path}: ", f"{path} "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _pdfa_claim(pdf: pikepdf.Pdf) -> str | None:
    try:
        metadata = pdf.Root.get("/Metadata")
        if not isinstance(metadata, pikepdf.Stream):
            return None
        return read_pdfa_claim(metadata.read_bytes())
    except Exception:  # an undecodable metadata stream claims nothing
        return None


def _has_javascript_tree(pdf: pikepdf.Pdf) -> bool:
    """The document-level JavaScript name tree (/Root /Names /JavaScript)."""
    try:
        names = pdf.Root.get("/Names")
        return isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names
    except Exception:
        return False


def _name(value: Any) -> str | None:
    return str(value) if isinstance(value, pikepdf.Name) else None


def _children(obj: Any) -> Iterator[Any]:
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for key in obj.keys():
            yield obj.get(key)
    elif isinstance(obj, pikepdf.Array):
        yield from obj


def _walk(pdf: pikepdf.Pdf) -> tuple[bool, list[str], bool]:
    """Look at every object once: (JavaScript found, unembedded fonts, walk complete).

    Each indirect object is visited from the object table, with the direct objects nested
    in it; indirect references are not followed (they are visited from the table), so
    reference cycles cannot loop.
    """
    javascript = False
    fonts: dict[str, None] = {}
    budget = MAX_OBJECTS
    for top in pdf.objects:
        stack: list[tuple[Any, int]] = [(top, 0)]
        while stack:
            obj, depth = stack.pop()
            budget -= 1
            if budget < 0:
                return javascript, list(fonts), False
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
                continue
            if not isinstance(obj, pikepdf.Array):
                javascript = javascript or _is_javascript_action(obj)
                font = _unembedded_font(obj)
                if font is not None:
                    fonts.setdefault(font, None)
            if depth >= MAX_DEPTH:
                continue
            for child in _children(obj):
                if isinstance(child, pikepdf.Object) and not child.is_indirect:
                    stack.append((child, depth + 1))
    return javascript, list(fonts), True


def _is_javascript_action(obj: Any) -> bool:
    """An action dictionary that runs JavaScript (/S /JavaScript, or a /JS entry)."""
    return _name(obj.get("/S")) == "/JavaScript" or "/JS" in obj


def _unembedded_font(obj: Any) -> str | None:
    """The name of a font dictionary whose font program is not in the file, else None."""
    if _name(obj.get("/Type")) not in ("/Font", None) or "/BaseFont" not in obj:
        return None
    if _name(obj.get("/Subtype")) not in _SIMPLE_AND_CID_FONTS:
        return None  # Type0 is checked through its descendant; Type3 draws its own glyphs
    descriptor = obj.get("/FontDescriptor")
    if isinstance(descriptor, pikepdf.Dictionary) and any(k in descriptor for k in _FONT_FILES):
        return None
    base = obj.get("/BaseFont")
    return str(base).removeprefix("/") if base is not None else "(unnamed)"
