"""``diariekit package validate`` and ``diariekit schemas`` as a user runs them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli import run


def test_validate_example_folder_and_zip(example: Path, schema_folder: Path, tmp_path: Path,
                                         zipper: Callable[..., Path]) -> None:
    r = run("package", "validate", example, "--schemas", schema_folder)
    assert r.code == 0, r.text
    assert "valid" in r.out
    z = zipper(example, tmp_path / "p.zip")
    r = run("package", "validate", z, "--schemas", schema_folder, "--json")
    assert r.code == 0, r.text
    data = r.json()
    assert data["valid"] is True and data["container"] == "zip" and data["findings"] == []


def test_validate_broken_is_exit_1(pkg: Path, schema_folder: Path) -> None:
    (pkg / "representations/rep1/data/attachments/handling-1.pdf").unlink()
    r = run("package", "validate", pkg, "--schemas", schema_folder, "--json")
    assert r.code == 1, r.text
    codes = {f["code"] for f in r.json()["findings"] if f["severity"] == "error"}
    assert "CSIP79" in codes
    r = run("package", "validate", pkg, "--schemas", schema_folder)
    assert r.code == 1 and "CSIP79" in r.out and "invalid" in r.out


def test_validate_unreadable_is_exit_4(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01")
    r = run("package", "validate", junk)
    assert r.code == 4, r.text
    r = run("package", "validate", tmp_path / "nope", "--json")
    assert r.code == 4 and r.json()["exit_code"] == 4


def test_without_schemas_skips_and_require_fails(example: Path, tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    r = run("package", "validate", example, "--json", env=env)
    assert r.code == 0, r.text
    assert any("no schemas installed" in s for s in r.json()["skipped"])
    r = run("package", "validate", example, "--require-schemas", env=env)
    assert r.code == 3, r.text


def test_schemas_install_and_show(schema_folder: Path, tmp_path: Path, example: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    r = run("schemas", "show", "--json", env=env)
    assert r.code == 0 and r.json()["schemas"] is None
    r = run("schemas", "install", schema_folder, env=env)
    assert r.code == 0, r.text
    installed = tmp_path / "data" / "diariekit" / "schemas"
    assert (installed / "catalog.xml").is_file()
    r = run("schemas", "show", "--json", env=env)
    assert r.json()["schemas"] == str(installed)
    r = run("package", "validate", example, "--require-schemas", "--json", env=env)
    assert r.code == 0 and r.json()["schemas"] == str(installed)


def test_schemas_install_refuses_folder_without_catalog(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = run("schemas", "install", tmp_path / "empty",
            env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert r.code == 3, r.text
    assert "catalog.xml" in r.text
