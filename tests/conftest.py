"""Shared fixtures.

* ``pg_server``: one throwaway PostgreSQL cluster per test session (``tests/pgserver.py``).
  Without PostgreSQL binaries the PostgreSQL tests skip locally and fail when ``CI`` is set.
* ``registry_url``: a fresh, empty registry database per test, once on SQLite and once on
  PostgreSQL (test ids ``[sqlite]`` / ``[postgresql]``; select one with ``-k sqlite``).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Make the helpers next to this file importable as top-level modules (``import pgserver``).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pgserver  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# No test may pass or fail on timing (CI machines are shared and slow): no deadlines.
# In CI the examples are derandomised, so a run is reproducible; locally they vary, and
# every counterexample found becomes a test of its own.
settings.register_profile("diariekit", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("diariekit"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "diariekit")

from diariekit.registry.engine import sqlite_url_for_path  # noqa: E402

REGISTRY_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole session, stopped at the end."""
    server = pgserver.start_for_tests()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=REGISTRY_BACKENDS)
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (not migrated) on each backend."""
    if request.param == "sqlite":
        yield sqlite_url_for_path(tmp_path / "registry.sqlite")
        return
    server: pgserver.PostgresServer = request.getfixturevalue("pg_server")
    name = f"dk_{uuid.uuid4().hex[:16]}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_folder() -> Path:
    """The shared folder with the official schemas and public data (``$DIARIEKIT_SHARED``,
    default ``../shared`` from the repository root)."""

    return Path(os.environ.get("DIARIEKIT_SHARED", REPO_ROOT.parent / "shared")).resolve()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail loudly, before any test, when the shared folder is missing."""
    folder = shared_folder()
    if not (folder / "external" / "schemas").is_dir():
        raise pytest.UsageError(
            f"the shared folder is missing: {folder} has no external/schemas. Clone the "
            "repository beside 'shared', or set DIARIEKIT_SHARED to its path.")


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared folder (checked at session start)."""
    return shared_folder()


# A registry with two organisations and their sample plans, for every test folder.
from registries import registry, write_input  # noqa: E402,F401
