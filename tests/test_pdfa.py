"""PDF/A reports (diariekit.pdfa): what the disposal log is kept as."""

from __future__ import annotations

import os
from pathlib import Path

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdftext import pdf_text

from diariekit.config import load_config
from diariekit.errors import ConfigError
from diariekit.pdfa import PdfaUnavailable, Report, Table, _Font, check, find_font, render

FONT = find_font()
needs_font = pytest.mark.skipif(
    FONT is None and not os.environ.get("CI"),
    reason="no TrueType font on this machine (CI installs fonts-dejavu-core)")


def _report(rows: int) -> Report:
    return Report(
        title="Gallringsprotokoll",
        fields=[("Myndighet (arkivbildare)", "Kommunstyrelsen, 212000-1234"),
                ("Godkänd av", "Åsa Öberg-Ärlig 2029-06-01 10:00")],
        tables=[Table("Gallrade handlingar", ["Diarienummer", "Handlingstyp", "Anmärkning"],
                      [[f"KS 2026/{n:04d}-1", "Ansökan om tjänst, ej anställd",
                        "ett_mycket_långt_ord_utan_mellanslag_" * 3] for n in range(1, rows + 1)],
                      [1, 2, 2]),
                Table("Avvikelser", ["Diarienummer"], [])],
        footer="Gallringsprotokoll 3f2a9c1d", created="2029-06-01T10:00:00+02:00")


@needs_font
def test_report_is_pdfa_2b_with_every_row_on_some_page(tmp_path: Path) -> None:
    assert FONT is not None
    out = tmp_path / "p.pdf"
    out.write_bytes(render(_report(150), FONT))
    assert check(out) == "pass"
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) > 2
        font = pdf.pages[0].Resources.Font.F1
        assert font.Subtype == "/TrueType" and "/FontFile2" in font.FontDescriptor
        assert str(font.BaseFont).startswith("/DKSUBS+")
        assert str(pdf.docinfo.Title) == "Gallringsprotokoll"
    text = pdf_text(out)
    assert all(f"KS 2026/{n:04d}-1" in text for n in range(1, 151))
    assert "Åsa Öberg-Ärlig" in text and "Inga." in text
    # The table heading is repeated on every page the table runs onto.
    pages = text.count("Sida ")
    assert text.count("Diarienummer") >= pages


@needs_font
def test_text_outside_windows_1252_is_replaced_not_lost(tmp_path: Path) -> None:
    assert FONT is not None
    r = Report("Protokoll", [("Namn", "Łukasz ☃ Ørsted")])
    out = tmp_path / "p.pdf"
    out.write_bytes(render(r, FONT))
    assert "?ukasz ? Ørsted" in pdf_text(out)


def test_configured_font_that_is_missing_or_not_truetype(tmp_path: Path) -> None:
    assert find_font(tmp_path / "nope.ttf") is None
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    with pytest.raises(PdfaUnavailable, match="bogus.ttf"):
        render(Report("x"), bogus)


@needs_font
@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abc åäö-XYZ1", max_size=120), st.floats(20, 300))
def test_wrapped_lines_fit_and_keep_the_text(text: str, width: float) -> None:
    assert FONT is not None
    font = _Font.cached(FONT)
    lines = font.wrap(text, 8, width)
    assert all(font.width(ln, 8) <= width or len(ln) == 1 for ln in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_reports_font_in_config(tmp_path: Path) -> None:
    base = ('[registry]\nurl = "sqlite:///r.sqlite"\n'
            '[[organisations]]\nid = "ks"\nname = "Kommunstyrelsen"\n')
    cfg = tmp_path / "diariekit.toml"
    cfg.write_text(base + '[reports]\nfont = "fonts/Sans.ttf"\n', encoding="utf-8")
    config = load_config(cfg)
    assert config.report_font == (tmp_path / "fonts" / "Sans.ttf").resolve()
    assert config.to_toml()["reports"] == {"font": "fonts/Sans.ttf"}
    cfg.write_text(base + '[reports]\nfnt = "x.ttf"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[reports\]"):
        load_config(cfg)
