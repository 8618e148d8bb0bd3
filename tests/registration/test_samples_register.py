"""Registering the samples twice gives the same registry as once (issue 3, done-when)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from diariekit.samples.make_files import make_sample_files

from diariekit.config import Config
from diariekit.events import verify_chain
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import case_, document, event, file, secrecy_marking

VOLATILE = {"id", "registered_at", "created_at", "case_id", "document_id", "target_id",
            "record_type_id", "organisation_id", "series_id", "marking_authority_id"}


def _dump(config: Config) -> dict[str, Any]:
    with connect(open_engine(config.registry_url)) as conn:
        out: dict[str, Any] = {}
        for table, key in ((case_, case_.c.dnr), (document, document.c.ref),
                           (file, file.c.sha256), (secrecy_marking, secrecy_marking.c.provision)):
            out[table.name] = sorted(
                tuple(sorted((k, str(v)) for k, v in r._asdict().items() if k not in VOLATILE))
                 for r in conn.execute(sa.select(table).order_by(key)))
        out["events"] = conn.execute(sa.select(sa.func.count()).select_from(event)).scalar_one()
        return out


def test_samples_register_once_and_only_once(registry: Config, tmp_path: Path) -> None:
    intake = make_sample_files(tmp_path / "in")
    engine = open_engine(registry.registry_url)
    first = register_rows(registry, read_intake(intake), engine=engine, source=str(intake))
    assert first.committed and first.errors == 0
    assert first.count("registered") == 368
    once = _dump(registry)
    assert len(once["case_"]) == 124
    second = register_rows(registry, read_intake(intake), engine=engine, source=str(intake))
    assert second.count("skipped") == 368 and second.count("registered") == 0
    assert _dump(registry) == once
    with connect(engine) as conn:
        assert verify_chain(conn).ok
