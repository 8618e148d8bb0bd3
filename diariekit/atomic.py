"""Atomic output files: written under a temporary name in the same folder, then renamed.

A reader never sees half a file, and a failed or interrupted write leaves the old file (or no
file) in place, never a partial one. The file is fsynced before the rename and the folder
after it, so a completed write survives a crash.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from diariekit.errors import DiariekitError, Location

__all__ = ["atomic_open", "write_bytes_atomic"]


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", *, error: type[DiariekitError] = DiariekitError,
                **kwargs: Any) -> Iterator[Any]:
    """Open a temporary file beside ``path``; on success fsync it and rename it to ``path``.

    ``mode`` is ``"w"`` (text: UTF-8 and ``\\n`` unless given) or ``"wb"``. The file gets
    the usual 0o644 permissions. An ``OSError`` becomes ``error`` (a
    :class:`DiariekitError` subclass) naming the file.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes only ('w' or 'wb'), not {mode!r}")
    if mode == "w":
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "\n")
    folder = path.parent if str(path.parent) else Path(".")
    tmp: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        tmp = Path(name)
        os.chmod(tmp, 0o644)  # mkstemp makes the file private
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        _fsync_folder(folder)
    except OSError as exc:
        raise error(f"cannot write: {exc.strerror or exc}", Location(str(path))) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
