"""OSL references (lagrum) and plan secrecy cells (sekretess): diariekit.secrecy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diariekit.secrecy import (
    ProvisionError,
    ProvisionRef,
    SecrecyHint,
    parse_provision_ref,
    parse_secrecy_cell,
)

R = ProvisionRef

GOOD_REFS: list[tuple[str, ProvisionRef]] = [
    ("OSL 26:1", R(26, 1)),
    ("26:1", R(26, 1)),
    ("21:7", R(21, 7)),
    ("osl 21:7", R(21, 7)),
    ("OSL 26 : 1", R(26, 1)),
    ("26 kap. 1 § OSL", R(26, 1)),
    ("26 kap 1§ offentlighets- och sekretesslagen", R(26, 1)),
    ("26 kap. 1 § offentlighets- och sekretesslagen (2009:400)", R(26, 1)),
    ("26 kap. 1 § 2 st.", R(26, 1, 2)),
    ("26 kap. 1 § andra stycket", R(26, 1, 2)),
    ("26 kap. 1 § andra stycket OSL", R(26, 1, 2)),
    ("OSL 26 kap. 1 §", R(26, 1)),
    ("OSL 26:1 st. 2 p. 3", R(26, 1, 2, 3)),
    ("OSL 26:1 st 2 p 3", R(26, 1, 2, 3)),
    ("OSL 26:1 st. 2", R(26, 1, 2)),
    ("OSL 26:1 p. 3", R(26, 1, None, 3)),
    ("26 kap. 1 § första stycket 3", R(26, 1, 1, 3)),
    ("26 kap. 1 § första stycket 3 punkten", R(26, 1, 1, 3)),
    ("26 kap. 1 § tredje stycket", R(26, 1, 3)),
    ("SFS 2009:400 26 kap. 1 §", R(26, 1)),
    ("OSL (2009:400) 39 kap. 3 §", R(39, 3)),
    ("26 kap 1 § OSL", R(26, 1)),
    ("26 kapitlet 1 §", R(26, 1)),
    ("30 kap. 23 §", R(30, 23)),
    ("1 kap. 1 §", R(1, 1)),
    ("44 kap. 1 §", R(44, 1)),
    # NBSP, narrow NBSP, en dash, soft hyphen: as word processors write them
    ("26\u00a0kap.\u00a01\u00a0§ OSL", R(26, 1)),
    ("26\u202fkap. 1 §", R(26, 1)),
    ("26 kap. 1 § offentlighets\u2013 och sekretesslagen", R(26, 1)),
    ("OSL\u00a026:1", R(26, 1)),
    ("  OSL 26:1.  ", R(26, 1)),
]


@pytest.mark.parametrize(("text", "expected"), GOOD_REFS)
def test_parse_provision_ref_forms(text: str, expected: ProvisionRef) -> None:
    assert parse_provision_ref(text) == expected


BAD_REFS: list[tuple[str, str]] = [
    ("OSL 45:1", "chapter 45 is outside OSL's chapters 1–44"),
    ("45 kap. 1 § OSL", "chapter 45 is outside OSL's chapters 1–44"),
    ("0:1", "chapter 0 is outside"),
    ("26:0", "section 0"),
    ("26 kap. 0 §", "section 0"),
    ("26 kap. 1 § 0 st.", "stycke 0"),
    ("SekrL 7:4", "repealed sekretesslagen (1980:100)"),
    ("7 kap. 4 § sekretesslagen", "repealed sekretesslagen (1980:100)"),
    ("sekretesslagen (1980:100) 7 kap. 4 §", "repealed sekretesslagen"),
    ("SFS 1980:100 7:4", "repealed sekretesslagen"),
    ("", "empty"),
    ("   ", "empty"),
    ("Ja", "not a recognised OSL reference"),
    ("Kan förekomma", "not a recognised OSL reference"),
    ("OSL", "no chapter and section"),
    ("SFS 2009:400", "no chapter and section"),
    ("OSL 26", "chapter 26 but no section"),
    ("26 kap.", "chapter 26 but no section"),
    ("OSL 26:1, 21:1", "holds 2 references"),
    ("26 kap. 1 och 5 §§", "holds 2 references"),
    ("30 kap. 23 a §", "sections with a letter"),
    ("12 kap. 6 § SoL", "refers to SoL, not to OSL"),
    ("29 kap. 14 § skollagen", "refers to skollagen"),
    ("26:1:3", "not a recognised OSL reference"),
    ("99999999999999999999:1", "too large"),
]


@pytest.mark.parametrize(("text", "message"), BAD_REFS)
def test_parse_provision_ref_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ProvisionError) as caught:
        parse_provision_ref(text)
    assert message in str(caught.value)


def test_provision_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_provision_ref("OSL 45:1")


@pytest.mark.parametrize(
    ("ref", "text"),
    [
        (R(26, 1), "OSL 26:1"),
        (R(26, 1, 2), "OSL 26:1 st. 2"),
        (R(26, 1, 2, 3), "OSL 26:1 st. 2 p. 3"),
        (R(26, 1, None, 3), "OSL 26:1 p. 3"),
    ],
)
def test_canonical_form(ref: ProvisionRef, text: str) -> None:
    assert str(ref) == text
    assert parse_provision_ref(text) == ref


def test_constructor_validates() -> None:
    with pytest.raises(ProvisionError, match="chapter 45 is outside OSL's chapters 1–44"):
        R(45, 1)
    with pytest.raises(ProvisionError, match="section 0"):
        R(26, 0)
    with pytest.raises(ProvisionError, match="point 0"):
        R(26, 1, 1, 0)


def test_refs_sort_in_statute_order_and_hash() -> None:
    refs = [R(39, 3), R(26, 1, 2), R(26, 2), R(26, 1), R(26, 1, 2, 1), R(21, 7)]
    assert sorted(refs) == [R(21, 7), R(26, 1), R(26, 1, 2), R(26, 1, 2, 1), R(26, 2), R(39, 3)]
    assert len({R(26, 1), parse_provision_ref("26 kap. 1 § OSL")}) == 1
    assert R(26, 1) != R(26, 1, 1)


def test_ref_to_dict() -> None:
    assert R(26, 1, 2).to_dict() == {
        "ref": "OSL 26:1 st. 2",
        "chapter": 26,
        "section": 1,
        "stycke": 2,
        "point": None,
    }
    assert repr(R(26, 1)) == "ProvisionRef(chapter=26, section=1, stycke=None, point=None)"


# ---------------------------------------------------------------------------- cells

NONE_CELLS = [None, "", "  ", "-", "–", "Nej", "nej", "Offentlig", "Ej sekretess", "Nej, offentlig"]


@pytest.mark.parametrize("text", NONE_CELLS)
def test_cells_saying_no_secrecy(text: str | None) -> None:
    hint = parse_secrecy_cell(text)
    assert hint.none
    assert not hint.may_contain
    assert hint.provisions == ()
    assert hint.problems == ()
    assert hint.warnings == ()
    assert hint.raw == (text or "")


MAY_CELLS = [
    "Ja",
    "JA",
    "Kan förekomma",
    "Sekretess kan förekomma",
    "Ev.",
    "Eventuellt",
    "Sekretess",
    "Ja, kan förekomma",
    "Sekretess enligt OSL",
    "Sekretessprövas",
]


@pytest.mark.parametrize("text", MAY_CELLS)
def test_cells_saying_may_contain_without_provision_warn(text: str) -> None:
    hint = parse_secrecy_cell(text)
    assert hint.may_contain
    assert not hint.none
    assert hint.provisions == ()
    assert hint.problems == ()
    assert hint.warnings == ("may hold secret data, provision not given",)


PROVISION_CELLS: list[tuple[str, tuple[ProvisionRef, ...]]] = [
    ("OSL 26:1", (R(26, 1),)),
    ("OSL 26:1 kan förekomma", (R(26, 1),)),
    ("OSL 26:1, 21:1", (R(26, 1), R(21, 1))),
    ("26 kap. 1 § och 25 kap. 1 § OSL", (R(26, 1), R(25, 1))),
    ("OSL 26:1; OSL 39:3", (R(26, 1), R(39, 3))),
    ("OSL 26:1\nOSL 39:3", (R(26, 1), R(39, 3))),
    ("Ja, enligt 26 kap. 1 § OSL", (R(26, 1),)),
    ("Sekretess enligt 21 kap. 7 §", (R(21, 7),)),
    ("26 kap. 1 och 5 §§ OSL", (R(26, 1), R(26, 5))),
    ("OSL 26:1 st. 2 p. 3, 26:5", (R(26, 1, 2, 3), R(26, 5))),
    ("SFS 2009:400 26 kap. 1 §", (R(26, 1),)),
    ("OSL 26:1, OSL 26:1", (R(26, 1),)),
    ("Kan förekomma (OSL 23:2, 39:3)", (R(23, 2), R(39, 3))),
]


@pytest.mark.parametrize(("text", "expected"), PROVISION_CELLS)
def test_cells_with_provisions(text: str, expected: tuple[ProvisionRef, ...]) -> None:
    hint = parse_secrecy_cell(text)
    assert hint.provisions == expected
    assert hint.may_contain
    assert not hint.none
    assert hint.problems == ()
    assert hint.warnings == ()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("OSL 45:1", "chapter 45 is outside OSL's chapters 1–44"),
        ("OSL 26:1, 45:1", "chapter 45"),
        ("SekrL 7:4", "repealed sekretesslagen"),
        ("Kan förekomma (OSL 26 kap)", "looks like a provision reference"),
        ("OSL 26:", "looks like a provision reference"),
        ("kap 26 §", "looks like a provision reference"),
        ("26", "looks like a provision reference"),
    ],
)
def test_cells_with_bad_references_have_problems(text: str, fragment: str) -> None:
    hint = parse_secrecy_cell(text)
    assert any(fragment in p for p in hint.problems), hint.problems
    assert not hint.none


def test_out_of_range_keeps_the_good_ones() -> None:
    hint = parse_secrecy_cell("OSL 26:1, 45:1")
    assert hint.provisions == (R(26, 1),)
    assert hint.problems == ("'45:1': chapter 45 is outside OSL's chapters 1–44",)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Blandat", "unrecognised words in secrecy cell: 'Blandat'"),
        ("Sekretess 70 år", "unrecognised words"),
        ("Tystnadsplikt 29 kap. 14 § skollagen", "refers to skollagen, not to OSL"),
    ],
)
def test_free_words_are_warnings_not_problems(text: str, fragment: str) -> None:
    hint = parse_secrecy_cell(text)
    assert hint.problems == ()
    assert any(fragment in w for w in hint.warnings), hint.warnings
    assert not hint.none


def test_contradiction_is_a_warning() -> None:
    hint = parse_secrecy_cell("Nej, OSL 26:1")
    assert hint.provisions == (R(26, 1),)
    assert not hint.none
    assert any("both" in w for w in hint.warnings)


def test_hint_to_dict_and_describe() -> None:
    hint = parse_secrecy_cell("OSL 26:1, 21:1 kan förekomma")
    assert hint.to_dict() == {
        "raw": "OSL 26:1, 21:1 kan förekomma",
        "provisions": ["OSL 26:1", "OSL 21:1"],
        "may_contain": True,
        "none": False,
        "problems": [],
        "warnings": [],
    }
    assert hint.describe() == "OSL 26:1, OSL 21:1"
    assert parse_secrecy_cell("Nej").describe() == "no secrecy"
    assert parse_secrecy_cell("Ja").describe() == "may hold secret data, provision not given"
    assert "chapter 45" in parse_secrecy_cell("OSL 45:1").describe()
    assert SecrecyHint(raw="").to_dict()["provisions"] == []


# ---------------------------------------------------------------------------- properties

refs = st.builds(
    ProvisionRef,
    chapter=st.integers(1, 44),
    section=st.integers(1, 300),
    stycke=st.none() | st.integers(1, 12),
    point=st.none() | st.integers(1, 30),
)


@given(refs)
def test_canonical_form_reparses(ref: ProvisionRef) -> None:
    assert parse_provision_ref(str(ref)) == ref
    assert parse_secrecy_cell(str(ref)).provisions == (ref,)


@given(refs)
def test_kap_form_reparses(ref: ProvisionRef) -> None:
    text = f"{ref.chapter} kap. {ref.section} §"
    if ref.stycke is not None:
        text += f" {ref.stycke} st."
    if ref.point is not None:
        text += f" p. {ref.point}"
    assert parse_provision_ref(text + " OSL") == ref


@given(st.lists(refs, min_size=1, max_size=5), st.sampled_from([", ", "; ", "\n", " och "]))
def test_cells_with_several_refs(listed: list[ProvisionRef], separator: str) -> None:
    hint = parse_secrecy_cell(separator.join(str(r) for r in listed))
    assert hint.provisions == tuple(dict.fromkeys(listed))
    assert hint.problems == ()


@given(st.text())
def test_parse_secrecy_cell_never_raises(text: str) -> None:
    hint = parse_secrecy_cell(text)
    assert hint.raw == text
    assert not (hint.none and hint.may_contain)
    for ref in hint.provisions:
        assert 1 <= ref.chapter <= 44


@given(
    st.lists(
        st.sampled_from(
            ["OSL", "SekrL", "26", ":", "1", "kap.", "§", "§§", "st.", "p.", "andra", "stycket",
             "och", ",", ";", "Ja", "Nej", "kan", "förekomma", "45", "0", "2009:400", " ", "\u00a0",
             "a", "(", ")", "–", "punkten", "sekretesslagen", "SoL"]
        ),
        max_size=14,
    )
)
def test_parse_secrecy_cell_never_raises_on_ref_like_text(tokens: list[str]) -> None:
    parse_secrecy_cell(" ".join(tokens))
    parse_secrecy_cell("".join(tokens))


@given(st.text())
def test_parse_provision_ref_raises_only_provision_error(text: str) -> None:
    try:
        parse_provision_ref(text)
    except ProvisionError:
        pass
