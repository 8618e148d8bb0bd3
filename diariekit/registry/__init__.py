"""The registry (diarium): its database schema, connections and migrations.

* :mod:`diariekit.registry.schema`: every table as SQLAlchemy Core (``metadata``).
* :mod:`diariekit.registry.engine`: :func:`open_engine` (SQLite or PostgreSQL) and
  :func:`write_transaction` (``BEGIN IMMEDIATE`` on SQLite, for gapless numbering).
* :mod:`diariekit.registry.migrate`: Alembic run in code: ``upgrade``, ``ensure_current``
  (import it directly: it is kept out of this module so commands start fast).
"""

from diariekit.registry.engine import (
    connect,
    display_url,
    open_engine,
    registry_errors,
    sqlite_url_for_path,
    write_transaction,
)
from diariekit.registry.schema import metadata

__all__ = [
    "connect",
    "display_url",
    "metadata",
    "open_engine",
    "registry_errors",
    "sqlite_url_for_path",
    "write_transaction",
]
