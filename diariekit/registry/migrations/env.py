"""Alembic environment of the registry.

``diariekit.registry.migrate`` passes an open connection (already in a transaction) through
``config.attributes["connection"]``; migrations run on it, so an upgrade commits or rolls
back as a whole. Without one (a developer running the ``alembic`` command with
``sqlalchemy.url`` set), an engine is opened from that URL. Offline mode writes SQL.

SQLite gets ``render_as_batch`` so that later ALTERs work by copying tables. Such a copy of
``event`` drops its append-only triggers: a migration that batch-alters ``event`` must create
them again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

config = context.config


def _target_metadata() -> sa.MetaData:
    # For autogenerate only; revisions themselves never import schema.py.
    from diariekit.registry.schema import metadata

    return metadata


def _run(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        # Batch mode copies and drops tables; with foreign keys on, dropping a referenced
        # table would fail at once. Deferred, they are still checked, at COMMIT.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    context.configure(
        connection=connection,
        target_metadata=_target_metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    from diariekit.registry.engine import open_engine, write_transaction

    engine = open_engine(url)
    try:
        with write_transaction(engine) as conn:
            _run(conn)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=_target_metadata(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
