"""The registry (diarium): its database schema, connections and migrations.

* :mod:`diariekit.registry.schema`: every table as SQLAlchemy Core (``metadata``).
* :mod:`diariekit.registry.engine`: :func:`open_engine` (SQLite or PostgreSQL) and
  :func:`write_transaction` (``BEGIN IMMEDIATE`` on SQLite, for gapless numbering).
* :mod:`diariekit.registry.migrate`: Alembic run in code: :func:`upgrade`,
  :func:`ensure_current`.
"""

from diariekit.registry.engine import (
    connect,
    display_url,
    open_engine,
    registry_errors,
    sqlite_url_for_path,
    write_transaction,
)
from diariekit.registry.migrate import current_revision, ensure_current, head_revision, upgrade
from diariekit.registry.schema import metadata

__all__ = [
    "connect",
    "current_revision",
    "display_url",
    "ensure_current",
    "head_revision",
    "metadata",
    "open_engine",
    "registry_errors",
    "sqlite_url_for_path",
    "upgrade",
    "write_transaction",
]
