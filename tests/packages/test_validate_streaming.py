"""Package validation of large packages: METS, PREMIS and ERMS are streamed, fixity is read
in worker threads; findings (codes, files, XPaths) are those of a whole-tree check."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from diariekit.findings import Severity
from diariekit.packages.reader import open_package
from diariekit.packages.schemas import SchemaSet
from diariekit.packages.validate import ValidationReport, _Validator, validate_package

N = 300
REP = "representations/rep1"
REP_METS = f"{REP}/METS.xml"
PREMIS_FILE = f"{REP}/metadata/preservation/premis.xml"
ERMS_FILE = f"{REP}/data/erms.xml"
HDR = ('<mets xmlns="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
       'xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" OBJID="{o}" '
       'TYPE="Datasets" csip:CONTENTINFORMATIONTYPE="MIXED" '
       'PROFILE="https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml">'
       '<metsHdr CREATEDATE="2024-01-01T00:00:00Z" csip:OAISPACKAGETYPE="AIP">'
       '<agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE"><name>other tool</name>'
       '<note csip:NOTETYPE="SOFTWARE VERSION">9.9</note></agent></metsHdr>')
CREATED = 'CREATED="2024-01-01T00:00:00Z"'


def _file_el(ident: str | None, href: str, data: bytes, algo: str = "SHA-256") -> str:
    digest = {"SHA-256": hashlib.sha256, "MD5": hashlib.md5}[algo](data).hexdigest()
    id_attr = f'ID="{ident}" ' if ident is not None else ""
    return (f'<file {id_attr}MIMETYPE="application/octet-stream" SIZE="{len(data)}" {CREATED} '
            f'CHECKSUM="{digest}" CHECKSUMTYPE="{algo}"><FLocat LOCTYPE="URL" '
            f'xlink:type="simple" xlink:href="{href}"/></file>')


def make_package(root: Path, n: int = N, *, no_id: tuple[int, ...] = (),
                 md5: tuple[int, ...] = ()) -> Path:
    """A CSIP AIP with ``n`` data files, a file-level PREMIS and an ERMS naming each file."""
    data_dir = root / REP / "data"
    data_dir.mkdir(parents=True)
    (root / "metadata").mkdir()
    (root / REP / "metadata/preservation").mkdir(parents=True)
    files, objects, appendices = [], [], []
    for i in range(n):
        data = f"file {i}\n".encode() * (i % 7 + 1)
        (data_dir / f"f{i:04d}.txt").write_bytes(data)
        files.append(_file_el(None if i in no_id else f"f{i}", f"data/f{i:04d}.txt", data,
                              "MD5" if i in md5 else "SHA-256"))
        objects.append(
            '<object xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="file">'
            '<objectIdentifier><objectIdentifierType>local</objectIdentifierType>'
            f'<objectIdentifierValue>data/f{i:04d}.txt</objectIdentifierValue>'
            '</objectIdentifier><objectCharacteristics><compositionLevel>0</compositionLevel>'
            '<fixity><messageDigestAlgorithm>SHA-256</messageDigestAlgorithm>'
            f'<messageDigest>{hashlib.sha256(data).hexdigest()}</messageDigest></fixity>'
            f'<size>{len(data)}</size></objectCharacteristics></object>\n')
        appendices.append(f'<appendix path="f{i:04d}.txt"/>\n')
    links = "".join(f'<linkingObjectIdentifier><linkingObjectIdentifierType>local'
                    f'</linkingObjectIdentifierType><linkingObjectIdentifierValue>data/'
                    f'f{i:04d}.txt</linkingObjectIdentifierValue></linkingObjectIdentifier>'
                    for i in range(n))
    premis = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<premis xmlns="http://www.loc.gov/premis/v3" version="3.0">\n'
              + "".join(objects) + f'<event>{links}</event>\n</premis>\n').encode()
    (root / PREMIS_FILE).write_bytes(premis)
    erms = ('<erms xmlns="https://DILCIS.eu/XML/ERMS"><records><record>'
            + "".join(appendices) + "</record></records></erms>\n").encode()
    (root / ERMS_FILE).write_bytes(erms)
    files.append(_file_el("f-erms", "data/erms.xml", erms))
    rep = (HDR.format(o="rep1") + '<amdSec><digiprovMD ID="pm" STATUS="CURRENT">'
           f'<mdRef LOCTYPE="URL" xlink:type="simple" xlink:href="metadata/preservation/'
           f'premis.xml" MDTYPE="PREMIS" MIMETYPE="text/xml" SIZE="{len(premis)}" {CREATED} '
           f'CHECKSUM="{hashlib.sha256(premis).hexdigest()}" CHECKSUMTYPE="SHA-256"/>'
           '</digiprovMD></amdSec><fileSec ID="fs"><fileGrp ID="g" USE="Data">'
           + "\n".join(files) + '</fileGrp></fileSec><structMap ID="s" TYPE="PHYSICAL" '
           'LABEL="CSIP"><div ID="d"><div ID="m" LABEL="Metadata" ADMID="pm"/>'
           '<div ID="dd" LABEL="Data"><fptr FILEID="g"/></div></div></structMap></mets>')
    (root / REP_METS).write_text(rep)
    b = rep.encode()
    top = (HDR.format(o=root.name) + '<fileSec ID="fs0"><fileGrp ID="gr" '
           'USE="Representations/rep1" csip:CONTENTINFORMATIONTYPE="MIXED">'
           f'<file ID="rm" MIMETYPE="text/xml" SIZE="{len(b)}" {CREATED} '
           f'CHECKSUM="{hashlib.sha256(b).hexdigest()}" CHECKSUMTYPE="SHA-256"><FLocat '
           'LOCTYPE="URL" xlink:type="simple" xlink:href="representations/rep1/METS.xml"/>'
           '</file></fileGrp></fileSec><structMap ID="s0" TYPE="PHYSICAL" LABEL="CSIP">'
           '<div ID="d0"><div ID="m0" LABEL="Metadata"/><div ID="r0" '
           'LABEL="Representations/rep1"><mptr LOCTYPE="URL" xlink:type="simple" '
           'xlink:href="representations/rep1/METS.xml" xlink:title="gr"/></div></div>'
           '</structMap></mets>')
    (root / "METS.xml").write_text(top)
    return root


def archives(folder: Path, tmp: Path) -> list[Path]:
    z = tmp / "p.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")
    t = tmp / "p.tar"
    with tarfile.open(t, "w") as tf:
        tf.add(folder, arcname=folder.name)
    return [z, t]


def located(report: ValidationReport) -> list[tuple[str, str, str | None, str | None]]:
    return [(f.code, str(f.severity), f.location.file, f.location.field)
            for f in report.findings]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_package(tmp_path_factory.mktemp("big") / "aip-many")


@pytest.fixture
def broken(big: Path, tmp_path: Path) -> Path:
    dest = tmp_path / big.name
    shutil.copytree(big, dest)
    return dest


def test_many_files_valid_as_folder_zip_and_tar(big: Path, tmp_path: Path,
                                                schema_set: SchemaSet) -> None:
    folder = validate_package(big, schemas=None)
    assert folder.valid, [str(f) for f in folder.findings][:5]
    assert folder.files_checked == N + 3  # data files, erms.xml, PREMIS, rep METS
    assert folder.bytes_checked == sum(p.stat().st_size for p in big.rglob("*")
                                       if p.is_file() and p != big / "METS.xml")
    for archive in archives(big, tmp_path):
        other = validate_package(archive, schemas=None)
        assert located(other) == located(folder)
        assert (other.files_checked, other.bytes_checked) == (folder.files_checked,
                                                              folder.bytes_checked)


def test_missing_file_among_many(broken: Path, tmp_path: Path) -> None:
    (broken / REP / "data/f0137.txt").unlink()
    report = validate_package(broken, schemas=None)
    assert errors_of(report) == [("CSIP79", REP_METS, "//file[@ID='f137']/FLocat/@xlink:href"),
                                 ("DK-ERMS-APPENDIX", ERMS_FILE,
                                  "/erms/records/record/appendix[138]/@path")]
    for archive in archives(broken, tmp_path):
        assert located(validate_package(archive, schemas=None)) == located(report)


def errors_of(report: ValidationReport) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.location.file, f.location.field) for f in report.findings
            if f.severity is Severity.ERROR]


def test_wrong_checksum_and_size_among_many(broken: Path, tmp_path: Path) -> None:
    f = broken / REP / "data/f0200.txt"
    data = bytearray(f.read_bytes())
    data[0] ^= 1
    f.write_bytes(bytes(data))
    g = broken / REP / "data/f0201.txt"
    g.write_bytes(g.read_bytes() + b"x")
    report = validate_package(broken, schemas=None)
    assert errors_of(report) == [  # sorted by file, severity, code; then as found
        ("CSIP69", REP_METS, "//file[@ID='f201']/@SIZE"),
        ("CSIP71", REP_METS, "//file[@ID='f200']/@CHECKSUM"),
        ("CSIP71", REP_METS, "//file[@ID='f201']/@CHECKSUM")]
    (msg,) = [x.message for x in report.findings if x.location.field
              == "//file[@ID='f201']/@SIZE"]
    assert "has" in msg and str(g.stat().st_size) in msg
    # the PREMIS digests still match METS: only the files changed
    assert "DK-PREMIS-FIXITY" not in report.codes()
    for archive in archives(broken, tmp_path):
        assert located(validate_package(archive, schemas=None)) == located(report)


def test_files_without_id_keep_their_positions(tmp_path: Path) -> None:
    root = make_package(tmp_path / "aip-noid", n=40, no_id=(0, 17, 39))
    report = validate_package(root, schemas=None)
    assert errors_of(report) == [
        ("CSIP67", REP_METS, "//fileGrp[@ID='g']/file[1]/@ID"),
        ("CSIP67", REP_METS, "//fileGrp[@ID='g']/file[18]/@ID"),
        ("CSIP67", REP_METS, "//fileGrp[@ID='g']/file[40]/@ID")]


def test_md5_files_among_sha256_are_read_and_checked(tmp_path: Path) -> None:
    root = make_package(tmp_path / "aip-md5", n=50, md5=(3, 30))
    assert validate_package(root, schemas=None).valid
    f = root / REP / "data/f0030.txt"
    f.write_bytes(f.read_bytes().upper())  # same size, other bytes
    report = validate_package(root, schemas=None)
    assert errors_of(report) == [("CSIP71", REP_METS, "//file[@ID='f30']/@CHECKSUM")]
    (finding,) = [f for f in report.findings if f.code == "CSIP71"]
    assert "MD5" in finding.message


def test_premis_fixity_mismatch_among_many(broken: Path) -> None:
    premis = broken / PREMIS_FILE
    data = (broken / REP / "data/f0250.txt").read_bytes()
    premis.write_bytes(premis.read_bytes().replace(hashlib.sha256(data).hexdigest().encode(),
                                                   b"0" * 64))
    report = validate_package(broken, schemas=None, checksums=False)
    hits = [(f.code, f.location.field) for f in report.findings
            if f.code == "DK-PREMIS-FIXITY"]
    assert hits == [("DK-PREMIS-FIXITY", "/premis/object[251]/objectCharacteristics/fixity")]
    assert "representations/rep1/data/f0250.txt" in report.findings[0].message or any(
        "f0250.txt" in f.message for f in report.findings)


def test_duplicate_id_between_file_and_later_element(broken: Path) -> None:
    mets = broken / REP_METS
    mets.write_text(mets.read_text().replace('<div ID="dd" LABEL="Data">',
                                             '<div ID="f5" LABEL="Data">'))
    report = validate_package(broken, schemas=None, checksums=False)
    dup = [(f.location.file, f.location.field) for f in report.findings
           if f.code == "DK-ID-UNIQUE"]
    assert dup == [(REP_METS, "//div[@ID='f5']/@ID")]  # the later one, in document order


def test_idref_from_a_streamed_file(broken: Path) -> None:
    mets = broken / REP_METS
    mets.write_text(mets.read_text().replace('<file ID="f9" ', '<file ID="f9" ADMID="nope" ')
                    .replace('<file ID="f10" ', '<file ID="f10" ADMID="pm" '))
    report = validate_package(broken, schemas=None, checksums=False)
    assert [(f.code, f.location.field) for f in report.findings if f.code == "DK-IDREF"] == [
        ("DK-IDREF", "//file[@ID='f9']/@ADMID")]


def test_file_list_is_not_kept_in_memory(big: Path) -> None:
    """After the streaming pass only empty placeholders are left of the fileSec files."""
    with open_package(big) as reader:
        v = _Validator(reader, None, True)
        doc = v.load_mets(REP_METS, REP, "rep")
        assert doc is not None
        files = list(doc.root.iter("{http://www.loc.gov/METS/}file"))
        assert len(files) == N + 1
        assert all(len(f) == 0 and not f.attrib for f in files)
        assert len(v.refs) == 0  # references wait for the fileSec check, in order
        v.check_mets(doc)
        assert len(v.refs) == N + 2 and v.findings == []  # data files, erms.xml, PREMIS


def test_damaged_xml_late_dtd_is_still_reported(broken: Path) -> None:
    erms = broken / ERMS_FILE
    erms.write_bytes(erms.read_bytes().replace(b"</records>", b"<!DOCTYPE x></records>"))
    report = validate_package(broken, schemas=None, checksums=False)
    codes = {(f.code, f.location.file) for f in report.findings}
    assert {("DK-XML-WELLFORMED", ERMS_FILE), ("DK-XML-DTD", ERMS_FILE)} <= codes
    (msg,) = [f.message for f in report.findings if f.code == "DK-XML-WELLFORMED"]
    assert msg.startswith("not well-formed XML: ")


def test_with_schemas_xsd_still_runs_on_streamed_files(broken: Path,
                                                       schema_set: SchemaSet) -> None:
    premis = broken / PREMIS_FILE
    premis.write_bytes(premis.read_bytes().replace(b"<size>", b"<bogus/><size>", 1))
    report = validate_package(broken, schemas=schema_set, checksums=False)
    xsd = [f for f in report.findings if f.code == "XSD-PREMIS"]
    assert xsd and all(f.location.file == PREMIS_FILE and f.location.line for f in xsd)


def test_missing_file_named_in_another_case(broken: Path) -> None:
    data = broken / REP / "data"
    (data / "f0005.txt").rename(data / "F0005.txt")
    report = validate_package(broken, schemas=None, checksums=False)
    (finding,) = [f for f in report.findings if f.code == "CSIP79"]
    assert "found 'representations/rep1/data/F0005.txt'" in finding.message
    assert ("DK-UNREFERENCED", f"{REP}/data/F0005.txt") in {
        (f.code, f.location.file) for f in report.findings}


def test_crc32_and_sha512_are_read_in_large_buffers(tmp_path: Path) -> None:
    import zlib

    root = make_package(tmp_path / "aip-crc", n=20)
    mets = root / REP_METS
    text = mets.read_text()
    for i, algo in ((4, "CRC32"), (5, "SHA-512")):
        data = (root / REP / f"data/f{i:04d}.txt").read_bytes()
        value = (f"{zlib.crc32(data):08x}" if algo == "CRC32"
                 else hashlib.sha512(data).hexdigest())
        text = text.replace(_file_el(f"f{i}", f"data/f{i:04d}.txt", data),
                            _file_el(f"f{i}", f"data/f{i:04d}.txt", data)
                            .replace(hashlib.sha256(data).hexdigest(), value)
                            .replace('"SHA-256"', f'"{algo}"'))
    mets.write_text(text)
    report = validate_package(root, schemas=None)
    # the representation METS changed (so its root entry is off); its files all check out
    assert not [f for f in report.findings if f.location.file == REP_METS]
    assert {(f.code, f.location.file) for f in report.findings
            if f.severity is Severity.ERROR} == {("CSIP69", "METS.xml"), ("CSIP71", "METS.xml")}
    f4 = root / REP / "data/f0004.txt"
    f4.write_bytes(f4.read_bytes()[::-1])
    broken = validate_package(root, schemas=None)
    assert ("CSIP71", REP_METS, "//file[@ID='f4']/@CHECKSUM") in errors_of(broken)
    assert ("CSIP71", REP_METS, "//file[@ID='f5']/@CHECKSUM") not in errors_of(broken)
