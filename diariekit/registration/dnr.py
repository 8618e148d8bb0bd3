"""Case references (diarienummer) as data: templates that render and parse (domain.md §2.2).

Every series (*diarieserie*) has a template such as ``"{series} {year}/{number:04d}"`` and a
document suffix such as ``"-{seq}"``; a document reference (*handlingsnummer*) is the case
reference plus the suffix, e.g. ``AVN 2014/0169-2``.

Placeholders in a case template:

* ``{series}``: the series code (*diarieseriens kod*), e.g. ``KS``; optional, so that a
  series-less form such as Arbetsmiljöverket's ``2023/004796`` can be written.
* ``{year}`` (4 digits) or ``{yy}`` (2 digits, read as 2000 + yy, see :func:`year_of`).
* ``{number}`` or ``{number:0Nd}``: the running number (*löpnummer*), exactly once.
* ``{class}``: a dotted class code (*klassificeringskod*), e.g. ``1.4.5.3`` or ``003``.

The document suffix holds ``{seq}`` or ``{seq:0Nd}`` once, after a non-digit separator.

Leading zeros are text, not identity: ``KS 2015/44`` and ``KS 2015/0044`` are the same case.
Parsing accepts any count of digits, :meth:`DnrFormat.render` writes the canonical padding,
and :attr:`ParsedDnr.case_key` compares numerically.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from diariekit.errors import InvalidInputError

__all__ = [
    "YEAR_MAX",
    "YEAR_MIN",
    "YY_CENTURY",
    "DnrError",
    "DnrFormat",
    "ParsedDnr",
    "canonical",
    "normalize_ref",
    "parse_any",
    "year_of",
]

YEAR_MIN = 1900
"""Earliest year accepted in a case reference (diarienummer)."""
YEAR_MAX = 2199
"""Latest year accepted in a case reference (diarienummer)."""
YY_CENTURY = 2000
"""A two-digit ``{yy}`` means ``YY_CENTURY + yy``; years 1900–1999 need ``{year}``."""

EXAMPLE_YEAR = 2026
EXAMPLE_NUMBER = 42
EXAMPLE_CLASS = "1.2"

SERIES_PATTERN = r"[A-ZÅÄÖ][A-ZÅÄÖ0-9]*(?:-[A-ZÅÄÖ0-9]+)*"
"""A series code: an upper-case letter, then letters and digits, hyphen-separated groups."""
CLASS_PATTERN = r"[0-9]+(?:\.[0-9]+)*"
"""A class code (klassificeringskod): digits and dots, e.g. ``003`` or ``1.4.5.3``."""

_SERIES_RE = re.compile(SERIES_PATTERN)
_CLASS_RE = re.compile(CLASS_PATTERN)
# Lazy, so that the generic pattern leaves digits to the year or number that follows.
_SERIES_LAZY = r"[A-ZÅÄÖ][A-ZÅÄÖ0-9]*?(?:-[A-ZÅÄÖ0-9]+)*?"

_CASE_FIELDS = frozenset({"series", "year", "yy", "number", "class"})
_SUFFIX_FIELDS = frozenset({"seq"})
_PADDED_FIELDS = frozenset({"number", "seq"})
# Fields whose digit count varies; two of them side by side cannot be split again.
_VARIABLE_DIGITS = frozenset({"number", "class", "seq"})
_SPEC_RE = re.compile(r"(?:0([0-9]{1,2}))?d?")

_GROUPS = {
    "year": r"(?P<year>[0-9]{4})",
    "yy": r"(?P<yy>[0-9]{2})",
    "number": r"(?P<number>[0-9]+)",
    "class": rf"(?P<cls>{CLASS_PATTERN})",
    "seq": r"(?P<seq>[0-9]+)",
}


class DnrError(InvalidInputError, ValueError):
    """A case reference (diarienummer) or its format is wrong; the message names both."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class _Field:
    name: str
    width: int = 0  # zero-padding width; 0 = as many digits as needed


_Piece = str | _Field


def _analyse(text: str, allowed: frozenset[str], what: str) -> tuple[_Piece, ...]:
    """Split a template into literal text and placeholders, refusing anything unknown."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise DnrError(f"{what} {text!r} is not a valid template: {exc}") from None
    pieces: list[_Piece] = []
    for literal, name, spec, conversion in parsed:
        if literal:
            pieces.append(literal)
        if name is None:
            continue
        if name not in allowed:
            known = ", ".join("{" + f + "}" for f in sorted(allowed))
            raise DnrError(f"{what} {text!r} has unknown placeholder {{{name}}}; expected {known}")
        if conversion:
            raise DnrError(f"{what} {text!r}: {{{name}!{conversion}}} takes no conversion")
        width = 0
        if spec:
            match = _SPEC_RE.fullmatch(spec)
            if name not in _PADDED_FIELDS or match is None:
                raise DnrError(
                    f"{what} {text!r}: {{{name}:{spec}}} is not allowed; only {{number}} and "
                    "{seq} take a format, and only zero-padding such as ':04d'"
                )
            width = int(match.group(1) or 0)
        pieces.append(_Field(name, width))
    fields = [p.name for p in pieces if isinstance(p, _Field)]
    for name in set(fields):
        if fields.count(name) > 1:
            raise DnrError(f"{what} {text!r} has {{{name}}} more than once")
    for left, right in zip(pieces, pieces[1:], strict=False):
        if (
            isinstance(left, _Field)
            and isinstance(right, _Field)
            and left.name in _VARIABLE_DIGITS
            and right.name in _VARIABLE_DIGITS
        ):
            raise DnrError(
                f"{what} {text!r}: {{{left.name}}} and {{{right.name}}} are adjacent and could "
                "not be told apart when parsing; put a separator between them"
            )
    return tuple(pieces)


@lru_cache(maxsize=256)
def _template_pieces(template: str) -> tuple[_Piece, ...]:
    pieces = _analyse(template, _CASE_FIELDS, "Case reference (diarienummer) template")
    names = [p.name for p in pieces if isinstance(p, _Field)]
    if "number" not in names:
        raise DnrError(
            f"Case reference (diarienummer) template {template!r} needs exactly one "
            "{number} or {number:0Nd}"
        )
    if "year" in names and "yy" in names:
        raise DnrError(
            f"Case reference (diarienummer) template {template!r} has both {{year}} and {{yy}}"
        )
    if template != template.strip():
        raise DnrError(
            f"Case reference (diarienummer) template {template!r} starts or ends with whitespace"
        )
    return pieces


@lru_cache(maxsize=256)
def _suffix_pieces(suffix: str, template: str) -> tuple[_Piece, ...]:
    what = "Document suffix (handlingsnummer)"
    pieces = _analyse(suffix, _SUFFIX_FIELDS, what)
    if not any(isinstance(p, _Field) for p in pieces):
        raise DnrError(f"{what} {suffix!r} needs exactly one {{seq}} or {{seq:0Nd}}")
    first = pieces[0]
    if not isinstance(first, str) or first[0].isdigit() or first[0].isspace():
        raise DnrError(
            f"{what} {suffix!r} must start with a separator such as '-' or ':', so that the "
            "sequence can be told apart from the case reference"
        )
    last = _template_pieces(template)[-1]
    if isinstance(last, _Field) and last.name == "class" and first.startswith("."):
        raise DnrError(
            f"{what} {suffix!r} starts with '.', which cannot follow the class code at the end "
            f"of {template!r}"
        )
    return pieces


@lru_cache(maxsize=1024)
def _compile(template: str, suffix: str, series: str | None) -> re.Pattern[str]:
    """The anchored pattern for a template; ``series`` None matches any series code."""
    parts: list[str] = []
    for piece in _template_pieces(template) + _suffix_pieces(suffix, template):
        if isinstance(piece, str):
            parts.append(re.escape(piece))
        elif piece.name == "series":
            code = _SERIES_LAZY if series is None else re.escape(series)
            parts.append(f"(?P<series>{code})")
        else:
            parts.append(_GROUPS[piece.name])
    case_len = len(_template_pieces(template))
    case_part = "".join(parts[:case_len])
    suffix_part = "".join(parts[case_len:])
    return re.compile(rf"\A{case_part}(?:{suffix_part})?\Z")


def _check_series(series: str) -> None:
    if not _SERIES_RE.fullmatch(series):
        raise DnrError(
            f"Series code {series!r} is not valid: expected an upper-case letter followed by "
            "letters or digits (A–Ö, 0–9), optionally in hyphen-separated groups, e.g. 'KS'"
        )


def _check_year(year: int, source: str) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise DnrError(f"{source}: year {year} is outside {YEAR_MIN}–{YEAR_MAX}")


class _DnrValueError(DnrError):
    """The text has the right shape but a value is out of range (year, number 0, seq 0)."""


@dataclass(frozen=True)
class ParsedDnr:
    """A parsed case reference (diarienummer), or document reference when ``seq`` is set.

    ``series`` is the series code (*diarieserie*) the reference belongs to: read from the text
    when the template writes it, otherwise the series it was parsed for (None if unknown).
    ``raw`` keeps the text as written (leading zeros and all).
    """

    series: str | None
    year: int | None
    number: int
    seq: int | None = None
    class_code: str | None = None
    raw: str = ""

    @property
    def case_key(self) -> tuple[str | None, int | None, int]:
        """The numeric identity of the case (ärende): (series, year, number)."""
        return (self.series, self.year, self.number)


def year_of(parsed: ParsedDnr) -> int | None:
    """The full registration year (*registreringsår*) of a parsed reference, or None.

    A template with ``{yy}`` is read as ``2000 + yy`` (:data:`YY_CENTURY`), so ``0100/16`` is
    from 2016. This is a documented choice: references from 1900–1999 must use ``{year}``.
    """
    return parsed.year


@dataclass(frozen=True)
class DnrFormat:
    """The format of one series' case references (diarienummer) and document references.

    ``template`` writes the case reference, e.g. ``"{series} {year}/{number:04d}"``;
    ``doc_suffix`` is appended for a document in the case, e.g. ``"-{seq}"`` or ``":{seq}"``.
    Both are validated on construction; a bad template raises :class:`DnrError`.
    """

    template: str
    doc_suffix: str = "-{seq}"

    def __post_init__(self) -> None:
        if not isinstance(self.template, str) or not isinstance(self.doc_suffix, str):
            raise DnrError("Case reference (diarienummer) template and suffix must be text")
        _template_pieces(self.template)
        _suffix_pieces(self.doc_suffix, self.template)

    # -- introspection -------------------------------------------------------------------

    @property
    def fields(self) -> frozenset[str]:
        """The placeholders the case template uses, e.g. ``{"series", "year", "number"}``."""
        return frozenset(p.name for p in _template_pieces(self.template) if isinstance(p, _Field))

    @property
    def regex(self) -> re.Pattern[str]:
        """The anchored pattern for a case or document reference, for any series code.

        Groups: ``series``, ``year`` or ``yy``, ``number`` (any count of digits), ``cls`` (the
        class code) and ``seq``, as far as the template has them.
        """
        return _compile(self.template, self.doc_suffix, None)

    def example(self, series: str) -> str:
        """An example case reference (diarienummer) in this format, for messages and help."""
        class_code = EXAMPLE_CLASS if "class" in self.fields else None
        return self.render(
            series=series, year=EXAMPLE_YEAR, number=EXAMPLE_NUMBER, class_code=class_code
        )

    def describe(self, series: str | None) -> str:
        """A one-line description: example (template + suffix)."""
        try:
            example = self.example(series) if series is not None else None
        except DnrError:
            example = None
        form = f"template {self.template!r}, document suffix {self.doc_suffix!r}"
        return f"{example!r} ({form})" if example else form

    # -- render ---------------------------------------------------------------------------

    def render(self, *, series: str, year: int, number: int, class_code: str | None = None) -> str:
        """Write the case reference (diarienummer) canonically, with the template's padding."""
        fields = self.fields
        what = f"Cannot render case reference (diarienummer) with {self.template!r}"
        if "series" in fields:
            _check_series(series)
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise DnrError(f"{what}: number {number!r} must be a whole number of at least 1")
        if "year" in fields or "yy" in fields:
            if not isinstance(year, int) or isinstance(year, bool):
                raise DnrError(f"{what}: year {year!r} must be a whole number")
            _check_year(year, what)
            if "yy" in fields and not YY_CENTURY <= year < YY_CENTURY + 100:
                raise DnrError(
                    f"{what}: year {year} cannot be written as two digits {{yy}} "
                    f"(only {YY_CENTURY}–{YY_CENTURY + 99})"
                )
        if "class" in fields:
            if class_code is None or not _CLASS_RE.fullmatch(class_code):
                raise DnrError(
                    f"{what}: class code {class_code!r} is needed, as digits and dots "
                    "such as '1.4.5.3'"
                )
        elif class_code is not None:
            raise DnrError(f"{what}: the template has no {{class}} for {class_code!r}")
        out: list[str] = []
        for piece in _template_pieces(self.template):
            if isinstance(piece, str):
                out.append(piece)
            elif piece.name == "series":
                out.append(series)
            elif piece.name == "year":
                out.append(f"{year:04d}")
            elif piece.name == "yy":
                out.append(f"{year - YY_CENTURY:02d}")
            elif piece.name == "number":
                out.append(f"{number:0{piece.width}d}" if piece.width else str(number))
            else:
                assert class_code is not None
                out.append(class_code)
        return "".join(out)

    def render_document(self, case_ref: str, seq: int) -> str:
        """Write a document reference: the case reference plus the suffix, e.g. ``-3``."""
        if not case_ref:
            raise DnrError("Cannot render a document reference without a case reference")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise DnrError(
                f"Cannot render document reference for {case_ref!r}: sequence {seq!r} must be "
                "a whole number of at least 1"
            )
        out = [case_ref]
        for piece in _suffix_pieces(self.doc_suffix, self.template):
            if isinstance(piece, str):
                out.append(piece)
            else:
                out.append(f"{seq:0{piece.width}d}" if piece.width else str(seq))
        return "".join(out)

    # -- parse ----------------------------------------------------------------------------

    def parse(self, text: str, *, series: str | None = None) -> ParsedDnr:
        """Read a case reference (diarienummer) or a document reference in this format.

        With ``series`` given, a template with ``{series}`` must show exactly that code;
        without it, any series code is accepted and read from the text. The text must match
        the whole template (no surrounding whitespace; see :func:`parse_any` for tolerance).
        """
        if not isinstance(text, str) or not text.strip():
            raise DnrError(
                f"Empty case reference (diarienummer); expected {self.describe(series or 'KS')}"
            )
        if series is not None:
            _check_series(series)
        match = _compile(self.template, self.doc_suffix, series).fullmatch(text)
        if match is None:
            raise DnrError(self._mismatch(text, series))
        groups = match.groupdict()
        what = f"Case reference (diarienummer) {text!r}"
        year: int | None = None
        if groups.get("year") is not None:
            year = int(groups["year"])
        elif groups.get("yy") is not None:
            year = YY_CENTURY + int(groups["yy"])
        if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
            raise _DnrValueError(f"{what}: year {year} is outside {YEAR_MIN}–{YEAR_MAX}")
        number = int(groups["number"])
        if number < 1:
            raise _DnrValueError(f"{what}: number {groups['number']!r} must be at least 1")
        seq: int | None = None
        if groups.get("seq") is not None:
            seq = int(groups["seq"])
            if seq < 1:
                raise _DnrValueError(
                    f"{what}: document sequence {groups['seq']!r} must be at least 1"
                )
        found_series = groups.get("series") if "series" in self.fields else series
        return ParsedDnr(
            series=found_series,
            year=year,
            number=number,
            seq=seq,
            class_code=groups.get("cls"),
            raw=text,
        )

    def _mismatch(self, text: str, series: str | None) -> str:
        expected = self.describe(series or "KS")
        if series is not None and "series" in self.fields:
            generic = self.regex.fullmatch(text)
            if generic is not None and generic.group("series") != series:
                return (
                    f"Case reference (diarienummer) {text!r} has series code "
                    f"{generic.group('series')!r}, expected {series!r} as in {expected}"
                )
        return f"{text!r} is not a case reference (diarienummer) of the form {expected}"


def canonical(fmt: DnrFormat, parsed: ParsedDnr, series: str) -> str:
    """The case reference (diarienummer) of ``parsed`` written canonically, without ``seq``."""
    year = parsed.year
    if year is None:
        if "year" in fmt.fields or "yy" in fmt.fields:
            raise DnrError(
                f"Cannot write {parsed.raw or parsed!r} as {fmt.template!r}: it has no year"
            )
        year = EXAMPLE_YEAR  # unused by the template
    return fmt.render(series=series, year=year, number=parsed.number, class_code=parsed.class_code)


_SPACE_OR_DASH = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u202f": " ",  # narrow no-break space
        "\u2009": " ",  # thin space
        "\t": " ",
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
        "\u200b": None,  # zero-width space
        "\ufeff": None,  # byte order mark
        "\u00ad": None,  # soft hyphen
    }
)
_PREFIX_RE = re.compile(r"\A(?:diarienummer|dnr)(?![A-Za-zÅÄÖåäö])\s*[:.]?\s*", re.IGNORECASE)
_SPACES_RE = re.compile(r"\s+")


def normalize_ref(text: str) -> str:
    """Tidy a case reference (diarienummer) as found in documents.

    Drops a leading ``Dnr``, ``Dnr:``, ``DNR.`` or ``Diarienummer:``, turns no-break and other
    spaces into one plain space, dashes (en dash, minus) into ``-``, and strips the ends.
    """
    return _PREFIX_RE.sub("", _tidy_spaces(text), count=1).strip()


def _tidy_spaces(text: str) -> str:
    return _SPACES_RE.sub(" ", text.translate(_SPACE_OR_DASH)).strip()


def parse_any(text: str, formats: Mapping[str, DnrFormat]) -> ParsedDnr:
    """Read a case or document reference (diarienummer) in any of the configured formats.

    ``formats`` maps series codes to formats. The text is tidied with :func:`normalize_ref`
    first; ``raw`` keeps the text as given. When several formats match, the one whose series
    code appears literally in the text wins; if that does not decide, :class:`DnrError`.
    """
    if not formats:
        raise DnrError("No case reference (diarienummer) formats are configured")
    forms = "; ".join(f"{code}: {fmt.describe(code)}" for code, fmt in formats.items())
    original = text if isinstance(text, str) else ""
    tidy = normalize_ref(original)
    if not tidy:
        raise DnrError(f"Empty case reference (diarienummer); expected one of: {forms}")
    # The text as written first: a series may itself be called "DNR" ("DNR 2026/42").
    spaced = _tidy_spaces(original)
    texts = [spaced] if spaced == tidy else [spaced, tidy]
    found: list[tuple[str, DnrFormat, ParsedDnr]] = []
    value_errors: list[str] = []
    for code, fmt in formats.items():
        for candidate in texts:
            try:
                found.append((code, fmt, fmt.parse(candidate, series=code)))
            except _DnrValueError as exc:
                value_errors.append(exc.message)
            except DnrError:
                continue
            break
    if not found:
        if value_errors:
            raise DnrError("; ".join(value_errors))
        raise DnrError(
            f"{original!r} is not a case reference (diarienummer) in any configured form; "
            f"expected one of: {forms}"
        )
    if len(found) > 1:
        literal = [
            hit
            for hit in found
            if re.search(rf"(?<![A-ZÅÄÖ]){re.escape(hit[0])}(?![A-ZÅÄÖ])", tidy)
        ]
        if len(literal) == 1:
            found = literal
        else:
            codes = ", ".join(code for code, _, _ in (literal or found))
            raise DnrError(
                f"Case reference (diarienummer) {original!r} is ambiguous: it fits the forms of "
                f"series {codes}; write the series code or configure distinct forms"
            )
    return replace(found[0][2], raw=original)
