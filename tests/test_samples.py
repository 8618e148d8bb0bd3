"""The sample registration input: ``samples/registrations.csv`` and the files it names.

The CSV is what the demo and the registration importer are tested with, so it must agree with
the sample plans (record-type ids, classes, registrability), with the input format (columns,
case keys, dates, personnummer) and with the files ``make_files`` writes (formats Siegfried
identifies, byte-identical on every run).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

import pikepdf
import pygfried
import pytest
import yaml
from diariekit.samples import make_files as mf

from diariekit.plans.model import RegistrationKind, parse_registration
from diariekit.secrecy import parse_provision_ref

PLANS = {"KS": "kommunstyrelse.yaml", "SN": "socialnamnd.yaml"}
DIRECTIONS = {"Inkommande", "Upprättad", "Utgående"}
FIRST_DAY, LAST_DAY = dt.date(2026, 1, 2), dt.date(2026, 11, 20)

PDF_PUIDS = {"fmt/14", "fmt/15", "fmt/16", "fmt/17", "fmt/18", "fmt/19", "fmt/20", "fmt/276"}
EXPECTED_PUIDS: dict[str, set[str]] = {
    "pdfa": {"fmt/477"},  # PDF/A-2b
    "pdf": PDF_PUIDS,
    "docx": {"fmt/412"},
    "png": {"fmt/11", "fmt/12", "fmt/13"},
    "tif": {"fmt/353"},
    "xml": {"fmt/101"},
    "txt": {"x-fmt/111"},
}


def _sha256_tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _kind(row: dict[str, str], path: str) -> str:
    ext = path.rsplit(".", 1)[-1].lower()
    if ext == "pdf":
        return "pdfa" if mf.pdf_is_pdfa(row["Externt id"]) else "pdf"
    return ext


@pytest.fixture(scope="module")
def packaged_csv() -> bytes:
    return (resources.files("diariekit.samples") / mf.CSV_NAME).read_bytes()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample files generated twice, into two folders."""
    first = tmp_path_factory.mktemp("samples-a")
    second = tmp_path_factory.mktemp("samples-b")
    assert mf.make_sample_files(first) == first / mf.CSV_NAME
    assert mf.make_sample_files(second) == second / mf.CSV_NAME
    return first, second


@pytest.fixture(scope="module")
def rows(generated: tuple[Path, Path]) -> list[dict[str, str]]:
    return mf.read_rows(generated[0] / mf.CSV_NAME)


@pytest.fixture(scope="module")
def plans() -> dict[str, dict[str, Any]]:
    """Per series: ``classes`` (codes), ``types`` (id -> class code), ``registration`` (id ->
    raw registration cell)."""
    out: dict[str, dict[str, Any]] = {}
    package = resources.files("diariekit.retention_plans")
    for serie, name in PLANS.items():
        data = yaml.safe_load((package / name).read_text(encoding="utf-8"))
        classes: set[str] = set()
        types: dict[str, str] = {}
        registration: dict[str, str] = {}
        for cls in data["classes"]:
            classes.add(str(cls["code"]))
            for rt in cls.get("record_types") or []:
                types[rt["id"]] = str(cls["code"])
                registration[rt["id"]] = str(rt.get("registration") or "")
        out[serie] = {"classes": classes, "types": types, "registration": registration}
    return out


def _cases(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Rows grouped by case, in file order; a row without a key is its own case."""
    cases: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        cases[row["Ärendenyckel"] or f"#{row['Externt id']}"].append(row)
    return cases


# ---- Files ----------------------------------------------------------------------------------


def test_generation_is_deterministic(generated: tuple[Path, Path]) -> None:
    first, second = (_sha256_tree(root) for root in generated)
    assert len(first) > 300
    assert first == second


def test_csv_is_copied_byte_for_byte(generated: tuple[Path, Path], packaged_csv: bytes) -> None:
    assert (generated[0] / mf.CSV_NAME).read_bytes() == packaged_csv


def test_committed_csv_is_the_generator_output(tmp_path: Path, packaged_csv: bytes) -> None:
    """Regenerate with ``python -m diariekit.samples.make_files --write-csv`` when this fails."""
    out = tmp_path / "regenerated.csv"
    mf.write_csv(out)
    assert out.read_bytes() == packaged_csv


def test_every_named_file_exists_and_nothing_else(
        generated: tuple[Path, Path], rows: list[dict[str, str]]) -> None:
    root = generated[0]
    named: set[str] = set()
    for row in rows:
        for path in mf.file_paths(row):
            assert path.startswith(f"files/{row['Serie'].lower()}/"), path
            assert ".." not in path.split("/")
            assert (root / path).is_file() and (root / path).stat().st_size > 0, path
            assert path not in named, f"{path} named twice"
            named.add(path)
    on_disk = {p for p in _sha256_tree(root) if p != mf.CSV_NAME}
    assert on_disk == named


def test_siegfried_identifies_every_file(
        generated: tuple[Path, Path], rows: list[dict[str, str]]) -> None:
    root = generated[0]
    wrong = []
    seen: Counter[str] = Counter()
    for row in rows:
        for path in mf.file_paths(row):
            kind = _kind(row, path)
            seen[kind] += 1
            puid = pygfried.identify(str(root / path))
            if puid not in EXPECTED_PUIDS[kind]:
                wrong.append((path, kind, puid))
    assert not wrong, wrong[:10]
    assert set(seen) == set(EXPECTED_PUIDS)
    assert seen["pdfa"] > sum(seen.values()) / 2  # most files are PDF/A


def test_file_kinds_and_paper_rows(rows: list[dict[str, str]]) -> None:
    kinds = Counter(_kind(r, p) for r in rows for p in mf.file_paths(r))
    for kind in ("pdf", "docx", "txt", "xml", "png", "tif"):
        assert kinds[kind] >= 5, kinds
    paper = [r for r in rows if not mf.file_paths(r)]
    assert 3 <= len(paper) <= 15
    assert all(r["Riktning"] == "Inkommande" and r["Externt id"].startswith("post-")
               for r in paper)
    assert sum(1 for r in rows if len(mf.file_paths(r)) == 2) >= 5


def test_pdf_text_matches_its_row(generated: tuple[Path, Path], rows: list[dict[str, str]]) -> None:
    root = generated[0]
    checked = 0
    for row in rows:
        pdfs = [p for p in mf.file_paths(row) if p.endswith(".pdf")]
        if not pdfs or checked >= 40:
            continue
        with pikepdf.open(root / pdfs[0]) as pdf:
            assert len(pdf.pages) == 1
            shown = " ".join(
                bytes(op.operands[0]).decode("cp1252")
                for op in pikepdf.parse_content_stream(pdf.pages[0])
                if str(op.operator) == "Tj")
            if mf.pdf_is_pdfa(row["Externt id"]):
                assert b"pdfaid:part" in pdf.Root.Metadata.read_bytes()
        words = " ".join(shown.split())
        assert row["Datum"] in words
        assert row["Beskrivning"].split()[0] in words
        if row["Sekretess"]:
            assert "SEKRETESS" in words
        checked += 1
    assert checked == 40


def test_unsafe_file_paths_are_refused(tmp_path: Path, packaged_csv: bytes) -> None:
    text = packaged_csv.decode("utf-8")
    first = next(p for p in re.findall(r";(files/[^;|]+)", text))
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace(first, "../outside.pdf", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="relative"):
        mf.make_sample_files(tmp_path / "out", bad)
    assert not (tmp_path / "outside.pdf").exists()


def test_cli_writes_files_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert mf.main([str(tmp_path / "out"), "--write-csv", str(tmp_path / "new.csv")]) == 0
    assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "out" / mf.CSV_NAME).read_bytes()
    assert "files" in capsys.readouterr().out


# ---- The CSV --------------------------------------------------------------------------------


def test_header_and_format(packaged_csv: bytes) -> None:
    text = packaged_csv.decode("utf-8")
    assert not text.startswith("\ufeff")
    header = next(csv.reader([text.splitlines()[0]], delimiter=";"))
    assert tuple(header) == mf.COLUMNS


def test_size_and_series_split(rows: list[dict[str, str]]) -> None:
    assert 300 <= len(rows) <= 400
    series = Counter(r["Serie"] for r in rows)
    assert set(series) == {"KS", "SN"}
    assert 0.55 <= series["KS"] / len(rows) <= 0.65
    cases = _cases(rows)
    assert 100 <= len(cases) <= 140
    sizes = Counter(len(docs) for docs in cases.values())
    assert sum(n for size, n in sizes.items() if 2 <= size <= 5) > len(cases) / 2


def test_external_ids_are_unique_and_stable_looking(rows: list[dict[str, str]]) -> None:
    ids = [r["Externt id"] for r in rows]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z-]+-2026-\d{4}", i) for i in ids)


def test_record_types_come_from_the_series_plan(
        rows: list[dict[str, str]], plans: dict[str, dict[str, Any]]) -> None:
    for row in rows:
        plan = plans[row["Serie"]]
        rt = row["Handlingstyp"]
        assert rt in plan["types"], f"{row['Externt id']}: {rt} not in {PLANS[row['Serie']]}"
        kind = parse_registration(plan["registration"][rt]).kind
        assert kind in (RegistrationKind.DIARY, RegistrationKind.SYSTEM), (rt, kind)
        if row["Klass"]:
            assert row["Klass"] in plan["classes"]


def test_cases_are_well_formed(
        rows: list[dict[str, str]], plans: dict[str, dict[str, Any]]) -> None:
    for key, docs in _cases(rows).items():
        opening = docs[0]
        assert opening["Serie"] and opening["Ärendemening"] and opening["Klass"], key
        assert plans[opening["Serie"]]["types"][opening["Handlingstyp"]] == opening["Klass"], key
        assert {d["Serie"] for d in docs} == {opening["Serie"]}, key
        assert all(not d["Ärende"] for d in docs)
        dates = [d["Datum"] for d in docs]
        assert dates == sorted(dates), key
        assert len({d["Personnummer"] for d in docs}) == 1, key
        if key.startswith("#"):
            assert len(docs) == 1


def test_dates_and_required_fields(rows: list[dict[str, str]]) -> None:
    for row in rows:
        day = dt.date.fromisoformat(row["Datum"])
        assert FIRST_DAY <= day <= LAST_DAY, row["Externt id"]
        assert day.weekday() < 5
        assert row["Riktning"] in DIRECTIONS
        for column in ("Beskrivning", "Handläggare", "Enhet", "Dokumenttyp"):
            assert row[column], (row["Externt id"], column)
        if row["Riktning"] != "Upprättad":
            assert row["Avsändare/Mottagare"], row["Externt id"]


def test_personnummer_are_valid_and_only_in_sn(rows: list[dict[str, str]]) -> None:
    with_pnr = [r for r in rows if r["Personnummer"]]
    assert len(with_pnr) > 50
    for row in with_pnr:
        pnr = row["Personnummer"]
        assert row["Serie"] == "SN"
        assert re.fullmatch(r"\d{8}-\d{4}", pnr)
        assert dt.datetime.strptime(pnr[:8], "%Y%m%d").year >= 1900
        assert mf.luhn_ok(pnr), pnr
        assert pnr[9] == "9"  # fictional test serials 98x-99x
    assert not mf.luhn_ok("19121212-1213")
    assert mf.luhn_ok("19121212-1212")


def test_secrecy_references(rows: list[dict[str, str]]) -> None:
    refs = Counter(r["Sekretess"] for r in rows if r["Sekretess"])
    for ref in refs:
        parse_provision_ref(ref)
    for ref in ("OSL 26:1", "OSL 21:1", "OSL 39:3", "OSL 19:3", "OSL 31:16"):
        assert refs[ref] >= 3, ref
    individual = [r for r in rows if r["Personnummer"]]
    secret = [r for r in individual if r["Sekretess"] == "OSL 26:1"]
    assert len(secret) >= 0.9 * len(individual)


def test_case_titles_reveal_no_protected_data(rows: list[dict[str, str]]) -> None:
    titles = " ".join(r["Ärendemening"] for r in rows)
    protected = {r["Avsändare/Mottagare"] for r in rows if r["Sekretess"]} - {""}
    protected |= {r["Personnummer"] for r in rows if r["Personnummer"]}
    leaks = sorted(p for p in protected if p in titles)
    assert not leaks, leaks
