"""Files (filer): the content-addressed store, format identification and checks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from diariekit.errors import Location, UnreadableInputError


def require_regular_file(path: Path) -> os.stat_result:
    """``os.stat`` of ``path`` (symlinks followed); :class:`UnreadableInputError` naming the
    file when it is missing, unreadable or not a regular file."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise UnreadableInputError(
            f"cannot read the file: {exc.strerror or exc}", Location(file=str(path))
        ) from exc
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableInputError("is not a regular file", Location(file=str(path)))
    return info
