"""Schema lookup, installation and the offline resolver; the in-place package reader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from diariekit.errors import ConfigError
from diariekit.packages.reader import open_package
from diariekit.packages.schemas import (
    SchemaSet,
    install_schemas,
    safe_parser,
    schema_dir,
    user_schema_dir,
)


def test_schema_dir_order(schema_folder: Path, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("DIARIEKIT_SCHEMAS", raising=False)
    assert user_schema_dir() == tmp_path / "data" / "diariekit" / "schemas"
    assert schema_dir() is None
    monkeypatch.setenv("DIARIEKIT_SCHEMAS", str(schema_folder))
    assert schema_dir() == schema_folder.resolve()
    assert schema_dir(schema_folder) == schema_folder.resolve()
    with pytest.raises(ConfigError):
        schema_dir(tmp_path)  # an explicit folder without catalog.xml is a config error


def test_install_is_atomic_and_replaces(schema_folder: Path, tmp_path: Path) -> None:
    target = tmp_path / "inst" / "schemas"
    assert install_schemas(schema_folder, target) == target
    (target / "stale.txt").write_text("old")
    install_schemas(schema_folder, target)
    assert not (target / "stale.txt").exists()
    assert (target / "catalog.xml").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["schemas"]  # no temp folder left
    with pytest.raises(ConfigError):
        install_schemas(tmp_path / "inst", tmp_path / "other")


def test_resolver_maps_official_urls(schema_set: SchemaSet, schema_folder: Path) -> None:
    r = schema_set.resolver
    assert r.lookup("http://www.loc.gov/standards/xlink/xlink.xsd") == \
        (schema_folder / "xlink/xlink.xsd").resolve()
    assert r.lookup("https://earksip.dilcis.eu/schema/DILCISExtensionSIPMETS.xsd") == \
        (schema_folder / "sip/2.1.0/DILCISExtensionSIPMETS.xsd").resolve()
    assert r.lookup("https://example.org/x.xsd") is None


def test_schemas_compile_offline_and_strict(schema_set: SchemaSet, example: Path) -> None:
    mets = etree.parse(str(example / "METS.xml"), safe_parser())
    assert schema_set.mets().validate(mets)
    mets.getroot().set("{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}CONTENTINFORMATIONTYPE",
                       "citserms_v3_0")
    assert not schema_set.mets().validate(mets)  # csip: attributes are checked (2.1.0)
    assert schema_set.mets("2.2.0").validate(mets)
    assert schema_set.mets() is schema_set.mets()  # cached
    premis = etree.parse(str(example / "metadata/preservation/premis.xml"), safe_parser())
    assert schema_set.premis().validate(premis)
    erms = etree.parse(str(example / "representations/rep1/data/erms.xml"), safe_parser())
    assert schema_set.erms("3.0").validate(erms)
    schema_set.erms("2.1.2")
    with pytest.raises(ConfigError):
        schema_set.erms("9")


def test_safe_parser_does_not_expand_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (f'<!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}"><!ENTITY y "inner">]>'
           "<a>&x;&y;</a>").encode()
    root = etree.fromstring(xml, safe_parser())
    assert "TOPSECRET" not in etree.tostring(root).decode()
    assert "inner" not in "".join(root.itertext())


def test_reader_lists_the_same_members(example: Path, tmp_path: Path,
                                       zipper: Callable[..., Path],
                                       tarrer: Callable[[Path, Path], Path]) -> None:
    with open_package(example) as folder:
        expected = folder.entries()
        assert "METS.xml" in expected and folder.root_name == example.name
        assert "representations/rep1" in folder.dirs()
    for path in (zipper(example, tmp_path / "p.zip"), tarrer(example, tmp_path / "p.tgz")):
        with open_package(path) as reader:
            assert reader.entries() == expected
            assert reader.root_name == example.name
            assert reader.findings == []
            with reader.open("METS.xml") as fh:
                assert fh.read() == (example / "METS.xml").read_bytes()
            assert reader.size("METS.xml") == (example / "METS.xml").stat().st_size
    assert not any(tmp_path.glob("**/METS.xml"))  # nothing was extracted


def test_reader_accepts_parent_folder(example: Path) -> None:
    with open_package(example.parent) as reader:
        assert reader.root_name == example.name and reader.exists("METS.xml")
