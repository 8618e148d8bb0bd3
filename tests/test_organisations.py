"""Opening the registry syncs the config's organisations and series: it writes (and logs)
only what changed, and an unchanged config takes no write transaction at all."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from diariekit.config import OrganisationConfig, SeriesConfig, load_config, write_config
from diariekit.registry.engine import connect
from diariekit.registry.schema import event, organisation
from diariekit.registry.session import open_registry
from diariekit.setup import init_registry

ORG = OrganisationConfig("ks", "Kommunstyrelsen", "nämnd", None, None, None,
                         (SeriesConfig("KS"),))


def _kinds(engine: sa.Engine) -> list[str]:
    with connect(engine) as conn:
        return list(conn.execute(sa.select(event.c.kind).order_by(event.c.seq)).scalars())


def test_sync_writes_only_changes(registry_url: str, tmp_path: Path) -> None:
    config = load_config(init_registry(tmp_path, (ORG,), registry_url=registry_url).config_path)
    engine = open_registry(config)
    before = _kinds(engine)
    assert before == ["organisation_added", "series_added"]
    open_registry(config)
    assert _kinds(engine) == before  # in sync: nothing written
    renamed = config.__class__(**{**config.__dict__, "organisations": (
        OrganisationConfig("ks", "Kommunstyrelsen i Exempelby", "nämnd", None, None, None,
                           (SeriesConfig("KS"),)),)})
    write_config(renamed)
    open_registry(load_config(config.path))
    assert _kinds(engine) == before + ["organisation_changed"]
    with connect(engine) as conn:
        assert conn.execute(sa.select(organisation.c.name)).scalar_one() == \
            "Kommunstyrelsen i Exempelby"
