"""Open the registry named by a config: migrate on ``init``, refuse an outdated one."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from diariekit.config import Config
from diariekit.registry.engine import connect, open_engine, write_transaction
from diariekit.registry.migrate import ensure_current, upgrade


def open_registry(config: Config, *, create: bool = False) -> Engine:
    """An engine on the config's registry, with organisations and series in sync.

    ``create`` (used by ``diariekit init`` and ``registry upgrade``) runs the migrations;
    otherwise a registry that is behind raises ``RegistryError`` (exit 5).
    """
    from diariekit.organisations import organisations_in_sync, sync_organisations

    if config.registry_url.startswith("sqlite:///"):
        from pathlib import Path

        Path(config.registry_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = open_engine(config.registry_url)
    if create:
        upgrade(engine)
    else:
        ensure_current(engine)
    with connect(engine) as conn:
        in_sync = organisations_in_sync(conn, config)
    if not in_sync:
        with write_transaction(engine) as conn:
            sync_organisations(conn, config)
    return engine
