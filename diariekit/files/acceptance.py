"""Whether a file's identified format is one the plan accepts (godkänt filformat).

The plan's format cell (see :func:`diariekit.files.formats.parse_formats_cell`) lists the
accepted formats; media words (Papper, Digitalt) are not formats and do not count. The
check uses the stored :class:`~diariekit.files.identify.Identification`, never the file
name: a PDF/A file satisfies "PDF" (PDF/A is a PDF), a plain PDF does not satisfy "PDF/A".
"""

from __future__ import annotations

from diariekit.files.formats import (
    FileFormat,
    FormatsCell,
    format_for_puid,
    formats_for_mime,
    lookup_format,
)
from diariekit.files.identify import Identification

__all__ = ["check_accepted", "identified_format"]

# A format satisfies a plan word for a wider format it is a profile of.
_ALSO_SATISFIES: dict[str, frozenset[str]] = {"PDF/A": frozenset({"PDF"})}


def identified_format(ident: Identification) -> FileFormat | None:
    """The plan format a stored identification names, by PUID first, else by its name.

    A match Siegfried made on the extension alone counts only when libmagic's MIME type
    agrees with the format, so a text file named ``.csv`` is CSV but a renamed file is not
    what its extension says.
    """
    found: FileFormat | None = None
    if ident.puid is not None:
        found = format_for_puid(ident.puid)
    if found is None and ident.format_name is not None:
        found = lookup_format(ident.format_name)
    if found is not None and ident.extension_only and _bare(ident.mime) not in found.mimes:
        return None
    return found


def _bare(mime: str) -> str:
    return mime.split(";")[0].strip().casefold()


def _satisfies(found: FileFormat, accepted: tuple[FileFormat, ...]) -> bool:
    wider = _ALSO_SATISFIES.get(found.name, frozenset())
    return any(a == found or a.name in wider for a in accepted)


def _describe(ident: Identification, found: FileFormat | None) -> str:
    if found is not None:
        return f"{found.name} ({ident.puid or ident.mime})"
    ids = ", ".join(x for x in (ident.puid, ident.mime) if x)
    return f"{ident.pronom_name or 'an unrecognised format'} ({ids})"


def check_accepted(ident: Identification, accepted: FormatsCell) -> str | None:
    """None when the file's format is accepted, else a sentence saying why not.

    None too when the plan lists no formats (nothing to check). Example: "file is PDF
    (fmt/17) but the plan accepts PDF/A, XML".
    """
    if not accepted.formats:
        return None
    found = identified_format(ident)
    if found is not None:
        if _satisfies(found, accepted.formats):
            return None
    elif ident.puid is None:
        # No PUID: the MIME type decides only if every format it may stand for is accepted
        # ("application/pdf" is fine for a plan accepting PDF, not for one wanting PDF/A).
        candidates = formats_for_mime(ident.mime)
        if candidates and all(_satisfies(c, accepted.formats) for c in candidates):
            return None
    names = ", ".join(accepted.names)
    return f"file is {_describe(ident, found)} but the plan accepts {names}"
