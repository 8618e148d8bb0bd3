"""Open the registry database (SQLite file or PostgreSQL) and run write transactions.

SQLite connections get foreign keys on, the WAL journal with ``synchronous = FULL`` (set
whatever the build's default: a committed batch is on disk and survives a power cut), a busy
timeout and a page cache of up to :data:`SQLITE_CACHE_KIB` (memory only). Python's sqlite3
module would issue its own deferred ``BEGIN``; it is switched off so that this module decides
how a transaction begins: :func:`write_transaction` begins with ``BEGIN IMMEDIATE``, taking
the write lock before the first read, which is what gapless numbering needs (read the counter,
insert, bump the counter, all under one lock). On PostgreSQL a write transaction is an ordinary
one; the numbering code locks the counter row itself (``SELECT … FOR UPDATE``).

Connection problems become :class:`~diariekit.errors.RegistryError` (exit 5) with the URL,
password hidden.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from diariekit.errors import RegistryError

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "SQLITE_CACHE_KIB",
    "connect",
    "display_url",
    "open_engine",
    "registry_errors",
    "sqlite_url_for_path",
    "write_transaction",
]

#: How long a writer waits for another writer's lock before giving up (SQLite).
BUSY_TIMEOUT_SECONDS = 30

#: Upper bound of an SQLite connection's page cache, in KiB (SQLite's default is 2 000).
#: A bulk registration writes about 25 index entries per row, several of them under random
#: keys (uuid4 ids, SHA-256 hashes); once those indexes outgrow the cache, every insert
#: reads a page back and spills a dirty one to the WAL inside the open transaction, and
#: writing the spilled pages is most of the time of a large batch. The cache is filled
#: only as pages are used, so small registries and commands never reach the bound.
SQLITE_CACHE_KIB = 65536

#: Seconds to wait for a PostgreSQL server to answer.
CONNECT_TIMEOUT_SECONDS = 10

_IMMEDIATE = "diariekit_begin_immediate"

_json_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def sqlite_url_for_path(path: str | Path) -> str:
    """The SQLAlchemy URL of an SQLite registry file (made absolute)."""
    absolute = Path(path).expanduser().resolve()
    if any(c in str(absolute) for c in "?#"):
        raise RegistryError(f"cannot use {absolute} as a registry path: it contains '?' or '#'")
    return f"sqlite+pysqlite:///{absolute}"


def display_url(url: str | URL) -> str:
    """The URL as it may be shown to a user: the password replaced by ``***``."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        return "<unparseable registry URL>"
    return parsed.render_as_string(hide_password=True)


def open_engine(url: str | URL, *, check: bool = True, echo: bool = False) -> Engine:
    """Open the registry at ``url`` and, unless ``check`` is false, connect once to check it.

    Accepts ``sqlite:///path`` (made ``sqlite+pysqlite``) and ``postgresql://…`` (made
    ``postgresql+psycopg``). Raises :class:`RegistryError` when the URL is bad or the database
    cannot be reached.
    """
    try:
        parsed = sa.make_url(url)
    except ArgumentError as exc:
        raise RegistryError(f"bad registry URL {display_url(url)!r}: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+pysqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    else:
        raise RegistryError(
            f"unsupported registry URL {display_url(parsed)!r}: "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        )
    try:
        if backend == "sqlite":
            engine = _sqlite_engine(parsed, echo=echo)
        else:
            engine = _postgresql_engine(parsed, echo=echo)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise RegistryError(f"cannot open registry {display_url(parsed)}: {exc}") from exc
    if check:
        try:
            with connect(engine):
                pass
        except RegistryError:
            engine.dispose()
            raise
    return engine


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    engine = sa.create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
    )
    in_memory = url.database in (None, "", ":memory:") or "mode=memory" in str(url)

    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Stop pysqlite from emitting its own BEGIN; _on_begin below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgresql_engine(url: URL, *, echo: bool) -> Engine:
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if "options" not in url.query:
        # Timestamps come back in UTC whatever the server's default zone is.
        connect_args["options"] = "-c timezone=UTC"
    return sa.create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        connect_args=connect_args,
        pool_pre_ping=True,
    )


def connect(engine: Engine) -> Connection:
    """A new connection to the registry; :class:`RegistryError` when it cannot be made."""
    try:
        return engine.connect()
    except DBAPIError as exc:
        raise RegistryError(
            f"cannot connect to registry {display_url(engine.url)}: {_first_line(exc)}"
        ) from exc


@contextmanager
def registry_errors(engine: Engine) -> Iterator[None]:
    """Turn a lost connection or a lock held too long into :class:`RegistryError`.

    Constraint violations and other statement errors pass through unchanged: they are bugs
    or the caller's to explain.
    """
    try:
        yield
    except DBAPIError as exc:
        where = display_url(engine.url)
        if _is_lock_timeout(exc):
            raise RegistryError(
                f"registry {where} is locked: another process held it longer than "
                f"{BUSY_TIMEOUT_SECONDS} s; try again later ({_first_line(exc)})"
            ) from exc
        if exc.connection_invalidated:
            raise RegistryError(
                f"lost the connection to registry {where}: {_first_line(exc)}"
            ) from exc
        raise


def _is_lock_timeout(exc: DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    text = str(exc.orig).casefold()
    return "database is locked" in text or "database table is locked" in text


def _first_line(exc: DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines()
    return lines[0] if lines else type(exc.orig).__name__


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction, committed on success and rolled back on error.

    On SQLite the transaction begins with ``BEGIN IMMEDIATE``, so it holds the write lock
    from its first statement (waiting up to the busy timeout for other writers); on
    PostgreSQL it is a normal transaction.
    """
    with connect(engine) as conn, registry_errors(engine):
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn
