"""PDF checks on real PDFs built with pikepdf: PDF/A claims, encryption, JavaScript, fonts,
damage. A bad PDF never raises."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diariekit.errors import UnreadableInputError
from diariekit.files.pdfcheck import PdfReport, check_pdf, read_pdfa_claim

PDFAID = "http://www.aiim.org/pdfa/ns/id/"
SYSTEM_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def xmp_packet(part: str, conformance: str | None, *, form: str = "attribute") -> bytes:
    """A hand-written XMP packet with ``pdfaid`` on ``rdf:Description`` (testing.md)."""
    if form == "attribute":
        extra = f' pdfaid:conformance="{conformance}"' if conformance else ""
        description = (
            f'<rdf:Description rdf:about="" xmlns:pdfaid="{PDFAID}" pdfaid:part="{part}"{extra}/>'
        )
    else:
        extra = f"<pdfaid:conformance>{conformance}</pdfaid:conformance>" if conformance else ""
        description = (
            f'<rdf:Description rdf:about="" xmlns:pdfaid="{PDFAID}">'
            f"<pdfaid:part>{part}</pdfaid:part>{extra}</rdf:Description>"
        )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{description}</rdf:RDF></x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def new_pdf(pages: int = 1) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    return pdf


def set_xmp(pdf: pikepdf.Pdf, packet: bytes) -> None:
    pdf.Root.Metadata = pdf.make_stream(
        packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
    )


def write_text_page(pdf: pikepdf.Pdf, font: pikepdf.Object) -> None:
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (Hej Sverige) Tj ET")


def helvetica(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )


def embedded_truetype(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """A TrueType font with its program in /FontFile2 (a system font when there is one)."""
    program = SYSTEM_FONT.read_bytes() if SYSTEM_FONT.exists() else b"\x00\x01\x00\x00" + bytes(60)
    font_file = pdf.make_stream(program, Length1=len(program))
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/DejaVuSans"),
        Flags=32,
        FontBBox=[-1021, -463, 1793, 1232],
        ItalicAngle=0,
        Ascent=928,
        Descent=-236,
        CapHeight=729,
        StemV=80,
        FontFile2=font_file,
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.TrueType,
            BaseFont=pikepdf.Name("/DejaVuSans"),
            FirstChar=32,
            LastChar=126,
            Widths=[600] * 95,
            FontDescriptor=pdf.make_indirect(descriptor),
        )
    )


def js_action(code: str = "app.alert('hej');") -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))


def save(pdf: pikepdf.Pdf, path: Path, **kwargs: Any) -> Path:
    pdf.save(path, **kwargs)
    return path


# -- plain and PDF/A ----------------------------------------------------------------------


def test_plain_pdf(tmp_path: Path) -> None:
    report = check_pdf(save(new_pdf(3), tmp_path / "vanlig.pdf"))
    assert report == PdfReport(
        pdfa_claim=None,
        encrypted=False,
        javascript=False,
        unembedded_fonts=(),
        pages=3,
        error=None,
        version="1.3",
    )
    assert report.problems() == []
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["problems"] == [] and data["pages"] == 3


@pytest.mark.parametrize(
    ("part", "conformance", "form", "version", "expected"),
    [
        ("1", "B", "attribute", "1.4", "1B"),
        ("2", "B", "attribute", "1.7", "2B"),
        ("1", "B", "element", "1.4", "1B"),
        ("2", "u", "element", "1.7", "2U"),
        ("3", "A", "attribute", "1.7", "3A"),
        ("4", None, "attribute", "2.0", "4"),
    ],
)
def test_pdfa_claim(
    tmp_path: Path, part: str, conformance: str | None, form: str, version: str, expected: str
) -> None:
    pdf = new_pdf()
    set_xmp(pdf, xmp_packet(part, conformance, form=form))
    report = check_pdf(save(pdf, tmp_path / "a.pdf", min_version=version))
    assert report.pdfa_claim == expected
    assert report.problems() == []  # a claim is not a problem


def test_pdfa_claim_written_by_pikepdf_metadata(tmp_path: Path) -> None:
    # pikepdf writes each property as an element with its own xmlns.
    pdf = new_pdf()
    with pdf.open_metadata() as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
    assert check_pdf(save(pdf, tmp_path / "om.pdf")).pdfa_claim == "2B"


def test_compressed_metadata_stream(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.Root.Metadata = pdf.make_stream(
        zlib.compress(xmp_packet("1", "A")),
        Type=pikepdf.Name.Metadata,
        Subtype=pikepdf.Name.XML,
        Filter=pikepdf.Name.FlateDecode,
    )
    assert check_pdf(save(pdf, tmp_path / "z.pdf")).pdfa_claim == "1A"


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"<not xml",
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>",
        # Entities are never needed in XMP; refuse rather than expand them.
        b'<!DOCTYPE x [<!ENTITY a "1">]><x xmlns:p="' + PDFAID.encode() + b'" p:part="&a;"/>',
        # The right local name in another namespace is not a claim.
        b'<x xmlns:p="http://example.org/" p:part="1" p:conformance="B"/>',
    ],
)
def test_no_claim(packet: bytes) -> None:
    assert read_pdfa_claim(packet) is None


# -- encryption ---------------------------------------------------------------------------


def test_encrypted_with_empty_user_password_is_inspected(tmp_path: Path) -> None:
    pdf = new_pdf(2)
    pdf.Root.OpenAction = js_action()
    path = save(pdf, tmp_path / "e.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    report = check_pdf(path)
    assert report.encrypted is True
    assert report.error is None
    assert report.pages == 2
    assert report.javascript is True  # looked inside despite the encryption
    assert report.problems() == ["encrypted", "contains JavaScript"]


def test_encrypted_with_user_password(tmp_path: Path) -> None:
    path = save(new_pdf(), tmp_path / "l.pdf", encryption=pikepdf.Encryption(owner="o", user="x"))
    report = check_pdf(path)
    assert report.encrypted is True
    assert report.error is not None and "password" in report.error
    assert report.pages is None
    assert "encrypted" in report.problems()
    assert any(p.startswith("cannot be read as PDF") for p in report.problems())


# -- JavaScript ---------------------------------------------------------------------------


def _open_action(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = js_action()


def _names_tree(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(
            Names=pikepdf.Array([pikepdf.String("init"), pdf.make_indirect(js_action())])
        )
    )


def _link_annotation(pdf: pikepdf.Pdf) -> None:
    annotation = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 100, 100],
        A=js_action(),
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annotation)]))


def _additional_action(pdf: pikepdf.Pdf) -> None:
    # Page open action, nested two direct levels deep in the page object.
    pdf.pages[0].AA = pikepdf.Dictionary(O=js_action())


def _chained_action(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.GoTo,
        D=pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit]),
        Next=js_action(),
    )


@pytest.mark.parametrize(
    "add",
    [_open_action, _names_tree, _link_annotation, _additional_action, _chained_action],
    ids=["open-action", "names-tree", "annotation", "page-aa", "next-chain"],
)
def test_javascript_found(tmp_path: Path, add: Callable[[pikepdf.Pdf], None]) -> None:
    pdf = new_pdf()
    add(pdf)
    report = check_pdf(save(pdf, tmp_path / "js.pdf"))
    assert report.javascript is True
    assert "contains JavaScript" in report.problems()


def test_object_streams_do_not_hide_javascript(tmp_path: Path) -> None:
    pdf = new_pdf()
    _link_annotation(pdf)
    path = save(pdf, tmp_path / "os.pdf", object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert check_pdf(path).javascript is True


def test_non_javascript_actions_are_fine(tmp_path: Path) -> None:
    pdf = new_pdf()
    pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.Fit])
    pdf.pages[0].AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org"))
    )
    assert check_pdf(save(pdf, tmp_path / "uri.pdf")).javascript is False


def test_reference_cycle_terminates(tmp_path: Path) -> None:
    pdf = new_pdf()
    node = pdf.make_indirect(pikepdf.Dictionary(Name=pikepdf.String("a")))
    node.Self = node
    node.Kids = pikepdf.Array([node, pikepdf.Dictionary(Up=node)])
    pdf.Root.Loop = node
    report = check_pdf(save(pdf, tmp_path / "loop.pdf"))
    assert report.error is None and report.javascript is False


# -- fonts --------------------------------------------------------------------------------


def test_unembedded_helvetica(tmp_path: Path) -> None:
    pdf = new_pdf()
    write_text_page(pdf, helvetica(pdf))
    report = check_pdf(save(pdf, tmp_path / "helv.pdf"))
    assert report.unembedded_fonts == ("Helvetica",)
    assert report.problems() == ["fonts not embedded: Helvetica"]


def test_embedded_truetype(tmp_path: Path) -> None:
    pdf = new_pdf()
    write_text_page(pdf, embedded_truetype(pdf))
    report = check_pdf(save(pdf, tmp_path / "ttf.pdf"))
    assert report.unembedded_fonts == ()
    assert report.problems() == []


def test_truetype_with_descriptor_but_no_program(tmp_path: Path) -> None:
    pdf = new_pdf()
    font = embedded_truetype(pdf)
    del font.FontDescriptor.FontFile2
    write_text_page(pdf, font)
    assert check_pdf(save(pdf, tmp_path / "nofile.pdf")).unembedded_fonts == ("DejaVuSans",)


def test_type0_checks_descendant_and_type3_is_embedded(tmp_path: Path) -> None:
    pdf = new_pdf()
    descendant = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/MSGothic"),
        CIDSystemInfo=pikepdf.Dictionary(
            Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
        ),
        FontDescriptor=pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/MSGothic"), Flags=4
        ),
    )
    type0 = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name("/MSGothic"),
        Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=pikepdf.Array([descendant]),  # direct, inside the Type0 dictionary
    )
    type3 = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type3,
        FontBBox=[0, 0, 1, 1],
        FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
        CharProcs=pikepdf.Dictionary(),
        Encoding=pikepdf.Dictionary(Differences=pikepdf.Array([])),
        FirstChar=0,
        LastChar=0,
        Widths=[0],
    )
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(
        Font=pikepdf.Dictionary(
            F1=pdf.make_indirect(type0),
            F2=pdf.make_indirect(type3),
            F3=helvetica(pdf),
            F4=embedded_truetype(pdf),
        )
    )
    report = check_pdf(save(pdf, tmp_path / "mix.pdf"))
    assert sorted(report.unembedded_fonts) == ["Helvetica", "MSGothic"]
    assert report.problems() == [f"fonts not embedded: {', '.join(report.unembedded_fonts)}"]


def test_same_font_reported_once(tmp_path: Path) -> None:
    pdf = new_pdf(2)
    for page in pdf.pages:
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica(pdf)))
    assert check_pdf(save(pdf, tmp_path / "två.pdf")).unembedded_fonts == ("Helvetica",)


# -- damaged and not PDF ------------------------------------------------------------------


@pytest.fixture
def good_pdf_bytes(tmp_path: Path) -> bytes:
    pdf = new_pdf(2)
    write_text_page(pdf, helvetica(pdf))
    return save(pdf, tmp_path / "bra.pdf").read_bytes()


def test_truncated_pdf_is_read_with_repairs(tmp_path: Path, good_pdf_bytes: bytes) -> None:
    path = tmp_path / "trasig.pdf"
    path.write_bytes(good_pdf_bytes[: len(good_pdf_bytes) * 2 // 3])
    report = check_pdf(path)
    assert report.error is None
    assert report.warnings, "qpdf's repair notes are kept"
    assert all(str(path) not in w for w in report.warnings)
    assert any(p.startswith("damaged or malformed") for p in report.problems())


@pytest.mark.parametrize("cut", [0, 20, 100])
def test_badly_truncated_pdf_gives_error(tmp_path: Path, good_pdf_bytes: bytes, cut: int) -> None:
    path = tmp_path / "kort.pdf"
    path.write_bytes(good_pdf_bytes[:cut])
    report = check_pdf(path)
    assert report.error is not None
    assert str(path) not in report.error
    assert report.pages is None
    assert report.problems()[0].startswith("cannot be read as PDF")


def test_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "bild.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert check_pdf(path).error is not None


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInputError):
        check_pdf(tmp_path / "saknas.pdf")
    with pytest.raises(UnreadableInputError, match="not a regular file"):
        check_pdf(tmp_path)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mangled_pdfs_never_raise(
    tmp_path: Path, good_pdf_bytes: bytes, data: st.DataObject
) -> None:
    mangled = bytearray(good_pdf_bytes)
    for _ in range(data.draw(st.integers(0, 8))):
        at = data.draw(st.integers(0, len(mangled) - 1))
        mangled[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mangled)))
    path = tmp_path / "fuzz.pdf"
    path.write_bytes(bytes(mangled[:cut]))
    report = check_pdf(path)
    assert isinstance(report, PdfReport)
    json.dumps(report.to_dict())
