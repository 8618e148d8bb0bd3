"""Bring a registry database up to this diariekit's schema, and check that it is there.

Alembic runs programmatically: :func:`alembic_config` builds the configuration in code (no
``alembic.ini``) and passes the open connection to ``migrations/env.py``. An upgrade runs in
one write transaction, so it is all or nothing on both backends.

Every command checks that the registry is current, so that check must be cheap: it reads
the ``alembic_version`` table and the revision ids of the shipped migration files without
importing Alembic (whose import costs a third of a second). Alembic itself is imported only
to upgrade.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from diariekit.errors import RegistryError
from diariekit.registry.engine import connect, display_url, registry_errors, write_transaction

if TYPE_CHECKING:
    from alembic.config import Config

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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


_REVISION = re.compile(r'^revision(?:: str)? = "([^"]+)"', re.M)
_DOWN = re.compile(r'^down_revision(?:: [^=]+)? = (?:"([^"]+)"|None)', re.M)


@cache
def _revision_graph() -> dict[str, str | None]:
    """revision → down_revision, read from the migration files' headers."""
    graph: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(text), _DOWN.search(text)
        if rev and down:
            graph[rev.group(1)] = down.group(1)
    return graph


def head_revision() -> str:
    """The newest revision this diariekit knows."""
    graph = _revision_graph()
    heads = set(graph) - {d for d in graph.values() if d}
    if len(heads) != 1:  # pragma: no cover - the package always ships one line of history
        raise RuntimeError(f"expected one head revision in {MIGRATIONS_DIR}, found {heads}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty (never migrated) database."""
    with connect(engine) as conn, registry_errors(engine):
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        return str(rows[0]) if rows else None


def upgrade(engine: Engine) -> None:
    """Migrate the database to the newest revision; a no-op when it is already there."""
    from alembic import command
    from alembic.util import CommandError

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
    return set(_revision_graph())
