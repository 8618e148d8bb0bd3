"""Format identification with Siegfried and libmagic on real files, and the plan's accepted
formats (godkända filformat) checked against it."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pygfried
import pytest

from diariekit.errors import UnreadableInputError
from diariekit.files.acceptance import check_accepted, identified_format
from diariekit.files.formats import parse_formats_cell
from diariekit.files.identify import Identification, identify, libmagic_version
from diariekit.files.store import ContentStore

PDFAID = "http://www.aiim.org/pdfa/ns/id/"


# -- real files ---------------------------------------------------------------------------


def make_pdf(path: Path, pdfa: tuple[str, str] | None = None) -> Path:
    """A one-page PDF; with ``pdfa`` a hand-written XMP claim (testing.md), e.g. ("1", "B")."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    version = "1.3"
    if pdfa is not None:
        part, conformance = pdfa
        version = "1.4" if part == "1" else "1.7"
        packet = (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:pdfaid="{PDFAID}" pdfaid:part="{part}" '
            f'pdfaid:conformance="{conformance}"/></rdf:RDF></x:xmpmeta>\n'
            '<?xpacket end="w"?>'
        ).encode()
        pdf.Root.Metadata = pdf.make_stream(
            packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
        )
    pdf.save(path, min_version=version)
    return path


def make_png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([0, 106, 167]) * 4 for _ in range(4))  # blue 4x4
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def make_docx(path: Path) -> Path:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Tjänsteskrivelse</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr("word/document.xml", document)
    return path


def make_txt(path: Path) -> Path:
    path.write_text("Protokoll fört vid sammanträde med kommunstyrelsen.\n", encoding="utf-8")
    return path


def make_xml(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ärende dnr="KS 2025/17"><titel>Bygglov'
        "</titel></ärende>\n",
        encoding="utf-8",
    )
    return path


def make_csv(path: Path) -> Path:
    path.write_text("dnr;rubrik\nKS 2025/17;Bygglov\n", encoding="utf-8")
    return path


# -- identify -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "puid", "mime", "format_name"),
    [
        ("vanlig.pdf", make_pdf, "fmt/17", "application/pdf", "PDF"),
        ("bild.png", make_png, "fmt/11", "image/png", "PNG"),
        (
            "brev.docx",
            make_docx,
            "fmt/412",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "DOCX",
        ),
        ("protokoll.txt", make_txt, "x-fmt/111", "text/plain", "TXT"),
        ("arende.xml", make_xml, "fmt/101", "text/xml", "XML"),
    ],
)
def test_identify_real_files(
    tmp_path: Path,
    name: str,
    make: Callable[[Path], Path],
    puid: str,
    mime: str,
    format_name: str,
) -> None:
    path = make(tmp_path / name)
    ident = identify(path)
    assert ident.puid == puid
    assert ident.mime == mime
    assert ident.format_name == format_name
    assert ident.tool == "siegfried"
    assert ident.tool_version == pygfried.version()
    assert ident.basis is not None and "match" in ident.basis
    assert ident.warning is None
    assert ident.pronom_name
    assert ident.signature is not None and "DROID" in ident.signature
    assert ident.magic_version == libmagic_version()
    assert not ident.extension_only


@pytest.mark.parametrize(("part", "puid"), [("1", "fmt/354"), ("2", "fmt/477")])
def test_identify_pdfa(tmp_path: Path, part: str, puid: str) -> None:
    ident = identify(make_pdf(tmp_path / "arkiv.pdf", pdfa=(part, "B")))
    assert (ident.puid, ident.format_name, ident.mime) == (puid, "PDF/A", "application/pdf")
    assert ident.basis is not None and "byte match" in ident.basis


def test_identify_by_content_without_extension(tmp_path: Path) -> None:
    # Objects in the store have no extension: the content still decides, and Siegfried
    # says that the (missing) extension does not match.
    store = ContentStore(tmp_path / "lager")
    stored = store.put(make_pdf(tmp_path / "a.pdf", pdfa=("1", "B")))
    ident = identify(stored.path)
    assert ident.puid == "fmt/354"
    assert ident.warning == "extension mismatch"
    assert not ident.extension_only


def test_csv_is_named_by_extension_only(tmp_path: Path) -> None:
    ident = identify(make_csv(tmp_path / "lista.csv"))
    assert (ident.puid, ident.format_name, ident.mime) == ("x-fmt/18", "CSV", "text/plain")
    assert ident.extension_only
    renamed = identify(Path(shutil.copy(tmp_path / "lista.csv", tmp_path / "lista.txt")))
    assert (renamed.puid, renamed.format_name) == ("x-fmt/111", "TXT")


def test_unknown_content(tmp_path: Path) -> None:
    fake = tmp_path / "falsk.pdf"
    fake.write_text("inte en pdf\n")
    ident = identify(fake)
    assert ident.puid is None
    assert ident.format_name is None  # text/plain may be TXT or CSV: not guessed
    assert ident.mime == "text/plain"
    assert ident.warning is not None and ident.warning.startswith("no match")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "tom.txt"
    empty.write_bytes(b"")
    ident = identify(empty)
    assert ident.mime == "inode/x-empty"
    assert ident.warning is not None and "empty source" in ident.warning


def test_symlink_is_followed(tmp_path: Path) -> None:
    target = make_png(tmp_path / "bild.png")
    link = tmp_path / "länk.png"
    link.symlink_to(target)
    assert identify(link) == identify(target)


def test_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError) as info:
        identify(tmp_path / "saknas.pdf")
    assert "saknas.pdf" in str(info.value)
    with pytest.raises(UnreadableInputError, match="not a regular file"):
        identify(tmp_path)


def test_to_dict_is_json(tmp_path: Path) -> None:
    data = identify(make_pdf(tmp_path / "a.pdf")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert {"mime", "puid", "format_name", "tool", "tool_version", "basis"} <= set(data)
    assert data["tool"] == "siegfried" and data["puid"] == "fmt/17"


# -- accepted formats ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identification]:
    folder = tmp_path_factory.mktemp("filer")
    noise = folder / "brus.csv"
    noise.write_bytes(b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(32)))
    fake = folder / "falsk.pdf"
    fake.write_text("inte en pdf\n")
    return {
        "pdf": identify(make_pdf(folder / "vanlig.pdf")),
        "pdfa": identify(make_pdf(folder / "arkiv.pdf", pdfa=("2", "B"))),
        "docx": identify(make_docx(folder / "brev.docx")),
        "xml": identify(make_xml(folder / "a.xml")),
        "csv": identify(make_csv(folder / "lista.csv")),
        "noise.csv": identify(noise),
        "fake.pdf": identify(fake),
    }


@pytest.mark.parametrize(
    ("file", "cell"),
    [
        ("pdfa", "PDF/A"),
        ("pdfa", "PDF/A-1b"),  # the plan's exact level is not checked here, only the format
        ("pdfa", "PDF"),  # PDF/A is a PDF
        ("pdf", "PDF"),
        ("pdf", "Word/PDF"),
        ("docx", "Word/PDF"),
        ("xml", "PDF/A, XML"),
        ("csv", "CSV eller XML"),
        ("pdf", ""),
        ("pdf", "Papper"),  # a medium, not a format: nothing to check
        ("docx", "Papper/Digitalt"),
        ("pdf", "Digitalt i Public 360"),
    ],
)
def test_accepted(files: dict[str, Identification], file: str, cell: str) -> None:
    assert check_accepted(files[file], parse_formats_cell(cell)) is None


@pytest.mark.parametrize(
    ("file", "cell", "message"),
    [
        ("pdf", "PDF/A, XML", "file is PDF (fmt/17) but the plan accepts PDF/A, XML"),
        ("pdf", "Papper, PDF/A", "file is PDF (fmt/17) but the plan accepts PDF/A"),
        (
            "docx",
            "PDF/A",
            "file is DOCX (fmt/412) but the plan accepts PDF/A",
        ),
        (
            "noise.csv",
            "CSV",
            "file is Comma Separated Values (x-fmt/18, application/octet-stream) "
            "but the plan accepts CSV",
        ),
        (
            "fake.pdf",
            "PDF",
            "file is an unrecognised format (text/plain) but the plan accepts PDF",
        ),
    ],
)
def test_not_accepted(files: dict[str, Identification], file: str, cell: str, message: str) -> None:
    assert check_accepted(files[file], parse_formats_cell(cell)) == message


def test_extension_only_match_needs_agreeing_mime(files: dict[str, Identification]) -> None:
    assert files["csv"].extension_only and files["noise.csv"].extension_only
    assert identified_format(files["csv"]) is not None
    assert identified_format(files["noise.csv"]) is None


def _bare(mime: str, puid: str | None = None) -> Identification:
    return Identification(
        mime=mime, puid=puid, format_name=None, tool="siegfried", tool_version="0", basis=None
    )


def test_mime_decides_only_when_unambiguous() -> None:
    # No PUID: "application/pdf" is a PDF either way, but may or may not be PDF/A.
    assert check_accepted(_bare("application/pdf"), parse_formats_cell("PDF")) is None
    assert check_accepted(_bare("application/pdf"), parse_formats_cell("PDF/A")) == (
        "file is an unrecognised format (application/pdf) but the plan accepts PDF/A"
    )
    assert check_accepted(_bare("image/png"), parse_formats_cell("PNG, TIFF")) is None


def test_puid_outside_the_table() -> None:
    ident = _bare("application/octet-stream", puid="fmt/9999")
    assert check_accepted(ident, parse_formats_cell("PDF/A")) == (
        "file is an unrecognised format (fmt/9999, application/octet-stream) "
        "but the plan accepts PDF/A"
    )
