"""Archival PDF (arkivbeständig PDF, PDF/A-2b) for the reports diariekit keeps.

The disposal log (gallringsprotokoll) is itself kept, so it is written in a format an
e-archive takes: PDF/A-2b. A report here is a title, a list of heading/value pairs and any
number of tables; it is laid out on A4 landscape pages with one embedded TrueType font
(subset with fontTools to the Windows-1252 repertoire, which covers Swedish), and written and
checked with :func:`pikepdf.pdfa.save`, which validates the bytes it wrote: a file that does
not pass is never written.

A TrueType font must be embedded, and diariekit does not ship one. The font is the configured
``[reports] font`` or the first of :data:`FONT_CANDIDATES` found (DejaVu Sans on Debian and
Ubuntu, package ``fonts-dejavu-core``). Without one, :func:`find_font` returns None and the
caller writes the report in its other formats and says so.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

__all__ = ["FONT_CANDIDATES", "PdfaError", "PdfaUnavailable", "Report", "Table", "check",
           "find_font", "render"]

#: Where a sans-serif TrueType font usually is (Debian/Ubuntu, Fedora, Alpine, macOS, Windows).
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)

_PAGE_W, _PAGE_H = 842.0, 595.0  # A4 landscape, points
_MARGIN = 36.0
_BODY, _SMALL, _TITLE, _H2 = 9.0, 7.5, 16.0, 11.5
_PAD = 2.0
#: Character codes 32–255 as Windows-1252 text (the five undefined codes left out).
_CODES = [c for c in range(32, 256) if c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]


try:
    from pikepdf.pdfa import PdfaError
except ImportError:  # pragma: no cover - pikepdf[pdfa] is a dependency
    class PdfaError(Exception):  # type: ignore[no-redef]
        """Stands in for :class:`pikepdf.pdfa.PdfaError` when PDF/A support is missing."""


class PdfaUnavailable(Exception):
    """The PDF/A could not be made here (no font, or pikepdf without its PDF/A support)."""


@dataclass
class Table:
    """A table of text cells; ``widths`` are relative column widths."""

    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float] | None = None
    empty: str = "Inga."


@dataclass
class Report:
    """A report to lay out: title, heading/value pairs, tables."""

    title: str
    fields: Sequence[tuple[str, str]] = ()
    tables: Sequence[Table] = ()
    subject: str = ""
    author: str = "diariekit"
    footer: str = ""
    created: str | None = None  # an ISO timestamp for the document's dates
    extra: dict[str, str] = field(default_factory=dict)


def find_font(configured: str | os.PathLike[str] | None = None) -> Path | None:
    """The TrueType font to embed: the configured one, else the first candidate found."""
    if configured:
        p = Path(configured).expanduser()
        return p if p.is_file() else None
    for c in FONT_CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    return None


class _Font:
    """A TrueType font subset to Windows-1252, with its metrics in 1/1000 em."""

    def __init__(self, path: Path) -> None:
        try:
            from fontTools import subset
            from fontTools.ttLib import TTFont
        except ImportError as e:  # pragma: no cover - fonttools is a dependency
            raise PdfaUnavailable("fontTools is not installed") from e
        try:
            font = TTFont(str(path), lazy=False)
        except Exception as e:
            raise PdfaUnavailable(f"{path}: not a readable TrueType font ({e})") from e
        if "glyf" not in font:
            raise PdfaUnavailable(f"{path}: not a TrueType (glyf) font")
        cmap = font.getBestCmap() or {}
        chars = {bytes([c]).decode("cp1252") for c in _CODES}
        opts = subset.Options()
        opts.name_IDs = ["*"]
        opts.notdef_outline = True
        opts.recalc_timestamp = False
        opts.layout_features = []
        sub = subset.Subsetter(opts)
        sub.populate(unicodes=[ord(ch) for ch in chars if ord(ch) in cmap])
        quiet = logging.getLogger("fontTools")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # "FFTM NOT subset; dropped" and the like
        try:
            sub.subset(font)
        finally:
            quiet.setLevel(level)
        buf = io.BytesIO()
        font.save(buf)
        self.program = buf.getvalue()
        upem = font["head"].unitsPerEm
        self.scale = 1000.0 / upem
        hmtx = font["hmtx"]
        cmap = font.getBestCmap() or {}
        missing = hmtx[".notdef"][0] if ".notdef" in hmtx.metrics else upem // 2
        self.widths: dict[int, float] = {}
        for code in range(32, 256):
            try:
                ch = bytes([code]).decode("cp1252")
            except UnicodeDecodeError:
                ch = ""
            glyph = cmap.get(ord(ch)) if ch else None
            adv = hmtx[glyph][0] if glyph else missing
            self.widths[code] = round(adv * self.scale, 3)
        os2 = font["OS/2"]
        hhea = font["hhea"]
        head = font["head"]
        self.ascent = round(hhea.ascent * self.scale)
        self.descent = round(hhea.descent * self.scale)
        self.cap = round(getattr(os2, "sCapHeight", 0) * self.scale) or self.ascent
        self.bbox = [round(v * self.scale) for v in
                     (head.xMin, head.yMin, head.xMax, head.yMax)]
        name = font["name"].getDebugName(6) or "Sans"
        self.name = "DKSUBS+" + "".join(ch for ch in name if ch.isalnum() or ch == "-")
        self.italic = float(font["post"].italicAngle)

    @classmethod
    @functools.lru_cache(maxsize=4)
    def cached(cls, path: Path) -> _Font:
        """The font at ``path``, subset once per process."""
        return cls(path)

    def encode(self, text: str) -> bytes:
        return text.encode("cp1252", errors="replace")

    def width(self, text: str, size: float) -> float:
        return sum(self.widths.get(b, 500.0) for b in self.encode(text)) * size / 1000.0

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Lines of ``text`` that fit ``width``; words longer than a line are broken."""
        lines: list[str] = []
        for para in (text or "").replace("\r", "").split("\n"):
            line = ""
            for word in para.split(" "):
                cand = f"{line} {word}" if line else word
                if self.width(cand, size) <= width:
                    line = cand
                    continue
                if line:
                    lines.append(line)
                line = word
                while self.width(line, size) > width and len(line) > 1:
                    cut = len(line)
                    while cut > 1 and self.width(line[:cut], size) > width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line)
        return lines or [""]

    def resource(self, pdf: pikepdf.Pdf) -> Dictionary:
        stream = pikepdf.Stream(pdf, self.program)
        stream.Length1 = len(self.program)
        descriptor = Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/" + self.name),
            Flags=32, FontBBox=Array(self.bbox), ItalicAngle=self.italic,
            Ascent=self.ascent, Descent=self.descent, CapHeight=self.cap, StemV=80,
            MissingWidth=self.widths.get(32, 500.0), FontFile2=pdf.make_indirect(stream))
        return Dictionary(
            Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/" + self.name),
            FirstChar=32, LastChar=255,
            Widths=Array([self.widths[c] for c in range(32, 256)]),
            Encoding=Name.WinAnsiEncoding, FontDescriptor=pdf.make_indirect(descriptor))


def _literal(data: bytes) -> bytes:
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


class _Layout:
    """Lays text out on pages, top to bottom, starting a page when one is full."""

    def __init__(self, font: _Font, footer: str) -> None:
        self.font = font
        self.footer = footer
        self.pages: list[bytearray] = []
        self.y = 0.0
        self._new_page()

    def _new_page(self) -> None:
        self.pages.append(bytearray())
        self.y = _PAGE_H - _MARGIN

    def need(self, height: float) -> bool:
        """Start a new page unless ``height`` fits; True when a page was started."""
        if self.y - height < _MARGIN + 14:
            self._new_page()
            return True
        return False

    def text(self, x: float, y: float, s: str, size: float) -> None:
        self.pages[-1] += (b"BT /F1 %.2f Tf %.2f %.2f Td " % (size, x, y)
                           + _literal(self.font.encode(s)) + b" Tj ET\n")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.pages[-1] += b"%.2f %.2f m %.2f %.2f l S\n" % (x1, y1, x2, y2)

    def heading(self, s: str, size: float) -> None:
        self.need(size * 2.2)
        self.y -= size * 1.4
        self.text(_MARGIN, self.y, s, size)
        self.y -= size * 0.6

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        label_w = max((self.font.width(k, _BODY) for k, _ in pairs), default=0.0) + 12
        value_w = _PAGE_W - 2 * _MARGIN - label_w
        lead = _BODY * 1.3
        for k, v in pairs:
            lines = self.font.wrap(v, _BODY, value_w)
            self.need(lead * len(lines))
            self.y -= lead
            self.text(_MARGIN, self.y, k, _BODY)
            for i, ln in enumerate(lines):
                if i:
                    self.y -= lead
                self.text(_MARGIN + label_w, self.y, ln, _BODY)

    def table(self, t: Table) -> None:
        self.heading(t.heading, _H2)
        if not t.rows:
            self.need(_BODY * 1.5)
            self.y -= _BODY * 1.3
            self.text(_MARGIN, self.y, t.empty, _BODY)
            return
        rel = list(t.widths or [1.0] * len(t.columns))
        total = _PAGE_W - 2 * _MARGIN
        xs = [_MARGIN]
        for w in rel:
            xs.append(xs[-1] + total * w / sum(rel))
        lead = _SMALL * 1.25

        def row(cells: Sequence[str], head: bool) -> None:
            wrapped = [self.font.wrap(c, _SMALL, xs[i + 1] - xs[i] - 2 * _PAD)
                       for i, c in enumerate(cells)]
            height = lead * max(len(w) for w in wrapped) + 2 * _PAD
            if self.need(height + (0 if head else lead + 2 * _PAD)) and not head:
                row(t.columns, True)  # repeat the heading on a new page
            top = self.y
            for i, lines in enumerate(wrapped):
                for n, ln in enumerate(lines):
                    self.text(xs[i] + _PAD, top - _PAD - lead * (n + 1) + 2, ln, _SMALL)
            self.y = top - height
            self.line(_MARGIN, self.y, xs[-1], self.y)
            if head:
                self.line(_MARGIN, top, xs[-1], top)

        self.y -= 4
        row(t.columns, True)
        for r in t.rows:
            row([str(c) for c in r], False)

    def finish(self) -> list[bytes]:
        out = []
        n = len(self.pages)
        for i, body in enumerate(self.pages, 1):
            foot = f"{self.footer} – sida {i} av {n}" if self.footer else f"Sida {i} av {n}"
            tail = (b"BT /F1 %.2f Tf %.2f %.2f Td " % (_SMALL, _MARGIN, _MARGIN - 12)
                    + _literal(self.font.encode(foot)) + b" Tj ET\n")
            out.append(b"0 g 0 G 0.5 w\n" + bytes(body) + tail)
        return out


def _pdf_date(iso: str) -> str:
    from datetime import datetime
    d = datetime.fromisoformat(iso)
    off = d.strftime("%z") or "+0000"
    return d.strftime("D:%Y%m%d%H%M%S") + f"{off[:3]}'{off[3:]}'"


def render(report: Report, font_path: Path) -> bytes:
    """The report as PDF/A-2b bytes, validated by pikepdf after writing.

    Raises :class:`PdfaUnavailable` when the font cannot be used or the PDF/A support of
    pikepdf is missing; :class:`pikepdf.pdfa.PdfaError` if the written file does not pass.
    """
    try:
        import pikepdf.pdfa as pdfa
    except ImportError as e:
        raise PdfaUnavailable(f"pikepdf's PDF/A support is missing ({e})") from e
    font = _Font.cached(Path(font_path))
    lay = _Layout(font, report.footer)
    lay.heading(report.title, _TITLE)
    lay.fields(report.fields)
    for t in report.tables:
        lay.y -= 6
        lay.table(t)
    pdf = pikepdf.new()
    font_ref = pdf.make_indirect(font.resource(pdf))
    for content in lay.finish():
        page = pikepdf.Page(Dictionary(
            Type=Name.Page, MediaBox=Array([0, 0, _PAGE_W, _PAGE_H]),
            Resources=Dictionary(Font=Dictionary(F1=font_ref)),
            Contents=pdf.make_stream(content)))
        pdf.pages.append(page)
    info = {"/Title": report.title, "/Producer": "diariekit", "/Creator": "diariekit"}
    if report.author:
        info["/Author"] = report.author
    if report.subject:
        info["/Subject"] = report.subject
    if report.created:
        info["/CreationDate"] = _pdf_date(report.created)
        info["/ModDate"] = _pdf_date(report.created)
    for k, v in info.items():
        pdf.docinfo[Name(k)] = v
    pdf.Root.Lang = pikepdf.String("sv-SE")
    buf = io.BytesIO()
    with _collector_held():
        pdfa.save(pdf, buf, "2b", deterministic_id=True)
    return buf.getvalue()


@contextlib.contextmanager
def _collector_held() -> Iterator[None]:
    """pikepdf's checker counts *any* warning raised while it parses a content stream as a
    violation, and a garbage-collected object (an unclosed database connection elsewhere in
    the process) may warn just then: collect first, and hold the collector off meanwhile."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check(path: Path, flavour: str = "2b") -> str:
    """pikepdf's PDF/A verdict on the file: ``pass``, ``fail`` or ``not_checked``."""
    import pikepdf.pdfa as pdfa
    with pikepdf.open(path) as pdf, _collector_held():
        return pdfa.check(pdf, flavour).verdict
