"""Sample registration input for Exempelby kommun: the CSV and the files it names.

``registrations.csv`` (next to this module, installed as package data of ``diariekit.samples``)
is a year of incoming, drawn-up and outgoing documents for two diaries: kommunstyrelsen (series
``KS``, plan ``kommunstyrelse.yaml``) and socialnämnden (series ``SN``, plan
``socialnamnd.yaml``). This module writes every file the CSV names, so that the demo and the
tests can register real files::

    python -m diariekit.samples.make_files OUTDIR [--csv PATH]
    python -m diariekit.samples.make_files --write-csv samples/registrations.csv

The second form regenerates the CSV itself from the seeded generator at the end of this module
(the committed CSV is its output; ``tests/test_samples.py`` checks that they agree).

Everything is deterministic: two runs give byte-identical files. PDFs are saved with
``deterministic_id`` and fixed metadata dates, DOCX zips carry a fixed date, images are drawn from
a hash of the row, and no clock is read.

Which PDF is PDF/A: a PDF that came in as an e-mail attachment (``Externt id`` ``epost-…``) or
through the procurement system (``upphandling-…``) is kept as received, a plain PDF 1.4
(Siegfried ``fmt/18``); every other PDF is PDF/A-2b (``fmt/477``), with an XMP packet declaring
``pdfaid:part`` 2 and ``pdfaid:conformance`` B. The fonts are the standard Helvetica, not
embedded, so a PDF/A validator would reject them; format identification accepts the claim.

The file formats by extension: ``.pdf`` (above), ``.docx`` (minimal OOXML, ``fmt/412``),
``.txt`` (UTF-8, ``x-fmt/111``), ``.xml`` (e-service output, ``fmt/101``), ``.png`` (8-bit grey
scan, ``fmt/11``) and ``.tif`` (baseline uncompressed grey TIFF, ``fmt/353``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import random
import re
import shutil
import struct
import sys
import textwrap
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar, cast
from xml.sax.saxutils import escape, quoteattr

import pikepdf

_T = TypeVar("_T")

__all__ = [
    "COLUMNS",
    "CSV_NAME",
    "build_rows",
    "file_paths",
    "luhn_ok",
    "make_sample_files",
    "main",
    "pdf_is_pdfa",
    "read_rows",
    "write_csv",
]

CSV_NAME = "registrations.csv"

#: The column headings of the registration input, in order.
COLUMNS: tuple[str, ...] = (
    "Externt id", "Serie", "Ärende", "Ärendenyckel", "Ärendemening", "Klass", "Handlingstyp",
    "Riktning", "Datum", "Avsändare/Mottagare", "Beskrivning", "Handläggare", "Enhet", "Filer",
    "Sekretess", "Personnummer", "Dokumenttyp",
)

MUNICIPALITY = "Exempelby kommun"
ORGANISATIONS = {"KS": "Kommunstyrelsen", "SN": "Socialnämnden"}

#: Externt id prefixes whose PDFs are kept as received (plain PDF, not PDF/A).
RECEIVED_PDF_PREFIXES = ("epost-", "upphandling-")

# Fixed date for zip members (DOCX); the documents' own dates go into their metadata.
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------------
# Reading the CSV
# --------------------------------------------------------------------------------------------


def read_rows(csv_path: Path) -> list[dict[str, str]]:
    """The rows of a registration CSV (UTF-8, ``;``), keyed by heading."""
    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter=";")
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path}: missing columns {', '.join(missing)}")
        return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]


def file_paths(row: dict[str, str]) -> list[str]:
    """The relative paths in a row's ``Filer`` cell (``|``-separated)."""
    return [p.strip() for p in row.get("Filer", "").split("|") if p.strip()]


def pdf_is_pdfa(external_id: str) -> bool:
    """Whether the PDFs of the row with this ``Externt id`` are PDF/A (see the module doc)."""
    return not external_id.startswith(RECEIVED_PDF_PREFIXES)


def luhn_ok(pnr: str) -> bool:
    """Whether a personnummer ``YYYYMMDD-NNNN`` (or 10 digits) has a valid check digit."""
    digits = re.sub(r"\D", "", pnr)
    if len(digits) == 12:
        digits = digits[2:]
    if len(digits) != 10:
        return False
    return _luhn_digit(digits[:9]) == int(digits[9])


def _luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return (10 - total % 10) % 10


def _safe_relpath(raw: str) -> PurePosixPath:
    path = PurePosixPath(raw)
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] != "files":
        raise ValueError(f"file path must be relative and under files/: {raw!r}")
    return path


# --------------------------------------------------------------------------------------------
# What a document says
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DocText:
    """The text of one document, taken from its CSV row."""

    external_id: str
    organisation: str
    unit: str
    title: str
    doctype: str
    description: str
    date: dt.date
    direction: str
    party: str
    officer: str
    secrecy: str
    pnr: str

    def party_label(self) -> str:
        return {"Inkommande": "Från", "Utgående": "Till"}.get(self.direction, "Part")

    def marking(self) -> list[str]:
        """The secrecy marking (OSL 5 kap. 5 §), empty when the row has none."""
        if not self.secrecy:
            return []
        m = re.fullmatch(r"OSL (\d+):(\d+)", self.secrecy)
        ref = f"OSL {m.group(1)} kap. {m.group(2)} §" if m else self.secrecy
        return ["SEKRETESS", f"enligt {ref}", f"{self.date.isoformat()}  {self.organisation}"]

    def lines(self) -> list[str]:
        """Heading, facts and body text, as paragraphs."""
        out = [f"{self.doctype}: {self.title}", f"Datum: {self.date.isoformat()}"]
        if self.party:
            out.append(f"{self.party_label()}: {self.party}")
        if self.pnr:
            out.append(f"Avser personnummer: {self.pnr}")
        out.append(f"Handläggare: {self.officer}, {self.unit}")
        out.append("")
        out.append(self.description + ".")
        out.append("")
        out.append(_BODY.get(self.doctype, _BODY_DEFAULT))
        return out


def _doc_text(row: dict[str, str], titles: dict[str, str]) -> _DocText:
    key = row["Ärendenyckel"]
    title = row["Ärendemening"] or titles.get(key, "") or row["Beskrivning"]
    serie = row["Serie"]
    return _DocText(
        external_id=row["Externt id"],
        organisation=f"{ORGANISATIONS.get(serie, serie)}, {MUNICIPALITY}",
        unit=row["Enhet"], title=title, doctype=row["Dokumenttyp"] or "Handling",
        description=row["Beskrivning"], date=dt.date.fromisoformat(row["Datum"]),
        direction=row["Riktning"], party=row["Avsändare/Mottagare"],
        officer=row["Handläggare"], secrecy=row["Sekretess"], pnr=row["Personnummer"])


_BODY_DEFAULT = ("Handlingen har registrerats i diariet och hanteras enligt kommunens "
                 "dokumenthanteringsplan.")
_BODY: dict[str, str] = {
    "Ansökan": "Sökanden ansöker härmed om det som anges ovan och bifogar de underlag som "
               "efterfrågas. Kompletterande uppgifter lämnas på begäran.",
    "Beslut": "Beslutet har fattats med stöd av gällande delegationsordning. Beslutet kan "
              "överklagas. Hur man gör framgår av bifogad information.",
    "Yttrande": "Kommunen har tagit del av underlaget och lämnar följande synpunkter. Yttrandet "
                "har beretts av förvaltningen.",
    "Remiss": "Ni ges tillfälle att yttra er över rubricerat förslag. Svaret ska ha kommit in "
              "senast det datum som anges i missivet.",
    "Remissvar": "Kommunstyrelsen har beretts tillfälle att yttra sig och lämnar härmed sitt "
                 "svar. Kommunen ställer sig i huvudsak bakom förslaget.",
    "Skrivelse": "Vi vill härmed informera om ärendet ovan och ber om återkoppling vid behov.",
    "Tjänsteskrivelse": "Förvaltningen har berett ärendet och lämnar förslag till beslut. "
                        "Ärendet har ingen direkt ekonomisk påverkan för innevarande år.",
    "Tjänsteanteckning": "Anteckningen har gjorts enligt förvaltningslagen (2017:900) 27 § om "
                         "uppgifter som tillförts ärendet på annat sätt än genom en handling.",
    "Protokollsutdrag": "Utdrag ur justerat protokoll. Beslutet har tillkännagetts på "
                        "kommunens anslagstavla.",
    "Anbud": "Anbudsgivaren lämnar härmed anbud i enlighet med upphandlingsdokumenten och "
             "accepterar de kommersiella villkoren.",
    "Avtal": "Parterna har träffat följande avtal. Avtalet har upprättats i två likalydande "
             "exemplar.",
    "Protokoll": "Protokollet har förts av utsedd sekreterare och justerats av de närvarande.",
    "Utredning": "Utredningen bygger på samtal, inhämtade uppgifter och dokumentation. "
                 "Bedömning och förslag redovisas sist i utredningen.",
    "Anmälan": "Anmälan lämnas enligt gällande bestämmelser. Uppgifterna nedan beskriver "
               "händelsen och vidtagna åtgärder.",
    "Rapport": "Rapporten redovisar händelseförloppet och de omedelbara åtgärder som vidtagits.",
    "Motion": "Med anledning av ovanstående yrkar undertecknad att kommunfullmäktige ger "
              "kommunstyrelsen i uppdrag att utreda frågan.",
    "Medborgarförslag": "Jag föreslår att kommunen genomför förslaget ovan. Det skulle göra "
                        "kommunen bättre för alla som bor och verkar här.",
    "Synpunkt": "Jag vill lämna en synpunkt på kommunens verksamhet och önskar svar.",
    "Klagomål": "Jag är missnöjd med hur ärendet har hanterats och vill att det utreds.",
    "Läkarintyg": "Intyget har utfärdats efter undersökning. Bedömningen avser angiven period.",
    "Offert": "Vi offererar härmed enligt förfrågan. Offerten gäller i 60 dagar.",
    "Begäran": "Vi begär att få ta del av de handlingar som anges ovan.",
    "Fråga": "Vi har en fråga om upphandlingsdokumenten och ber om ett förtydligande som "
             "publiceras till samtliga anbudsgivare.",
}
_MAIL_DEFAULT = "Handlingen bifogas. Vänligen bekräfta att den har kommit fram."


# --------------------------------------------------------------------------------------------
# File writers
# --------------------------------------------------------------------------------------------


def _utc_offset(day: dt.date) -> str:
    """Swedish local time offset: CEST between the last Sundays of March and October 2026."""
    return "+02:00" if dt.date(2026, 3, 29) <= day < dt.date(2026, 10, 25) else "+01:00"


def _clock(doc: _DocText) -> tuple[int, int]:
    """A stable time of day (08:00–16:59) for a document, from its id."""
    h = hashlib.sha256(doc.external_id.encode()).digest()
    return 8 + h[0] % 9, h[1] % 60


def _pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf_content(doc: _DocText) -> bytes:
    ops: list[bytes] = []

    def text(font: str, size: float, x: float, y: float, s: str) -> None:
        ops.append(b"BT /%s %.1f Tf 1 0 0 1 %.1f %.1f Tm (%s) Tj ET"
                   % (font.encode(), size, x, y, _pdf_escape(s)))

    text("F2", 14, 56, 790, MUNICIPALITY)
    text("F1", 10, 56, 775, doc.organisation.split(",")[0] + ", " + doc.unit)
    mark = doc.marking()
    if mark:
        ops.append(b"0.8 w 360 744 m 540 744 l 540 800 l 360 800 l h S")
        for i, line in enumerate(mark):
            text("F2" if i == 0 else "F1", 11 if i == 0 else 9, 368, 786 - 14 * i, line)
    y = 720.0
    for i, para in enumerate(doc.lines()):
        if not para:
            y -= 8
            continue
        bold = i == 0
        width = 70 if bold else 95
        for line in textwrap.wrap(para, width=width):
            text("F2" if bold else "F1", 13 if bold else 10, 56, y, line)
            y -= 18 if bold else 14
    text("F1", 8, 56, 40, f"{MUNICIPALITY} · {doc.organisation.split(',')[0]} · {doc.unit}")
    return b"\n".join(ops) + b"\n"


def _xmp(doc: _DocText, stamp: str) -> bytes:
    title = escape(f"{doc.doctype}: {doc.title}")
    descr = escape(doc.description)
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{descr}</rdf:li></rdf:Alt></dc:description>
   <dc:creator><rdf:Seq><rdf:li>{escape(doc.organisation)}</rdf:li></rdf:Seq></dc:creator>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>
   <xmp:CreatorTool>diariekit samples</xmp:CreatorTool>
   <pdf:Producer>pikepdf</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


def pdf_bytes(doc: _DocText, pdfa: bool) -> bytes:
    """A one-page PDF saying the document's title, description and date."""
    pdf = pikepdf.new()
    fonts = pikepdf.Dictionary()
    for name, base in (("F1", "Helvetica"), ("F2", "Helvetica-Bold")):
        fonts[f"/{name}"] = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name(f"/{base}"),
            Encoding=pikepdf.Name.WinAnsiEncoding))
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842],
        Resources=pikepdf.Dictionary(Font=fonts),
        Contents=pdf.make_stream(_pdf_content(doc)))
    pdf.pages.append(pikepdf.Page(page))
    hour, minute = _clock(doc)
    off = _utc_offset(doc.date)
    stamp = f"{doc.date.isoformat()}T{hour:02d}:{minute:02d}:00{off}"
    pdf_date = f"D:{doc.date.strftime('%Y%m%d')}{hour:02d}{minute:02d}00{off[:3]}'{off[4:]}'"
    pdf.docinfo = pdf.make_indirect(pikepdf.Dictionary(
        Title=pikepdf.String(f"{doc.doctype}: {doc.title}"),
        Subject=pikepdf.String(doc.description),
        Author=pikepdf.String(doc.organisation),
        Creator=pikepdf.String("diariekit samples"),
        Producer=pikepdf.String("pikepdf"),
        CreationDate=pikepdf.String(pdf_date), ModDate=pikepdf.String(pdf_date)))
    if pdfa:
        meta = pdf.make_stream(_xmp(doc, stamp))
        meta.Type = pikepdf.Name.Metadata
        meta.Subtype = pikepdf.Name.XML
        pdf.Root.Metadata = meta
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, fix_metadata_version=False,
             min_version="1.7" if pdfa else "1.4")
    return out.getvalue()


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCX_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/word/document.xml" \
ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>\
<Override PartName="/docProps/core.xml" \
ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
</Types>"""
_DOCX_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="word/document.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
Target="docProps/core.xml"/>\
</Relationships>"""


def docx_bytes(doc: _DocText) -> bytes:
    """A minimal valid DOCX (OOXML) with the document's text, one paragraph per line."""
    paras = []
    for i, line in enumerate([MUNICIPALITY, doc.organisation.split(",")[0], *doc.marking(), "",
                              *doc.lines()]):
        bold = "<w:rPr><w:b/></w:rPr>" if i == 0 or line == "SEKRETESS" else ""
        run = f'<w:r>{bold}<w:t xml:space="preserve">{escape(line)}</w:t></w:r>' if line else ""
        paras.append(f"<w:p>{run}</w:p>")
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:document xmlns:w="{_W_NS}"><w:body>{"".join(paras)}'
                f'<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>')
    hour, minute = _clock(doc)
    stamp = f"{doc.date.isoformat()}T{hour:02d}:{minute:02d}:00Z"
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(doc.doctype + ': ' + doc.title)}</dc:title>"
        f"<dc:creator>{escape(doc.party or doc.officer)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in (("[Content_Types].xml", _DOCX_TYPES), ("_rels/.rels", _DOCX_RELS),
                           ("docProps/core.xml", core), ("word/document.xml", document)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, data.encode("utf-8"))
    return out.getvalue()


def txt_bytes(doc: _DocText) -> bytes:
    """UTF-8 text: an e-mail (for ``epost-`` rows) or a typed note."""
    if doc.external_id.startswith("epost-"):
        hour, minute = _clock(doc)
        sender = doc.party or doc.officer
        recipient = "registrator@exempelby.example" if doc.direction == "Inkommande" else doc.party
        head = [f"Från: {sender}", f"Till: {recipient}",
                f"Datum: {doc.date.isoformat()} {hour:02d}:{minute:02d}",
                f"Ämne: {doc.title}", ""]
        body = ["Hej,", "", doc.description + ".", "", _BODY.get(doc.doctype, _MAIL_DEFAULT), "",
                "Med vänlig hälsning", sender]
        lines = head + body
    else:
        lines = [MUNICIPALITY, doc.organisation.split(",")[0], *doc.marking(), "", *doc.lines()]
    return ("\n".join(lines) + "\n").encode("utf-8")


_ETJ_NS = "https://e-tjanster.exempelby.example/schema/inlamning/1.0"
_SSBTEK_NS = "https://ssbtek.exempelby.example/schema/kontrolluppgift/1.0"


def _mail_for(name: str) -> str:
    slug = _ascii_slug(name).replace("-", ".")
    return f"{slug or 'okand'}@example.com"


def xml_bytes(doc: _DocText) -> bytes:
    """E-service output (``e-tjanst-`` rows) or a system reply (other rows), namespaced XML."""
    hour, minute = _clock(doc)
    stamp = f"{doc.date.isoformat()}T{hour:02d}:{minute:02d}:00{_utc_offset(doc.date)}"
    e = escape
    if doc.external_id.startswith("e-tjanst-"):
        fields = [("Ärendetyp", doc.title), ("Dokumenttyp", doc.doctype),
                  ("Beskrivning", doc.description)]
        party = [f"    <Namn>{e(doc.party)}</Namn>",
                 f"    <Epost>{e(_mail_for(doc.party))}</Epost>"]
        concerns = [f"  <Avser><Personnummer>{doc.pnr}</Personnummer></Avser>"] if doc.pnr else []
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<Inlamning xmlns="{_ETJ_NS}" version="1.0">',
            f"  <Referens>{e(doc.external_id)}</Referens>",
            f"  <Tjanst>{e(doc.title)}</Tjanst>",
            f"  <Mottagare>{e(doc.organisation)}</Mottagare>",
            f"  <Inskickad>{stamp}</Inskickad>",
            "  <Avsandare>", *party, "  </Avsandare>",
            *concerns,
            "  <Formular>",
            *(f"    <Falt namn={quoteattr(k)}>{e(v)}</Falt>" for k, v in fields),
            "  </Formular>",
            '  <Signering metod="BankID" status="signerad"/>',
            "</Inlamning>",
        ]
    else:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<Kontrollsvar xmlns="{_SSBTEK_NS}">',
            f"  <Referens>{e(doc.external_id)}</Referens>",
            f"  <Kalla>{e(doc.party)}</Kalla>",
            f"  <Besvarad>{stamp}</Besvarad>",
            f"  <Personnummer>{doc.pnr}</Personnummer>",
            f"  <Beskrivning>{e(doc.description)}</Beskrivning>",
            "  <Uppgift typ=\"ersattning\" period=\""
            f"{doc.date.strftime('%Y-%m')}\">Uppgift finns</Uppgift>",
            "</Kontrollsvar>",
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _scan_pixels(seed: str, width: int, height: int) -> list[bytes]:
    """Rows of 8-bit grey pixels that look like a scanned letter: paper, noise, text lines."""
    noise = bytearray()
    counter = 0
    while len(noise) < width * height + 64:
        noise += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    shape = noise[width * height:]
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            n = noise[y * width + x]
            v = 228 + n % 14
            if x < 3:  # shadow of the paper edge
                v -= 40
            elif 12 <= y <= 15 and 10 <= x < 10 + 30 + shape[0] % 20:  # letterhead
                v = 50 + n % 30
            elif 28 <= y <= 110 and (y - 28) % 6 in (0, 1):  # text lines
                line = (y - 28) // 6
                end = 70 + shape[1 + line % 30] % 20
                if 10 <= x < end and n % 7:
                    v = 70 + n % 50
            elif 118 <= y <= 124 and 55 <= x < 85 and (x + y + shape[40]) % 5 < 2:  # signature
                v = 40 + n % 40
            row.append(max(0, min(255, v)))
        rows.append(bytes(row))
    return rows


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(doc: _DocText, width: int = 100, height: int = 140) -> bytes:
    """A small grey PNG that looks like a scanned page, with its title in a tEXt chunk."""
    rows = _scan_pixels(doc.external_id + doc.description, width, height)
    raw = b"".join(b"\x00" + r for r in rows)
    title = f"{doc.doctype}: {doc.description}".encode("latin-1", errors="replace")
    return (b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _png_chunk(b"pHYs", struct.pack(">IIB", 3937, 3937, 1))  # 100 dpi
            + _png_chunk(b"tEXt", b"Title\x00" + title[:200])
            + _png_chunk(b"IDAT", zlib.compress(raw, 9))
            + _png_chunk(b"IEND", b""))


def tiff_bytes(doc: _DocText, width: int = 100, height: int = 140) -> bytes:
    """A baseline uncompressed 8-bit greyscale TIFF (little-endian) that looks like a scan."""
    pixels = b"".join(_scan_pixels(doc.external_id + doc.description, width, height))
    hour, minute = _clock(doc)
    description = _ascii_fold(f"Skannad handling: {doc.doctype}, {doc.description}")[:200]
    stamp = f"{doc.date.strftime('%Y:%m:%d')} {hour:02d}:{minute:02d}:00"
    # (tag, type, values): type 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL.
    entries: list[tuple[int, int, bytes, int]] = []  # tag, type, payload, count
    extra = bytearray()

    def add(tag: int, typ: int, payload: bytes, count: int) -> None:
        entries.append((tag, typ, payload, count))

    add(256, 3, struct.pack("<H", width), 1)
    add(257, 3, struct.pack("<H", height), 1)
    add(258, 3, struct.pack("<H", 8), 1)
    add(259, 3, struct.pack("<H", 1), 1)  # no compression
    add(262, 3, struct.pack("<H", 1), 1)  # BlackIsZero
    add(270, 2, description.encode("ascii") + b"\x00", len(description) + 1)
    add(273, 4, b"", 1)  # StripOffsets, filled in below
    add(277, 3, struct.pack("<H", 1), 1)
    add(278, 3, struct.pack("<H", height), 1)
    add(279, 4, struct.pack("<I", len(pixels)), 1)
    add(282, 5, struct.pack("<II", 100, 1), 1)
    add(283, 5, struct.pack("<II", 100, 1), 1)
    add(296, 3, struct.pack("<H", 2), 1)  # inch
    add(305, 2, b"diariekit samples\x00", 18)
    add(306, 2, stamp.encode("ascii") + b"\x00", 20)
    ifd_offset = 8
    data_offset = ifd_offset + 2 + 12 * len(entries) + 4
    # Lay out out-of-line values (longer than 4 bytes), then the pixels.
    placed: dict[int, int] = {}
    for tag, _typ, payload, _count in entries:
        if len(payload) > 4:
            placed[tag] = data_offset + len(extra)
            extra += payload
            if len(extra) % 2:
                extra += b"\x00"
    pixel_offset = data_offset + len(extra)
    ifd = bytearray(struct.pack("<H", len(entries)))
    for tag, typ, payload, count in entries:
        if tag == 273:
            payload = struct.pack("<I", pixel_offset)
        if tag in placed:
            value = struct.pack("<I", placed[tag])
        else:
            value = payload.ljust(4, b"\x00")
        ifd += struct.pack("<HHI", tag, typ, count) + value
    ifd += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + bytes(ifd) + bytes(extra) + pixels


def _file_bytes(rel: PurePosixPath, doc: _DocText) -> bytes:
    ext = rel.suffix.lower()
    if ext == ".pdf":
        return pdf_bytes(doc, pdfa=pdf_is_pdfa(doc.external_id))
    if ext == ".docx":
        return docx_bytes(doc)
    if ext == ".txt":
        return txt_bytes(doc)
    if ext == ".xml":
        return xml_bytes(doc)
    if ext == ".png":
        return png_bytes(doc)
    if ext in (".tif", ".tiff"):
        return tiff_bytes(doc)
    raise ValueError(f"no writer for file type {ext!r}: {rel}")


def make_sample_files(outdir: Path, csv_path: Path | None = None) -> Path:
    """Write every file named in the CSV under ``outdir``; return ``outdir/registrations.csv``.

    ``csv_path`` defaults to the packaged ``registrations.csv``. The CSV is copied byte for
    byte, so the ``Filer`` paths resolve relative to the copy.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / CSV_NAME
    if csv_path is None:
        source = resources.files("diariekit.samples").joinpath(CSV_NAME)
        with resources.as_file(source) as packaged:
            return _make_from(Path(packaged), outdir, target)
    return _make_from(Path(csv_path), outdir, target)


def _make_from(csv_path: Path, outdir: Path, target: Path) -> Path:
    rows = read_rows(csv_path)
    titles: dict[str, str] = {}
    for row in rows:
        key = row["Ärendenyckel"]
        if key and key not in titles and row["Ärendemening"]:
            titles[key] = row["Ärendemening"]
    for row in rows:
        paths = file_paths(row)
        if not paths:
            continue
        doc = _doc_text(row, titles)
        for raw in paths:
            rel = _safe_relpath(raw)
            dest = outdir.joinpath(*rel.parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(_file_bytes(rel, doc))
    if not (target.exists() and target.resolve() == csv_path.resolve()):
        shutil.copyfile(csv_path, target)
    return target


# --------------------------------------------------------------------------------------------
# The CSV generator (``--write-csv``)
# --------------------------------------------------------------------------------------------

IN, UPP, UT = "Inkommande", "Upprättad", "Utgående"
FIRST_DAY = dt.date(2026, 1, 2)
LAST_DAY = dt.date(2026, 11, 20)

#: Externt id prefix per channel.
_PREFIX = {"post": "post", "epost": "epost", "etjanst": "e-tjanst", "intern": "intern",
           "upphandling": "upphandling", "ssbtek": "ssbtek"}

#: File kinds a channel produces when a step does not say, with weights.
_AUTO_KINDS: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    "post": ((("pdfa",), 45), (("tif",), 16), (("png",), 14), ((), 15), (("pdfa", "png"), 10)),
    "epost": ((("pdf",), 48), (("txt",), 20), (("docx",), 12), (("txt", "pdf"), 15),
              (("txt", "docx"), 5)),
    "etjanst": ((("xml",), 65), (("xml", "pdfa"), 35)),
    "intern": ((("pdfa",), 92), (("docx",), 8)),
    "upphandling": ((("pdf",), 80), (("pdf", "docx"), 20)),
    "ssbtek": ((("xml",), 1),),
}
_EXT = {"pdfa": "pdf", "pdf": "pdf", "docx": "docx", "txt": "txt", "xml": "xml", "png": "png",
        "tif": "tif"}

_FIRST_F = ("Anna", "Maria", "Karin", "Sara", "Emma", "Lena", "Eva", "Kristina", "Johanna",
            "Elin", "Ida", "Linnea", "Helena", "Sofia", "Malin", "Fatima", "Amira", "Ingrid",
            "Birgitta", "Margareta", "Hanna", "Maja", "Ebba", "Agnes")
_FIRST_M = ("Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Mikael", "Nils", "Oskar",
            "Jonas", "Henrik", "Mattias", "Daniel", "Ali", "Ahmed", "Stefan", "Gustav", "Olof",
            "Bengt", "Gunnar", "Elias", "Hugo", "Liam", "Viktor")
_LAST = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
         "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindqvist",
         "Berglund", "Sandberg", "Holm", "Forsberg", "Lundgren", "Engström", "Wikström",
         "Hedlund", "Nyström", "Öberg", "Åkesson", "Ekström", "Sjöberg", "Mohammed", "Hassan",
         "Korhonen", "Nieminen", "Jovanović", "Kowalski", "Dahl", "Strand", "Falk", "Björk")
_PARTIES = ("S", "M", "SD", "C", "V", "KD", "L", "MP")
_SCHOOLS = ("Norrbyskolan, elevhälsan", "Åsenskolan", "Centralskolan, rektor",
            "Förskolan Solrosen", "Förskolan Tallbacken", "Exempelby gymnasium, elevhälsan")
_COMPANIES = ("Nordbuss Trafik AB", "Exempelby Taxi & Buss AB", "Länstrafiken Skolskjuts AB",
              "Rent & Fint Städservice AB", "Städ-Partner i Mälardalen AB", "Clean Office AB",
              "Kodkraft Konsult AB", "Norrsken IT AB", "Datapartner Sverige AB",
              "Grönt & Gott Livsmedel AB", "Storköksgrossisten AB", "Bondens Egna Ek. för.",
              "Snö & Mark Entreprenad AB", "Vinterväg i Exempel AB", "Åkeri Lindholm AB",
              "Företagshälsan Mitt AB", "Hälsopartner AB", "Arbetsliv & Hälsa i Sverige AB",
              "Kontorsinredning Nord AB", "Arkivkonsulterna AB", "Tolkcentralen Mitt AB",
              "Byggbolaget Exempel AB", "Fastighets AB Lärkan", "Logistikparken Väst AB",
              "Solel i Exempelby AB", "Exempelby Bageri AB")


def _ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _ascii_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii_fold(text).lower()).strip("-")


@dataclass
class _Step:
    rt: str
    direction: str
    doctype: str
    desc: str
    party: str
    channel: str
    gap: tuple[int, int]
    secrecy: str
    kinds: tuple[str, ...] | None


@dataclass
class _Case:
    serie: str
    slug: str
    klass: str
    title: str
    unit: str
    officer: str
    pnr: str = ""
    single: bool = False
    window: tuple[dt.date, dt.date] = (FIRST_DAY, LAST_DAY)
    steps: list[_Step] = field(default_factory=list)

    def doc(self, rt: str, direction: str, doctype: str, desc: str, party: str = "",
            channel: str | None = None, gap: tuple[int, int] = (0, 0), secrecy: str = "",
            kinds: tuple[str, ...] | None = None) -> None:
        if channel is None:
            channel = "intern" if direction != IN else "epost"
        self.steps.append(_Step(rt, direction, doctype, desc, party, channel, gap, secrecy,
                                kinds))


class _Gen:
    """Seeded helpers shared by the case builders."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cases: list[_Case] = []
        self.used_names: set[str] = set()
        self.used_pnr: set[str] = set()
        self.officers: dict[str, list[str]] = {}
        self.pools: dict[int, list[Any]] = {}

    def pick(self, options: Sequence[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def person(self, female: bool | None = None) -> tuple[str, bool]:
        """A fictional full name not used before, and whether it is a woman's name."""
        while True:
            if female is None:
                fem = self.chance(0.5)
            else:
                fem = female
            first = self.pick(_FIRST_F if fem else _FIRST_M)
            name = f"{first} {self.pick(_LAST)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name, fem

    def name(self) -> str:
        return self.person()[0]

    def politician(self) -> str:
        return f"{self.name()} ({self.pick(_PARTIES)})"

    def pnr(self, born_from: int, born_to: int, female: bool) -> str:
        """A fictional personnummer YYYYMMDD-NNNN, födelsenummer 980–999, valid check digit."""
        while True:
            start = dt.date(born_from, 1, 1)
            span = (dt.date(born_to, 12, 31) - start).days
            born = start + dt.timedelta(days=self.rng.randrange(span + 1))
            serial = 980 + self.rng.randrange(20)
            if (serial % 2 == 0) != female:  # the third digit is odd for men
                serial += 1 if serial < 999 else -1
            nine = born.strftime("%y%m%d") + f"{serial:03d}"
            pnr = f"{born.strftime('%Y%m%d')}-{serial:03d}{_luhn_digit(nine)}"
            if pnr not in self.used_pnr:
                self.used_pnr.add(pnr)
                return pnr

    def officer(self, unit: str) -> str:
        if unit not in self.officers:
            self.officers[unit] = [self.name() for _ in range(3)]
        return self.pick(self.officers[unit])

    def case(self, serie: str, slug: str, klass: str, title: str, unit: str, *,
             single: bool = False, pnr: str = "",
             window: tuple[str, str] | None = None) -> _Case:
        c = _Case(serie, slug, klass, title, unit, self.officer(unit), pnr=pnr, single=single)
        if window:
            c.window = (dt.date.fromisoformat(window[0]), dt.date.fromisoformat(window[1]))
        self.cases.append(c)
        return c

    def pick_kinds(self, options: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
        return options[self.rng.randrange(len(options))]

    def take(self, source: Sequence[_T]) -> _T:
        """Take a random item from a topic list, without repeats within this generator."""
        pool = self.pools.setdefault(id(source), list(source))
        return cast(_T, pool.pop(self.rng.randrange(len(pool))))


# ---- Kommunstyrelsen ------------------------------------------------------------------------

_REMISS_TOPICS = (
    ("Regional trafikförsörjningsplan 2027–2030", "Region Exempel"),
    ("Förslag till regional utvecklingsstrategi", "Region Exempel"),
    ("Länsplan för regional transportinfrastruktur", "Region Exempel"),
    ("Förslag till åtgärdsprogram för vattenförvaltningen", "Vattenmyndigheten"),
    ("Regional vattenförsörjningsplan", "Länsstyrelsen i Exempel län"),
    ("Regional handlingsplan för klimatanpassning", "Länsstyrelsen i Exempel län"),
    ("Förslag till bildande av naturreservatet Storängen", "Länsstyrelsen i Exempel län"),
    ("Promemoria om ändrade regler för kommunal redovisning", "Finansdepartementet"),
    ("Förslag till regional avfallsplan", "Exempelby Vatten och Avfall AB"),
    ("Länsstyrelsens förslag till vindbruksplan", "Länsstyrelsen i Exempel län"),
)
_REMISS_NOTED = (
    ("Promemoria om statlig lokalisering", "Finansdepartementet"),
    ("Förslag till föreskrifter om badvattenkvalitet", "Havs- och vattenmyndigheten"),
    ("Betänkande om framtidens biblioteksväsende", "Kulturdepartementet"),
    ("Remiss av riktlinjer för länets vägnät", "Trafikverket"),
)
_NAMNDER = ("Miljö- och byggnämnden", "Socialnämnden", "Barn- och utbildningsnämnden",
            "Tekniska nämnden", "Kultur- och fritidsnämnden")


def _ks_remiss(g: _Gen) -> None:
    topic, sender = g.take(_REMISS_TOPICS)
    c = g.case("KS", "remiss", "1.1.4", f"Remiss: {topic}", "Kansliavdelningen")
    c.doc("ks-1.1.4-01", IN, "Remiss", f"Remiss med begäran om yttrande över {topic[0].lower()}"
          f"{topic[1:]}", sender, g.pick(("epost", "epost", "post")))
    if g.chance(0.6):
        c.doc("ks-1.1.4-02", IN, "Yttrande", "Yttrande till kommunstyrelsen inför svar på "
              "remissen", g.pick(_NAMNDER), "epost", gap=(8, 20))
    c.doc("ks-1.1.1-06", UPP, "Tjänsteskrivelse", "Tjänsteskrivelse med förslag till yttrande",
          gap=(7, 21))
    c.doc("ks-1.1.4-02", UT, "Remissvar", "Kommunstyrelsens yttrande över remissen", sender,
          gap=(10, 25))


def _ks_remiss_noted(g: _Gen) -> None:
    topic, sender = g.take(_REMISS_NOTED)
    c = g.case("KS", "remiss", "1.1.4", f"Remiss: {topic}", "Kansliavdelningen", single=True)
    c.doc("ks-1.1.4-03", IN, "Remiss", "Remiss som kommunen avstår från att besvara", sender,
          g.pick(("epost", "post")))


_MOTIONS = (
    "Motion om fler laddstolpar vid kommunens anläggningar",
    "Motion om avgiftsfri kollektivtrafik för pensionärer",
    "Motion om solceller på kommunens tak",
    "Motion om en översyn av föreningsbidragen",
    "Motion om trygghetsvandringar i centrum",
    "Motion om medborgarbudget",
    "Motion om mer närproducerad mat i kommunens kök",
    "Motion om en kommunal lånecykelpool",
)
_PROPOSALS = (
    "Medborgarförslag om hundrastgård i Norrby",
    "Medborgarförslag om belysning längs gång- och cykelvägen till Åsen",
    "Medborgarförslag om utegym vid Strandbadet",
    "Medborgarförslag om fler bänkar längs Åpromenaden",
    "Medborgarförslag om farthinder på Skolgatan",
    "Medborgarförslag om offentlig toalett vid torget",
    "Medborgarförslag om boulebana i stadsparken",
)


def _ks_motion(g: _Gen) -> None:
    title = g.take(_MOTIONS)
    author = g.politician()
    c = g.case("KS", "motion", "1.1.2", title, "Kansliavdelningen")
    c.doc("ks-1.1.2-02", IN, "Motion", f"Motion väckt i kommunfullmäktige av {author}", author,
          g.pick(("epost", "epost", "post")))
    if g.chance(0.5):
        c.doc("ks-1.1.4-02", IN, "Yttrande", "Yttrande över motionen", g.pick(_NAMNDER),
              "epost", gap=(20, 45))
    c.doc("ks-1.1.1-06", UPP, "Tjänsteskrivelse", "Tjänsteskrivelse med förslag till svar på "
          "motionen", gap=(14, 40))
    c.doc("ks-1.1.2-02", UPP, "Protokollsutdrag", "Kommunfullmäktiges beslut med anledning av "
          "motionen", gap=(20, 45))


def _ks_proposal(g: _Gen) -> None:
    title = g.take(_PROPOSALS)
    who = g.name()
    c = g.case("KS", "medborgarforslag", "1.1.2", title, "Kansliavdelningen")
    channel = g.pick(("etjanst", "etjanst", "post"))
    how = "via kommunens e-tjänst" if channel == "etjanst" else "med post"
    paper = channel == "post" and g.chance(0.5)
    c.doc("ks-1.1.2-03", IN, "Medborgarförslag", f"Medborgarförslag inlämnat {how}", who,
          channel, kinds=() if paper else None)
    c.doc("ks-1.1.1-06", UPP, "Tjänsteskrivelse", "Tjänsteskrivelse med förslag till beslut",
          gap=(20, 50))
    c.doc("ks-1.1.2-03", UPP, "Protokollsutdrag", "Beslut med anledning av medborgarförslaget",
          gap=(15, 40))
    if g.chance(0.6):
        c.doc("ks-1.1.2-03", UT, "Skrivelse", "Meddelande om beslut till förslagsställaren", who,
              gap=(2, 8))


def _ks_interpellation(g: _Gen, topic: str) -> None:
    author = g.politician()
    c = g.case("KS", "interpellation", "1.1.2", f"Interpellation om {topic}",
               "Kansliavdelningen")
    c.doc("ks-1.1.2-04", IN, "Interpellation", f"Interpellation till kommunstyrelsens "
          f"ordförande om {topic}", author, "epost")
    c.doc("ks-1.1.2-04", UPP, "Svar", "Svar på interpellationen från kommunstyrelsens "
          "ordförande", gap=(10, 25))


_DELEGATION = (
    "Delegationsbeslut om firmatecknare för kommunstyrelsen",
    "Delegationsbeslut om bidrag till Exempelby hembygdsförening",
    "Delegationsbeslut om flaggning på allmän plats",
    "Delegationsbeslut om förlängning av lokalhyresavtal för medborgarkontoret",
    "Delegationsbeslut om utseende av dataskyddsombud",
)


def _ks_delegation(g: _Gen) -> None:
    title = g.take(_DELEGATION)
    c = g.case("KS", "delegation", "1.1.3", title, "Kansliavdelningen", single=True)
    c.doc("ks-1.1.3-02", UPP, "Beslut", title.replace("Delegationsbeslut", "Beslut"))


def _ks_public_event(g: _Gen, event: str) -> None:
    organiser = g.name()
    c = g.case("KS", "tillstallning", "1.1.4", f"Yttrande över ansökan om offentlig tillställning, "
               f"{event}", "Kansliavdelningen")
    c.doc("ks-1.1.4-01", IN, "Remiss", f"Remiss från Polismyndigheten om ansökan om tillstånd "
          f"till offentlig tillställning ({event}), sökande {organiser}", "Polismyndigheten",
          "epost")
    c.doc("ks-1.1.3-02", UPP, "Beslut", "Delegationsbeslut om yttrande till Polismyndigheten",
          gap=(3, 10))
    c.doc("ks-1.1.4-02", UT, "Yttrande", "Yttrande till Polismyndigheten", "Polismyndigheten",
          gap=(0, 2))


_PROCUREMENTS = (
    ("Upphandling av skolskjuts", (0, 3)),
    ("Upphandling av städtjänster", (3, 6)),
    ("Upphandling av IT-konsulttjänster", (6, 9)),
    ("Upphandling av livsmedel till kommunens kök", (9, 12)),
    ("Upphandling av snöröjning och halkbekämpning", (12, 15)),
    ("Upphandling av företagshälsovård", (15, 18)),
)


def _ks_procurement(g: _Gen) -> None:
    title, (lo, hi) = g.take(_PROCUREMENTS)
    bidders = list(_COMPANIES[lo:hi])
    g.rng.shuffle(bidders)
    n = 2 + g.rng.randrange(2)
    bidders = bidders[:n]
    winner = bidders[0]
    c = g.case("KS", "upphandling", "2.3.1", title, "Upphandlingsenheten")
    c.doc("ks-2.3.1-01", UPP, "Upphandlingsdokument", "Upphandlingsdokument med "
          "kravspecifikation, annonserat i upphandlingssystemet")
    if g.chance(0.5):
        c.doc("ks-2.3.1-01", IN, "Fråga", "Fråga från anbudsgivare under anbudstiden",
              g.pick(bidders), "epost", gap=(5, 12), secrecy="OSL 19:3", kinds=("txt",))
    order = bidders[1:] + [winner]
    g.rng.shuffle(order)
    for i, company in enumerate(order):
        rt = "ks-2.3.1-02" if company == winner else "ks-2.3.1-03"
        c.doc(rt, IN, "Anbud", "Anbud inkommet via upphandlingssystemet", company,
              "upphandling", gap=(18, 30) if i == 0 else (0, 2), secrecy="OSL 19:3")
    c.doc("ks-2.3.1-04", UPP, "Protokoll", "Protokoll från anbudsöppning", gap=(1, 3),
          secrecy="OSL 19:3")
    c.doc("ks-2.3.1-05", UT, "Beslut", "Tilldelningsbeslut med utvärderingsrapport",
          "Samtliga anbudsgivare", gap=(10, 20))
    c.doc("ks-2.3.1-06", UPP, "Avtal", f"Avtal med {winner}", winner, gap=(12, 25),
          secrecy="OSL 31:16")


_DIRECT = (
    ("Direktupphandling av konsultstöd för arkivutredning", "Arkivkonsulterna AB"),
    ("Direktupphandling av möbler till medborgarkontoret", "Kontorsinredning Nord AB"),
    ("Direktupphandling av tolktjänster", "Tolkcentralen Mitt AB"),
    ("Direktupphandling av solcellsanläggning på kommunhuset", "Solel i Exempelby AB"),
)


def _ks_direct(g: _Gen) -> None:
    title, company = g.take(_DIRECT)
    c = g.case("KS", "direktupphandling", "2.3.1", title, "Upphandlingsenheten")
    c.doc("ks-2.3.1-07", IN, "Offert", "Offert efter förfrågan", company, "epost",
          secrecy="OSL 31:16")
    c.doc("ks-2.3.1-07", UPP, "Tjänsteanteckning", "Dokumentation av direktupphandling",
          company, gap=(3, 10), secrecy="OSL 31:16")


def _ks_rehab(g: _Gen) -> None:
    employee = g.name()
    c = g.case("KS", "rehab", "2.2.3", "Rehabiliteringsärende", "HR-avdelningen")
    c.doc("ks-2.2.3-01", UPP, "Tjänsteanteckning", "Anteckningar från rehabiliteringsmöte",
          employee, secrecy="OSL 39:3", kinds=g.pick_kinds((("pdfa",), ("docx",), ("txt",))))
    c.doc("ks-2.2.3-01", IN, "Läkarintyg", "Läkarintyg inlämnat av medarbetaren", employee,
          "post", gap=(2, 10), secrecy="OSL 21:1")
    c.doc("ks-2.2.3-01", UPP, "Rehabiliteringsplan", "Plan för återgång i arbete", employee,
          gap=(5, 20), secrecy="OSL 39:3")
    if g.chance(0.6):
        c.doc("ks-2.2.3-01", UT, "Skrivelse", "Underlag till Försäkringskassan om "
              "rehabiliteringsåtgärder", "Försäkringskassan", gap=(3, 15), secrecy="OSL 39:3")
    if g.chance(0.5):
        c.doc("ks-2.2.3-01", UPP, "Tjänsteanteckning", "Uppföljning och avslut av "
              "rehabiliteringen", employee, gap=(30, 70), secrecy="OSL 39:3")


def _ks_injury(g: _Gen) -> None:
    employee = g.name()
    c = g.case("KS", "arbetsskada", "2.2.3", "Anmälan om arbetsskada", "HR-avdelningen")
    c.doc("ks-2.2.3-03", IN, "Anmälan", "Medarbetarens anmälan om arbetsskada", employee,
          g.pick(("post", "epost")), secrecy="OSL 21:1")
    c.doc("ks-2.2.3-03", UT, "Anmälan", "Anmälan om arbetsskada till Försäkringskassan och "
          "Arbetsmiljöverket", "Försäkringskassan", gap=(1, 5), secrecy="OSL 21:1")


def _ks_hire(g: _Gen, post: str) -> None:
    hired = g.name()
    c = g.case("KS", "anstallning", "2.2.1", f"Anställning av {post}", "HR-avdelningen",
               single=True)
    c.doc("ks-2.2.1-04", UPP, "Beslut", f"Anställningsbeslut, {post}", hired)


_OPINIONS = (
    ("Synpunkt på snöröjning", "Synpunkt på snöröjningen på villagatorna i Norrby",
     ("2026-01-05", "2026-03-10")),
    ("Klagomål på bemötande i kontaktcenter", "Klagomål på bemötande vid telefonsamtal", None),
    ("Synpunkt på gatubelysning", "Synpunkt på trasig gatubelysning vid Åsvägen", None),
    ("Klagomål på handläggningstid", "Klagomål på lång handläggningstid för ett ärende", None),
    ("Synpunkt på kommunens webbplats", "Synpunkt på att e-tjänsterna är svåra att hitta", None),
    ("Klagomål på nedskräpning vid återvinningsstation",
     "Klagomål på nedskräpning vid återvinningsstationen på Storgatan",
     ("2026-04-01", "2026-09-30")),
    ("Synpunkt på parkering vid kommunhuset", "Synpunkt på för få parkeringsplatser för "
     "besökare", None),
)


def _ks_opinion(g: _Gen) -> None:
    title, desc, window = g.take(_OPINIONS)
    who = g.name()
    c = g.case("KS", "synpunkt", "3.2.1", title, "Kommunikationsavdelningen",
               window=(window[0], window[1]) if window else None)
    c.doc("ks-3.2.1-01", IN, "Synpunkt", desc, who, g.pick(("etjanst", "etjanst", "epost")))
    if g.chance(0.3):
        c.doc("ks-3.2.1-01", UPP, "Tjänsteanteckning", "Anteckning om kontakt med berörd "
              "verksamhet", gap=(1, 5), kinds=("txt",))
    c.doc("ks-3.2.1-01", UT, "Skrivelse", "Svar på synpunkten", who, gap=(3, 15))


_POLICIES = (
    "Revidering av arkivreglemente",
    "Riktlinjer för informationssäkerhet",
    "Policy mot mutor och jäv",
    "Riktlinjer för hantering av allmänna handlingar",
)


def _ks_policy(g: _Gen) -> None:
    title = g.take(_POLICIES)
    c = g.case("KS", "styrdokument", "1.2.1", title, "Kansliavdelningen")
    c.doc("ks-1.2.1-01", UPP, "Styrdokument", "Förslag till styrdokument, remissversion")
    for namnd in g.rng.sample(_NAMNDER, 1 + g.rng.randrange(2)):
        c.doc("ks-1.1.4-02", IN, "Remissvar", "Remissvar över förslaget till styrdokument",
              namnd, "epost", gap=(15, 35))
    c.doc("ks-1.1.1-06", UPP, "Tjänsteskrivelse", "Tjänsteskrivelse med förslag till beslut om "
          "att anta styrdokumentet", gap=(10, 25))
    c.doc("ks-1.2.1-01", UPP, "Styrdokument", "Styrdokumentet i antagen lydelse", gap=(20, 50))


def _ks_economy(g: _Gen) -> None:
    c = g.case("KS", "arsredovisning", "1.2.2", "Årsredovisning 2025", "Ekonomiavdelningen",
               window=("2026-02-16", "2026-05-29"))
    c.doc("ks-1.2.2-02", UPP, "Årsredovisning", "Årsredovisning för Exempelby kommun 2025")
    c.doc("ks-1.2.2-02", IN, "Revisionsberättelse", "Revisionsberättelse för år 2025, "
          "undertecknat original i papper", "Kommunens revisorer", "post", gap=(20, 35),
          kinds=())
    c = g.case("KS", "delar", "1.2.2", "Delårsrapport januari–augusti 2026",
               "Ekonomiavdelningen", window=("2026-09-21", "2026-11-20"))
    c.doc("ks-1.2.2-03", UPP, "Delårsrapport", "Delårsrapport per den 31 augusti 2026")
    c.doc("ks-1.2.2-03", IN, "Yttrande", "Revisorernas bedömning av delårsrapporten",
          "Kommunens revisorer", "epost", gap=(10, 20))
    c = g.case("KS", "budget", "1.2.2", "Mål och budget 2027 med flerårsplan 2028–2029",
               "Ekonomiavdelningen", window=("2026-03-02", "2026-10-30"))
    c.doc("ks-1.2.2-01", UPP, "Budgetdirektiv", "Direktiv och tidplan för budgetarbetet")
    for namnd in g.rng.sample(_NAMNDER, 2):
        c.doc("ks-1.1.4-02", IN, "Yttrande", "Nämndens underlag och yttrande inför budget 2027",
              namnd, "epost", gap=(20, 40))
    c.doc("ks-1.2.2-01", UPP, "Mål och budget", "Förslag till mål och budget 2027",
          gap=(15, 40))
    c = g.case("KS", "internkontroll", "1.2.2", "Internkontrollplan 2027",
               "Ekonomiavdelningen", single=True, window=("2026-09-01", "2026-11-20"))
    c.doc("ks-1.2.2-04", UPP, "Internkontrollplan", "Internkontrollplan för kommunstyrelsen "
          "2027")


def _ks_access_request(g: _Gen, what: str, reason: str) -> None:
    journalist = f"{g.name()}, Exempelbladet"
    c = g.case("KS", "begaran", "2.4.2", "Begäran om allmän handling", "Kansliavdelningen")
    c.doc("ks-2.4.2-02", IN, "Begäran", f"Begäran om att ta del av {what}", journalist,
          "epost", kinds=("txt",))
    c.doc("ks-2.4.2-02", UT, "Beslut", f"Beslut om avslag på begäran, {reason}", journalist,
          gap=(1, 3))


def _ks_archive(g: _Gen) -> None:
    c = g.case("KS", "gallring", "2.4.3", "Gallring av handlingar enligt "
               "dokumenthanteringsplanen", "Kansliavdelningen", single=True,
               window=("2026-01-12", "2026-03-31"))
    c.doc("ks-2.4.3-03", UPP, "Protokoll", "Gallringsprotokoll för ekonomiska handlingar "
          "2015–2018")
    c = g.case("KS", "leverans", "2.4.3", "Leverans till kommunarkivet", "Kansliavdelningen",
               window=("2026-04-01", "2026-10-30"))
    c.doc("ks-2.4.3-04", UPP, "Leveransreversal", "Leveransreversal för kommunstyrelsens "
          "handlingar 2015–2020")
    c.doc("ks-2.4.3-04", IN, "Kvittens", "Kvittens av leverans från arkivmyndigheten",
          "Exempelby kommunarkiv", "epost", gap=(5, 20))
    c = g.case("KS", "arkivbeskrivning", "2.4.3", "Arkivbeskrivning för kommunstyrelsen",
               "Kansliavdelningen", single=True)
    c.doc("ks-2.4.3-01", UPP, "Arkivbeskrivning", "Uppdaterad arkivbeskrivning")


def _ks_incident(g: _Gen, what: str) -> None:
    c = g.case("KS", "incident", "2.4.4", "Personuppgiftsincident", "IT-avdelningen")
    c.doc("ks-2.4.4-05", UPP, "Rapport", f"Intern incidentrapport: {what}", secrecy="OSL 18:8")
    c.doc("ks-2.4.4-05", UT, "Anmälan", "Anmälan av personuppgiftsincident",
          "Integritetsskyddsmyndigheten", gap=(1, 3))
    if g.chance(0.5):
        c.doc("ks-2.4.4-05", IN, "Skrivelse", "Begäran om komplettering",
              "Integritetsskyddsmyndigheten", "epost", gap=(10, 30))


def _ks_security(g: _Gen) -> None:
    c = g.case("KS", "infosak", "2.4.4", "Informationssäkerhetsanalys av e-arkivet",
               "IT-avdelningen", single=True)
    c.doc("ks-2.4.4-01", UPP, "Analys", "Informationssäkerhetsanalys med åtgärdsplan",
          secrecy="OSL 18:8")
    c = g.case("KS", "rsa", "3.1.1", "Risk- och sårbarhetsanalys 2027–2030", "Säkerhetsenheten",
               window=("2026-05-04", "2026-10-30"))
    c.doc("ks-3.1.1-01", UPP, "Analys", "Risk- och sårbarhetsanalys för Exempelby kommun",
          secrecy="OSL 18:13")
    c.doc("ks-3.1.1-01", UT, "Rapport", "Rapportering av risk- och sårbarhetsanalysen",
          "Länsstyrelsen i Exempel län", gap=(5, 15), secrecy="OSL 18:13")
    c = g.case("KS", "ovning", "3.1.1", "Utvärdering av krisövning 2026", "Säkerhetsenheten")
    c.doc("ks-3.1.1-04", UPP, "Övningsmaterial", "Scenario och övningsplan", secrecy="OSL 18:13",
          kinds=("docx",))
    c.doc("ks-3.1.1-05", UPP, "Utvärdering", "Utvärdering av krisledningsövningen", gap=(20, 40),
          secrecy="OSL 18:13")
    c = g.case("KS", "krisplan", "3.1.1", "Plan för hantering av extraordinära händelser",
               "Säkerhetsenheten", single=True)
    c.doc("ks-3.1.1-02", UPP, "Plan", "Reviderad plan för hantering av extraordinära händelser")


def _ks_business(g: _Gen) -> None:
    for _ in range(3):
        company = g.pick(_COMPANIES[21:])
        c = g.case("KS", "foretag", "3.3.1", "Förfrågan om etablering", "Näringslivsenheten")
        c.doc("ks-3.3.1-02", IN, "Skrivelse", "Förfrågan om mark för etablering", company,
              "epost", secrecy="OSL 31:16")
        if g.chance(0.5):
            c.doc("ks-3.3.1-04", UPP, "Tjänsteanteckning", "Anteckningar från företagsbesök",
                  company, gap=(5, 20), secrecy="OSL 31:16", kinds=("docx",))
        c.doc("ks-3.3.1-02", UT, "Skrivelse", "Svar med information om tillgänglig mark",
              company, gap=(5, 20), secrecy="OSL 31:16")
    for area in ("kvarteret Lärkan", "Västra industriområdet"):
        company = g.pick(("Byggbolaget Exempel AB", "Fastighets AB Lärkan",
                          "Logistikparken Väst AB"))
        c = g.case("KS", "markanvisning", "3.3.1", f"Markanvisning i {area}",
                   "Näringslivsenheten")
        c.doc("ks-3.3.1-02", IN, "Intresseanmälan", "Intresseanmälan om markanvisning", company,
              "epost", secrecy="OSL 31:16")
        c.doc("ks-1.1.1-06", UPP, "Tjänsteskrivelse", "Tjänsteskrivelse om markanvisning",
              gap=(15, 35), secrecy="OSL 19:1")
        c.doc("ks-3.3.1-03", UPP, "Avtal", "Markanvisningsavtal", company, gap=(20, 45),
              secrecy="OSL 19:1")


def _ks_other(g: _Gen) -> None:
    c = g.case("KS", "attest", "2.1.1", "Attestförteckning 2026", "Ekonomiavdelningen",
               single=True, window=("2026-01-02", "2026-01-30"))
    c.doc("ks-2.1.1-07", UPP, "Förteckning", "Förteckning över beslutsattestanter 2026")


# ---- Socialnämnden ---------------------------------------------------------------------------

_AUTOMATED_SOURCES = ("Försäkringskassan", "Arbetsförmedlingen", "CSN", "Skatteverket")


def _sn_assistance(g: _Gen) -> None:
    person, fem = g.person()
    pnr = g.pnr(1960, 2004, fem)
    c = g.case("SN", "ekbistand", "3.2.1", "Ansökan om ekonomiskt bistånd",
               "Individ- och familjeomsorgen", pnr=pnr)
    rounds = 1 + (1 if g.chance(0.4) else 0)
    for r in range(rounds):
        c.doc("sn-3.2.1-01", IN, "Ansökan", "Ansökan om ekonomiskt bistånd för "
              + ("innevarande månad" if r == 0 else "kommande månad"), person,
              g.pick(("etjanst", "etjanst", "post")), gap=(0, 0) if r == 0 else (20, 30),
              secrecy="OSL 26:1")
        if g.chance(0.6):
            src = g.pick(_AUTOMATED_SOURCES)
            c.doc("sn-3.2.1-02", IN, "Kontrolluppgift", f"Svar från {src} vid automatiserad "
                  "kontroll", src, "ssbtek", gap=(0, 1), secrecy="OSL 26:1")
        if r == 0 and g.chance(0.5):
            c.doc("sn-3.2.1-01", UPP, "Tjänsteanteckning", "Anteckning från besök på "
                  "socialkontoret", person, gap=(2, 7), secrecy="OSL 26:1",
                  kinds=g.pick_kinds((("pdfa",), ("txt",), ("docx",))))
        c.doc("sn-3.2.1-01", UT, "Beslut", g.pick(("Beslut om bifall till ekonomiskt bistånd",
                                                    "Beslut om delvis bifall",
                                                    "Beslut om avslag på ansökan")),
              person, gap=(3, 10), secrecy="OSL 26:1")


_REPORTERS = _SCHOOLS + ("Polismyndigheten", "Region Exempel, barn- och ungdomspsykiatrin",
                         "Region Exempel, vårdcentralen Norrby")


def _sn_concern(g: _Gen) -> None:
    child, fem = g.person()
    pnr = g.pnr(2010, 2023, fem)
    reporter = g.pick(_REPORTERS) if g.chance(0.8) else g.name()
    c = g.case("SN", "oro", "3.1.1", "Anmälan om oro för barn", "Individ- och familjeomsorgen",
               pnr=pnr)
    c.doc("sn-3.1.1-01", IN, "Anmälan", "Orosanmälan gällande barn", reporter,
          g.pick(("epost", "post", "etjanst")), secrecy="OSL 26:1")
    c.doc("sn-3.1.1-01", UPP, "Tjänsteanteckning", "Förhandsbedömning med skyddsbedömning",
          child, gap=(0, 1), secrecy="OSL 26:1")
    c.doc("sn-3.1.2-01", UPP, "Beslut", g.pick(("Beslut att inleda utredning",
                                                "Beslut att inte inleda utredning")),
          child, gap=(5, 14), secrecy="OSL 26:1")


def _sn_child_investigation(g: _Gen) -> None:
    child, fem = g.person()
    pnr = g.pnr(2009, 2021, fem)
    guardian = g.name()
    school = g.pick(_SCHOOLS)
    c = g.case("SN", "barnutredning", "3.1.2", "Utredning barn och unga",
               "Individ- och familjeomsorgen", pnr=pnr)
    c.doc("sn-3.1.2-01", UPP, "Beslut", "Beslut att inleda utredning", child, secrecy="OSL 26:1")
    c.doc("sn-3.1.2-01", UT, "Begäran", "Begäran om upplysningar", school, gap=(3, 10),
          secrecy="OSL 26:1")
    c.doc("sn-3.1.2-01", IN, "Yttrande", "Upplysningar från skolan", school, "epost",
          gap=(10, 20), secrecy="OSL 26:1")
    if g.chance(0.5):
        c.doc("sn-3.1.2-01", UPP, "Tjänsteanteckning", "Anteckningar från samtal med barnet "
              "och vårdnadshavarna", child, gap=(5, 15), secrecy="OSL 26:1")
    c.doc("sn-3.1.2-01", UPP, "Utredning", "Utredning med bedömning", child, gap=(20, 40),
          secrecy="OSL 26:1")
    c.doc("sn-3.1.2-01", UT, "Beslut", "Beslut om insats i form av öppenvård", guardian,
          gap=(3, 10), secrecy="OSL 26:1")


def _sn_lss(g: _Gen) -> None:
    person, fem = g.person()
    pnr = g.pnr(1975, 2015, fem)
    applicant = person if pnr[:4] < "2007" else g.name()
    c = g.case("SN", "lss", "3.5.1", "Ansökan om insats enligt LSS", "Funktionsstöd", pnr=pnr)
    c.doc("sn-3.5.1-01", IN, "Ansökan", "Ansökan om insats enligt LSS", applicant,
          g.pick(("post", "etjanst")), secrecy="OSL 26:1")
    c.doc("sn-3.5.1-01", IN, "Läkarintyg", "Läkarintyg som underlag för utredningen",
          "Region Exempel, habiliteringen", "post", gap=(5, 20), secrecy="OSL 26:1")
    c.doc("sn-3.5.1-01", UPP, "Utredning", "Utredning om behov av insats", person, gap=(15, 40),
          secrecy="OSL 26:1")
    c.doc("sn-3.5.1-01", UT, "Beslut", g.pick(("Beslut om bifall", "Beslut om avslag")),
          applicant, gap=(3, 10), secrecy="OSL 26:1")


def _sn_elderly(g: _Gen) -> None:
    person, fem = g.person()
    pnr = g.pnr(1932, 1952, fem)
    what = g.pick(("hemtjänst", "särskilt boende", "trygghetslarm"))
    c = g.case("SN", "aldre", "3.4.1", "Ansökan om bistånd inom äldreomsorgen",
               "Vård och omsorg", pnr=pnr)
    if g.chance(0.4):
        c.doc("sn-3.4.1-01", UPP, "Tjänsteanteckning", f"Ansökan om {what} mottagen per telefon",
              person, secrecy="OSL 26:1", kinds=("txt",))
    else:
        c.doc("sn-3.4.1-01", IN, "Ansökan", f"Ansökan om {what}", person,
              g.pick(("post", "etjanst")), secrecy="OSL 26:1")
    c.doc("sn-3.4.1-01", UPP, "Utredning", "Biståndsutredning", person, gap=(7, 20),
          secrecy="OSL 26:1")
    c.doc("sn-3.4.1-01", UT, "Beslut", f"Beslut om {what}", person, gap=(1, 7),
          secrecy="OSL 26:1")
    if g.chance(0.5):
        c.doc("sn-3.4.1-02", UT, "Beslut", "Beslut om avgift", person, gap=(5, 20),
              secrecy="OSL 26:1")


def _sn_sarah(g: _Gen, where: str) -> None:
    reporter = g.name()
    c = g.case("SN", "lexsarah", "2.3.1", "Rapport enligt lex Sarah", "Kvalitetsenheten")
    c.doc("sn-2.3.1-01", IN, "Rapport", f"Rapport om missförhållande inom {where}", reporter,
          g.pick(("epost", "post")), secrecy="OSL 26:1")
    c.doc("sn-2.3.1-02", UPP, "Utredning", "Utredning enligt lex Sarah", gap=(10, 30),
          secrecy="OSL 26:1")
    if g.chance(0.6):
        c.doc("sn-2.3.1-02", UT, "Anmälan", "Anmälan till IVO om allvarligt missförhållande",
              "Inspektionen för vård och omsorg", gap=(1, 5), secrecy="OSL 26:1")


_SN_COMPLAINTS = ("Klagomål på hemtjänst", "Klagomål på handläggning",
                  "Klagomål på bemötande", "Synpunkter på särskilt boende",
                  "Klagomål på daglig verksamhet")


def _sn_complaint(g: _Gen) -> None:
    title = g.take(_SN_COMPLAINTS)
    who = g.name()
    secrecy = "OSL 26:1" if g.chance(0.6) else ""
    c = g.case("SN", "klagomal", "2.3.2", title, "Kvalitetsenheten")
    c.doc("sn-2.3.2-01", IN, "Klagomål", title, who, g.pick(("etjanst", "epost", "post")),
          secrecy=secrecy)
    c.doc("sn-2.3.2-01", UT, "Skrivelse", "Svar på klagomålet", who, gap=(5, 20),
          secrecy=secrecy)


def _sn_supervision(g: _Gen, title: str, authority: str) -> None:
    c = g.case("SN", "tillsyn", "2.3.3", title, "Kvalitetsenheten")
    c.doc("sn-2.3.3-01", IN, "Begäran", "Begäran om yttrande och handlingar", authority, "epost",
          secrecy="OSL 26:1")
    c.doc("sn-2.3.3-01", UT, "Yttrande", "Socialnämndens yttrande", authority, gap=(15, 30),
          secrecy="OSL 26:1")
    c.doc("sn-2.3.3-01", IN, "Beslut", "Beslut i tillsynsärendet", authority, "epost",
          gap=(30, 70), secrecy="OSL 26:1")


_RESTAURANTS = ("Restaurang Hamnkrogen AB", "Pizzeria Napoli i Exempelby HB",
                "Stadshotellet Exempelby AB", "Bistro Torget AB", "Golfrestaurangen Åsen AB")


def _sn_license(g: _Gen) -> None:
    company = g.take(_RESTAURANTS)
    c = g.case("SN", "servering", "3.7.1", "Ansökan om stadigvarande serveringstillstånd",
               "Tillståndsenheten")
    c.doc("sn-3.7.1-01", IN, "Ansökan", "Ansökan om serveringstillstånd till allmänheten",
          company, g.pick(("etjanst", "epost")))
    c.doc("sn-3.7.1-01", UT, "Remiss", "Remiss för yttrande", "Polismyndigheten", gap=(3, 10))
    c.doc("sn-3.7.1-01", IN, "Remissvar", "Yttrande över ansökan", "Polismyndigheten", "epost",
          gap=(14, 28))
    c.doc("sn-3.7.1-01", UT, "Beslut", "Beslut om serveringstillstånd", company, gap=(10, 25))


def _sn_inspection(g: _Gen) -> None:
    company = g.take(_RESTAURANTS)
    c = g.case("SN", "alkoholtillsyn", "3.7.2", "Tillsyn av serveringsställe",
               "Tillståndsenheten")
    c.doc("sn-3.7.2-01", UPP, "Tillsynsrapport", "Rapport från tillsynsbesök", company)
    if g.chance(0.5):
        c.doc("sn-3.7.2-02", UT, "Beslut", "Beslut om erinran", company, gap=(10, 30))


def _sn_file_request(g: _Gen) -> None:
    person, fem = g.person()
    pnr = g.pnr(1970, 2000, fem)
    c = g.case("SN", "utlamnande", "2.2.1", "Begäran om utlämnande av allmän handling",
               "Individ- och familjeomsorgen", pnr=pnr)
    c.doc("sn-2.2.1-01", IN, "Begäran", "Begäran om kopia av egen personakt", person,
          g.pick(("epost", "post")), secrecy="OSL 26:1")
    c.doc("sn-2.2.1-01", UT, "Beslut", "Beslut om utlämnande med maskering av uppgifter om "
          "annan enskild", person, gap=(2, 10), secrecy="OSL 26:1")


def _sn_unexecuted(g: _Gen, quarter: int, window: tuple[str, str]) -> None:
    c = g.case("SN", "ejverkstallda", "1.2.1", f"Rapportering av ej verkställda beslut, kvartal "
               f"{quarter} 2026", "Kvalitetsenheten", single=True, window=window)
    c.doc("sn-1.2.1-04", UT, "Rapport", f"Rapport till IVO om ej verkställda beslut, kvartal "
          f"{quarter}", "Inspektionen för vård och omsorg", secrecy="OSL 26:1")


def _sn_estate(g: _Gen) -> None:
    person, fem = g.person()
    pnr = g.pnr(1930, 1950, fem)
    c = g.case("SN", "dodsbo", "3.3.4", "Dödsboanmälan", "Individ- och familjeomsorgen",
               pnr=pnr, single=True)
    c.doc("sn-3.3.4-01", UT, "Anmälan", "Dödsboanmälan", "Skatteverket")


def _sn_custody(g: _Gen) -> None:
    child, fem = g.person()
    pnr = g.pnr(2012, 2022, fem)
    c = g.case("SN", "vardnad", "3.3.3", "Vårdnads-, boende- och umgängesutredning",
               "Individ- och familjeomsorgen", pnr=pnr)
    c.doc("sn-3.3.3-01", IN, "Uppdrag", "Uppdrag att utreda vårdnad, boende och umgänge",
          "Exempelby tingsrätt", "post", secrecy="OSL 26:1", kinds=g.pick_kinds(((), ("tif",))))
    c.doc("sn-3.3.3-03", UPP, "Tjänsteanteckning", "Anteckningar från samtal med föräldrarna",
          child, gap=(10, 30), secrecy="OSL 26:1")
    c.doc("sn-3.3.3-01", UT, "Utredning", "Utredning till tingsrätten", "Exempelby tingsrätt",
          gap=(40, 80), secrecy="OSL 26:1")


def _sn_plan(g: _Gen) -> None:
    c = g.case("SN", "verksamhetsplan", "1.2.1", "Verksamhetsplan och internbudget 2027",
               "Socialkontorets kansli", window=("2026-09-01", "2026-11-20"))
    c.doc("sn-1.2.1-01", UPP, "Verksamhetsplan", "Förslag till verksamhetsplan och internbudget "
          "2027")
    c.doc("sn-1.1.1-04", UPP, "Tjänsteskrivelse", "Tjänsteskrivelse med förslag till beslut om "
          "verksamhetsplan", gap=(0, 3))


# ---- Building the rows ----------------------------------------------------------------------


def _build_cases(g: _Gen) -> None:
    builders: list[Callable[[], None]] = []
    builders += [lambda: _ks_remiss(g)] * 9
    builders += [lambda: _ks_remiss_noted(g)] * 3
    builders += [lambda: _ks_motion(g)] * 6
    builders += [lambda: _ks_proposal(g)] * 5
    builders += [lambda: _ks_interpellation(g, "läget i hemtjänsten"),
                 lambda: _ks_interpellation(g, "kommunens lokalkostnader")]
    builders += [lambda: _ks_delegation(g)] * 4
    builders += [lambda: _ks_public_event(g, "Exempelbymarknaden"),
                 lambda: _ks_public_event(g, "Sommarkonsert i stadsparken")]
    builders += [lambda: _ks_procurement(g)] * 5
    builders += [lambda: _ks_direct(g)] * 3
    builders += [lambda: _ks_rehab(g)] * 4
    builders += [lambda: _ks_injury(g)] * 2
    builders += [lambda: _ks_hire(g, "ekonomichef"), lambda: _ks_hire(g, "IT-chef")]
    builders += [lambda: _ks_opinion(g)] * 6
    builders += [lambda: _ks_policy(g)] * 3
    builders += [lambda: _ks_economy(g)]
    builders += [lambda: _ks_access_request(g, "anbud i upphandlingen av städtjänster",
                                            "sekretess enligt OSL 19 kap. 3 §"),
                 lambda: _ks_access_request(g, "säkerhetsplanen för kommunhuset",
                                            "sekretess enligt OSL 18 kap. 8 §")]
    builders += [lambda: _ks_archive(g)]
    builders += [lambda: _ks_incident(g, "e-post med personuppgifter skickad till fel "
                                         "mottagare"),
                 lambda: _ks_incident(g, "borttappad bärbar dator")]
    builders += [lambda: _ks_security(g)]
    builders += [lambda: _ks_business(g)]
    builders += [lambda: _ks_other(g)]
    # Socialnämnden
    builders += [lambda: _sn_assistance(g)] * 8
    builders += [lambda: _sn_concern(g)] * 6
    builders += [lambda: _sn_child_investigation(g)] * 4
    builders += [lambda: _sn_lss(g)] * 4
    builders += [lambda: _sn_elderly(g)] * 3
    builders += [lambda: _sn_sarah(g, "hemtjänsten"), lambda: _sn_sarah(g, "särskilt boende")]
    builders += [lambda: _sn_complaint(g)] * 4
    builders += [lambda: _sn_supervision(g, "Tillsyn av handläggning av ekonomiskt bistånd",
                                         "Inspektionen för vård och omsorg"),
                 lambda: _sn_supervision(g, "Klagomålsärende hos Justitieombudsmannen",
                                         "Riksdagens ombudsmän (JO)")]
    builders += [lambda: _sn_license(g)] * 3
    builders += [lambda: _sn_inspection(g)] * 2
    builders += [lambda: _sn_file_request(g)] * 2
    builders += [lambda: _sn_unexecuted(g, 1, ("2026-04-06", "2026-04-30")),
                 lambda: _sn_unexecuted(g, 2, ("2026-07-06", "2026-07-31"))]
    builders += [lambda: _sn_estate(g)] * 2
    builders += [lambda: _sn_custody(g)] * 2
    builders += [lambda: _sn_plan(g)]
    for build in builders:
        build()


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _dates(g: _Gen, case: _Case) -> list[dt.date]:
    gaps = [0] + [g.rng.randint(*s.gap) for s in case.steps[1:]]
    span = sum(gaps)
    lo, hi = case.window
    latest = min(hi, LAST_DAY) - dt.timedelta(days=span + 3)
    if latest < lo:
        latest = lo
    start = lo + dt.timedelta(days=g.rng.randrange((latest - lo).days + 1))
    out: list[dt.date] = []
    day = start
    for gap in gaps:
        day = min(_weekday(day + dt.timedelta(days=gap)), LAST_DAY)
        out.append(day)
    return out


def _pick_kinds(g: _Gen, channel: str) -> tuple[str, ...]:
    options = _AUTO_KINDS[channel]
    total = sum(w for _, w in options)
    r = g.rng.randrange(total)
    for kinds, weight in options:
        if r < weight:
            return kinds
        r -= weight
    raise AssertionError("unreachable")


def build_rows(seed: int = 2026) -> list[dict[str, str]]:
    """The sample registration rows, generated deterministically from ``seed``."""
    g = _Gen(seed)
    _build_cases(g)
    entries: list[tuple[dt.date, int, int, _Case, _Step, tuple[str, ...]]] = []
    for ci, case in enumerate(g.cases):
        for si, (step, day) in enumerate(zip(case.steps, _dates(g, case), strict=True)):
            kinds = step.kinds if step.kinds is not None else _pick_kinds(g, step.channel)
            entries.append((day, ci, si, case, step, kinds))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    counters: dict[str, int] = {}
    slug_count: dict[str, int] = {}
    keys: dict[int, str] = {}  # case index -> Ärendenyckel, numbered in order of appearance
    rows: list[dict[str, str]] = []
    for day, ci, si, case, step, kinds in entries:
        if si == 0 and not case.single and len(case.steps) > 1:
            slug = f"{case.serie.lower()}-{case.slug}"
            slug_count[slug] = slug_count.get(slug, 0) + 1
            keys[ci] = f"{slug}-{slug_count[slug]:02d}"
        prefix = _PREFIX[step.channel]
        counters[prefix] = counters.get(prefix, 0) + 1
        ext_id = f"{prefix}-2026-{counters[prefix]:04d}"
        pdfa = pdf_is_pdfa(ext_id)
        files = []
        for kind in kinds:
            if kind == "pdf" and pdfa:
                kind = "pdfa"
            elif kind == "pdfa" and not pdfa:
                kind = "pdf"
            ext = _EXT[kind]
            name = f"{ext_id}-{_ascii_slug(step.doctype)}"
            path = f"files/{case.serie.lower()}/{name}.{ext}"
            if path in files:
                path = f"files/{case.serie.lower()}/{name}-bilaga.{ext}"
            files.append(path)
        opening = si == 0
        rows.append({
            "Externt id": ext_id,
            "Serie": case.serie,
            "Ärende": "",
            "Ärendenyckel": keys.get(ci, ""),
            "Ärendemening": case.title if opening else "",
            "Klass": case.klass if opening else "",
            "Handlingstyp": step.rt,
            "Riktning": step.direction,
            "Datum": day.isoformat(),
            "Avsändare/Mottagare": step.party,
            "Beskrivning": step.desc,
            "Handläggare": case.officer,
            "Enhet": case.unit,
            "Filer": "|".join(files),
            "Sekretess": step.secrecy,
            "Personnummer": case.pnr,
            "Dokumenttyp": step.doctype,
        })
    return rows


def write_csv(path: Path, rows: Iterable[dict[str, str]] | None = None) -> int:
    """Write the sample rows (generated when ``rows`` is None) as the registration CSV."""
    data = list(build_rows() if rows is None else rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return len(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m diariekit.samples.make_files",
        description="Write the sample registration CSV and the files it names.")
    parser.add_argument("outdir", nargs="?", type=Path,
                        help="folder for registrations.csv and files/ (created)")
    parser.add_argument("--csv", type=Path, default=None,
                        help="registration CSV to read (default: the packaged sample)")
    parser.add_argument("--write-csv", type=Path, default=None, metavar="PATH",
                        help="regenerate the sample CSV (seeded) and write it to PATH")
    args = parser.parse_args(argv)
    if args.outdir is None and args.write_csv is None:
        parser.error("give OUTDIR, --write-csv PATH, or both")
    if args.write_csv is not None:
        n = write_csv(args.write_csv)
        print(f"wrote {n} rows to {args.write_csv}")
    if args.outdir is not None:
        csv_path = args.csv if args.csv is not None else args.write_csv
        target = make_sample_files(args.outdir, csv_path)
        count = sum(len(file_paths(r)) for r in read_rows(target))
        print(f"wrote {count} files and {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
