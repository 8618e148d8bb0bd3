"""Package building, part 2 (issue 4): splitting a transfer by size or count, resuming an
interrupted build from its journal (a real SIGKILL of a build process), the streamed XML
being exactly what lxml would write, and ERMS 2.1.2 output (profile ``fgs-2.0-erms-2.1``).

One SQLite registry with the samples registered and some cases closed is built per module;
each test works on its own copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from diariekit.commands.package_build import build_cmd
from diariekit.samples.make_files import make_sample_files
from lxml import etree
from registries import make_registry
from typer.testing import CliRunner

from diariekit.cases import close_case
from diariekit.clock import STOCKHOLM
from diariekit.config import Config, load_config
from diariekit.errors import PolicyError, UsageError
from diariekit.markings import mark
from diariekit.packages import build as build_module
from diariekit.packages.build import (
    Selection,
    build_case_packages,
    group_cases,
    parse_size,
)
from diariekit.packages.erms import serialise
from diariekit.packages.mets import MetsFile, build_representation_mets
from diariekit.packages.premis import PremisFile, build_representation_premis
from diariekit.packages.profile import load_profile
from diariekit.packages.schemas import SchemaSet
from diariekit.packages.validate import validate_package
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, open_engine, sqlite_url_for_path
from diariekit.registry.schema import case_, transfer, transfer_item, transfer_package

KS_CASES = ("KS 2026/0001", "KS 2026/0002", "KS 2026/0003", "KS 2026/0005", "KS 2026/0006")
WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM)
ERMS = {"e": "https://DILCIS.eu/XML/ERMS"}
LOCK = ".diariekit-build.lock"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("split-resume")
    folder = base / "reg"
    config = make_registry(folder, sqlite_url_for_path(folder / "registry.sqlite"))
    intake = make_sample_files(base / "in")
    result = register_rows(config, read_intake(intake), engine=open_engine(config.registry_url),
                           source=str(intake))
    assert result.committed and result.errors == 0
    for ref in KS_CASES:
        close_case(config, ref, org_id="ks", on=date(2026, 6, 1), actor="test")
    return folder


@pytest.fixture
def reg(template: Path, tmp_path: Path) -> Config:
    shutil.copytree(template, tmp_path / "reg")
    toml = tmp_path / "reg" / "diariekit.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(str(template), str(tmp_path / "reg")),
                    encoding="utf-8")
    return load_config(toml)


@pytest.fixture(scope="module")
def schemas(shared: Path) -> SchemaSet:
    return SchemaSet(shared / "external" / "schemas")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _case_files(config: Config) -> dict[str, int]:
    """Data files per closed KS case, from an unsplit build's METS (one package per case)."""
    with connect(open_engine(config.registry_url)) as conn:
        rows = conn.execute(sa.text(
            "select c.dnr, count(f.id) from case_ c join document d on d.case_id = c.id "
            "join file f on f.document_id = d.id where d.status != 'voided' "
            "group by c.dnr")).all()
    return {dnr: n for dnr, n in rows if dnr in KS_CASES}


# --- splitting ---------------------------------------------------------------------------------


def test_group_cases_packs_in_order_and_isolates_oversize() -> None:
    sizes = [(2, 100), (2, 100), (5, 50), (1, 10), (1, 900), (1, 10)]
    assert group_cases(sizes, max_size=None, max_files=None) == [([i], False) for i in range(6)]
    assert group_cases(sizes, max_size=None, max_files=4) == [
        ([0, 1], False), ([2], True), ([3, 4, 5], False)]
    assert group_cases(sizes, max_size=250, max_files=None) == [
        ([0, 1, 2], False), ([3], False), ([4], True), ([5], False)]
    assert group_cases(sizes, max_size=250, max_files=3) == [
        ([0], False), ([1], False), ([2], True), ([3], False), ([4], True), ([5], False)]


def test_parse_size() -> None:
    assert parse_size("1024") == 1024
    assert parse_size("500M") == 500 * 2**20
    assert parse_size("2GiB") == 2 * 2**30
    assert parse_size("1.5k") == 1536
    for bad in ("", "ten", "5X", "-3M", "0"):
        with pytest.raises(UsageError):
            parse_size(bad)


def test_split_by_count_packages_valid_and_one_transfer(reg: Config, schemas: SchemaSet,
                                                        tmp_path: Path) -> None:
    files = _case_files(reg)
    assert len(files) == len(KS_CASES) and all(files.values())
    limit = max(files.values())  # no case is over it on its own
    result = build_case_packages(reg, org_id="ks", out_dir=tmp_path / "out", fmt="zip",
                                 created=WHEN, actor="test", schema_dir=schemas.folder,
                                 select=Selection(cases=KS_CASES), max_files=limit)
    assert 1 < len(result.packages) < len(KS_CASES), "some cases share a package"
    assert not result.notes and not any(p.oversize for p in result.packages)
    packed = [dnr for p in result.packages for dnr in p.cases]
    assert packed == list(KS_CASES), "every case once, in selection order"
    for p in result.packages:
        assert p.files == sum(files[d] for d in p.cases) <= limit
        report = validate_package(p.path, schemas=schemas)
        assert report.valid, report.to_dict()
        with zipfile.ZipFile(p.path) as zf:
            erms = etree.fromstring(zf.read(f"{p.package_id}/representations/rep1/data/erms.xml"))
            mets = etree.fromstring(zf.read(f"{p.package_id}/METS.xml"))
        assert schemas.erms("3.0").validate(etree.ElementTree(erms)), "ERMS_v3.xsd"
        assert schemas.mets().validate(etree.ElementTree(mets))
        assert erms.xpath("//e:aggregation/e:objectId/text()", namespaces=ERMS) == list(p.cases)
        if len(p.cases) > 1:
            assert f"({len(p.cases)} ärenden)" in (mets.get("LABEL") or "")

    with connect(open_engine(reg.registry_url)) as conn:
        (t,) = conn.execute(sa.select(transfer)).all()
        rows = conn.execute(sa.select(transfer_package).order_by(transfer_package.c.seq)).all()
        assert [r.package_id for r in rows] == [p.package_id for p in result.packages]
        assert {r.transfer_id for r in rows} == {t.id}, "one transfer, one submission reference"
        items = conn.execute(
            sa.select(case_.c.dnr, transfer_package.c.package_id)
            .join(transfer_item, transfer_item.c.case_id == case_.c.id)
            .join(transfer_package, transfer_package.c.id == transfer_item.c.package_id)
            .where(transfer_item.c.document_id.is_(None))).all()
    assert {(dnr, pid) for dnr, pid in items} == {
        (dnr, p.package_id) for p in result.packages for dnr in p.cases}


def test_case_over_the_limit_goes_alone_and_is_reported(reg: Config, tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = {"config": reg.path}

    app.command("build")(build_cmd)
    runner = CliRunner()
    args = ["build", "--org", "ks", "--date", "2026-12-01", "--out", str(tmp_path / "cli")]
    for case in KS_CASES:
        args += ["--case", case]
    res = runner.invoke(app, [*args, "--max-size", "1", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["limits"] == {"max_size": 1, "max_files": None}
    assert [p["cases"] for p in data["packages"]] == [[c] for c in KS_CASES]
    assert all(p["oversize"] for p in data["packages"])
    assert len(data["notes"]) == len(KS_CASES) and "packaged alone" in data["notes"][0]
    res = runner.invoke(app, [*args, "--max-size", "lots"])
    assert res.exit_code == 2, res.output
    res = runner.invoke(app, [*args, "--max-files", "0"])
    assert res.exit_code == 2, res.output


# --- resuming --------------------------------------------------------------------------------

_BUILD = """
import sys
from datetime import datetime
from pathlib import Path
from diariekit.clock import STOCKHOLM
from diariekit.config import load_config
from diariekit.packages.build import Selection, build_case_packages
build_case_packages(load_config(Path(sys.argv[1])), org_id="ks", out_dir=Path(sys.argv[2]),
                    fmt="zip", created=datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM),
                    select=Selection(cases=tuple(sys.argv[3:])), actor="test", max_files=8)
"""


def test_killed_build_resumes_to_the_same_bytes(reg: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "DIARIEKIT_TEST_KILL_AFTER_FILES": "5"}
    proc = subprocess.run([sys.executable, "-c", _BUILD, str(reg.path), str(out), *KS_CASES],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = sorted(p for p in out.iterdir() if p.name != LOCK)  # a killed run leaves its lock
    assert left and all(p.name.startswith(".") and p.name.endswith(".part") for p in left)
    journals = [p / "journal.jsonl" for p in left]
    copied = sum(len(j.read_text(encoding="utf-8").splitlines()) - 1 for j in journals)
    assert copied == 5, "the journal holds the 5 files copied before the kill"
    with connect(open_engine(reg.registry_url)) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(transfer)).scalar_one() == 0

    resumed = build_case_packages(reg, org_id="ks", out_dir=out, fmt="zip", created=WHEN,
                                  select=Selection(cases=KS_CASES), actor="test", max_files=8)
    assert sum(p.reused_files for p in resumed.packages) == 5
    assert sorted(p.name for p in out.iterdir()) == sorted(p.path.name
                                                           for p in resumed.packages)
    whole = build_case_packages(reg, org_id="ks", out_dir=tmp_path / "whole", fmt="zip",
                                created=WHEN, select=Selection(cases=KS_CASES), actor="test",
                                max_files=8)
    assert [p.package_id for p in whole.packages] == [p.package_id for p in resumed.packages]
    for a, b in zip(resumed.packages, whole.packages, strict=True):
        assert _sha(a.path) == _sha(b.path) == a.sha256, "resumed = uninterrupted, bytewise"
        assert b.reused_files == 0
    assert resumed.transfer_id and whole.transfer_id is None  # recorded once


def test_registry_change_discards_the_old_journal(reg: Config, tmp_path: Path) -> None:
    """A case changed between the interrupted run and the next (here: a new secrecy
    marking) is built from scratch: the old journal is not trusted."""
    out = tmp_path / "out"
    env = {**os.environ, "DIARIEKIT_TEST_KILL_AFTER_FILES": "1"}
    proc = subprocess.run([sys.executable, "-c", _BUILD, str(reg.path), str(out), KS_CASES[0]],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    (part,) = (p for p in out.iterdir() if p.name != LOCK)
    assert len((part / "journal.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    mark(reg, f"{KS_CASES[0]}-1", "OSL 31:16", on=date(2026, 11, 1), actor="test",
         org_id="ks")
    again = build_case_packages(reg, org_id="ks", out_dir=out, fmt="zip", created=WHEN,
                                select=Selection(cases=KS_CASES[:1]), actor="test", max_files=8)
    assert again.packages[0].reused_files == 0
    assert [p.name for p in out.iterdir()] == [again.packages[0].path.name]
    with zipfile.ZipFile(again.packages[0].path) as zf:
        erms = zf.read(f"{again.packages[0].package_id}/representations/rep1/data/erms.xml")
    assert b"<regulation>OSL 31:16</regulation>" in erms


def test_run_stopped_while_renaming_completes(reg: Config, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped after the first package got its final name: the next run keeps that one
    (checked against its journal), renames the others and records the transfer."""
    real = os.rename
    calls: list[str] = []

    def stop_after_first(src: Any, dst: Any) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError("stopped")
        real(src, dst)

    out = tmp_path / "out"
    monkeypatch.setattr(build_module.os, "rename", stop_after_first)
    with pytest.raises(OSError, match="stopped"):
        build_case_packages(reg, org_id="ks", out_dir=out, fmt="zip", created=WHEN,
                            select=Selection(cases=KS_CASES[:3]), actor="test")
    monkeypatch.setattr(build_module.os, "rename", real)
    assert len([p for p in out.iterdir() if p.suffix == ".zip"]) == 1
    result = build_case_packages(reg, org_id="ks", out_dir=out, fmt="zip", created=WHEN,
                                 select=Selection(cases=KS_CASES[:3]), actor="test")
    assert len(result.packages) == 3 and result.transfer_id
    assert sorted(p.name for p in out.iterdir()) == sorted(p.path.name
                                                           for p in result.packages)
    for p in result.packages:
        assert _sha(p.path) == p.sha256 and p.reused_files == p.files


def test_one_build_at_a_time_per_output_folder(reg: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with open(out / LOCK, "wb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(PolicyError, match="another package build"):
            build_case_packages(reg, org_id="ks", out_dir=out, created=WHEN, actor="test",
                                select=Selection(cases=KS_CASES[:1]))
    build_case_packages(reg, org_id="ks", out_dir=out, created=WHEN, actor="test",
                        select=Selection(cases=KS_CASES[:1]))
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


# --- streamed XML = lxml's bytes ---------------------------------------------------------------

TRICKY = 'a&b <c> "d" \'e\'\tf\r\ng åäö ∑'


def test_streamed_entries_round_trip_through_lxml() -> None:
    """The per-file PREMIS and METS entries are written as text, not as trees: parsing them
    gives back the values, and lxml serialises the parsed document to the same bytes."""
    profile = load_profile()
    premis = build_representation_premis(
        [PremisFile("data/attachments/x-1.pdf", "ab" * 32, 12, None, TRICKY, TRICKY),
         PremisFile("data/attachments/x-2.pdf", "cd" * 32, 0, "fmt/18", "PDF 1.4", "y.pdf")],
        rep="rep1", created=WHEN, software="diariekit", version="1")
    mets = build_representation_mets(
        profile, rep="rep1", created=WHEN, version="1",
        premis=MetsFile("metadata/preservation/premis.xml", 1, "ef" * 32, "text/xml"),
        data=[MetsFile("data/attachments/a&b.pdf", 5, "ab" * 32, TRICKY, TRICKY, None),
              MetsFile("data/erms.xml", 7, "cd" * 32, "text/xml", "XML", "fmt/101")])
    for data in (premis, mets):
        root = etree.fromstring(data, etree.XMLParser(remove_blank_text=False))
        assert serialise(root) == data
    p = etree.fromstring(premis)
    ns = {"p": "http://www.loc.gov/premis/v3"}
    assert p.xpath("//p:formatName/text()", namespaces=ns)[0] == TRICKY
    assert p.xpath("//p:originalName/text()", namespaces=ns)[1] == "y.pdf"
    assert len(p.xpath("//p:linkingObjectIdentifierValue", namespaces=ns)) == 2
    m = etree.fromstring(mets)
    file_el = m.xpath("//m:file", namespaces={"m": "http://www.loc.gov/METS/"})[0]
    assert file_el.get("MIMETYPE") == TRICKY
    # an empty text is written as lxml writes text="" (not as an empty element)
    empty = build_representation_premis(
        [PremisFile("data/x", "ab" * 32, 1, None, "X", "")], rep="rep1", created=WHEN,
        software="diariekit", version="1")
    assert b"<originalName></originalName>" in empty
    with pytest.raises(ValueError):
        build_representation_premis(
            [PremisFile("data/x", "ab" * 32, 1, None, "bad\x00name", "x")],
            rep="rep1", created=WHEN, software="diariekit", version="1")


# --- ERMS 2.1.2 ----------------------------------------------------------------------------


def test_erms_212_profile_packages_valid(reg: Config, schemas: SchemaSet,
                                         tmp_path: Path) -> None:
    profile = load_profile("fgs-2.0-erms-2.1")
    assert (profile.erms_version, profile.content_information_type) == ("2.1.2",
                                                                        "citserms_v2_1")
    result = build_case_packages(reg, org_id="ks", out_dir=tmp_path / "out", fmt="dir",
                                 created=WHEN, actor="test", profile=profile,
                                 select=Selection(cases=KS_CASES), schema_dir=schemas.folder)
    marked = 0
    for p in result.packages:
        report = validate_package(p.path, schemas=schemas)
        assert report.valid and report.counts()["warning"] == 0, report.to_dict()
        erms_path = p.path / "representations/rep1/data/erms.xml"
        erms = etree.parse(str(erms_path))
        assert schemas.erms("2.1.2").validate(erms), schemas.erms("2.1.2").error_log
        assert not schemas.erms("3.0").validate(erms), "2.1.2 content, not 3.0"
        assert set(erms.xpath("//e:record/@recordPhysicalOrDigital", namespaces=ERMS)) == {
            "digitial"}
        texts = erms.xpath("//e:restriction/e:explanatoryText/text()", namespaces=ERMS)
        assert all("(markerad av " in t for t in texts)
        marked += len(texts)
        rep_mets = etree.parse(str(p.path / "representations/rep1/METS.xml")).getroot()
        assert rep_mets.get(
            "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}CONTENTINFORMATIONTYPE"
        ) == "citserms_v2_1"
        assert (p.path / "schemas" / "ERMS.xsd").is_file()
    assert marked, "KS 2026/0003 holds secrecy markings"
