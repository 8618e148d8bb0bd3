"""Case references (diarienummer): real formats render and parse back (domain.md §2.2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diariekit.errors import InvalidInputError
from diariekit.registration.dnr import (
    DnrError,
    DnrFormat,
    ParsedDnr,
    canonical,
    normalize_ref,
    parse_any,
    year_of,
)


@dataclass(frozen=True)
class Case:
    """One real reference: its format, how it reads, and its canonical rendering."""

    text: str
    template: str
    suffix: str
    series: str | None
    year: int | None
    number: int
    seq: int | None = None
    class_code: str | None = None
    canonical: str | None = None  # the case part as rendered; default: text without suffix


CASES = [
    Case("KS 2026/42", "{series} {year}/{number}", "-{seq}", "KS", 2026, 42),
    Case("KS 2010/0095", "{series} {year}/{number:04d}", "-{seq}", "KS", 2010, 95),
    Case("KS 2016/327", "{series} {year}/{number}", "-{seq}", "KS", 2016, 327),
    Case("KS-2015/00790", "{series}-{year}/{number:05d}", "-{seq}", "KS", 2015, 790),
    Case("KS/2018:46", "{series}/{year}:{number}", "-{seq}", "KS", 2018, 46),
    Case("KS/2018:46:3", "{series}/{year}:{number}", ":{seq}", "KS", 2018, 46, seq=3),
    Case("KSN-2014-0324", "{series}-{year}-{number:04d}", "-{seq}", "KSN", 2014, 324),
    Case("KS-2018-00526-1", "{series}-{year}-{number:05d}", "-{seq}", "KS", 2018, 526, seq=1),
    Case("VN-2023-00010", "{series}-{year}-{number:05d}", "-{seq}", "VN", 2023, 10),
    Case("SBN 2014-237", "{series} {year}-{number}", "-{seq}", "SBN", 2014, 237),
    Case("AVN 2014/0169-2", "{series} {year}/{number:04d}", "-{seq}", "AVN", 2014, 169, seq=2),
    Case("KFN 2013.0096", "{series} {year}.{number:04d}", "-{seq}", "KFN", 2013, 96),
    Case("2017.0092", "{year}.{number:04d}", "-{seq}", None, 2017, 92),
    Case("2023/004796", "{year}/{number:06d}", "-{seq}", None, 2023, 4796),
    Case("2023/004796-5", "{year}/{number:06d}", "-{seq}", None, 2023, 4796, seq=5),
    Case("2016KS/0674", "{year}{series}/{number:04d}", "-{seq}", "KS", 2016, 674),
    Case("KS2012/1542", "{series}{year}/{number}", "-{seq}", "KS", 2012, 1542),
    Case("SKN2014/79", "{series}{year}/{number}", "-{seq}", "SKN", 2014, 79),
    Case("STN-1121/2015", "{series}-{number}/{year}", "-{seq}", "STN", 2015, 1121),
    Case("0100/16", "{number:04d}/{yy}", "-{seq}", None, 2016, 100),
    Case("N137-0095/11", "N137-{number:04d}/{yy}", "-{seq}", None, 2011, 95),
    Case(
        "KS/2013:68-003",
        "{series}/{year}:{number}-{class}",
        "-{seq}",
        "KS",
        2013,
        68,
        class_code="003",
    ),
    Case(
        "KS/2013:68-003-2",
        "{series}/{year}:{number}-{class}",
        "-{seq}",
        "KS",
        2013,
        68,
        seq=2,
        class_code="003",
        canonical="KS/2013:68-003",
    ),
    Case(
        "KS 2018.327 1.4.5.3",
        "{series} {year}.{number} {class}",
        "-{seq}",
        "KS",
        2018,
        327,
        class_code="1.4.5.3",
    ),
    Case("2014/170-534", "{year}/{number}-{class}", ":{seq}", None, 2014, 170, class_code="534"),
    Case("KS 2020/15-003", "{series} {year}/{number}", "-{seq:03d}", "KS", 2020, 15, seq=3),
    Case("F 2020-0435", "{series} {year}-{number:04d}", "-{seq}", "F", 2020, 435),
    Case("RA-KS 2021/23", "{series} {year}/{number}", "-{seq}", "RA-KS", 2021, 23),
]


def _case_part(case: Case) -> str:
    if case.canonical is not None:
        return case.canonical
    if case.seq is None:
        return case.text
    fmt = DnrFormat(case.template, case.suffix)
    suffix = fmt.render_document("X", case.seq)[1:]
    assert case.text.endswith(suffix)
    return case.text[: -len(suffix)]


@pytest.mark.parametrize("case", CASES, ids=[c.text for c in CASES])
def test_real_formats_parse(case: Case) -> None:
    fmt = DnrFormat(case.template, case.suffix)
    parsed = fmt.parse(case.text, series=case.series)
    assert parsed == ParsedDnr(
        series=case.series,
        year=case.year,
        number=case.number,
        seq=case.seq,
        class_code=case.class_code,
        raw=case.text,
    )
    assert parsed.case_key == (case.series, case.year, case.number)
    assert year_of(parsed) == case.year
    # The generic pattern (any series code) reads the same reference.
    assert fmt.regex.fullmatch(case.text) is not None
    assert fmt.parse(case.text) == parsed


@pytest.mark.parametrize("case", CASES, ids=[c.text for c in CASES])
def test_real_formats_render_exactly(case: Case) -> None:
    fmt = DnrFormat(case.template, case.suffix)
    series = case.series or "XX"
    year = case.year if case.year is not None else 2026
    ref = fmt.render(series=series, year=year, number=case.number, class_code=case.class_code)
    assert ref == _case_part(case)
    full = ref if case.seq is None else fmt.render_document(ref, case.seq)
    assert full == case.text
    back = fmt.parse(full, series=case.series)
    assert (back.case_key, back.seq, back.class_code) == (
        (case.series, case.year, case.number),
        case.seq,
        case.class_code,
    )
    assert canonical(fmt, back, series) == ref


def test_leading_zeros_are_text_not_identity() -> None:
    fmt = DnrFormat("{series} {year}/{number:04d}")
    short = fmt.parse("KS 2015/44", series="KS")
    padded = fmt.parse("KS 2015/0044", series="KS")
    longer = fmt.parse("KS 2015/000044", series="KS")
    assert short.case_key == padded.case_key == longer.case_key == ("KS", 2015, 44)
    assert (short.raw, padded.raw) == ("KS 2015/44", "KS 2015/0044")
    assert canonical(fmt, short, "KS") == canonical(fmt, longer, "KS") == "KS 2015/0044"
    # A wider number than the padding is rendered in full.
    assert fmt.render(series="KS", year=2015, number=123456) == "KS 2015/123456"


def test_document_suffixes() -> None:
    dash = DnrFormat("{series} {year}/{number:04d}")
    colon = DnrFormat("{series}/{year}:{number}", ":{seq}")
    padded = DnrFormat("{series} {year}/{number}", "-{seq:03d}")
    assert dash.render_document("AVN 2014/0169", 2) == "AVN 2014/0169-2"
    assert colon.render_document("KS/2018:46", 3) == "KS/2018:46:3"
    assert padded.render_document("KS 2020/15", 3) == "KS 2020/15-003"
    assert padded.render_document("KS 2020/15", 1234) == "KS 2020/15-1234"
    assert padded.parse("KS 2020/15-3", series="KS").seq == 3  # padding is text
    with pytest.raises(DnrError, match="at least 1"):
        dash.render_document("KS 2020/0015", 0)
    with pytest.raises(DnrError):
        dash.render_document("", 1)


def test_trailing_number_and_suffix_split_as_case_then_seq() -> None:
    fmt = DnrFormat("{series}-{year}-{number:05d}", "-{seq}")
    parsed = fmt.parse("KS-2018-00526-1", series="KS")
    assert (parsed.number, parsed.seq) == (526, 1)
    assert fmt.parse("KS-2018-00526", series="KS").seq is None
    m = fmt.regex.fullmatch("KS-2018-00526-12")
    assert m is not None
    assert m.group("series", "year", "number", "seq") == ("KS", "2018", "00526", "12")


def test_regex_is_anchored() -> None:
    fmt = DnrFormat("{series} {year}/{number}")
    assert fmt.regex.search("see KS 2020/1 here") is None
    assert fmt.regex.match("KS 2020/1x") is None


# --- refusals -----------------------------------------------------------------------------

KS = DnrFormat("{series} {year}/{number:04d}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SN 2020/0001", r"series code 'SN', expected 'KS'"),
        ("KS 2020/00a1", r"not a case reference \(diarienummer\) of the form 'KS 2026/0042'"),
        ("KS 2020/", r"of the form"),
        ("KS 1899/0001", r"year 1899 is outside 1900–2199"),
        ("KS 2200/0001", r"year 2200 is outside 1900–2199"),
        ("", r"Empty case reference"),
        ("   ", r"Empty case reference"),
        ("hello world", r"'hello world' is not a case reference"),
        ("KS", r"is not a case reference"),
        ("KS 2020/0000", r"number '0000' must be at least 1"),
        ("KS 2020/0001-0", r"document sequence '0' must be at least 1"),
        ("KS 2020/0001-", r"is not a case reference"),
        (" KS 2020/0001", r"is not a case reference"),
        ("KS 20/0001", r"is not a case reference"),
        ("KS 2020/٣", r"is not a case reference"),  # non-ASCII digits
    ],
)
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(DnrError, match=message) as info:
        KS.parse(text, series="KS")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, InvalidInputError)


def test_error_names_text_and_expected_form() -> None:
    with pytest.raises(DnrError) as info:
        KS.parse("KS 2020-12", series="KS")
    message = str(info.value)
    assert "'KS 2020-12'" in message
    assert "'KS 2026/0042'" in message
    assert "'{series} {year}/{number:04d}'" in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"series": "KS", "year": 2020, "number": 0}, "at least 1"),
        ({"series": "KS", "year": 2020, "number": -3}, "at least 1"),
        ({"series": "KS", "year": 1899, "number": 1}, "outside 1900–2199"),
        ({"series": "KS", "year": 2200, "number": 1}, "outside 1900–2199"),
        ({"series": "", "year": 2020, "number": 1}, "Series code '' is not valid"),
        ({"series": "K S", "year": 2020, "number": 1}, "is not valid"),
        ({"series": "ks", "year": 2020, "number": 1}, "is not valid"),
        ({"series": "KS", "year": 2020, "number": 1, "class_code": "1.2"}, "no {class}"),
    ],
)
def test_render_refuses(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DnrError, match=re.escape(message)):
        KS.render(**kwargs)  # type: ignore[arg-type]


def test_render_class_and_yy_limits() -> None:
    with pytest.raises(DnrError, match="class code None is needed"):
        DnrFormat("{series} {year}.{number} {class}").render(series="KS", year=2018, number=1)
    with pytest.raises(DnrError, match="class code"):
        DnrFormat("{series} {year}.{number} {class}").render(
            series="KS", year=2018, number=1, class_code="1.a"
        )
    with pytest.raises(DnrError, match="two digits"):
        DnrFormat("{number:04d}/{yy}").render(series="KS", year=1999, number=1)


@pytest.mark.parametrize(
    ("template", "suffix", "message"),
    [
        ("{series} {year}/", "-{seq}", "exactly one {number}"),
        ("{number}/{number}", "-{seq}", "{number} more than once"),
        ("{series} {year}/{nr}", "-{seq}", "unknown placeholder {nr}"),
        ("{series} {year}/{number}{seq}", "-{seq}", "unknown placeholder {seq}"),
        ("{series} {year:04d}/{number}", "-{seq}", "{year:04d} is not allowed"),
        ("{series} {year}/{number:4d}", "-{seq}", "{number:4d} is not allowed"),
        ("{series} {year}/{number!r}", "-{seq}", "takes no conversion"),
        ("{series {year}/{number}", "-{seq}", "is not a valid template"),
        ("{} {year}/{number}", "-{seq}", "unknown placeholder {}"),
        ("{year}/{yy}/{number}", "-{seq}", "both {year} and {yy}"),
        ("{series} {year}/{number}{class}", "-{seq}", "are adjacent"),
        (" {series} {year}/{number}", "-{seq}", "whitespace"),
        ("{series} {year}/{number}", "-", "exactly one {seq}"),
        ("{series} {year}/{number}", "{seq}", "must start with a separator"),
        ("{series} {year}/{number}", "1{seq}", "must start with a separator"),
        ("{series} {year}/{number}", "-{number}", "unknown placeholder {number}"),
        ("{series} {year}/{number}", "-{seq}-{seq}", "{seq} more than once"),
        ("{series} {year}.{number} {class}", ".{seq}", "cannot follow the class code"),
    ],
)
def test_bad_templates_are_refused(template: str, suffix: str, message: str) -> None:
    with pytest.raises(DnrError, match=re.escape(message)):
        DnrFormat(template, suffix)


# --- parse_any ----------------------------------------------------------------------------

FORMATS = {
    "KS": DnrFormat("{series} {year}/{number:04d}"),
    "SN": DnrFormat("{series}-{year}-{number:05d}"),
    "BUN": DnrFormat("{series} {year}/{number}", ":{seq}"),
    "AV": DnrFormat("{year}/{number:06d}"),
}


@pytest.mark.parametrize(
    ("text", "key", "seq"),
    [
        ("KS 2010/0095", ("KS", 2010, 95), None),
        ("Dnr KS 2010/95", ("KS", 2010, 95), None),
        ("Dnr: KS 2010/0095-4", ("KS", 2010, 95), 4),
        ("DNR:2018/1313", ("AV", 2018, 1313), None),
        ("dnr.  2023/004796-5", ("AV", 2023, 4796), 5),
        ("Diarienummer: 2023/004796", ("AV", 2023, 4796), None),
        ("SN-2018-00526-1", ("SN", 2018, 526), 1),
        ("SN\u20132018\u201300526\u20131", ("SN", 2018, 526), 1),  # en dashes
        ("SN\u22122018\u221200526", ("SN", 2018, 526), None),  # minus signs
        ("  BUN\u00a0 2014/12:3 ", ("BUN", 2014, 12), 3),  # NBSP, extra spaces
        ("KS   2010/0095", ("KS", 2010, 95), None),
        ("\ufeffKS\t2010/0095\n", ("KS", 2010, 95), None),
    ],
)
def test_parse_any_picks_the_right_series(
    text: str, key: tuple[str, int, int], seq: int | None
) -> None:
    parsed = parse_any(text, FORMATS)
    assert parsed.case_key == key
    assert parsed.seq == seq
    assert parsed.raw == text  # as written, before tidying


def test_parse_any_lists_configured_forms_when_nothing_matches() -> None:
    with pytest.raises(DnrError) as info:
        parse_any("XX 2020/1", FORMATS)
    message = str(info.value)
    assert "'XX 2020/1'" in message
    for example in ("'KS 2026/0042'", "'SN-2026-00042'", "'BUN 2026/42'", "'2026/000042'"):
        assert example in message
    assert "'{year}/{number:06d}'" in message


def test_parse_any_reports_out_of_range_values() -> None:
    with pytest.raises(DnrError, match="year 1850 is outside"):
        parse_any("KS 1850/0001", FORMATS)
    with pytest.raises(DnrError, match="must be at least 1"):
        parse_any("SN-2020-00000", FORMATS)


@pytest.mark.parametrize("text", ["", "   ", "Dnr", "Dnr:", "\u00a0"])
def test_parse_any_refuses_empty(text: str) -> None:
    with pytest.raises(DnrError, match="Empty case reference.*'KS 2026/0042'"):
        parse_any(text, FORMATS)


def test_parse_any_needs_formats() -> None:
    with pytest.raises(DnrError, match="No case reference"):
        parse_any("KS 2020/1", {})


def test_parse_any_prefers_series_written_in_text() -> None:
    formats = {
        # A series that writes "KS" literally would also fit; the one coded KS wins.
        "ARK": DnrFormat("KS {year}/{number}"),
        "KS": DnrFormat("{series} {year}/{number}"),
    }
    assert parse_any("KS 2020/5", formats).series == "KS"


def test_parse_any_refuses_true_ambiguity() -> None:
    formats = {"AV": DnrFormat("{year}/{number:06d}"), "GEN": DnrFormat("{year}/{number}")}
    with pytest.raises(DnrError, match="ambiguous.*AV, GEN"):
        parse_any("2023/004796", formats)


def test_dnr_prefix_is_not_stripped_from_a_series_code() -> None:
    assert normalize_ref("DNRX 2020/1") == "DNRX 2020/1"
    assert normalize_ref("Dnr  KS 2020/1") == "KS 2020/1"
    formats = {"DNRX": DnrFormat("{series} {year}/{number}")}
    assert parse_any("DNRX 2020/1", formats).series == "DNRX"


# --- round trip ---------------------------------------------------------------------------

TEMPLATES = [
    ("{series} {year}/{number}", "-{seq}"),
    ("{series} {year}/{number:04d}", "-{seq}"),
    ("{series}-{year}/{number:05d}", "-{seq}"),
    ("{series}/{year}:{number}", ":{seq}"),
    ("{series}-{year}-{number:04d}", "-{seq}"),
    ("{series}-{year}-{number:05d}", "-{seq}"),
    ("{series} {year}-{number}", "-{seq}"),
    ("{series} {year}.{number:04d}", "-{seq}"),
    ("{year}/{number:06d}", "-{seq}"),
    ("{year}{series}/{number:04d}", "-{seq}"),
    ("{series}{year}/{number}", "-{seq}"),
    ("{series}-{number}/{year}", "-{seq}"),
    ("{number:04d}/{yy}", "-{seq}"),
    ("{series}/{year}:{number}-{class}", "-{seq}"),
    ("{series} {year}.{number} {class}", "-{seq}"),
    ("{series} {year}/{number}", "-{seq:03d}"),
]

series_codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ", min_size=1, max_size=5)
class_codes = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2}){0,3}", fullmatch=True)


@given(
    index=st.integers(min_value=0, max_value=len(TEMPLATES) - 1),
    series=series_codes,
    year=st.integers(min_value=1990, max_value=2100),
    number=st.integers(min_value=1, max_value=999_999),
    seq=st.none() | st.integers(min_value=1, max_value=999),
    class_code=class_codes,
)
def test_round_trip(
    index: int, series: str, year: int, number: int, seq: int | None, class_code: str
) -> None:
    template, suffix = TEMPLATES[index]
    fmt = DnrFormat(template, suffix)
    if "yy" in fmt.fields:
        year = 2000 + year % 100  # {yy} means 2000 + yy
    cls = class_code if "class" in fmt.fields else None
    ref = fmt.render(series=series, year=year, number=number, class_code=cls)
    text = ref if seq is None else fmt.render_document(ref, seq)
    expected = ParsedDnr(series=series, year=year, number=number, seq=seq, class_code=cls, raw=text)
    assert fmt.parse(text, series=series) == expected
    assert fmt.parse(text, series=series).case_key == (series, year, number)
    assert canonical(fmt, expected, series) == ref
    if "series" in fmt.fields:
        assert fmt.parse(text) == expected  # the generic pattern reads the series code
        assert parse_any(text, {series: fmt}) == expected


def test_series_named_dnr_is_not_taken_for_the_prefix() -> None:
    # Found by the round-trip property: "Dnr" before a reference is dropped, but a series
    # may itself be called DNR.
    formats = {"DNR": DnrFormat("{series} {year}/{number}")}
    parsed = parse_any("DNR 1990/1", formats)
    assert (parsed.series, parsed.year, parsed.number) == ("DNR", 1990, 1)
    assert parse_any("Dnr: DNR 1990/1", formats).number == 1
