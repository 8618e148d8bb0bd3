"""OSL provisions as data: diariekit.osl and scripts/make_osl_table.py (issue 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from diariekit.osl import ProvisionTable, add_years, load_provisions, table_from_json
from diariekit.secrecy import ProvisionRef, parse_provision_ref

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "make_osl_table.py"
SHIPPED = REPO / "diariekit" / "osl_provisions.json"
TODAY = date(2026, 2, 1)

R = ProvisionRef


@pytest.fixture(scope="module")
def table() -> ProvisionTable:
    return load_provisions()


# (ref, harm test of the section's main rule, maximum years, state only), read from the statute
# text. domain.md §3.1 says "straight" for 31:16; the text says "om det av särskild anledning
# kan antas" (qualified straight).
DOMAIN_TABLE: list[tuple[str, str, int | None, bool]] = [
    ("18:8", "straight", None, False),
    ("18:13", "straight", None, False),
    ("19:1", "straight", 20, False),
    ("19:3", "straight", 20, False),
    ("21:1", "qualified straight", 70, False),
    ("21:3", "qualified straight", 70, False),
    ("21:7", "straight", None, False),
    ("23:1", "reverse", 70, False),
    ("23:2", "reverse", 70, False),
    ("25:1", "reverse", 70, False),
    ("26:1", "reverse", 70, False),
    ("30:23", "straight", 20, True),
    ("31:16", "qualified straight", 20, False),
    ("32:4", "reverse", 20, False),
    ("39:3", "straight", 50, False),
    ("40:5", "absolute", None, False),
]


@pytest.mark.parametrize(("text", "harm_test", "max_years", "state_only"), DOMAIN_TABLE)
def test_domain_provisions(
    table: ProvisionTable, text: str, harm_test: str, max_years: int | None, state_only: bool
) -> None:
    ref = parse_provision_ref(f"OSL {text}")
    provision = table.get(ref, TODAY)
    assert provision is not None, text
    assert provision.ref == ref
    assert provision.harm_test == harm_test
    assert provision.max_years == max_years
    assert provision.state_only is state_only
    assert provision.title and not provision.title_is_heading  # written by hand
    assert table.known(ref, TODAY)


def test_titles_written_by_hand_replace_misleading_headings(table: ProvisionTable) -> None:
    # The CSV's rubrik for 18:13 and 19:3 is "Överföring av sekretess" (the nearest heading).
    for ref in (R(18, 13), R(19, 3)):
        provision = table.get(ref, TODAY)
        assert provision is not None
        assert "Överföring" not in provision.title


def test_harm_tests_per_stycke(table: ProvisionTable) -> None:
    p193 = table.get(R(19, 3), TODAY)
    assert p193 is not None
    # procurement: absolute until the award (2nd stycke), straight otherwise
    assert p193.harm_tests[:3] == ("straight", "absolute", "absolute")
    assert p193.harm_test_for(2) == "absolute"
    assert p193.harm_test_for(None) == "straight"
    p213 = table.get(R(21, 3), TODAY)
    assert p213 is not None
    assert p213.harm_test_for(1) == "qualified straight"
    assert p213.harm_test_for(3) == "reverse"  # fingerade personuppgifter
    p393 = table.get(R(39, 3), TODAY)
    assert p393 is not None
    assert p393.harm_tests[:4] == ("straight", "straight", "reverse", "reverse")
    p232 = table.get(R(23, 2), TODAY)
    assert p232 is not None
    assert p232.harm_tests[:3] == ("reverse", "straight", "qualified straight")


def test_ref_with_stycke_and_point_uses_the_section(table: ProvisionTable) -> None:
    whole = table.get(R(26, 1), TODAY)
    assert whole is not None
    assert table.get(R(26, 1, 2, 3), TODAY) == whole
    assert table.get(parse_provision_ref("26 kap. 1 § andra stycket"), TODAY) == whole


def test_unknown_and_repealed_sections(table: ProvisionTable) -> None:
    assert table.get(R(26, 99), TODAY) is None
    assert not table.known(R(24, 2), TODAY)  # repealed (upphävd)
    assert not table.known(R(5, 5), TODAY)  # chapter 5 is not in the table (chapters 15–40)
    assert table.max_until(R(26, 99), date(2026, 1, 1)) is None


def test_version_choice_around_a_change_date(table: ProvisionTable) -> None:
    # The CSV: 23:1 (förskola) is in force until 2028-07-01 and has no later version; 23:2 has
    # an old version until that date and a new one from it.
    before, change = date(2028, 6, 30), date(2028, 7, 1)
    old = table.get(R(23, 1), before)
    assert old is not None and old.valid_to == change and old.valid_from is None
    assert table.get(R(23, 1), change) is None
    assert not table.known(R(23, 1), change)
    versions = table.versions(R(23, 2))
    assert [(v.valid_from, v.valid_to) for v in versions] == [(None, change), (change, None)]
    assert table.get(R(23, 2), before) == versions[0]
    assert table.get(R(23, 2), change) == versions[1]
    # A version chosen by date, not by the status column: 23:1 is "upphord" but in force today.
    assert table.known(R(23, 1), TODAY)


def test_version_choice_with_a_new_authority_name(table: ProvisionTable) -> None:
    # 27:1 changes on 2026-01-01; both versions keep their harm test and maximum.
    versions = table.versions(R(27, 1))
    assert len(versions) == 2
    assert table.get(R(27, 1), date(2025, 12, 31)) == versions[0]
    assert table.get(R(27, 1), date(2026, 1, 1)) == versions[1]


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2026, 2, 3), 70, date(2096, 2, 3)),
        (date(2024, 2, 29), 20, date(2044, 2, 29)),  # leap year to leap year
        (date(2024, 2, 29), 50, date(2074, 2, 28)),  # Feb 29 → Feb 28
        (date(2023, 12, 31), 1, date(2024, 12, 31)),
    ],
)
def test_add_years(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


def test_max_until(table: ProvisionTable) -> None:
    assert table.max_until(R(26, 1), date(2026, 2, 3)) == date(2096, 2, 3)  # domain.md §3.2
    assert table.max_until(R(26, 1, 1), date(2026, 2, 3)) == date(2096, 2, 3)
    assert table.max_until(R(39, 3), date(2024, 2, 29)) == date(2074, 2, 28)
    assert table.max_until(R(19, 1), date(2020, 2, 29)) == date(2040, 2, 29)
    assert table.max_until(R(30, 23), date(2026, 1, 1)) == date(2046, 1, 1)
    assert table.max_until(R(18, 8), date(2026, 1, 1)) is None  # no maximum stated
    # the version is chosen on `on`, by default on the document date
    assert table.max_until(R(23, 1), date(2028, 6, 30)) == date(2098, 6, 30)
    assert table.max_until(R(23, 1), date(2028, 7, 1)) is None
    assert table.max_until(R(23, 1), date(2020, 1, 1), on=date(2029, 1, 1)) is None
    assert table.max_until(R(23, 1), date(2020, 1, 1), on=TODAY) == date(2090, 1, 1)


def test_shipped_table_holds_no_statute_text() -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert data["sources"][0]["file"] == "osl_2009-400_paragrafer.csv"
    assert len(data["sources"][0]["sha256"]) == 64
    allowed = {
        "chapter", "section", "letter", "ref", "valid_from", "valid_to", "title",
        "title_is_heading", "harm_test", "harm_tests", "max_years", "max_years_by_stycke",
        "state_only", "amended_by", "evidence",
    }
    for entry in data["provisions"]:
        assert set(entry) == allowed
        assert all(len(phrase) < 60 for phrase in entry["evidence"])
        assert 15 <= entry["chapter"] <= 40


def test_lettered_sections_are_in_the_file_but_not_in_the_table() -> None:
    data = json.loads(SHIPPED.read_text(encoding="utf-8"))
    refs = {e["ref"] for e in data["provisions"]}
    assert "30:23 a" in refs  # merged into 30:23 in the CSV, split by the script
    lettered = sum(1 for e in data["provisions"] if e["letter"])
    assert len(table_from_json(SHIPPED.read_text(encoding="utf-8"))) == (
        len(data["provisions"]) - lettered
    )


def test_script_reproduces_the_shipped_table(shared: Path, tmp_path: Path) -> None:
    source = shared / "external" / "domain" / "osl"
    out = tmp_path / "osl_provisions.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--source", str(source), "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_script_generated_date_is_recorded(shared: Path, tmp_path: Path) -> None:
    source = shared / "external" / "domain" / "osl"
    out = tmp_path / "t.json"
    subprocess.run(
        [sys.executable, str(SCRIPT), "--source", str(source), "--out", str(out),
         "--generated", "2026-02-01"],
        check=True, timeout=120)
    assert json.loads(out.read_text(encoding="utf-8"))["generated"] == "2026-02-01"
