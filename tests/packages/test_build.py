"""Building transfer packages (överföringspaket, SIP) per closed case (issue 4).

The samples are registered into a fresh registry (SQLite and PostgreSQL), a few cases are
closed, and packages are built as folder, zip and tar. Every METS must validate against the
CSIP/SIP bundle schema, ERMS against ERMS_v3.xsd and PREMIS against premis.xsd; checksums must
match the content store; protected values must never appear; a rebuild gives the same bytes;
an interrupted build leaves neither a package nor a transfer row.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
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
from diariekit.errors import InvalidInputError
from diariekit.events import verify_chain
from diariekit.files.store import ContentStore
from diariekit.packages import build as build_module
from diariekit.packages.build import Selection, build_case_packages, parse_created
from diariekit.packages.profile import available_profiles, load_profile
from diariekit.packages.schemas import SchemaSet
from diariekit.packages.validate import validate_package
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, open_engine, sqlite_url_for_path
from diariekit.registry.schema import (
    case_,
    document,
    event,
    secrecy_marking,
    transfer,
    transfer_item,
    transfer_package,
)

METS = "{http://www.loc.gov/METS/}"
XLINK = "{http://www.w3.org/1999/xlink}"
# Cases closed for the tests: KS 2026/0003 and SN-2026-00002/3 hold secret documents.
KS_CASES = ("KS 2026/0001", "KS 2026/0002", "KS 2026/0003")
SN_CASES = ("SN-2026-00002", "SN-2026-00003")
WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM)


@pytest.fixture(scope="session")
def schemas(shared: Path) -> SchemaSet:
    return SchemaSet(shared / "external" / "schemas")


def _register_and_close(folder: Path, url: str, intake_dir: Path) -> Config:
    config = make_registry(folder, url)
    intake = make_sample_files(intake_dir)
    result = register_rows(config, read_intake(intake), engine=open_engine(config.registry_url),
                           source=str(intake))
    assert result.committed and result.errors == 0
    for org, refs in (("ks", KS_CASES), ("sn", SN_CASES)):
        for ref in refs:
            close_case(config, ref, org_id=org, on=date(2026, 6, 1), actor="test")
    return config


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registered SQLite registry (config, database and store in one folder), built once."""
    base = tmp_path_factory.mktemp("packages-template")
    folder = base / "reg"
    _register_and_close(folder, sqlite_url_for_path(folder / "registry.sqlite"), base / "in")
    return folder


@pytest.fixture
def packaged(registry_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Config:
    """The samples registered, and five cases closed on 2026-06-01 (a fresh copy per test)."""
    if registry_url.startswith("sqlite"):
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copytree(template, tmp_path / "reg")
        toml = tmp_path / "reg" / "diariekit.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace(
            str(template), str(tmp_path / "reg")), encoding="utf-8")
        config = load_config(toml)
        assert str(tmp_path) in config.registry_url
        return config
    return _register_and_close(tmp_path / "reg", registry_url, tmp_path / "in")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _validate(schema: etree.XMLSchema, path: Path, schemas: SchemaSet) -> None:
    doc = etree.parse(str(path), schemas.safe_parser())
    assert schema.validate(doc), f"{path}: {[str(e) for e in schema.error_log][:5]}"


def _check_package(root: Path, schemas: SchemaSet, store: ContentStore) -> str:
    """Validate one unpacked package; return all its XML text (for secrecy checks)."""
    rep = root / "representations" / "rep1"
    _validate(schemas.mets(), root / "METS.xml", schemas)
    _validate(schemas.mets(), rep / "METS.xml", schemas)
    _validate(schemas.erms("3.0"), rep / "data" / "erms.xml", schemas)
    _validate(schemas.premis(), root / "metadata" / "preservation" / "premis.xml", schemas)
    _validate(schemas.premis(), rep / "metadata" / "preservation" / "premis.xml", schemas)
    root_mets = etree.parse(str(root / "METS.xml"))
    assert root_mets.getroot().get("OBJID") == root.name
    referenced = {root / "METS.xml"}
    for mets_path in (root / "METS.xml", rep / "METS.xml"):
        tree = etree.parse(str(mets_path))
        for el in tree.iter(f"{METS}file", f"{METS}mdRef"):
            href = (el.get(f"{XLINK}href") or
                    el.find(f"{METS}FLocat").get(f"{XLINK}href"))  # type: ignore[union-attr]
            target = mets_path.parent / href
            referenced.add(target)
            assert target.is_file(), href
            assert int(el.get("SIZE", "-1")) == target.stat().st_size, href
            assert el.get("CHECKSUM", "").lower() == _sha(target), href
            assert el.get("CHECKSUMTYPE") == "SHA-256"
            if "/attachments/" in href:
                # the package's bytes are the store's bytes
                assert store.exists(el.get("CHECKSUM", "").lower())
    on_disk = {p for p in root.rglob("*") if p.is_file()}
    assert on_disk == referenced, "every file is referenced exactly once"
    # the metadata only: attachments are the records themselves and may hold secret data
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(on_disk)
                     if p.suffix in (".xml", ".txt") and "attachments" not in p.parts)


def _secrets(config: Config, dnrs: tuple[str, ...]) -> list[dict[str, Any]]:
    with connect(open_engine(config.registry_url)) as conn:
        q = (sa.select(document.c.ref, document.c.description, document.c.counterpart,
                       document.c.description_protected, document.c.counterpart_protected,
                       case_.c.dnr, secrecy_marking.c.provision)
             .join(case_, case_.c.id == document.c.case_id)
             .join(secrecy_marking, secrecy_marking.c.target_id == document.c.id)
             .where(case_.c.dnr.in_(dnrs)))
        return [r._asdict() for r in conn.execute(q)]


def _public_text(config: Config, dnr: str) -> str:
    with connect(open_engine(config.registry_url)) as conn:
        rows = conn.execute(sa.select(document.c.description, document.c.counterpart,
                                      document.c.document_type, case_.c.title)
                            .join(case_, case_.c.id == document.c.case_id)
                            .where(case_.c.dnr == dnr)).all()
    return "\n".join(str(v) for r in rows for v in r if v)


def test_folder_packages_valid_secret_free_and_recorded(
        packaged: Config, schemas: SchemaSet, tmp_path: Path) -> None:
    out = tmp_path / "out"
    store = ContentStore(packaged.storage_path)
    result = build_case_packages(packaged, org_id="sn", out_dir=out, fmt="dir", actor="test")
    assert sorted(p.dnr for p in result.packages) == sorted(SN_CASES)
    assert result.transfer_id and result.submission_ref
    texts = {}
    for pkg in result.packages:
        assert pkg.path == out / pkg.package_id and pkg.path.is_dir()
        assert pkg.sha256 == _sha(pkg.path / "METS.xml")
        # schemas/ is shipped only from the configured schema folder: none configured here
        texts[pkg.dnr] = _check_package(pkg.path, schemas, store)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary left"

    secret_rows = _secrets(packaged, SN_CASES)
    assert secret_rows, "the samples have secret documents in these cases"
    for row in secret_rows:
        text = texts[row["dnr"]]
        assert row["provision"] in text
        public = _public_text(packaged, row["dnr"])
        for protected in (row["description_protected"], row["counterpart_protected"]):
            if protected and protected not in public:
                assert protected not in text, f"{row['ref']}: protected value leaked"
    erms = etree.parse(str(result.packages[0].path / "representations/rep1/data/erms.xml"))
    ns = {"e": "https://DILCIS.eu/XML/ERMS"}
    regulations = erms.xpath("//e:restriction[@restrictionType='confidential']/e:regulation"
                             "/text()", namespaces=ns)
    assert "OSL 26:1" in regulations

    with connect(open_engine(packaged.registry_url)) as conn:
        t = conn.execute(sa.select(transfer)).one()
        assert t.status == "built" and t.profile == "fgs-2.0"
        pkgs = conn.execute(sa.select(transfer_package).order_by(transfer_package.c.seq)).all()
        assert {p.package_id for p in pkgs} == {p.package_id for p in result.packages}
        for row in pkgs:
            built = next(p for p in result.packages if p.package_id == row.package_id)
            assert row.sip_sha256 == built.sha256 and row.size == built.size
        items = conn.execute(sa.select(transfer_item)).all()
        assert {i.case_id for i in items if i.document_id is None} == {
            r.id for r in conn.execute(sa.select(case_.c.id).where(case_.c.dnr.in_(SN_CASES)))}
        kinds = [e.kind for e in conn.execute(sa.select(event.c.kind)
                                              .where(event.c.kind == "transfer_built"))]
        assert len(kinds) == 2
        assert verify_chain(conn).ok

    # transferred cases are not selected again; a named case is rebuilt identically and is
    # not recorded twice
    with pytest.raises(InvalidInputError):
        build_case_packages(packaged, org_id="sn", out_dir=tmp_path / "again", actor="test")
    again = build_case_packages(packaged, org_id="sn", out_dir=tmp_path / "again",
                                select=Selection(cases=(SN_CASES[0],)), actor="test")
    first = next(p for p in result.packages if p.dnr == SN_CASES[0])
    assert again.packages[0].package_id == first.package_id
    assert again.packages[0].sha256 == first.sha256
    assert not again.packages[0].recorded and again.transfer_id is None


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_archives_are_deterministic(packaged: Config, schemas: SchemaSet, tmp_path: Path,
                                    shared: Path) -> None:
    store = ContentStore(packaged.storage_path)
    folder = shared / "external" / "schemas"
    sel = Selection(series="KS", class_code="2", include_transferred=True)
    runs = {}
    for fmt in ("zip", "tar"):
        for n in (1, 2):
            result = build_case_packages(packaged, org_id="ks", out_dir=tmp_path / f"{fmt}{n}",
                                         fmt=fmt, created=WHEN, select=sel, actor="test",
                                         schema_dir=folder)
            runs[(fmt, n)] = result
    for fmt in ("zip", "tar"):
        one, two = runs[(fmt, 1)].packages, runs[(fmt, 2)].packages
        assert [p.package_id for p in one] == [p.package_id for p in two]
        for a, b in zip(one, two, strict=True):
            assert a.path.name == f"{a.package_id}.{fmt}"
            assert _sha(a.path) == _sha(b.path) == a.sha256, "same input, same bytes"
    assert runs[("zip", 1)].packages[0].recorded and not runs[("zip", 2)].packages[0].recorded

    pkg = runs[("zip", 1)].packages[0]
    for built in (pkg, runs[("tar", 1)].packages[0]):
        report = validate_package(built.path, schemas=schemas)  # the project's own validator
        assert report.valid and report.counts()["warning"] == 0, report.to_dict()
    with zipfile.ZipFile(pkg.path) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {n.split("/")[0] for n in names} == {pkg.package_id}
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        assert {i.date_time for i in zf.infolist()} == {(2026, 12, 1, 10, 0, 0)}
        zf.extractall(tmp_path / "unzipped")
    text = _check_package(tmp_path / "unzipped" / pkg.package_id, schemas, store)
    assert "2026-12-01T10:00:00+01:00" in text
    assert (tmp_path / "unzipped" / pkg.package_id / "schemas" / "ERMS_v3.xsd").is_file()

    tpkg = runs[("tar", 1)].packages[0]
    with tarfile.open(tpkg.path) as tf:
        members = tf.getmembers()
        assert [m.name for m in members] == sorted(m.name for m in members)
        assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, int(WHEN.timestamp()))}
        tf.extractall(tmp_path / "untarred", filter="data")
    _check_package(tmp_path / "untarred" / tpkg.package_id, schemas, store)


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_failed_build_leaves_no_package_and_resumes(packaged: Config, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    everything = Selection(series="KS", include_transferred=True)
    fresh = build_case_packages(packaged, org_id="ks", out_dir=tmp_path / "fresh", fmt="dir",
                                created=WHEN, actor="test", select=everything)
    names = [href.rsplit("/", 1)[1] for p in fresh.packages
             for href in etree.parse(str(p.path / "representations/rep1/METS.xml")).xpath(
                 "//m:FLocat/@xlink:href", namespaces={"m": METS[1:-1], "xlink": XLINK[1:-1]})
             if "/attachments/" in href]
    assert len(names) > 4
    real = build_module._copy_from_store

    def failing(store: ContentStore, sha256: str, dest: Path,
                link: bool = False) -> tuple[str, int]:
        if dest.name == names[3]:  # the fourth file of the transfer, mid-copy
            dest.write_bytes(b"half")
            raise OSError("disk full")
        return real(store, sha256, dest, link)

    monkeypatch.setattr(build_module, "_copy_from_store", failing)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        build_case_packages(packaged, org_id="ks", out_dir=out, fmt="dir", created=WHEN,
                            actor="test", select=everything)
    left = list(out.iterdir())
    assert left and all(p.name.startswith(".") and p.name.endswith(".part") for p in left), \
        "no package, only hidden temporaries with their journals"
    with connect(open_engine(packaged.registry_url)) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(transfer)).scalar_one() == 1
    monkeypatch.setattr(build_module, "_copy_from_store", real)
    result = build_case_packages(packaged, org_id="ks", out_dir=out, fmt="dir", created=WHEN,
                                 actor="test", select=everything)
    assert sum(p.reused_files for p in result.packages) == 3, "the 3 files copied are reused"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.package_id
                                                           for p in result.packages)
    assert [p.package_id for p in result.packages] == [p.package_id for p in fresh.packages]
    for a, b in zip(result.packages, fresh.packages, strict=True):
        assert _tree_bytes(a.path) == _tree_bytes(b.path), "resumed = uninterrupted, bytewise"
        assert a.sha256 == b.sha256 and b.reused_files == 0
    with connect(open_engine(packaged.registry_url)) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(transfer)).scalar_one() == 1


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_csip_22_profile_and_selection(packaged: Config, schemas: SchemaSet,
                                       tmp_path: Path) -> None:
    assert {"fgs-2.0", "csip-2.2"} <= set(available_profiles())
    profile = load_profile("csip-2.2")
    assert profile.content_information_type == "citserms_v3_0"
    result = build_case_packages(packaged, org_id="ks", out_dir=tmp_path / "out",
                                 select=Selection(cases=("KS 2026/0003",)), profile=profile,
                                 created=parse_created("2026-12-01"), actor="test")
    root = result.packages[0].path
    for mets in (root / "METS.xml", root / "representations/rep1/METS.xml"):
        _validate(schemas.mets("2.2.0"), mets, schemas)
        assert etree.parse(str(mets)).getroot().get(
            "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}CONTENTINFORMATIONTYPE"
        ) == "citserms_v3_0"
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.xml"))
                     if "attachments" not in p.parts)
    rows = _secrets(packaged, ("KS 2026/0003",))
    assert rows, "KS 2026/0003 holds secret documents (OSL 31:16)"
    public = _public_text(packaged, "KS 2026/0003")
    for row in rows:
        assert f"<regulation>{row['provision']}</regulation>" in text
        for protected in (row["description_protected"], row["counterpart_protected"]):
            if protected and protected not in public:
                assert protected not in text

    readable = load_profile().with_overrides(objid_template="{org_code}-{dnr}-{date}")
    named = build_case_packages(packaged, org_id="ks", out_dir=tmp_path / "named",
                                select=Selection(cases=("KS 2026/0003",)), profile=readable,
                                created=parse_created("2026-12-01"), actor="test")
    assert named.packages[0].package_id == "ks-KS_2026_0003-2026-12-01"
    assert (tmp_path / "named" / "ks-KS_2026_0003-2026-12-01" / "METS.xml").is_file()

    # delivery deadline (leveransfrist) passed: "1 år efter ärendets avslut", closed
    # 2026-06-01, counted from the end of that year -> due 2028-01-01
    due = build_case_packages(packaged, org_id="ks", out_dir=tmp_path / "due",
                              select=Selection(delivery_due_by=date(2028, 1, 1),
                                               include_transferred=True),
                              created=parse_created("2026-12-02"), actor="test")
    assert {"KS 2026/0001", "KS 2026/0003"} <= {p.dnr for p in due.packages}
    with pytest.raises(InvalidInputError):
        build_case_packages(packaged, org_id="ks", out_dir=tmp_path / "due-not-yet",
                            select=Selection(delivery_due_by=date(2027, 12, 31),
                                             include_transferred=True), actor="test")
    with pytest.raises(InvalidInputError):
        build_case_packages(packaged, org_id="ks", out_dir=tmp_path / "none",
                            select=Selection(closed_from=date(2027, 1, 1)), actor="test")


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_build_command(packaged: Config, tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = {"config": packaged.path}

    app.command("build")(build_cmd)
    runner = CliRunner()
    out = tmp_path / "cli"
    res = runner.invoke(app, ["build", "--org", "ks", "--case", "KS 2026/0003", "--format",
                              "zip", "--out", str(out), "--date", "2026-12-01", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["packages"][0]["case"] == "KS 2026/0003"
    assert Path(data["packages"][0]["path"]).is_file()
    assert data["packages"][0]["created"] == "2026-12-01T00:00:00+01:00"
    res = runner.invoke(app, ["build", "--org", "ks", "--case", "KS 2026/0004", "--json"])
    assert res.exit_code == 6, res.output  # open case: refused by policy
    res = runner.invoke(app, ["build", "--format", "rar"])
    assert res.exit_code == 2


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_no_protected_value_in_any_package_metadata(packaged: Config, tmp_path: Path) -> None:
    """All Socialnämnden cases closed and packaged: no protected title, description or
    counterpart (OSL 5:2 protected form) appears in any package's metadata."""
    engine = open_engine(packaged.registry_url)
    with connect(engine) as conn:
        open_cases = conn.execute(sa.select(case_.c.dnr).where(
            case_.c.status == "open", case_.c.dnr.like("SN-%"))).scalars().all()
    for dnr in open_cases:
        close_case(packaged, dnr, org_id="sn", on=date(2026, 12, 31), actor="test")
    result = build_case_packages(packaged, org_id="sn", out_dir=tmp_path / "all", fmt="zip",
                                 created=WHEN, actor="test")
    assert len(result.packages) > 40
    checked = 0
    for pkg in result.packages:
        with zipfile.ZipFile(pkg.path) as zf:
            text = "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                             if n.endswith((".xml", ".txt")) and "/attachments/" not in n)
        public = _public_text(packaged, pkg.dnr)
        with connect(engine) as conn:
            rows = conn.execute(
                sa.select(case_.c.title_protected, document.c.description_protected,
                          document.c.counterpart_protected)
                .join(document, document.c.case_id == case_.c.id)
                .where(case_.c.dnr == pkg.dnr)).all()
        for row in rows:
            for protected in row:
                if protected and protected not in public:
                    checked += 1
                    assert protected not in text, f"{pkg.dnr}: '{protected}' leaked"
    assert checked > 50


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_linked_folder_shares_the_store_files_and_has_the_same_bytes(
        packaged: Config, schemas: SchemaSet, tmp_path: Path) -> None:
    store = ContentStore(packaged.storage_path)
    sel = Selection(cases=(SN_CASES[0],))
    copied = build_case_packages(packaged, org_id="sn", out_dir=tmp_path / "copy", fmt="dir",
                                 created=WHEN, select=sel, actor="test")
    linked = build_case_packages(packaged, org_id="sn", out_dir=tmp_path / "link", fmt="dir",
                                 created=WHEN, select=sel, actor="test", link=True)
    a, b = copied.packages[0].path, linked.packages[0].path
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    data = [f for f in files if "attachments" in f.parts]
    assert data
    for f in data:
        assert (a / f).stat().st_nlink == 1  # a copy
        same = (b / f).stat()
        stored = store.path_for(_sha(b / f)).stat()
        assert same.st_nlink >= 2 and (same.st_ino, same.st_dev) == (stored.st_ino,
                                                                      stored.st_dev)
    report = validate_package(b, schemas=schemas)
    assert report.valid, report.to_dict()
