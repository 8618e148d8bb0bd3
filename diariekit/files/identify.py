"""Format identification (formatidentifiering) of a file with Siegfried and libmagic.

Siegfried (through ``pygfried``, which embeds it with its PRONOM signatures) gives the PRONOM
id (PUID) and the basis of the match; libmagic (``python-magic``) gives the MIME type. Both
answers are kept as the tools gave them, with the tools' versions, so that a result can be
traced and redone later; nothing is guessed from the file name. Siegfried itself does use
the extension for a few formats (CSV, JSON) and says so in ``basis``: identify the file
under its original name, not the store's object (which has none).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import magic
import pygfried

from diariekit.errors import Location, UnreadableInputError
from diariekit.files import require_regular_file
from diariekit.files.formats import format_for_puid, formats_for_mime

if TYPE_CHECKING:  # the result types exist only in pygfried's stub
    from pygfried import DetailedIdentifyResult, Match

__all__ = ["TOOL", "Identification", "identify", "libmagic_version", "siegfried_version"]

#: The identification tool named in results (PREMIS formatRegistryName is "PRONOM").
TOOL = "siegfried"

_UNKNOWN_MIME = "application/octet-stream"


@dataclass(frozen=True)
class Identification:
    """What the tools say a file's format (filformat) is, with the tools' versions.

    ``mime`` is libmagic's MIME type; ``puid`` the PRONOM id from Siegfried (None when
    Siegfried finds no match); ``format_name`` the plan word for it from
    :mod:`diariekit.files.formats` ("PDF/A", "DOCX"), by PUID or else by an unambiguous
    MIME type, None otherwise. ``basis`` and ``warning`` are Siegfried's own text
    ("extension match pdf; byte match at [[0 8] [531 5]]", "match on extension only").
    """

    mime: str
    puid: str | None
    format_name: str | None
    tool: str
    tool_version: str
    basis: str | None
    warning: str | None = None
    pronom_name: str | None = None
    pronom_version: str | None = None
    pronom_mime: str | None = None
    signature: str | None = None
    magic_version: str | None = None

    @property
    def extension_only(self) -> bool:
        """True when Siegfried matched on the file name alone, not on the content."""
        return self.warning is not None and "extension only" in self.warning

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@cache
def siegfried_version() -> str:
    """The version of the Siegfried embedded in ``pygfried`` ("1.11.9")."""
    return str(pygfried.version())


@cache
def libmagic_version() -> str | None:
    """The libmagic version ("5.44"), None if the binding cannot tell."""
    try:
        number = int(magic.version())  # type: ignore[no-untyped-call]  # untyped in its stub
    except (AttributeError, TypeError, ValueError, NotImplementedError, magic.MagicException):
        return None
    return f"{number // 100}.{number % 100:02d}"


def _text(value: Any) -> str | None:
    """Siegfried's empty strings mean "nothing": keep None instead."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _siegfried(path: Path) -> tuple[Match | None, DetailedIdentifyResult, str | None]:
    """Siegfried's first PRONOM match for ``path``, the whole result, and its error text."""
    try:
        result = pygfried.identify(str(path), detailed=True)
    except OSError as exc:  # pygfried.GoError is an OSError
        raise UnreadableInputError(
            f"Siegfried cannot identify the file: {exc}", Location(file=str(path))
        ) from exc
    files = result.get("files") or []
    matches = (files[0].get("matches") or []) if files else []
    errors = _text(files[0].get("errors")) if files else None
    if not matches and errors:
        raise UnreadableInputError(
            f"Siegfried cannot identify the file: {errors}", Location(file=str(path))
        )
    match = next((m for m in matches if m.get("ns") == "pronom"), matches[0] if matches else None)
    return match, result, errors


def _mime(path: Path) -> str:
    try:
        found = magic.from_file(str(path), mime=True)
    except (OSError, magic.MagicException) as exc:
        raise UnreadableInputError(
            f"libmagic cannot read the file: {exc}", Location(file=str(path))
        ) from exc
    return str(found).strip() or _UNKNOWN_MIME


def _format_name(puid: str | None, mime: str) -> str | None:
    if puid is not None:
        by_puid = format_for_puid(puid)
        if by_puid is not None:
            return by_puid.name
    candidates = formats_for_mime(mime)
    # "application/pdf" may be PDF or PDF/A: a MIME type names a format only when unambiguous.
    return candidates[0].name if len(candidates) == 1 else None


def identify(path: Path) -> Identification:
    """Identify the format of a regular file (symlinks are followed).

    Raises :class:`~diariekit.errors.UnreadableInputError` naming the file when it is
    missing, not a regular file, or cannot be read.
    """
    path = Path(path)
    require_regular_file(path)
    # libmagic reports a symlink as "inode/symlink": give both tools the target.
    target = Path(os.path.realpath(path)) if path.is_symlink() else path

    match, result, errors = _siegfried(target)
    mime = _mime(target)
    puid = _text(match.get("id")) if match else None
    if puid is not None and puid.upper() == "UNKNOWN":
        puid = None
    warnings = [w for w in (_text(match.get("warning")) if match else None, errors) if w]
    namespace = match.get("ns") if match else "pronom"
    signature = next(
        (
            _text(i.get("details"))
            for i in result.get("identifiers") or []
            if i.get("name") == namespace
        ),
        None,
    )
    return Identification(
        mime=mime,
        puid=puid,
        format_name=_format_name(puid, mime),
        tool=TOOL,
        tool_version=_text(result.get("siegfried")) or siegfried_version(),
        basis=_text(match.get("basis")) if match else None,
        warning="; ".join(warnings) or None,
        pronom_name=_text(match.get("format")) if match else None,
        pronom_version=_text(match.get("version")) if match else None,
        pronom_mime=_text(match.get("mime")) if match else None,
        signature=signature,
        magic_version=libmagic_version(),
    )
