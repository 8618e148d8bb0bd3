"""Setting up a registry (inrätta diarium): the config file and the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from diariekit.config import (
    CONFIG_NAME,
    Config,
    OrganisationConfig,
    load_config,
    parse_config,
    write_config,
)
from diariekit.registry.engine import display_url
from diariekit.registry.migrate import current_revision
from diariekit.registry.session import open_registry


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did."""

    config_path: Path
    registry: str
    revision: str | None
    created: bool


def init_registry(
    folder: Path,
    organisations: tuple[OrganisationConfig, ...],
    *,
    registry_url: str | None = None,
    storage: str = "store",
    default_organisation: str | None = None,
) -> InitResult:
    """Write ``diariekit.toml`` in ``folder`` and create the registry.

    Idempotent: when the folder already has a config, it is kept as it is and the
    registry is brought up to date; nothing else changes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / CONFIG_NAME).resolve()
    created = not path.exists()
    if created:
        raw: dict[str, object] = {
            "registry": {"url": registry_url or "sqlite:///registry.sqlite"},
            "storage": {"path": storage},
            "organisations": [o.to_toml() for o in organisations],
        }
        if default_organisation:
            raw["default_organisation"] = default_organisation
        config: Config = parse_config(raw, path)
        config.storage_path.mkdir(parents=True, exist_ok=True)
        # The registry first, the config last: a failed init leaves no config behind.
        engine = open_registry(config, create=True)
        write_config(config)
    else:
        config = load_config(path)
        engine = open_registry(config, create=True)
    return InitResult(path, display_url(config.registry_url), current_revision(engine), created)
