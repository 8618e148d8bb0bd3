"""Fixtures for package validation: the official schemas and the example SIP from ``shared``."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from diariekit.packages.schemas import SchemaSet

EXAMPLE_ID = "uuid-4f1c2b7e-8a3d-4c59-9e61-2d0b7a5c3e10"


@pytest.fixture(scope="session")
def schema_folder(shared: Path) -> Path:
    return shared / "external" / "schemas"


@pytest.fixture(scope="session")
def schema_set(schema_folder: Path) -> SchemaSet:
    return SchemaSet(schema_folder)


@pytest.fixture(scope="session")
def example(shared: Path) -> Path:
    return shared / "docs" / "example-sip" / EXAMPLE_ID


@pytest.fixture
def pkg(example: Path, tmp_path: Path) -> Path:
    """A writable copy of the example package (folder named after its OBJID)."""
    dest = tmp_path / "copy" / EXAMPLE_ID
    shutil.copytree(example, dest)
    return dest


def zip_folder(folder: Path, dest: Path, extra: dict[str, bytes] | None = None) -> Path:
    """Zip ``folder`` with its name as the single top folder (plus raw ``extra`` members)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            arc = f"{folder.name}/{p.relative_to(folder).as_posix()}"
            if p.is_dir():
                zf.writestr(arc + "/", b"")
            else:
                zf.write(p, arc)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return dest


def tar_folder(folder: Path, dest: Path) -> Path:
    with tarfile.open(dest, "w:gz") as tf:
        tf.add(folder, arcname=folder.name)
    return dest


@pytest.fixture
def zipper() -> Callable[..., Path]:
    return zip_folder


@pytest.fixture
def tarrer() -> Callable[[Path, Path], Path]:
    return tar_folder
