"""Registry fixtures for all test folders: two organisations, their plans, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from diariekit.config import Config, OrganisationConfig, SeriesConfig, load_config
from diariekit.plans.loading import load_plan
from diariekit.plans.store import import_plan
from diariekit.setup import init_registry

REPO = Path(__file__).resolve().parents[1]
PLANS = REPO / "retention_plans"

ORGS = (
    OrganisationConfig("ks", "Kommunstyrelsen", "nämnd", "212000-9999", None, None,
                       (SeriesConfig("KS", "{series} {year}/{number:04d}"),)),
    OrganisationConfig("sn", "Socialnämnden", "nämnd", "212000-9999", None, None,
                       (SeriesConfig("SN", "{series}-{year}-{number:05d}"),)),
)

HEAD = ("Externt id;Serie;Ärendenyckel;Ärendemening;Klass;Handlingstyp;Riktning;Datum;"
        "Avsändare/Mottagare;Beskrivning;Handläggare;Filer;Sekretess;Personnummer\n")


def make_registry(folder: Path, url: str) -> Config:
    result = init_registry(folder, ORGS, registry_url=url, default_organisation="ks")
    config = load_config(result.config_path)
    for name, org in (("kommunstyrelse.yaml", "ks"), ("socialnamnd.yaml", "sn")):
        plan = load_plan(PLANS / name).plan
        assert plan is not None
        import_plan(config, plan, org_id=org, actor="test")
    return config


@pytest.fixture
def registry(registry_url: str, tmp_path: Path) -> Config:
    return make_registry(tmp_path / "reg", registry_url)


@pytest.fixture
def write_input(tmp_path: Path) -> Callable[..., Path]:
    """Write an input CSV (and a PDF and a TXT beside it) and return its path."""

    def write(rows: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
        folder = tmp_path / "input"
        (folder / "files").mkdir(parents=True, exist_ok=True)
        pdf = pikepdf.new()
        pdf.add_blank_page()
        pdf.save(folder / "files" / "brev.pdf", deterministic_id=True)
        (folder / "files" / "notering.txt").write_text("Telefonsamtal med sökanden.\n",
                                                        encoding="utf-8")
        path = folder / name
        path.write_bytes((HEAD + rows).encode(encoding))
        return path

    return write
