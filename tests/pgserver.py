"""A throwaway PostgreSQL cluster on loopback for the tests (testing.md recipe).

The cluster lives in a fresh directory directly under ``/tmp`` (``tempfile.mkdtemp``; pytest's
``tmp_path`` sits below a 0700 directory the ``postgres`` user cannot enter), which also keeps
the Unix socket path short. ``initdb`` refuses to run as root, so as root every server command
runs as ``postgres`` through ``runuser``. Durability is switched off: the data is thrown away.

Use :func:`start_for_tests` from a session fixture: without PostgreSQL binaries it fails the
test run when ``CI`` is set and skips with a reason otherwise.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

DEFAULT_USER = "postgres"
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` with ``initdb``, else ``initdb`` on PATH."""
    candidates = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda p: _version_key(p.parent.name),
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb); "
        "install them with: apt-get update && apt-get install -y postgresql"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """A running throwaway cluster; :meth:`stop` (also registered at exit) removes it."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="dkpg", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "log"
        self.port = 0
        self._as_root = os.geteuid() == 0
        self._stopped = False
        if self._as_root:
            shutil.chown(self.root, user=DEFAULT_USER)
        atexit.register(self.stop)
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", DEFAULT_USER,
            "-E", "UTF8", "--no-locale", "--no-sync",
        )
        self._start()

    def _command(self, program: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / program), *args]
        return ["runuser", "-u", DEFAULT_USER, "--", *cmd] if self._as_root else cmd

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            self._command(program, *args), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()}"
                f"{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        try:
            tail = self.log.read_text(errors="replace").splitlines()[-20:]
        except OSError:
            return ""
        return "\nserver log:\n" + "\n".join(tail)

    def _start(self) -> None:
        # The port is free when picked but could be taken before the server binds it: retry.
        last: RuntimeError | None = None
        for _ in range(3):
            self.port = _free_port()
            options = (
                f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
                          "-o", options, "start")
                return
            except RuntimeError as exc:
                last = exc
        raise RuntimeError(f"could not start PostgreSQL in {self.root}: {last}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{DEFAULT_USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=DEFAULT_USER, dbname="postgres",
            autocommit=True,
        )

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its URL."""
        if not _NAME_RE.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, closing any connections still open to it."""
        if not _NAME_RE.match(name):
            raise ValueError(f"not a plain database name: {name!r}")
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """Stop the server and remove its directory (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                capture_output=True, check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def in_ci() -> bool:
    """True when running under CI (``CI`` set to true/1/yes), where skipping is not allowed."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def start_for_tests() -> PostgresServer:
    """Start a server, or skip (locally) / fail (in CI) when PostgreSQL is not installed."""
    try:
        bindir = find_bindir()
    except PostgresUnavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {exc}", pytrace=False)
        pytest.skip(str(exc))
    return PostgresServer(bindir)
