"""The format table (filformat, medium) and real identification with Siegfried and libmagic.

The files are built here, byte by byte or with pikepdf, so that the table is checked against
what ``pygfried`` and ``python-magic`` really report rather than against what we believe.
When Siegfried reports another PUID, fix the table in diariekit/files/formats.py.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import magic
import pikepdf
import pygfried
import pytest
from hypothesis import given
from hypothesis import strategies as st

from diariekit.files.formats import (
    FORMATS,
    MEDIA,
    FileFormat,
    format_for_puid,
    formats_for_mime,
    lookup_format,
    lookup_medium,
    parse_formats_cell,
)

BY_NAME = {f.name: f for f in FORMATS}

# ---------------------------------------------------------------------------- the table


def test_table_is_consistent() -> None:
    names = [f.name for f in FORMATS]
    assert len(names) == len(set(names))
    seen_puids: dict[str, str] = {}
    seen_aliases: dict[str, str] = {}
    for fmt in FORMATS:
        assert fmt.mimes and fmt.puids, fmt.name
        assert fmt.note, f"{fmt.name}: say why it is or is not a preservation format"
        for puid in fmt.puids:
            assert re.fullmatch(r"(?:x-)?fmt/\d+", puid), puid
            assert puid not in seen_puids, f"{puid} in {seen_puids.get(puid)} and {fmt.name}"
            seen_puids[puid] = fmt.name
            assert format_for_puid(puid) is fmt
        for alias in (fmt.name, *fmt.aliases):
            assert lookup_format(alias) is fmt, alias
            key = alias.casefold()
            assert seen_aliases.get(key, fmt.name) == fmt.name, alias
            seen_aliases[key] = fmt.name
            assert lookup_medium(alias) is None, f"{alias} is both a format and a medium"
        for mime in fmt.mimes:
            assert mime == mime.casefold()
            assert fmt in formats_for_mime(mime)


def test_media_are_not_formats() -> None:
    for word in MEDIA:
        assert lookup_format(word) is None, word
        assert lookup_medium(word) == word


def test_decisions_md_formats_are_all_there() -> None:
    for word in ("PDF/A", "PDF", "XML", "TIFF", "JPEG", "PNG", "DOCX", "XLSX", "ODT", "TXT",
                 "CSV"):
        assert lookup_format(word) is BY_NAME[word]
    assert lookup_format("Papper") is None
    assert lookup_medium("Papper") == "papper"


def test_preservation_flags() -> None:
    accepted = {f.name for f in FORMATS if f.preservation}
    assert {"PDF/A", "XML", "TIFF", "JPEG", "PNG", "TXT", "CSV"} <= accepted
    assert not {"PDF", "DOCX", "XLSX", "DOC", "XLS", "MSG", "GIF"} & accepted


WORDS: list[tuple[str, str | None]] = [
    ("PDF/A", "PDF/A"),
    ("pdf/a", "PDF/A"),
    ("PDF-A", "PDF/A"),
    ("PDF/A-1b", "PDF/A"),
    ("PDF/A-2b", "PDF/A"),
    ("PDF/A 3", "PDF/A"),
    ("PDF / A-1B", "PDF/A"),
    ("PDFA", "PDF/A"),
    ("pdfa-2u", "PDF/A"),
    ("PDF\u2013A", "PDF/A"),
    ("PDF", "PDF"),
    ("pdf-fil", "PDF"),
    ("PDF 1.7", "PDF"),
    ("*.pdf", "PDF"),
    ("Word", "DOCX"),
    ("Word-dokument", "DOCX"),
    ("Microsoft Word", "DOCX"),
    ("Word 2016", "DOCX"),
    ("Word 97-2003", "DOC"),
    (".docx", "DOCX"),
    ("Excel", "XLSX"),
    ("Excelfil", "XLSX"),
    ("xls", "XLS"),
    ("tif", "TIFF"),
    ("TIFF 6.0", "TIFF"),
    ("jpg", "JPEG"),
    ("JPEG", "JPEG"),
    ("png", "PNG"),
    ("text", "TXT"),
    ("txt", "TXT"),
    ("Textfil", "TXT"),
    ("Ren text", "TXT"),
    ("csv", "CSV"),
    ("Kommaseparerad fil", "CSV"),
    ("XML", "XML"),
    ("xml-fil", "XML"),
    ("ODT", "ODT"),
    ("OpenDocument Text", "ODT"),
    ("ods", "ODS"),
    ("HTML5", "HTML"),
    ("htm", "HTML"),
    ("eml", "EML"),
    ("msg", "MSG"),
    ("Outlook", "MSG"),
    ("json", "JSON"),
    ("gif", "GIF"),
    ("svg", "SVG"),
    ("rtf", "RTF"),
    ("mp3", "MP3"),
    ("wav", "WAV"),
    ("mp4", "MP4"),
    ("MPEG-4", "MP4"),
    ("PowerPoint", "PPTX"),
    ("Papper", None),
    ("papper", None),
    ("Pappersformat", None),
    ("E-post", None),
    ("Digitalt", None),
    ("Databas", None),
    ("", None),
    ("2009", None),
]


@pytest.mark.parametrize(("word", "expected"), WORDS)
def test_lookup_format(word: str, expected: str | None) -> None:
    found = lookup_format(word)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Papper", "papper"),
        ("papper", "papper"),
        ("pappersformat", "pappersformat"),
        ("Papper/IT", "papper/it"),
        ("Papper / IT", "papper/it"),
        ("digitalt", "digitalt"),
        ("Elektroniskt", "elektroniskt"),
        ("IT", "it"),
        ("E-post", "e-post"),
        ("PDF", None),
        ("Pärm", None),
    ],
)
def test_lookup_medium(word: str, expected: str | None) -> None:
    assert lookup_medium(word) == expected


def test_format_for_puid() -> None:
    assert format_for_puid("fmt/354") is BY_NAME["PDF/A"]
    assert format_for_puid("fmt/18") is BY_NAME["PDF"]
    assert format_for_puid(" x-fmt/111 ") is BY_NAME["TXT"]
    assert format_for_puid("fmt/999999") is None
    assert format_for_puid("UNKNOWN") is None


def test_formats_for_mime() -> None:
    assert formats_for_mime("application/pdf") == (BY_NAME["PDF/A"], BY_NAME["PDF"])
    assert formats_for_mime("Text/Plain; charset=utf-8") == (BY_NAME["TXT"], BY_NAME["CSV"])
    assert formats_for_mime("application/x-nothing") == ()


CELLS: list[tuple[str | None, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    (None, (), (), ()),
    ("", (), (), ()),
    ("PDF/A", ("PDF/A",), (), ()),
    ("Papper", (), ("papper",), ()),
    ("Papper/IT", (), ("papper/it",), ()),
    ("Papper/IT, PDF/A", ("PDF/A",), ("papper/it",), ()),
    ("Word/PDF", ("DOCX", "PDF"), (), ()),
    ("PDF/A/XML", ("PDF/A", "XML"), (), ()),
    ("PDF/A-1b/PDF/A-2b", ("PDF/A",), (), ()),
    ("PDF, Word eller Excel", ("PDF", "DOCX", "XLSX"), (), ()),
    ("PDF/A och XML", ("PDF/A", "XML"), (), ()),
    ("PDF/A; TIFF", ("PDF/A", "TIFF"), (), ()),
    ("Papper\nPDF/A", ("PDF/A",), ("papper",), ()),
    ("Papper och digitalt", (), ("papper", "digitalt"), ()),
    ("Papper/mikrofilm", (), ("papper", "mikrofilm"), ()),
    ("Digitalt (PDF/A)", ("PDF/A",), ("digitalt",), ()),
    ("E-post (eml)", ("EML",), ("e-post",), ()),
    ("t.ex. PDF/A", ("PDF/A",), (), ()),
    (".pdf, .docx", ("PDF", "DOCX"), (), ()),
    ("Digitalt i Public 360", (), ("digitalt",), ("i Public 360",)),
    ("Databas", (), (), ("Databas",)),
    ("Foto (jpg/tiff)", ("JPEG", "TIFF"), (), ("Foto",)),
    ("PDF, pdf, PDF", ("PDF",), (), ()),
    ("PDF\u00a0/\u00a0A", ("PDF/A",), (), ()),
]


@pytest.mark.parametrize(("text", "formats", "media", "unknown"), CELLS)
def test_parse_formats_cell(
    text: str | None, formats: tuple[str, ...], media: tuple[str, ...], unknown: tuple[str, ...]
) -> None:
    cell = parse_formats_cell(text)
    assert cell.raw == (text or "")
    assert cell.names == formats
    assert cell.media == media
    assert cell.unknown == unknown


def test_formats_cell_to_dict() -> None:
    assert parse_formats_cell("Papper/IT, PDF/A, Blankett").to_dict() == {
        "raw": "Papper/IT, PDF/A, Blankett",
        "formats": ["PDF/A"],
        "media": ["papper/it"],
        "unknown": ["Blankett"],
    }


@given(st.text())
def test_parse_formats_cell_never_raises(text: str) -> None:
    cell = parse_formats_cell(text)
    assert cell.raw == text
    assert all(m in MEDIA for m in cell.media)


@given(st.lists(st.sampled_from([f.name for f in FORMATS] + ["Papper", "IT", "digitalt"]),
                min_size=1, max_size=6),
       st.sampled_from([", ", "; ", "\n", " och ", " eller ", " / "]))
def test_cells_of_known_words_have_no_unknowns(words: list[str], separator: str) -> None:
    cell = parse_formats_cell(separator.join(words))
    assert cell.unknown == ()
    assert set(cell.names) == {w for w in words if w in BY_NAME}


# ---------------------------------------------------------------------------- real files


def _pdf(version: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        with pikepdf.new() as pdf:
            pdf.add_blank_page()
            pdf.save(path, force_version=version)

    return build


def _pdfa(part: int, conformance: str) -> Callable[[Path], None]:
    """PDF/A claimed by a hand-written XMP packet (pdfaid declared on rdf:Description)."""
    xmp = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>{part}</pdfaid:part>
   <pdfaid:conformance>{conformance}</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()

    def build(path: Path) -> None:
        with pikepdf.new() as pdf:
            pdf.add_blank_page()
            stream = pikepdf.Stream(pdf, xmp)
            stream.Type = pikepdf.Name.Metadata
            stream.Subtype = pikepdf.Name.XML
            pdf.Root.Metadata = stream
            pdf.save(path, force_version="1.4" if part == 1 else "1.7")

    return build


def _png(*extra_chunks: tuple[bytes, bytes]) -> Callable[[Path], None]:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    def build(path: Path) -> None:
        header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        extras = b"".join(chunk(k, d) for k, d in extra_chunks)
        pixels = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + header + extras + pixels + chunk(b"IEND", b""))

    return build


def _tiff(big_endian: bool) -> Callable[[Path], None]:
    """A baseline TIFF: one 8-bit grey pixel, uncompressed."""
    order = ">" if big_endian else "<"
    tags = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 0), (277, 3, 1), (278, 3, 1), (279, 4, 1)]
    data_offset = 8 + 2 + len(tags) * 12 + 4

    def build(path: Path) -> None:
        out = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(order + "I", 8)
        out += struct.pack(order + "H", len(tags))
        for tag, kind, value in tags:
            value = data_offset if tag == 273 else value
            if kind == 3:  # SHORT: left-justified in the 4-byte field
                out += struct.pack(order + "HHIHH", tag, kind, 1, value, 0)
            else:
                out += struct.pack(order + "HHII", tag, kind, 1, value)
        path.write_bytes(out + b"\x00\x00\x00\x00" + b"\x80")

    return build


# A real 8x8 grey JPEG/JFIF 1.01 (159 bytes), made once with Pillow; decodes everywhere.
JFIF = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkz"
    "ODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAFAABAAAAAAAA"
    "AAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z"
)


def _jpeg_exif(path: Path) -> None:
    """The same image with an Exif 2.2 APP1 segment in place of the JFIF APP0."""
    tiff = b"II*\x00" + struct.pack("<I", 8)
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, 26) + struct.pack("<I", 0)
    exif_ifd = struct.pack("<H", 1) + struct.pack("<HHI", 0x9000, 7, 4) + b"0220"
    app1 = b"Exif\x00\x00" + tiff + ifd0 + exif_ifd + struct.pack("<I", 0)
    assert JFIF[2:4] == b"\xff\xe0"
    app0_end = 4 + struct.unpack(">H", JFIF[4:6])[0]
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    path.write_bytes(JFIF[:2] + segment + JFIF[app0_end:])


def _gif(path: Path) -> None:
    screen = struct.pack("<HH", 1, 1) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00" + b"\x02\x02\x44\x01\x00"
    path.write_bytes(b"GIF89a" + screen + image + b"\x3b")


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/{kind}" Target="{target}"/></Relationships>'
)
OOXML = "application/vnd.openxmlformats-officedocument"


def _ooxml(parts: dict[str, str], main: str, main_type: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        overrides = f'<Override PartName="/{main}" ContentType="{OOXML}.{main_type}"/>'
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", CONTENT_TYPES.format(overrides=overrides))
            z.writestr("_rels/.rels", RELS.format(kind="officeDocument", target=main))
            for name, content in parts.items():
                z.writestr(name, content)

    return build


W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_docx = _ooxml(
    {"word/document.xml": f'<w:document xmlns:w="{W_MAIN}"><w:body><w:p><w:r><w:t>'
                          "Protokoll</w:t></w:r></w:p></w:body></w:document>"},
    "word/document.xml",
    "wordprocessingml.document.main+xml",
)
_xlsx = _ooxml(
    {
        "xl/workbook.xml": f'<workbook xmlns="{S_MAIN}" xmlns:r="{R_NS}"><sheets>'
                           '<sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": RELS.format(kind="worksheet",
                                                  target="worksheets/sheet1.xml"),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{S_MAIN}"><sheetData/></worksheet>',
    },
    "xl/workbook.xml",
    "spreadsheetml.sheet.main+xml",
)
_pptx = _ooxml(
    {"ppt/presentation.xml": '<p:presentation xmlns:p="http://schemas.openxmlformats.org/'
                             'presentationml/2006/main"/>'},
    "ppt/presentation.xml",
    "presentationml.presentation.main+xml",
)


def _odf(mime: str, version: str) -> Callable[[Path], None]:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest='
        f'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="{version}">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="{version}" '
        f'manifest:media-type="{mime}"/><manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content xmlns:office='
        '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text='
        f'"urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="{version}">'
        "<office:body><office:text><text:p>Hej</text:p></office:text></office:body>"
        "</office:document-content>"
    )

    def build(path: Path) -> None:
        with zipfile.ZipFile(path, "w") as z:
            # ODF: "mimetype" first and stored, so it can be read at a fixed offset
            z.writestr(zipfile.ZipInfo("mimetype"), mime, compress_type=zipfile.ZIP_STORED)
            z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
            z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)

    return build


def _compound(streams: list[tuple[str, bytes | None]]) -> Callable[[Path], None]:
    """A minimal OLE2 compound file (CFB v3), as Word 97, Excel 97 and Outlook write.

    Every stream is padded to 4096 bytes so that none goes to the mini stream; ``None``
    makes an empty storage. Siblings are chained to the right (a valid, unbalanced tree).
    """
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF

    def entry(name: str, kind: int, right: int = no_stream, child: int = no_stream,
              start: int = end, size: int = 0) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", no_stream, right, child) + b"\0" * 36
                + struct.pack("<IQ", start, size))

    def build(path: Path) -> None:
        dir_sectors = -(-(len(streams) + 1) // 4)
        fat = [fat_sector] + [i + 2 for i in range(dir_sectors - 1)] + [end]
        sector, data, placed = 1 + dir_sectors, b"", []
        for name, content in streams:
            if content is None:
                placed.append((name, 1, end, 0))
                continue
            content = content.ljust(4096, b"\0")
            count = -(-len(content) // 512)
            placed.append((name, 2, sector, len(content)))
            fat += [sector + i + 1 for i in range(count - 1)] + [end]
            data += content.ljust(count * 512, b"\0")
            sector += count
        fat += [free] * (128 - len(fat))
        order = sorted(range(len(placed)), key=lambda i: (len(placed[i][0]), placed[i][0].upper()))
        right = {order[k]: order[k + 1] + 1 for k in range(len(order) - 1)}
        entries = [entry("Root Entry", 5, child=order[0] + 1)]
        for i, (name, kind, start, size) in enumerate(placed):
            entries.append(entry(name, kind, right=right.get(i, no_stream), start=start,
                                 size=size))
        entries += [entry("", 0)] * (4 * dir_sectors - len(entries))
        header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16
                  + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
                  + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
                  + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
        fat_bytes = b"".join(struct.pack("<I", x) for x in fat)
        path.write_bytes(header + fat_bytes + b"".join(entries) + data)

    return build


def _comp_obj(user_type: str, clipboard: str, prog_id: str) -> bytes:
    def text(value: str) -> bytes:
        raw = value.encode() + b"\0"
        return struct.pack("<I", len(raw)) + raw

    return (struct.pack("<HHI", 1, 0xFFFE, 0x0A03) + b"\xff" * 4 + b"\0" * 16
            + text(user_type) + text(clipboard) + text(prog_id)
            + struct.pack("<I", 0x71B239F4) + b"\0" * 12)


_doc = _compound([
    ("WordDocument", struct.pack("<HH", 0xA5EC, 0x00C1) + b"\0" * 60),
    ("1Table", b"\0" * 8),
    ("\x01CompObj", _comp_obj("Microsoft Word 97-2003-dokument", "MSWordDoc",
                              "Word.Document.8")),
])
_xls = _compound([
    ("Workbook", struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6)
     + struct.pack("<HH", 0x000A, 0)),
])
_msg = _compound([
    ("__substg1.0_0037001F", "Ämne".encode("utf-16-le")),
    ("__substg1.0_001A001F", "IPM.Note".encode("utf-16-le")),
    ("__properties_version1.0", b"\0" * 32),
    ("__nameid_version1.0", None),
])


def _wav(path: Path) -> None:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)  # PCM, mono, 16 bit
    samples = b"\x00\x00" * 800
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"data" + struct.pack("<I", len(samples)) + samples)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def _mp3(path: Path) -> None:
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + frame * 20)


def _mp4(path: Path) -> None:
    def box(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + kind + data

    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    path.write_bytes(ftyp + box(b"mdat", b"\x00" * 16) + box(b"moov", box(b"mvhd", b"\0" * 100)))


def _bytes(content: bytes) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(content)

    return build


def _text(content: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(content.encode(encoding))

    return build


EML = (
    "From: registrator@exempelby.se\r\nTo: info@exempelby.se\r\n"
    "Subject: =?utf-8?q?Ans=C3=B6kan?=\r\nDate: Mon, 1 Jan 2024 10:00:00 +0100\r\n"
    "Message-ID: <1@exempelby.se>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nHej\r\n"
)

# (file name, builder, PUID Siegfried reports, format in the table)
REAL_FILES: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("a.pdf", _pdf("1.4"), "fmt/18", "PDF"),
    ("a17.pdf", _pdf("1.7"), "fmt/276", "PDF"),
    ("a20.pdf", _pdf("2.0"), "fmt/1129", "PDF"),
    ("a1a.pdf", _pdfa(1, "A"), "fmt/95", "PDF/A"),
    ("a1b.pdf", _pdfa(1, "B"), "fmt/354", "PDF/A"),
    ("a2b.pdf", _pdfa(2, "B"), "fmt/477", "PDF/A"),
    ("a2u.pdf", _pdfa(2, "U"), "fmt/478", "PDF/A"),
    ("a3b.pdf", _pdfa(3, "B"), "fmt/480", "PDF/A"),
    ("a.png", _png(), "fmt/11", "PNG"),
    ("srgb.png", _png((b"sRGB", b"\x00")), "fmt/12", "PNG"),
    ("itxt.png", _png((b"iTXt", b"Title\x00\x00\x00sv\x00Titel\x00Hej")), "fmt/13", "PNG"),
    ("le.tif", _tiff(big_endian=False), "fmt/353", "TIFF"),
    ("be.tiff", _tiff(big_endian=True), "fmt/353", "TIFF"),
    ("a.jpg", _bytes(JFIF), "fmt/43", "JPEG"),
    ("exif.jpg", _jpeg_exif, "x-fmt/391", "JPEG"),
    ("a.gif", _gif, "fmt/4", "GIF"),
    ("a.docx", _docx, "fmt/412", "DOCX"),
    ("a.xlsx", _xlsx, "fmt/214", "XLSX"),
    ("a.pptx", _pptx, "fmt/215", "PPTX"),
    ("a.odt", _odf("application/vnd.oasis.opendocument.text", "1.2"), "fmt/291", "ODT"),
    ("a13.odt", _odf("application/vnd.oasis.opendocument.text", "1.3"), "fmt/1756", "ODT"),
    ("a.ods", _odf("application/vnd.oasis.opendocument.spreadsheet", "1.2"), "fmt/295", "ODS"),
    ("a.doc", _doc, "fmt/40", "DOC"),
    ("a.xls", _xls, "fmt/61", "XLS"),
    ("a.msg", _msg, "x-fmt/430", "MSG"),
    ("a.txt", _text("Protokoll från sammanträde\nÅtgärd: inga\n"), "x-fmt/111", "TXT"),
    ("latin1.txt", _text("Åtgärd för ärende\n", "cp1252"), "x-fmt/111", "TXT"),
    ("a.csv", _text("dnr;rubrik;datum\nKS 2024/1;Budget;2024-01-02\n"), "x-fmt/18", "CSV"),
    ("a.xml", _text('<?xml version="1.0" encoding="UTF-8"?>\n<arende><dnr>KS 2024/1</dnr>'
                    "</arende>\n"), "fmt/101", "XML"),
    ("a.html", _text('<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8"><title>x'
                     "</title></head><body><p>Hej</p></body></html>\n"), "fmt/471", "HTML"),
    ("a.json", _text(json.dumps({"dnr": "KS 2024/1"})), "fmt/817", "JSON"),
    ("a.svg", _text('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/'
                    '2000/svg" version="1.1" width="1" height="1"><rect width="1" height="1"/>'
                    "</svg>\n"), "fmt/92", "SVG"),
    ("a.rtf", _text(r"{\rtf1\ansi\deff0 {\fonttbl {\f0 Times;}}\f0 Hej\par}" + "\n"),
     "fmt/45", "RTF"),
    ("a.eml", _text(EML), "fmt/950", "EML"),
    ("a.wav", _wav, "fmt/141", "WAV"),
    ("a.mp3", _mp3, "fmt/134", "MP3"),
    ("a.mp4", _mp4, "fmt/199", "MP4"),
]


@pytest.mark.parametrize(
    ("filename", "build", "puid", "name"), REAL_FILES, ids=[r[0] for r in REAL_FILES]
)
def test_real_file_identification(
    tmp_path: Path, filename: str, build: Callable[[Path], None], puid: str, name: str
) -> None:
    path = tmp_path / filename
    build(path)
    expected: FileFormat = BY_NAME[name]

    reported = pygfried.identify(str(path))
    assert reported == puid, f"Siegfried {pygfried.version()} says {reported} for {filename}"
    assert format_for_puid(reported) is expected

    mime = magic.from_file(str(path), mime=True)
    assert expected in formats_for_mime(mime), f"libmagic says {mime} for {filename}"


def test_every_verified_format_is_built_here() -> None:
    built = {name for *_, name in REAL_FILES}
    assert built == {f.name for f in FORMATS}
