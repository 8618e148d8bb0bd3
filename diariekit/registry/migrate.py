"""Bring a registry database up to this diariekit's schema, and check that it is there.

Alembic runs programmatically: :func:`alembic_config` builds the configuration in code (no
``alembic.ini``) and passes the open connection to ``migrations/env.py``. An upgrade runs in
one write transaction, so it is all or nothing on both backends.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from diariekit.errors import RegistryError
from diariekit.registry.engine import connect, display_url, registry_errors, write_transaction

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "ensure_current",
    "head_revision",
    "upgrade",
]

#: The Alembic script directory inside the installed package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the registry's migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this diariekit knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty (never migrated) database."""
    with connect(engine) as conn, registry_errors(engine):
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest revision; a no-op when it is already there."""
    ensure_known(engine)
    with write_transaction(engine) as conn:
        try:
            command.upgrade(alembic_config(conn), "head")
        except CommandError as exc:
            where = display_url(engine.url)
            raise RegistryError(f"cannot upgrade registry {where}: {exc}") from exc


def ensure_known(engine: Engine) -> None:
    """Raise :class:`RegistryError` when the database was migrated by a newer diariekit."""
    current = current_revision(engine)
    if current is not None and current not in _known_revisions():
        raise RegistryError(
            f"registry is newer than this diariekit: {display_url(engine.url)} is at revision "
            f"{current!r}, this diariekit knows up to {head_revision()!r}; upgrade diariekit"
        )


def ensure_current(engine: Engine) -> None:
    """Raise :class:`RegistryError` unless the database is at the newest revision."""
    ensure_known(engine)
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        state = "is empty" if current is None else f"is at revision {current!r}"
        raise RegistryError(
            "registry needs migration: run `diariekit registry upgrade` "
            f"({display_url(engine.url)} {state}, this diariekit needs {head!r})"
        )


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}
