"""File formats (filformat) and media (medium) as plans name them, with MIME types and PRONOM ids.

One table serves three uses: reading the format and medium cells of a plan ("PDF/A",
"Word", "Papper/IT"), checking a stored file against what Siegfried (``pygfried``) and
libmagic (``python-magic``) report for it, and writing format metadata into packages
(PREMIS ``formatRegistryKey``, METS ``MIMETYPE``).

The PUIDs were checked against Siegfried 1.11.9 (``pygfried`` 2.2) on files built by hand
(``tests/files/test_formats.py`` builds most of them again in every run). Siegfried names
CSV (x-fmt/18) and JSON (fmt/817) by extension only: a ``.csv`` file renamed ``.txt`` is
plain text to it. A few PUIDs, mostly of older versions, were not produced here and are
taken from PRONOM as other preservation tools use them: Word fmt/37 and fmt/38, Excel
fmt/55, fmt/56, fmt/57 and fmt/62, RTF fmt/50, fmt/52, fmt/53 and fmt/355, and e-mail
fmt/278 (which Siegfried offers as a candidate for ``.eml``).

``preservation`` says whether the format is generally accepted for long-term preservation
(bevarande) in Swedish practice: Riksarkivet's technical requirements (RA-FS 2009:2) and
what e-archives (e-arkiv) accept in FGS packages. It is a default for warnings, never a
decision: the receiving archive's agreement (leveransöverenskommelse) is what counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "FORMATS",
    "MEDIA",
    "FileFormat",
    "FormatsCell",
    "format_for_puid",
    "formats_for_mime",
    "lookup_format",
    "lookup_medium",
    "parse_formats_cell",
]


@dataclass(frozen=True)
class FileFormat:
    """A file format (filformat) as plans name it, with how tools identify it.

    ``name`` is the canonical word ("PDF/A"); ``aliases`` are the normalised words plans use
    for it (casefolded, no spaces around ``/`` and ``-``); ``mimes`` are IANA media types,
    the preferred one first, then others that libmagic reports; ``puids`` are PRONOM ids.
    """

    name: str
    aliases: tuple[str, ...]
    mimes: tuple[str, ...]
    puids: tuple[str, ...]
    preservation: bool
    note: str = ""

    @property
    def mime(self) -> str:
        """The preferred MIME type."""
        return self.mimes[0]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "mimes": list(self.mimes),
            "puids": list(self.puids),
            "preservation": self.preservation,
            "note": self.note,
        }


_PDF_NOT_A = "may hold fonts not embedded, scripts, encryption; convert to PDF/A"
_PROPRIETARY_BINARY = "closed binary format; convert to PDF/A (text) or CSV/XML (data)"

# fmt: off
FORMATS: tuple[FileFormat, ...] = (
    FileFormat(
        "PDF/A",
        ("pdf/a", "pdf-a", "pdfa", "pdf a", "pdf/a-1", "pdf/a-1a", "pdf/a-1b", "pdf/a-2",
         "pdf/a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3", "pdf/a-3a", "pdf/a-3b", "pdf/a-3u",
         "pdf/a-4", "pdf/a-4e", "pdf/a-4f", "arkiv-pdf", "arkivpdf"),
        ("application/pdf",),
        ("fmt/95", "fmt/354", "fmt/476", "fmt/477", "fmt/478", "fmt/479", "fmt/480",
         "fmt/481", "fmt/1910", "fmt/1911", "fmt/1912"),
        True,
        "ISO 19005; the usual preservation format for documents (RA-FS 2009:2). PDF/A-3 may "
        "embed other files: check that the archive accepts them",
    ),
    FileFormat(
        "PDF",
        ("pdf", "adobe pdf", "acrobat", "acrobat pdf"),
        ("application/pdf",),
        ("fmt/14", "fmt/15", "fmt/16", "fmt/17", "fmt/18", "fmt/19", "fmt/20", "fmt/276",
         "fmt/1129"),
        False,
        _PDF_NOT_A,
    ),
    FileFormat(
        "XML",
        ("xml",),
        ("application/xml", "text/xml"),
        ("fmt/101",),
        True,
        "W3C XML 1.0, with a schema; the basis of FGS packages and data deliveries",
    ),
    FileFormat(
        "TIFF",
        ("tiff", "tif"),
        ("image/tiff",),
        ("fmt/353", "x-fmt/399", "x-fmt/388", "x-fmt/387"),
        True,
        "baseline TIFF 6.0, uncompressed or lossless; the usual format for scanned paper",
    ),
    FileFormat(
        "JPEG",
        ("jpeg", "jpg", "jpe", "jfif"),
        ("image/jpeg",),
        ("fmt/41", "fmt/42", "fmt/43", "fmt/44", "x-fmt/398", "x-fmt/390", "x-fmt/391",
         "fmt/645", "fmt/1507"),
        True,
        "ISO/IEC 10918 (JFIF/Exif); accepted for photographs, lossy so not for scanning text",
    ),
    FileFormat(
        "PNG",
        ("png",),
        ("image/png",),
        ("fmt/11", "fmt/12", "fmt/13"),
        True,
        "ISO/IEC 15948, lossless; accepted for images and screenshots",
    ),
    FileFormat(
        "GIF",
        ("gif",),
        ("image/gif",),
        ("fmt/3", "fmt/4"),
        False,
        "256 colours at most; convert to PNG",
    ),
    FileFormat(
        "SVG",
        ("svg",),
        ("image/svg+xml",),
        ("fmt/91", "fmt/92", "fmt/413"),
        False,
        "open W3C format, but few archives accept it; deliver drawings as PDF/A",
    ),
    FileFormat(
        "DOCX",
        ("docx", "word", "ms word", "microsoft word", "word-dokument", "worddokument",
         "wordfil", "word-fil"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        ("fmt/412", "fmt/1827"),
        False,
        "Office Open XML (ISO/IEC 29500) for editing; convert to PDF/A for preservation. "
        "'Word' is read as DOCX",
    ),
    FileFormat(
        "DOC",
        ("doc", "word 97-2003", "word 97", "word 6.0/95"),
        ("application/msword",),
        ("fmt/37", "fmt/38", "fmt/39", "fmt/40", "fmt/609"),
        False,
        _PROPRIETARY_BINARY,
    ),
    FileFormat(
        "XLSX",
        ("xlsx", "excel", "ms excel", "microsoft excel", "excelfil", "excel-fil",
         "excel-dokument", "exceldokument"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
        ("fmt/214", "fmt/1828"),
        False,
        "Office Open XML for editing; convert data to CSV or XML, layout to PDF/A. "
        "'Excel' is read as XLSX",
    ),
    FileFormat(
        "XLS",
        ("xls", "excel 97-2003", "excel 97"),
        ("application/vnd.ms-excel",),
        ("fmt/55", "fmt/56", "fmt/57", "fmt/59", "fmt/61", "fmt/62"),
        False,
        _PROPRIETARY_BINARY,
    ),
    FileFormat(
        "PPTX",
        ("pptx", "powerpoint", "ms powerpoint", "microsoft powerpoint"),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
        ("fmt/215",),
        False,
        "Office Open XML for editing; convert to PDF/A",
    ),
    FileFormat(
        "ODT",
        ("odt", "opendocument text", "open document text", "odf text",
         "libreoffice writer", "openoffice writer"),
        ("application/vnd.oasis.opendocument.text",),
        ("fmt/136", "fmt/290", "fmt/291", "fmt/1756"),
        False,
        "OpenDocument (ISO/IEC 26300) is open, but RA-FS 2009:2 does not name it and most "
        "e-archives want PDF/A; agree with the archive",
    ),
    FileFormat(
        "ODS",
        ("ods", "opendocument spreadsheet", "open document spreadsheet",
         "libreoffice calc", "openoffice calc"),
        ("application/vnd.oasis.opendocument.spreadsheet",),
        ("fmt/137", "fmt/294", "fmt/295", "fmt/1755"),
        False,
        "OpenDocument (ISO/IEC 26300) is open, but most e-archives want CSV/XML for data "
        "and PDF/A for layout; agree with the archive",
    ),
    FileFormat(
        "RTF",
        ("rtf", "rich text", "rich text format"),
        ("text/rtf", "application/rtf"),
        ("fmt/45", "fmt/50", "fmt/52", "fmt/53", "fmt/355"),
        False,
        "Microsoft's specification, frozen since 2008; convert to PDF/A",
    ),
    FileFormat(
        "TXT",
        ("txt", "text", "ren text", "textfil", "text-fil", "oformaterad text", "plain text",
         "ascii"),
        ("text/plain",),
        ("x-fmt/111",),
        True,
        "plain text in UTF-8 or ISO 8859-1 (RA-FS 2009:2); state the character set",
    ),
    FileFormat(
        "CSV",
        ("csv", "kommaseparerad", "kommaseparerad fil", "kommaseparerad text",
         "semikolonseparerad", "semikolonseparerad fil", "teckenseparerad"),
        ("text/csv", "application/csv", "text/plain"),
        ("x-fmt/18",),
        True,
        "delimited text with its structure described (e.g. ADDML/FGS); Siegfried and "
        "libmagic see it as plain text unless the name ends in .csv",
    ),
    FileFormat(
        "JSON",
        ("json",),
        ("application/json",),
        ("fmt/817",),
        False,
        "open (RFC 8259) but not yet generally accepted by e-archives; XML is the safe choice",
    ),
    FileFormat(
        "HTML",
        ("html", "htm", "xhtml", "html5", "webbsida", "webbsidor"),
        ("text/html", "application/xhtml+xml"),
        ("fmt/96", "fmt/97", "fmt/98", "fmt/99", "fmt/100", "fmt/471", "fmt/102", "fmt/103"),
        False,
        "depends on linked images, styles and scripts; archive web pages as WARC or PDF/A",
    ),
    FileFormat(
        "EML",
        ("eml", "rfc 822", "rfc822", "rfc 5322", "mime-e-post", "e-postfil", "epostfil"),
        ("message/rfc822",),
        ("fmt/278", "fmt/950"),
        False,
        "open (RFC 5322/MIME), but attachments need their own preservation formats; most "
        "e-archives want e-mail as PDF/A or XML with attachments converted",
    ),
    FileFormat(
        "MSG",
        ("msg", "outlook", "outlook-meddelande", "outlookmeddelande"),
        ("application/vnd.ms-outlook",),
        ("x-fmt/430",),
        False,
        "Outlook's closed binary format; convert to EML or PDF/A",
    ),
    FileFormat(
        "WAV",
        ("wav", "wave", "bwf", "broadcast wave"),
        ("audio/wav", "audio/x-wav", "audio/vnd.wave"),
        ("fmt/6", "fmt/141", "fmt/142", "fmt/143", "fmt/1", "fmt/2", "fmt/527", "fmt/703",
         "fmt/704", "fmt/705"),
        True,
        "uncompressed PCM, preferably Broadcast WAVE; the usual preservation format for sound",
    ),
    FileFormat(
        "MP3",
        ("mp3", "mpeg-1 audio layer 3", "mpeg audio"),
        ("audio/mpeg",),
        ("fmt/134",),
        False,
        "lossy; keep as delivered only if there is no better original, else WAV",
    ),
    FileFormat(
        "MP4",
        ("mp4", "mpeg-4", "mpeg4"),
        ("video/mp4",),
        ("fmt/199",),
        False,
        "RA-FS 2009:2 sets no video format; MPEG-4 (H.264) is common, agree with the archive",
    ),
)

#: Normalised medium (medium/media) words; a medium is not a file format. Pairs such as
#: "papper/it" mean both.
MEDIA: frozenset[str] = frozenset(
    {
        "papper", "pappersformat", "pappershandling", "pappershandlingar", "pappersoriginal",
        "analog", "analogt", "analoga", "fysisk", "fysiskt", "fysiska",
        "digital", "digitalt", "digitala", "elektronisk", "elektroniskt", "elektroniska",
        "it", "data", "e-post", "epost", "e-mail", "email", "mejl", "mail",
        "mikrofilm", "mikrofiche",
        "papper/it", "it/papper", "papper/digitalt", "digitalt/papper", "papper/digital",
        "digital/papper", "papper/elektroniskt", "elektroniskt/papper", "papper/data",
        "papper/e-post", "e-post/papper",
    }
)
# fmt: on


def _normalise(word: str) -> str:
    """Casefold and unify spacing, dashes and extension forms ("*.PDF", "PDF / A-1b")."""
    text = (
        word.replace("\u00a0", " ")
        .replace("\u202f", " ")
        .replace("\u00ad", "")
        .replace("\u2013", "-")
        .replace("\u2014", "-")
        .replace("\u2011", "-")
        .casefold()
    )
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s*([/-])\s*", r"\1", text)
    text = re.sub(r"^\*?\.(?=[a-z0-9])", "", text)  # "*.pdf", ".pdf"
    return text.strip(" .:")


_BY_ALIAS: dict[str, FileFormat] = {}
_BY_PUID: dict[str, FileFormat] = {}
_BY_MIME: dict[str, tuple[FileFormat, ...]] = {}
for _format in FORMATS:
    for _alias in (_format.name, *_format.aliases):
        _BY_ALIAS.setdefault(_normalise(_alias), _format)
    for _puid in _format.puids:
        _BY_PUID.setdefault(_puid, _format)
    for _mime in _format.mimes:
        _BY_MIME[_mime] = (*_BY_MIME.get(_mime, ()), _format)
del _format, _alias, _puid, _mime

_PDF_A = re.compile(r"pdf ?[/-]? ?a(?:-?[1-4][abuef]?)?(?: ?(?:[1-4][abuef]?))?")
_WORD_SUFFIX = re.compile(r"^(.+?)-?(?:filer|filen|fil|formatet|format|dokument|dokumentet)$")
_VERSION = re.compile(r"^(.+?)[ -]?v?\d+(?:\.\d+)*$")


def lookup_format(word: str) -> FileFormat | None:
    """The format a plan's word names ("PDF/A-1b", "pdf", "Word", "tif"), or None.

    Accepts extensions ("*.docx"), versions ("PDF 1.7", "TIFF 6.0", "HTML5") and the
    suffixes -fil, -format and -dokument ("Word-dokument", "xml-fil"). Media such as
    "Papper" are not formats: see :func:`lookup_medium`.
    """
    text = _normalise(word)
    candidates = [text]
    for pattern in (_WORD_SUFFIX, _VERSION, _WORD_SUFFIX):
        stripped = pattern.match(candidates[-1])
        candidates.append(stripped[1].rstrip("-") if stripped else candidates[-1])
    for candidate in dict.fromkeys(candidates):
        if not candidate:
            continue
        found = _BY_ALIAS.get(candidate)
        if found is not None:
            return found
        if _PDF_A.fullmatch(candidate):
            return _BY_ALIAS["pdf/a"]
    return None


def lookup_medium(word: str) -> str | None:
    """The normalised medium word ("Papper" → "papper", "Papper / IT" → "papper/it"), or None."""
    text = _normalise(word)
    return text if text in MEDIA else None


def format_for_puid(puid: str) -> FileFormat | None:
    """The format a PRONOM id (as Siegfried reports it, e.g. "fmt/354") belongs to, or None."""
    return _BY_PUID.get(puid.strip())


def formats_for_mime(mime: str) -> tuple[FileFormat, ...]:
    """The formats a MIME type may stand for ("application/pdf" → PDF/A, PDF).

    Parameters such as ``; charset=utf-8`` are ignored. A MIME type cannot tell PDF/A from
    PDF, nor CSV from plain text: use the PUID for that.
    """
    return _BY_MIME.get(mime.split(";")[0].strip().casefold(), ())


@dataclass(frozen=True)
class FormatsCell:
    """What a plan's format or medium cell (Format, Media/Format) says.

    ``formats`` are the recognised file formats, ``media`` the normalised medium words
    (see :data:`MEDIA`), ``unknown`` the words recognised as neither, as written (``plan
    validate`` warns about them). All in the order written, without repeats.
    """

    raw: str
    formats: tuple[FileFormat, ...] = ()
    media: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical names of the formats ("PDF/A", "XML")."""
        return tuple(f.name for f in self.formats)

    def to_dict(self) -> dict[str, object]:
        return {
            "raw": self.raw,
            "formats": list(self.names),
            "media": list(self.media),
            "unknown": list(self.unknown),
        }


_CHUNK_SPLIT = re.compile(
    r"[,;\n\r|+&()\[\]]|\s+(?:och|eller|samt|alt\.?|alternativt|resp\.?|respektive|el\.)\s+",
    re.IGNORECASE,
)
_FILLER_PREFIX = re.compile(
    r"^(?:t\.\s?ex\.?|ex\.?|exempelvis|bl\.\s?a\.?|främst|helst|i|som|i form av|format)\s+",
    re.IGNORECASE,
)


def _known(piece: str) -> bool:
    return lookup_format(piece) is not None or lookup_medium(piece) is not None


_MAX_SLASH_PARTS = 3


def _split_slashes(chunk: str) -> list[str]:
    """Split "Word/PDF" but keep "PDF/A-1b" and "Papper/IT": greedy, longest known first."""
    if _known(chunk) or "/" not in chunk:
        return [chunk]
    parts = [p.strip() for p in chunk.split("/")]
    pieces: list[str] = []
    i = 0
    while i < len(parts):
        # No known name spans more than two slash-separated parts ("pdf/a-1b", "papper/it").
        for j in range(min(len(parts), i + _MAX_SLASH_PARTS), i, -1):
            candidate = "/".join(parts[i:j])
            if j - i == 1 or _known(candidate):
                pieces.append(candidate)
                i = j
                break
    return [p for p in pieces if p]


class _Collector:
    def __init__(self) -> None:
        self.formats: list[FileFormat] = []
        self.media: list[str] = []
        self.unknown: list[str] = []

    def add(self, piece: str) -> bool:
        """Record a known format or medium; False if the piece is neither."""
        found = lookup_format(piece)
        if found is not None:
            if found not in self.formats:
                self.formats.append(found)
            return True
        medium = lookup_medium(piece)
        if medium is None:
            return False
        if medium not in self.media:
            self.media.append(medium)
        return True

    def add_unknown(self, words: Iterable[str]) -> None:
        text = " ".join(words).strip(" .:-")
        if text and text not in self.unknown:
            self.unknown.append(text)


def parse_formats_cell(text: str | None) -> FormatsCell:
    """Read a plan's format or medium cell into a :class:`FormatsCell`; never raises.

    Splits on ``,`` ``;`` ``+`` ``&``, parentheses, line breaks and the words "och",
    "eller", "samt"; a slash separates alternatives ("Word/PDF") except inside a known name
    ("PDF/A", "Papper/IT"). A chunk nobody recognises as a whole is read word by word
    ("Digitalt i Public 360" → medium "digitalt", unknown "i Public 360").
    """
    raw = text if isinstance(text, str) else ""
    collector = _Collector()
    for chunk in _CHUNK_SPLIT.split(raw.replace("\u00a0", " ")):
        chunk = chunk.strip(" \t.:")
        while (trimmed := _FILLER_PREFIX.sub("", chunk)) != chunk:
            chunk = trimmed
        if not chunk:
            continue
        for piece in _split_slashes(chunk):
            if collector.add(piece):
                continue
            words = piece.split()
            if len(words) < 2:
                collector.add_unknown(words)
                continue
            run: list[str] = []
            matched_any = False
            for word in words:
                if _known(word.strip(".:")):
                    collector.add_unknown(run)
                    run = []
                    collector.add(word.strip(".:"))
                    matched_any = True
                else:
                    run.append(word)
            if matched_any:
                collector.add_unknown(run)
            else:
                collector.add_unknown([piece])
    return FormatsCell(
        raw=raw,
        formats=tuple(collector.formats),
        media=tuple(collector.media),
        unknown=tuple(collector.unknown),
    )
