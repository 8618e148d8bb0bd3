"""Package validation: the example SIP is valid as folder, zip and tar; broken copies are not."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from diariekit.errors import UnreadableInputError
from diariekit.findings import Severity
from diariekit.packages.schemas import SchemaSet
from diariekit.packages.validate import NO_SCHEMAS, ValidationReport, mime_ok, validate_package

M = "{http://www.loc.gov/METS/}"
XL = "{http://www.w3.org/1999/xlink}"
CSIP = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}"
REP_METS = "representations/rep1/METS.xml"


def key(report: ValidationReport) -> set[tuple[str, str, str | None, str | None]]:
    return {(f.code, str(f.severity), f.location.file, f.location.field)
            for f in report.findings}


def errors(report: ValidationReport) -> set[str]:
    return report.codes(Severity.ERROR)


def edit_mets(pkg: Path, member: str, change: Callable[[etree._Element], None]) -> None:
    path = pkg / member
    tree = etree.parse(str(path))
    change(tree.getroot())
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def first(root: etree._Element, path: str) -> etree._Element:
    el = root.find(path)
    assert el is not None, path
    return el


# ---------------------------------------------------------------- the valid example


def test_example_folder_is_valid(example: Path, schema_set: SchemaSet) -> None:
    report = validate_package(example, schemas=schema_set)
    assert report.valid, [str(f) for f in report.findings]
    assert report.findings == []
    assert report.files_checked == 13
    assert report.skipped == []
    data = report.to_dict()
    assert data["valid"] is True and data["container"] == "folder"
    assert data["root"] == example.name


def test_example_zip_and_tar_match_folder(example: Path, schema_set: SchemaSet,
                                          tmp_path: Path, zipper: Callable[..., Path],
                                          tarrer: Callable[[Path, Path], Path]) -> None:
    folder = validate_package(example, schemas=schema_set)
    z = validate_package(zipper(example, tmp_path / "p.zip"), schemas=schema_set)
    t = validate_package(tarrer(example, tmp_path / "p.tar.gz"), schemas=schema_set)
    assert z.valid and t.valid
    assert key(z) == key(folder) == key(t)
    assert (z.container, t.container) == ("zip", "tar")
    assert z.root_name == t.root_name == example.name


def test_without_schemas_says_what_was_skipped(example: Path) -> None:
    report = validate_package(example, schemas=None)
    assert report.valid
    assert NO_SCHEMAS in report.skipped


def test_no_checksums_still_checks_sizes(pkg: Path, schema_set: SchemaSet) -> None:
    (pkg / "documentation" / "leveransbeskrivning.txt").write_bytes(b"x")
    report = validate_package(pkg, schemas=schema_set, checksums=False)
    assert "CSIP69" in errors(report) and "CSIP71" not in errors(report)
    assert any("checksums not verified" in s for s in report.skipped)


def test_unreadable_input_is_exit_4(tmp_path: Path) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"not an archive")
    with pytest.raises(UnreadableInputError) as exc:
        validate_package(bad, schemas=None)
    assert exc.value.exit_code == 4
    with pytest.raises(UnreadableInputError):
        validate_package(tmp_path / "missing", schemas=None)


# ---------------------------------------------------------------- fixity


def test_missing_file(pkg: Path, schema_set: SchemaSet) -> None:
    (pkg / "representations/rep1/data/attachments/handling-1.pdf").unlink()
    report = validate_package(pkg, schemas=schema_set)
    assert not report.valid
    f = [f for f in report.findings if f.code == "CSIP79"]
    assert f and f[0].location.file == REP_METS
    assert f[0].location.field is not None and "FLocat" in f[0].location.field
    assert "handling-1.pdf" in f[0].message


def test_wrong_checksum(pkg: Path, schema_set: SchemaSet) -> None:
    pdf = pkg / "representations/rep1/data/attachments/handling-2.pdf"
    data = bytearray(pdf.read_bytes())
    data[-2] ^= 0x01  # same size, different content
    pdf.write_bytes(bytes(data))
    report = validate_package(pkg, schemas=schema_set)
    assert errors(report) == {"CSIP71"}
    (finding,) = [f for f in report.findings if f.code == "CSIP71"]
    assert finding.location.file == REP_METS
    assert finding.location.field and finding.location.field.endswith("@CHECKSUM")


def test_wrong_size(pkg: Path, schema_set: SchemaSet) -> None:
    doc = pkg / "documentation" / "leveransbeskrivning.txt"
    doc.write_bytes(doc.read_bytes() + b"\n")
    report = validate_package(pkg, schemas=schema_set)
    assert {"CSIP69", "CSIP71"} <= errors(report)
    assert all(f.location.file == "METS.xml" for f in report.findings if f.code == "CSIP69")


def test_wrong_checksum_of_premis_mdref(pkg: Path, schema_set: SchemaSet) -> None:
    premis = pkg / "metadata/preservation/premis.xml"
    premis.write_bytes(premis.read_bytes().replace(b"diariekit", b"diariekiT"))
    report = validate_package(pkg, schemas=schema_set)
    assert errors(report) == {"CSIP43"}


def test_unreferenced_file(pkg: Path, schema_set: SchemaSet) -> None:
    (pkg / "documentation" / "extra.txt").write_text("hello")
    report = validate_package(pkg, schemas=schema_set)
    assert errors(report) == {"DK-UNREFERENCED"}
    assert [f.location.file for f in report.findings if f.code == "DK-UNREFERENCED"] == [
        "documentation/extra.txt"]


def test_sha512_and_md5_are_verified(pkg: Path, schema_set: SchemaSet) -> None:
    txt = pkg / "documentation" / "leveransbeskrivning.txt"

    def change(root: etree._Element) -> None:
        f = first(root, f".//{M}file[@ID='file-doc-1']")
        f.set("CHECKSUMTYPE", "SHA-512")
        f.set("CHECKSUM", hashlib.sha512(txt.read_bytes()).hexdigest())
        g = first(root, f".//{M}file[@ID='file-schema-1']")
        g.set("CHECKSUMTYPE", "MD5")
        g.set("CHECKSUM", "0" * 32)

    edit_mets(pkg, "METS.xml", change)
    report = validate_package(pkg, schemas=schema_set)
    assert errors(report) == {"CSIP71"}
    (finding,) = [f for f in report.findings if f.code == "CSIP71"]
    assert "MD5" in finding.message and "DILCISExtensionMETS.xsd" in finding.message


# ---------------------------------------------------------------- METS requirements


@pytest.mark.parametrize(("change", "code"), [
    (lambda r: r.attrib.pop("OBJID"), "CSIP1"),
    (lambda r: r.set("TYPE", "Bogus"), "CSIP2"),
    (lambda r: r.attrib.pop("TYPE"), "CSIP2"),
    (lambda r: r.attrib.pop("PROFILE"), "CSIP6"),
    (lambda r: r.set("PROFILE", "https://example.org/other.xml"), "SIP2"),
    (lambda r: r.remove(first(r, f"{M}metsHdr")), "CSIP117"),
    (lambda r: first(r, f"{M}metsHdr").attrib.pop("CREATEDATE"), "CSIP7"),
    (lambda r: first(r, f"{M}metsHdr").set("CREATEDATE", "yesterday"), "CSIP7"),
    (lambda r: first(r, f"{M}metsHdr").attrib.pop(f"{CSIP}OAISPACKAGETYPE"), "CSIP9"),
    (lambda r: first(r, f"{M}metsHdr").set(f"{CSIP}OAISPACKAGETYPE", "sip"), "CSIP9"),
    (lambda r: first(r, f"{M}metsHdr").set(f"{CSIP}OAISPACKAGETYPE", "AIP"), "SIP4"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent").set("TYPE", "ORGANIZATION"), "CSIP12"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent").attrib.pop("OTHERTYPE"), "CSIP13"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent/{M}note").attrib.pop(f"{CSIP}NOTETYPE"),
     "CSIP16"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@ROLE='ARCHIVIST']").set("TYPE", "OTHER"),
     "SIP11"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@ROLE='ARCHIVIST']/{M}note")
     .attrib.pop(f"{CSIP}NOTETYPE"), "SIP14"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@ROLE='PRESERVATION']").set("TYPE",
                                                                          "INDIVIDUAL"),
     "SIP28"),
    (lambda r: first(r, f".//{M}digiprovMD").attrib.pop("ID"), "CSIP33"),
    (lambda r: first(r, f".//{M}digiprovMD/{M}mdRef").set("LOCTYPE", "URN"), "CSIP36"),
    (lambda r: first(r, f".//{M}digiprovMD/{M}mdRef").attrib.pop("MIMETYPE"), "CSIP40"),
    (lambda r: first(r, f".//{M}digiprovMD/{M}mdRef").attrib.pop("CHECKSUMTYPE"), "CSIP44"),
    (lambda r: first(r, f".//{M}digiprovMD/{M}mdRef").set(f"{XL}href", "/etc/passwd"),
     "CSIP38"),
    (lambda r: first(r, f"{M}fileSec").attrib.pop("ID"), "CSIP59"),
    (lambda r: first(r, f".//{M}fileGrp[@USE='Documentation']").set("USE", "Docs"), "CSIP60"),
    (lambda r: first(r, f".//{M}fileGrp[@USE='Schemas']").set("USE", "schemas"), "CSIP113"),
    (lambda r: first(r, f".//{M}file").attrib.pop("MIMETYPE"), "CSIP68"),
    (lambda r: first(r, f".//{M}file").set("MIMETYPE", "pdf"), "CSIP68"),
    (lambda r: first(r, f".//{M}file").attrib.pop("CREATED"), "CSIP70"),
    (lambda r: first(r, f".//{M}file").attrib.pop("CHECKSUM"), "CSIP71"),
    (lambda r: first(r, f".//{M}file/{M}FLocat").set("LOCTYPE", "OTHER"), "CSIP77"),
    (lambda r: first(r, f".//{M}file/{M}FLocat").set(f"{XL}href",
                                                     "documentation\\leveransbeskrivning.txt"),
     "CSIP79"),
    (lambda r: first(r, f".//{M}file/{M}FLocat").set(
        f"{XL}href", "../outside/leveransbeskrivning.txt"), "CSIP79"),
    (lambda r: first(r, f"{M}structMap").set("LABEL", "Other"), "CSIP82"),
    (lambda r: first(r, f"{M}structMap").set("TYPE", "LOGICAL"), "CSIP81"),
    (lambda r: first(r, f".//{M}div[@LABEL='Metadata']").set("LABEL", "Meta"), "CSIP88"),
    (lambda r: first(r, f".//{M}div[@LABEL='Documentation']/{M}fptr").set(
        "FILEID", "filegrp-schemas"), "CSIP116"),
    (lambda r: first(r, f".//{M}mptr").set(f"{XL}title", "file-rep1-mets"), "CSIP108"),
    (lambda r: first(r, f".//{M}mptr").set(f"{XL}href", "representations/rep2/METS.xml"),
     "CSIP110"),
])
def test_broken_root_mets(pkg: Path, schema_set: SchemaSet,
                          change: Callable[[etree._Element], object], code: str) -> None:
    edit_mets(pkg, "METS.xml", lambda r: (change(r), None)[1])
    report = validate_package(pkg, schemas=schema_set)
    assert not report.valid, code
    assert code in errors(report), [str(f) for f in report.findings]
    hits = [f for f in report.findings if f.code == code]
    assert all(f.location.file == "METS.xml" for f in hits)
    assert all(f.message.startswith("MUST") for f in hits)


def test_should_level_is_a_warning(pkg: Path, schema_set: SchemaSet) -> None:
    edit_mets(pkg, "METS.xml", lambda r: (r.set("TYPE", "OTHER"), None)[1])
    report = validate_package(pkg, schemas=schema_set)
    assert report.valid
    assert report.codes(Severity.WARNING) == {"CSIP3"}


def test_representation_mets(pkg: Path, schema_set: SchemaSet) -> None:
    def change(r: etree._Element) -> None:
        r.attrib.pop(f"{CSIP}CONTENTINFORMATIONTYPE")
        r.attrib.pop(f"{CSIP}OTHERCONTENTINFORMATIONTYPE")
        r.set("OBJID", "representation-one")
        first(r, f".//{M}file").attrib.pop("SIZE")

    edit_mets(pkg, REP_METS, change)
    report = validate_package(pkg, schemas=schema_set)
    warnings = {(f.code, f.location.file) for f in report.findings
                if f.severity is Severity.WARNING}
    assert ("CSIP4", REP_METS) in warnings and ("CSIP1", REP_METS) in warnings
    assert ("CSIP69", REP_METS) in {(f.code, f.location.file) for f in report.findings
                                    if f.severity is Severity.ERROR}
    # the representation METS changed, so its checksum in the root METS no longer matches
    assert ("CSIP71", "METS.xml") in {(f.code, f.location.file) for f in report.findings}


def test_xsd_catches_schema_errors(pkg: Path, schema_set: SchemaSet) -> None:
    erms = pkg / "representations/rep1/data/erms.xml"
    text = erms.read_text(encoding="utf-8").replace("<runningNumber>1</runningNumber>",
                                                    "<runningNumber>one</runningNumber>")
    erms.write_text(text, encoding="utf-8")
    report = validate_package(pkg, schemas=schema_set, checksums=False)
    assert "XSD-ERMS" in errors(report)
    edit_mets(pkg, "METS.xml", lambda r: (r.set("BOGUS", "1"), None)[1])
    assert "XSD-METS" in errors(validate_package(pkg, schemas=schema_set, checksums=False))


def test_missing_root_mets(pkg: Path, schema_set: SchemaSet) -> None:
    (pkg / "METS.xml").rename(pkg / "mets.xml")
    report = validate_package(pkg, schemas=schema_set)
    (finding,) = [f for f in report.findings if f.code == "CSIPSTR4"]
    assert finding.severity is Severity.ERROR and "case-sensitive" in finding.message


def test_structure_warnings(pkg: Path, schema_set: SchemaSet) -> None:
    shutil.rmtree(pkg / "representations/rep1/metadata")
    edit_mets(pkg, REP_METS, lambda r: (r.remove(first(r, f"{M}amdSec")), None)[1])
    report = validate_package(pkg, schemas=schema_set, checksums=False)
    assert "CSIPSTR13" in report.codes(Severity.WARNING)


# ---------------------------------------------------------------- unsafe content


def test_xxe_is_reported_never_expanded(pkg: Path, schema_set: SchemaSet) -> None:
    mets = pkg / "METS.xml"
    text = mets.read_text(encoding="utf-8")
    text = text.replace('<?xml version="1.0" encoding="UTF-8"?>',
                        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE mets [\n'
                        '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>', 1)
    text = text.replace("<name>diariekit</name>", "<name>&xxe;</name>", 1)
    mets.write_text(text, encoding="utf-8")
    report = validate_package(pkg, schemas=schema_set)
    assert not report.valid
    assert "DK-XML-DTD" in errors(report)
    dump = repr(report.to_dict())
    assert "root:x:0:0" not in dump and "/bin/" not in dump


def test_zip_slip_member(example: Path, tmp_path: Path, schema_set: SchemaSet,
                         zipper: Callable[..., Path]) -> None:
    z = zipper(example, tmp_path / "slip.zip", extra={"../evil.txt": b"owned"})
    report = validate_package(z, schemas=schema_set)
    assert not report.valid
    assert {"DK-UNSAFE-PATH", "CSIPSTR1"} <= errors(report)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_zip_absolute_and_backslash_members(example: Path, tmp_path: Path,
                                            zipper: Callable[..., Path]) -> None:
    z = zipper(example, tmp_path / "abs.zip",
               extra={"/etc/evil": b"x", f"{example.name}\\evil.txt": b"x"})
    report = validate_package(z, schemas=None)
    unsafe = [f for f in report.findings if f.code == "DK-UNSAFE-PATH"]
    assert len(unsafe) == 2 and not report.valid


def test_symlink_in_folder_package(pkg: Path, schema_set: SchemaSet) -> None:
    os.symlink("/etc/passwd", pkg / "documentation" / "passwd")
    report = validate_package(pkg, schemas=schema_set)
    assert not report.valid
    (finding,) = [f for f in report.findings if f.code == "DK-LINK"]
    assert finding.location.file == "documentation/passwd"
    assert "root:" not in repr(report.to_dict())


def test_symlink_and_device_in_tar(example: Path, tmp_path: Path) -> None:
    dest = tmp_path / "links.tar"
    with tarfile.open(dest, "w") as tf:
        tf.add(example, arcname=example.name)
        link = tarfile.TarInfo(f"{example.name}/documentation/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
        dev = tarfile.TarInfo(f"{example.name}/documentation/null")
        dev.type = tarfile.CHRTYPE
        tf.addfile(dev)
    report = validate_package(dest, schemas=None)
    assert {"DK-LINK", "DK-UNSAFE-PATH"} <= errors(report)


def test_tar_ending_in_a_zip_member_is_read_as_tar(example: Path, tmp_path: Path,
                                                    schema_set: SchemaSet) -> None:
    """An uncompressed tar whose last member is a .docx (a zip) has a zip end record near
    its end; it was read as a zip of the .docx's members."""
    from diariekit.packages.reader import TarReader, open_package

    docx = tmp_path / "bilaga.docx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    dest = tmp_path / "pkg.tar"
    with tarfile.open(dest, "w") as tf:
        tf.add(example, arcname=example.name)
        tf.add(docx, arcname=f"{example.name}/documentation/bilaga.docx")
    assert zipfile.is_zipfile(dest)  # the trap
    with open_package(dest) as reader:
        assert isinstance(reader, TarReader)
    report = validate_package(dest, schemas=schema_set)
    assert errors(report) == {"DK-UNREFERENCED"}, report.findings


def test_archive_with_two_top_folders(example: Path, tmp_path: Path,
                                      zipper: Callable[..., Path]) -> None:
    z = zipper(example, tmp_path / "two.zip", extra={"other/readme.txt": b"x"})
    report = validate_package(z, schemas=None)
    assert "CSIPSTR1" in errors(report)
    assert report.root_name == example.name  # the folder with METS.xml is still checked


def test_zip64_archive(example: Path, tmp_path: Path) -> None:
    dest = tmp_path / "z64.zip"
    with zipfile.ZipFile(dest, "w", allowZip64=True) as zf:
        for p in sorted(example.rglob("*")):
            if p.is_file():
                arc = f"{example.name}/{p.relative_to(example).as_posix()}"
                with zf.open(arc, "w", force_zip64=True) as out:
                    out.write(p.read_bytes())
    report = validate_package(dest, schemas=None)
    assert report.valid and report.files_checked == 13


# ---------------------------------------------------------------- property


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0, max_value=12), offset=st.integers(min_value=0),
       mode=st.sampled_from(["flip", "append", "delete"]))
def test_zip_validates_like_folder(example: Path, schema_set: SchemaSet, index: int,
                                   offset: int, mode: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / example.name
        shutil.copytree(example, pkg)
        files = sorted(p for p in pkg.rglob("*") if p.is_file() and p.name != "METS.xml"
                       or p.relative_to(pkg).as_posix() == REP_METS)
        victim = files[index % len(files)]
        data = bytearray(victim.read_bytes())
        if mode == "flip":
            data[offset % len(data)] ^= 0x20
            victim.write_bytes(bytes(data))
        elif mode == "append":
            victim.write_bytes(bytes(data) + b" ")
        else:
            victim.unlink()
        folder = validate_package(pkg, schemas=schema_set)
        with zipfile.ZipFile(Path(tmp) / "p.zip", "w") as zf:
            for p in sorted(pkg.rglob("*")):
                zf.write(p, f"{pkg.name}/{p.relative_to(pkg).as_posix()}")
        zipped = validate_package(Path(tmp) / "p.zip", schemas=schema_set)
        assert key(zipped) == key(folder)
        assert not folder.valid or mode == "flip"


def test_json_shape_is_stable(example: Path, schema_set: SchemaSet, pkg: Path) -> None:
    (pkg / "documentation" / "extra.txt").write_text("x")
    data = validate_package(pkg, schemas=schema_set).to_dict()
    assert set(data) == {"package", "container", "root", "valid", "counts", "files_checked",
                         "bytes_checked", "schemas", "skipped", "findings"}
    finding = data["findings"][0]
    assert set(finding) == {"code", "severity", "message", "file", "line", "field", "level"}
    assert re.match(r"^(DK-|XSD-|CSIP|SIP)", finding["code"])


# ---------------------------------------------------------------- cross-checks


def test_premis_fixity_differs_from_mets(pkg: Path, schema_set: SchemaSet) -> None:
    premis = pkg / "representations/rep1/metadata/preservation/premis.xml"
    premis.write_bytes(premis.read_bytes().replace(b"cf96e9b32d55", b"00000000000"b"0", 1))
    report = validate_package(pkg, schemas=schema_set)
    assert "DK-PREMIS-FIXITY" in report.codes(Severity.WARNING)
    assert "CSIP43" in errors(report)  # the PREMIS file itself changed


def test_erms_appendix_missing(pkg: Path, schema_set: SchemaSet) -> None:
    erms = pkg / "representations/rep1/data/erms.xml"
    erms.write_bytes(erms.read_bytes().replace(b'path="attachments/handling-2.pdf"',
                                               b'path="attachments/handling-9.pdf"'))
    report = validate_package(pkg, schemas=schema_set, checksums=False)
    (finding,) = [f for f in report.findings if f.code == "DK-ERMS-APPENDIX"]
    assert finding.location.file == "representations/rep1/data/erms.xml"


def test_idref_of_wrong_kind(pkg: Path, schema_set: SchemaSet) -> None:
    edit_mets(pkg, "METS.xml", lambda r: (first(r, f".//{M}div[@LABEL='Metadata']").set(
        "ADMID", "filegrp-schemas"), None)[1])
    report = validate_package(pkg, schemas=schema_set)
    assert "DK-IDREF" in errors(report)
    assert "CSIP91" in report.codes(Severity.WARNING)


def test_descriptive_metadata_without_dmdsec(pkg: Path, schema_set: SchemaSet) -> None:
    (pkg / "metadata/descriptive").mkdir()
    (pkg / "metadata/descriptive/ead.xml").write_text("<ead/>")
    report = validate_package(pkg, schemas=schema_set)
    assert "CSIP17" in report.codes(Severity.WARNING)
    assert "DK-UNREFERENCED" in errors(report)


def test_xxe_in_content_file_without_mets(pkg: Path) -> None:
    (pkg / "METS.xml").unlink()
    erms = pkg / "representations/rep1/data/erms.xml"
    erms.write_text('<?xml version="1.0"?><!DOCTYPE erms [<!ENTITY x SYSTEM '
                    '"file:///etc/passwd">]><erms xmlns="https://DILCIS.eu/XML/ERMS">&x;</erms>')
    report = validate_package(pkg, schemas=None)
    assert {"CSIPSTR4", "DK-XML-DTD"} <= errors(report)
    assert "root:x" not in repr(report.to_dict())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member=st.sampled_from(["METS.xml", REP_METS]),
       edits=st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=0, max_size=3)),
                      min_size=1, max_size=4))
def test_validation_never_crashes_on_mangled_mets(example: Path, schema_set: SchemaSet,
                                                 member: str,
                                                 edits: list[tuple[int, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pkg = Path(tmp) / example.name
        shutil.copytree(example, pkg)
        data = bytearray((pkg / member).read_bytes())
        for pos, chunk in edits:
            at = pos % len(data)
            data[at:at + len(chunk)] = chunk
        (pkg / member).write_bytes(bytes(data))
        report = validate_package(pkg, schemas=schema_set)
        report.to_dict()
        assert all(f.code for f in report.findings)


def test_degenerate_packages(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w"):
        pass
    assert "CSIPSTR1" in errors(validate_package(empty, schemas=None))
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "METS.xml").write_text("<mets/>")  # no namespace
    assert "XSD-METS" in errors(validate_package(folder, schemas=None))
    (folder / "METS.xml").write_bytes(b"\x00\xff garbage")
    assert "DK-XML-WELLFORMED" in errors(validate_package(folder, schemas=None))


def test_damaged_zip_member_is_reported(example: Path, tmp_path: Path) -> None:
    dest = tmp_path / "crc.zip"
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(example.rglob("*")):
            if p.is_file():
                zf.write(p, f"{example.name}/{p.relative_to(example).as_posix()}")
    raw = bytearray(dest.read_bytes())
    content = (example / "documentation" / "leveransbeskrivning.txt").read_bytes()
    at = raw.find(content)
    assert at > 0
    raw[at + 5] ^= 0x01  # stored member: the CRC-32 no longer matches
    dest.write_bytes(bytes(raw))
    report = validate_package(dest, schemas=None)
    assert "DK-UNREADABLE-MEMBER" in errors(report) or "CSIP71" in errors(report)
    assert not report.valid


def test_sip_attribute_typo_is_noted(pkg: Path, schema_set: SchemaSet) -> None:
    sip = "{https://DILCIS.eu/XML/METS/SIPExtensionMETS}"

    def change(r: etree._Element) -> None:
        f = first(r, f".//{M}file")
        f.set(f"{sip}FILEFORMATKEY", "fmt/101")

    edit_mets(pkg, REP_METS, change)
    report = validate_package(pkg, schemas=schema_set, checksums=False)
    assert "SIP35" in report.codes(Severity.INFO)


def _minimal_aip(root: Path, n: int = 3, metadata_div: bool = True) -> Path:
    """A plain CSIP AIP as another tool might write it: no SIP agents, no schemas folder."""
    (root / "representations/rep1/data").mkdir(parents=True)
    (root / "metadata").mkdir()
    (root / "representations/rep1/metadata").mkdir()
    files = []
    for i in range(n):
        b = f"file {i}\n".encode()
        (root / f"representations/rep1/data/f{i}.txt").write_bytes(b)
        files.append(
            f'<file ID="f{i}" MIMETYPE="text/plain" SIZE="{len(b)}" '
            f'CREATED="2024-01-01T00:00:00Z" CHECKSUM="{hashlib.sha256(b).hexdigest()}" '
            'CHECKSUMTYPE="SHA-256"><FLocat LOCTYPE="URL" xlink:type="simple" '
            f'xlink:href="data/f{i}.txt"/></file>')
    hdr = ('<mets xmlns="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink" '
           'xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" OBJID="{o}" '
           'TYPE="Datasets" csip:CONTENTINFORMATIONTYPE="MIXED" '
           'PROFILE="https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml">'
           '<metsHdr CREATEDATE="2024-01-01T00:00:00Z" csip:OAISPACKAGETYPE="AIP">'
           '<agent ROLE="CREATOR" TYPE="OTHER" OTHERTYPE="SOFTWARE"><name>other tool</name>'
           '<note csip:NOTETYPE="SOFTWARE VERSION">9.9</note></agent></metsHdr>')
    meta = '<div ID="{m}" LABEL="Metadata"/>' if metadata_div else ""
    rep = (hdr.format(o="rep1") + '<fileSec ID="fs"><fileGrp ID="g" USE="Data">'
           + "".join(files) + '</fileGrp></fileSec><structMap ID="s" TYPE="PHYSICAL" '
           'LABEL="CSIP"><div ID="d">' + meta.format(m="m")
           + '<div ID="dd" LABEL="Data"><fptr FILEID="g"/></div></div></structMap></mets>')
    (root / "representations/rep1/METS.xml").write_text(rep)
    b = rep.encode()
    top = (hdr.format(o=root.name) + '<fileSec ID="fs0"><fileGrp ID="gr" '
           'USE="Representations/rep1" csip:CONTENTINFORMATIONTYPE="MIXED">'
           f'<file ID="rm" MIMETYPE="text/xml" SIZE="{len(b)}" CREATED="2024-01-01T00:00:00Z" '
           f'CHECKSUM="{hashlib.md5(b).hexdigest()}" CHECKSUMTYPE="MD5"><FLocat LOCTYPE="URL" '
           'xlink:type="simple" xlink:href="representations/rep1/METS.xml"/></file></fileGrp>'
           '</fileSec><structMap ID="s0" TYPE="PHYSICAL" LABEL="CSIP"><div ID="d0">'
           + meta.format(m="m0") + '<div ID="r0" LABEL="Representations/rep1"><mptr '
           'LOCTYPE="URL" xlink:type="simple" xlink:href="representations/rep1/METS.xml" '
           'xlink:title="gr"/></div></div></structMap></mets>')
    (root / "METS.xml").write_text(top)
    return root


def test_package_from_another_tool(tmp_path: Path, schema_set: SchemaSet) -> None:
    report = validate_package(_minimal_aip(tmp_path / "aip-1"), schemas=schema_set)
    assert report.valid, [str(f) for f in report.findings]
    assert not any(c.startswith("SIP") for c in report.codes())
    assert report.files_checked == 4


def test_metadata_div_only_required_with_metadata(tmp_path: Path, schema_set: SchemaSet) -> None:
    report = validate_package(_minimal_aip(tmp_path / "aip-2", metadata_div=False),
                              schemas=schema_set)
    assert report.valid and "CSIP88" in report.codes(Severity.WARNING)


def _add_dmdsec(pkg: Path, **attrs: str) -> None:
    ead = pkg / "metadata/descriptive/ead.xml"
    ead.parent.mkdir(parents=True)
    ead.write_bytes(b"<ead/>\n")

    def change(r: etree._Element) -> None:
        dmd = etree.Element(f"{M}dmdSec", {"ID": "dmd-1", "CREATED": "2024-11-20T10:00:00Z",
                                           "STATUS": "CURRENT"})
        for k, v in attrs.items():
            if v == "":
                dmd.attrib.pop(k, None)
            else:
                dmd.set(k, v)
        ref = etree.SubElement(dmd, f"{M}mdRef", {
            "LOCTYPE": "URL", f"{XL}type": "simple", f"{XL}href": "metadata/descriptive/ead.xml",
            "MDTYPE": "EAD", "MIMETYPE": "text/xml", "SIZE": "7",
            "CREATED": "2024-11-20T10:00:00Z",
            "CHECKSUM": hashlib.sha256(b"<ead/>\n").hexdigest(), "CHECKSUMTYPE": "SHA-256"})
        del ref
        first(r, f"{M}metsHdr").addnext(dmd)
        first(r, f".//{M}div[@LABEL='Metadata']").set("DMDID", "dmd-1")

    edit_mets(pkg, "METS.xml", change)


def test_dmdsec_valid_and_broken(pkg: Path, schema_set: SchemaSet) -> None:
    _add_dmdsec(pkg)
    report = validate_package(pkg, schemas=schema_set)
    assert report.valid and report.findings == [], [str(f) for f in report.findings]


@pytest.mark.parametrize(("attrs", "code", "severity"), [
    ({"CREATED": ""}, "CSIP19", Severity.ERROR),
    ({"ID": ""}, "CSIP18", Severity.ERROR),
    ({"STATUS": "OLD"}, "CSIP20", Severity.ERROR),  # optional, but from the vocabulary
])
def test_dmdsec_requirements(pkg: Path, schema_set: SchemaSet, attrs: dict[str, str],
                             code: str, severity: Severity) -> None:
    _add_dmdsec(pkg, **attrs)
    report = validate_package(pkg, schemas=schema_set)
    assert code in report.codes(severity), [str(f) for f in report.findings]


@pytest.mark.parametrize(("change", "code"), [
    # a CREATOR/INDIVIDUAL may be the submitter (indistinguishable from a contact): drop both
    (lambda r: [a.getparent().remove(a)  # type: ignore[union-attr]
                for a in r.findall(f"{M}metsHdr/{M}agent[@ROLE='CREATOR']")
                if a.get("TYPE") != "OTHER"], "SIP15"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@TYPE='INDIVIDUAL']").set("TYPE", "ORGANIZATION"),
     "SIP15"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@ROLE='CREATOR'][@TYPE='ORGANIZATION']/{M}note")
     .attrib.pop(f"{CSIP}NOTETYPE"), "SIP20"),
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@ROLE='PRESERVATION']/{M}note")
     .set(f"{CSIP}NOTETYPE", "SOFTWARE VERSION"), "SIP31"),
    (lambda r: first(r, f".//{M}file").set("CHECKSUMTYPE", "SHA-3"), "CSIP72"),
    (lambda r: first(r, f".//{M}file").set("SIZE", "many"), "CSIP69"),
    (lambda r: first(r, f".//{M}file").append(etree.fromstring(
        f'<FLocat xmlns="{M[1:-1]}" xmlns:xlink="{XL[1:-1]}" LOCTYPE="URL" '
        'xlink:type="simple" xlink:href="documentation/leveransbeskrivning.txt"/>')), "CSIP76"),
])
def test_more_root_requirements(pkg: Path, schema_set: SchemaSet,
                                change: Callable[[etree._Element], object], code: str) -> None:
    edit_mets(pkg, "METS.xml", lambda r: (change(r), None)[1])
    report = validate_package(pkg, schemas=schema_set)
    assert code in errors(report), [str(f) for f in report.findings]


def test_record_status_vocabulary_is_a_may(pkg: Path, schema_set: SchemaSet) -> None:
    edit_mets(pkg, "METS.xml",
              lambda r: (first(r, f"{M}metsHdr").set("RECORDSTATUS", "BOGUS"), None)[1])
    report = validate_package(pkg, schemas=schema_set)
    assert report.valid and "SIP3" in report.codes(Severity.INFO)


def test_unicode_normalisation_of_names(tmp_path: Path, schema_set: SchemaSet) -> None:
    import unicodedata

    root = _minimal_aip(tmp_path / "aip-3", n=1)
    nfd = unicodedata.normalize("NFD", "bilaga-å.txt")
    (root / "representations/rep1/data/f0.txt").rename(root / "representations/rep1/data" / nfd)
    rep = root / REP_METS
    rep.write_text(rep.read_text().replace("data/f0.txt", "data/bilaga-%C3%A5.txt"))
    mets = root / "METS.xml"
    b = rep.read_bytes()
    text = re.sub(r'SIZE="\d+"', f'SIZE="{len(b)}"', mets.read_text(), count=1)
    text = re.sub(r'CHECKSUM="[0-9a-f]+"', f'CHECKSUM="{hashlib.md5(b).hexdigest()}"', text)
    mets.write_text(text)
    report = validate_package(root, schemas=schema_set)
    assert report.valid, [str(f) for f in report.findings]


# ------------------------------------------------ found by auditing against the E-ARK corpus
# (DILCISBoard/eark-ip-test-corpus: each case below is one of its packages, rebuilt here by
# mutating our own example package)

CSIP_PROFILE_URL = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"


def test_csip_profile_package_saying_sip_is_not_held_to_sip(pkg: Path,
                                                            schema_set: SchemaSet) -> None:
    """OAISPACKAGETYPE='SIP' under the CSIP profile is CSIP9-valid: no SIP2/SIP15 errors."""
    def change(r: etree._Element) -> None:
        r.set("PROFILE", CSIP_PROFILE_URL)
        for a in r.findall(f"{M}metsHdr/{M}agent"):
            if a.get("TYPE") != "OTHER":
                first(r, f"{M}metsHdr").remove(a)

    edit_mets(pkg, "METS.xml", change)
    report = validate_package(pkg, schemas=schema_set)
    assert report.valid, [str(f) for f in report.findings]
    assert report.codes(Severity.WARNING) == {"DK-SIP-PROFILE"}
    assert not any(c.startswith("SIP") for c in report.codes())


def test_unknown_profile_of_a_sip_is_still_sip2(pkg: Path, schema_set: SchemaSet) -> None:
    edit_mets(pkg, "METS.xml", lambda r: (r.set("PROFILE", "http://www.eark-project.com/"
                                                           "METS/IP.xml"), None)[1])
    assert "SIP2" in errors(validate_package(pkg, schemas=schema_set))


def test_representation_file_group_may_name_the_data_folder(pkg: Path,
                                                            schema_set: SchemaSet) -> None:
    """CSIP64 allows USE='Representations/rep1/data'; the div stays 'Representations/rep1'."""
    edit_mets(pkg, "METS.xml", lambda r: (first(r, f".//{M}fileGrp[@ID='filegrp-rep1']")
                                          .set("USE", "Representations/rep1/data"), None)[1])
    report = validate_package(pkg, schemas=schema_set)
    assert report.valid and report.findings == [], [str(f) for f in report.findings]


def _aip_without_rep_mets(root: Path) -> Path:
    """The 2.0.4 layout: the root METS points at the data itself, no representation METS."""
    _minimal_aip(root, n=1)
    (root / "representations/rep1/METS.xml").unlink()
    b = (root / "representations/rep1/data/f0.txt").read_bytes()

    def change(r: etree._Element) -> None:
        grp = first(r, f".//{M}fileGrp")
        grp.set("USE", "Representations/rep1/data")
        f = first(grp, f"{M}file")
        f.set("SIZE", str(len(b)))
        f.set("CHECKSUM", hashlib.md5(b).hexdigest())
        first(f, f"{M}FLocat").set(f"{XL}href", "representations/rep1/data/f0.txt")
        div = first(r, f".//{M}div[@LABEL='Representations/rep1']")
        div.remove(first(div, f"{M}mptr"))
        div.append(etree.fromstring(f'<div xmlns="{M[1:-1]}" ID="r0d" '
                                    'LABEL="Representations/rep1/data"><fptr FILEID="gr"/></div>'))

    edit_mets(root, "METS.xml", change)
    return root


def test_representation_without_its_own_mets_needs_no_mptr(tmp_path: Path,
                                                           schema_set: SchemaSet) -> None:
    report = validate_package(_aip_without_rep_mets(tmp_path / "aip-3"), schemas=schema_set)
    assert report.valid, [str(f) for f in report.findings]
    assert "CSIPSTR12" in report.codes(Severity.WARNING)  # no representation METS
    assert not report.codes() & {"CSIP101", "CSIP105", "CSIP107", "CSIP109"}


def test_representation_with_mets_but_no_mptr(pkg: Path, schema_set: SchemaSet) -> None:
    def change(r: etree._Element) -> None:
        mptr = first(r, f".//{M}mptr")
        mptr.getparent().remove(mptr)  # type: ignore[union-attr]

    edit_mets(pkg, "METS.xml", change)
    assert "CSIP109" in errors(validate_package(pkg, schemas=schema_set))


def test_representation_described_nowhere(pkg: Path, schema_set: SchemaSet) -> None:
    def change(r: etree._Element) -> None:
        div = first(r, f".//{M}div[@LABEL='Representations/rep1']")
        div.getparent().remove(div)  # type: ignore[union-attr]

    edit_mets(pkg, "METS.xml", change)
    report = validate_package(pkg, schemas=schema_set)
    assert "CSIP105" in report.codes(Severity.WARNING)


def _duplicate_div(label: str) -> Callable[[etree._Element], None]:
    def change(r: etree._Element) -> None:
        div = first(r, f".//{M}div[@LABEL='{label}']")
        twin = etree.fromstring(etree.tostring(div))
        twin.set("ID", div.get("ID", "") + "-twin")
        div.addnext(twin)
    return change


@pytest.mark.parametrize(("label", "code", "severity"), [
    ("Metadata", "CSIP88", Severity.ERROR),        # 1..1
    ("Documentation", "CSIP93", Severity.WARNING),  # 0..1, SHOULD
    ("Schemas", "CSIP97", Severity.WARNING),
])
def test_duplicate_top_divs(pkg: Path, schema_set: SchemaSet, label: str, code: str,
                            severity: Severity) -> None:
    edit_mets(pkg, "METS.xml", _duplicate_div(label))
    report = validate_package(pkg, schemas=schema_set)
    assert code in report.codes(severity), [str(f) for f in report.findings]


def test_duplicate_representations_div(tmp_path: Path, schema_set: SchemaSet) -> None:
    root = _aip_without_rep_mets(tmp_path / "aip-4")

    def change(r: etree._Element) -> None:
        div = first(r, f".//{M}div[@LABEL='Representations/rep1']")
        div.set("LABEL", "Representations")
        first(div, f".//{M}div").set("LABEL", "Data")
        _duplicate_div("Representations")(r)

    edit_mets(root, "METS.xml", change)
    report = validate_package(root, schemas=schema_set)
    assert "CSIP101" in report.codes(Severity.WARNING), [str(f) for f in report.findings]


@pytest.mark.parametrize(("change", "code", "severity"), [
    # a MAY attribute whose value, once OTHER, is a MUST
    (lambda r: (first(r, f".//{M}fileGrp[@ID='filegrp-rep1']")
                .attrib.pop(f"{CSIP}OTHERCONTENTINFORMATIONTYPE")), "CSIP63", Severity.ERROR),
    (lambda r: (r.set(f"{CSIP}CONTENTINFORMATIONTYPE", "OTHER"),
                r.attrib.pop(f"{CSIP}OTHERCONTENTINFORMATIONTYPE", None)), "CSIP5",
     Severity.ERROR),
    # CSIP8: a modification in the future, or before the creation
    (lambda r: first(r, f"{M}metsHdr").set("LASTMODDATE", "2038-01-18T12:00:00"), "CSIP8",
     Severity.WARNING),
    (lambda r: first(r, f"{M}metsHdr").set("LASTMODDATE", "2001-01-01T00:00:00+01:00"),
     "CSIP8", Severity.WARNING),
    # the software agent's name and version note are 1..1
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@OTHERTYPE='SOFTWARE']").append(
        etree.fromstring(etree.tostring(first(r, f"{M}metsHdr/{M}agent/{M}note")))),
     "CSIP15", Severity.ERROR),
    (lambda r: first(r, f"{M}metsHdr/{M}agent[@OTHERTYPE='SOFTWARE']/{M}name").addnext(
        etree.fromstring(f'<name xmlns="{M[1:-1]}">another</name>')), "CSIP14", Severity.ERROR),
    # IANA top-level types
    (lambda r: first(r, f".//{M}digiprovMD/{M}mdRef").set("MIMETYPE", "other/wrongmimetype"),
     "CSIP40", Severity.ERROR),
    (lambda r: first(r, f".//{M}file").set("MIMETYPE", "inode/x-empty"), "CSIP68",
     Severity.ERROR),
    # optional STATUS, but from the fixed vocabulary
    (lambda r: first(r, f".//{M}digiprovMD").set("STATUS", "TEST"), "CSIP34", Severity.ERROR),
    # fileGrp/@ADMID names administrative metadata (not a dmdSec)
    (lambda r: first(r, f".//{M}fileGrp[@ID='filegrp-rep1']").set(
        "ADMID", first(r, f".//{M}fileSec").get("ID")), "CSIP61", Severity.ERROR),
    # a USE that names no folder of the package
    (lambda r: first(r, f".//{M}fileGrp[@USE='Schemas']").set("USE", "random_e2368caa"),
     "CSIP64", Severity.WARNING),
    # SIP altRecordIDs: empty, or a 0..1 given twice
    (lambda r: first(r, f"{M}metsHdr").append(etree.fromstring(
        f'<altRecordID xmlns="{M[1:-1]}" TYPE="SUBMISSIONAGREEMENT"/>')), "SIP5",
     Severity.WARNING),
    (lambda r: [first(r, f"{M}metsHdr").append(etree.fromstring(
        f'<altRecordID xmlns="{M[1:-1]}" TYPE="REFERENCECODE">SE/KS/{i}</altRecordID>'))
        for i in (1, 2)], "SIP7", Severity.WARNING),
])
def test_corpus_requirements(pkg: Path, schema_set: SchemaSet,
                             change: Callable[[etree._Element], object], code: str,
                             severity: Severity) -> None:
    edit_mets(pkg, "METS.xml", lambda r: (change(r), None)[1])
    report = validate_package(pkg, schemas=schema_set, checksums=False)
    assert code in report.codes(severity), [str(f) for f in report.findings]


def test_empty_sip_format_attribute(pkg: Path, schema_set: SchemaSet) -> None:
    sip = "{https://DILCIS.eu/XML/METS/SIPExtensionMETS}"
    edit_mets(pkg, REP_METS,
              lambda r: (first(r, f".//{M}file").set(f"{sip}FILEFORMATNAME", " "), None)[1])
    report = validate_package(pkg, schemas=schema_set, checksums=False)
    assert "SIP32" in report.codes(Severity.WARNING), [str(f) for f in report.findings]


@pytest.mark.parametrize(("value", "ok"), [
    ("application/pdf", True), ("text/plain; charset=UTF-8", True), ("image/svg+xml", True),
    ("font/ttf", True), ("Application/PDF", True), ("other/wrongmimetype", False),
    ("inode/x-empty", False), ("pdf", False), ("", False), ("text/", False),
])
def test_mime_ok(value: str, ok: bool) -> None:
    assert mime_ok(value) is ok


def test_erms_schematron_rules(pkg: Path, schema_set: SchemaSet) -> None:
    """The official ERMS Schematron rules (xslt2 binding, XPath 1.0 expressions) run after
    the XSD: a "must" rule broken is an error, a "should" rule a warning, each at its element;
    the example package keeps none of them broken."""
    rules = schema_set.erms_rules("3.0")
    assert rules is not None and rules.usable, rules and rules.reason
    assert not [f for f in validate_package(pkg, schemas=schema_set).findings
                if f.code == "SCH-ERMS"]
    erms = pkg / "representations/rep1/data/erms.xml"
    text = erms.read_text(encoding="utf-8")
    text = text.replace('<aggregation aggregationType="caseFile"',
                        '<aggregation aggregationType="own_aggregation_definition"', 1)
    text = text.replace('dateType="other" otherDateType="restrictionStart"', 'dateType="other"', 1)
    text = text.replace('<disposalDate dateType="retention_period_start">',
                        '<disposalDate dateType="other_date">', 1)
    erms.write_text(text, encoding="utf-8")
    report = validate_package(pkg, schemas=schema_set)
    found = sorted((f.severity.value, f.location.field or "", f.message)
                   for f in report.findings if f.code == "SCH-ERMS")
    assert [(sev, xpath.rsplit("/", 1)[-1]) for sev, xpath, _ in found] == [
        ("error", "aggregation"), ("error", "date"), ("warning", "disposalDate")], found
    assert all(f.location.file == "representations/rep1/data/erms.xml" and f.location.line
               for f in report.findings if f.code == "SCH-ERMS")
    assert "otherAggregationType" in found[0][2] and not report.valid


def test_schematron_beyond_xpath1_is_skipped_not_guessed(tmp_path: Path) -> None:
    from diariekit.packages.schemas import SchematronRules

    sch = tmp_path / "rules.sch"
    sch.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
                   '<pattern><rule context="*"><assert test="matches(@id, \'^a\')">id starts '
                   'with a</assert></rule></pattern></schema>', encoding="utf-8")
    rules = SchematronRules(sch, etree.XMLParser(resolve_entities=False, no_network=True))
    assert not rules.usable and rules.reason and "not XPath 1.0" in rules.reason
    assert rules.check(etree.ElementTree(etree.fromstring("<x id='b'/>"))) == []
    # An XPath 2.0 function behind "or" passes a try on an empty element: still refused.
    sch.write_text(sch.read_text(encoding="utf-8").replace(
        "matches(@id, \'^a\')", "not(@id) or matches(@id, 'a(b)')"), encoding="utf-8")
    assert "matches" in sch.read_text(encoding="utf-8")
    rules = SchematronRules(sch, etree.XMLParser(resolve_entities=False, no_network=True))
    assert not rules.usable and rules.reason and "function matches" in rules.reason


def test_schematron_roles_decide_severity_and_errata(tmp_path: Path,
                                                      schema_set: SchemaSet) -> None:
    from diariekit.packages.schemas import SchematronRules

    sch = tmp_path / "rules.sch"
    sch.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron">'
                   '<pattern><rule context="x">'
                   '<assert test="@a" role="error">a should be there</assert>'
                   '<assert test="@b" role="warning">b must be there</assert>'
                   '<assert test="@c">c should be there</assert>'
                   '<assert test="(@d) and (@d)">d must be there</assert>'
                   '</rule></pattern></schema>', encoding="utf-8")
    rules = SchematronRules(sch, etree.XMLParser(resolve_entities=False, no_network=True))
    assert rules.usable, rules.reason
    got = {f.message.split()[0]: f.warning
           for f in rules.check(etree.ElementTree(etree.fromstring("<x/>")))}
    assert got == {"a": False, "b": True, "c": True, "d": False}
    # ERMS 3.0 tests @otherclassificationSchemaStatus; the XSD's attribute is
    # otherClassificationSchemaStatus, which a correct file uses.
    erms = schema_set.erms_rules("3.0")
    assert erms is not None and erms.usable
    ok = etree.ElementTree(etree.fromstring(
        '<erms xmlns="https://DILCIS.eu/XML/ERMS"><x classificationSchemaStatus="other" '
        'otherClassificationSchemaStatus="utkast"/></erms>'))
    assert erms.check(ok) == []
    ok.getroot()[0].attrib.pop("otherClassificationSchemaStatus")
    assert len(erms.check(ok)) == 1
