"""Migration (--keep-numbers): Arbetsmiljöverket's real public register imports with a
column map and no loss, keeping its own numbers; the counter continues after them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from cli import run

from diariekit.config import Config, OrganisationConfig, SeriesConfig, load_config
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import case_, document, series, series_counter
from diariekit.setup import init_registry

AV = OrganisationConfig("av", "Arbetsmiljöverket", "statlig_myndighet", "202100-2171", None,
                        None, (SeriesConfig("AV", "{year}/{number:06d}", "-{seq}"),))
JSON_MAP = {"id": "document", "topic": "case_title", "type": "document_type",
            "direction": "direction", "date": "date", "status": "status"}
CSV_MAP = {"handlingsnummer": "document", "handlingstyp": "document_type",
           "handlingens_datum": "date", "handlingens_ursprung": "direction",
           "arendenummer": "case", "arende_titel": "case_title",
           "arendets_status": "status", "amnesomrade": "subject"}


@pytest.fixture
def av_registry(registry_url: str, tmp_path: Path) -> Config:
    result = init_registry(tmp_path / "av", (AV,), registry_url=registry_url)
    return load_config(result.config_path)


def _documents(config: Config) -> dict[str, dict[str, object]]:
    with connect(open_engine(config.registry_url)) as conn:
        rows = conn.execute(sa.select(document.c.ref, document.c.raw_ref, document.c.direction,
                                      document.c.document_type, document.c.date_received,
                                      document.c.date_drawn_up, document.c.date_dispatched,
                                      document.c.attributes, case_.c.dnr, case_.c.title,
                                      case_.c.status, case_.c.attributes.label("case_attrs"))
                            .join(case_, case_.c.id == document.c.case_id)).all()
    return {r.ref: r._asdict() for r in rows}


def test_json_array_imports_without_loss(av_registry: Config, shared: Path) -> None:
    source = shared / "external/domain/arbetsmiljoverket_diarium/666a_documents_2015-2023.json"
    rows = json.loads(source.read_text(encoding="utf-8"))
    report = register_rows(av_registry, read_intake(source, column_map=JSON_MAP),
                           engine=open_engine(av_registry.registry_url), source=str(source),
                           keep_numbers=True, actor="migration")
    assert report.committed, [str(f) for f in report.findings][:5]
    assert report.count("registered") == len(rows) == 387
    docs = _documents(av_registry)
    assert len(docs) == 387
    assert len({d["dnr"] for d in docs.values()}) == 82
    for original in rows:
        d = docs[original["id"]]
        assert d["raw_ref"] == original["id"]
        # Every field of every row can be read back exactly as it was written.
        assert d["attributes"]["source"] == original
        # Blank directions are kept as unknown, not guessed.
        if original["direction"] == "":
            assert d["direction"] is None
        when = d["date_received"] or d["date_drawn_up"] or d["date_dispatched"]
        assert when is not None and when.isoformat() == original["date"]
    # The counter continues after the highest imported number of each year.
    with connect(open_engine(av_registry.registry_url)) as conn:
        counters = {r.year: r.last_number for r in conn.execute(
            sa.select(series_counter).join(series, series.c.id == series_counter.c.series_id))}
    highest: dict[int, int] = {}
    for original in rows:
        year, number = original["id"].split("-")[0].split("/")
        highest[int(year)] = max(highest.get(int(year), 0), int(number))
    assert counters == highest
    # Importing again changes nothing.
    again = register_rows(av_registry, read_intake(source, column_map=JSON_MAP),
                          engine=open_engine(av_registry.registry_url), source=str(source),
                          keep_numbers=True)
    assert again.count("skipped") == 387 and again.count("registered") == 0


def test_csv_export_imports_through_the_cli(av_registry: Config, shared: Path) -> None:
    source = shared / "external/domain/arbetsmiljoverket_diarium/av_webbdiarium_pages_2023-2025.csv"
    maps = [a for k, v in CSV_MAP.items() for a in ("--map", f"{k}={v}")]
    result = run("--config", av_registry.path, "register", source, "--keep-numbers", "--json",
                 *maps)
    assert result.code == 0, result.text
    assert result.json()["summary"]["registered"] == 37
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    docs = _documents(av_registry)
    for original in rows:
        d = docs[original["handlingsnummer"]]
        assert d["dnr"] == original["arendenummer"]
        assert d["attributes"]["source"] == original
    # New registrations continue after the imported numbers.
    shown = run("--config", av_registry.path, "dnr", "parse", "2024/074019-1", "--json")
    assert shown.json()[0]["number"] == 74019
