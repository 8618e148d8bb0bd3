"""Secrecy (sekretess) under OSL, offentlighets- och sekretesslagen (2009:400).

This module reads references to OSL provisions (sekretessbestämmelser) as plans and people
write them, and the secrecy cell of a document-management plan, which is only a default hint
(domain.md §3): every request for a record gets a fresh assessment, so nothing here releases or
refuses anything.

Sections of this module:

* references: :class:`ProvisionRef`, :func:`parse_provision_ref`;
* plan cells: :class:`SecrecyHint`, :func:`parse_secrecy_cell`;
* (issue 5) the provision table derived from the statute CSV (title, harm test, maximum
  time), secrecy markings (sekretessmarkeringar, OSL 5 kap. 5 §) and what a public extract
  may show will be added below, built on :class:`ProvisionRef`.

Accepted reference forms (case-insensitive; NBSP, en and em dashes tolerated)::

    OSL 26:1        26:1        26 kap. 1 § OSL        26 kap 1§ offentlighets- och sekretesslagen
    OSL 26 kap. 1 §        SFS 2009:400 26 kap. 1 §        26 kap. 1 § 2 st.
    26 kap. 1 § andra stycket        OSL 26:1 st. 2 p. 3        26 kap. 1 § första stycket 3

References to the repealed sekretesslagen (1980:100), such as "SekrL 7:4", are refused with a
message saying they need mapping to the OSL provision that replaced them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "OSL_CHAPTERS",
    "ProvisionError",
    "ProvisionRef",
    "SecrecyHint",
    "parse_provision_ref",
    "parse_secrecy_cell",
]

#: OSL has 44 chapters (kapitel); the individual secrecy provisions are in chapters 15–40.
OSL_CHAPTERS = range(1, 45)


class ProvisionError(ValueError):
    """A reference to an OSL provision (lagrum) that is malformed or out of range."""


@dataclass(frozen=True, order=True)
class ProvisionRef:
    """A reference to a provision (bestämmelse) of OSL, offentlighets- och sekretesslagen.

    ``chapter`` (kapitel) and ``section`` (paragraf) are required; ``stycke`` (paragraph
    within the section) and ``point`` (punkt) narrow it down. ``str()`` gives the canonical
    form of domain.md §4 (``OSL 26:1``, ``OSL 26:1 st. 2``, ``OSL 26:1 st. 2 p. 3``), which
    :func:`parse_provision_ref` reads back. Sorting follows the statute: 26:1 < 26:1 st. 2
    < 26:2 < 39:3.
    """

    # Compared first so that ordering works although stycke and point may be None
    # (a plain tuple comparison would compare None with int).
    _sort_key: tuple[int, int, int, int] = field(init=False, repr=False)
    chapter: int
    section: int
    stycke: int | None = None
    point: int | None = None

    def __post_init__(self) -> None:
        for name in ("chapter", "section", "stycke", "point"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ProvisionError(f"{name} must be a whole number, not {value!r}")
        if self.chapter not in OSL_CHAPTERS:
            raise ProvisionError(
                f"chapter {self.chapter} is outside OSL's chapters "
                f"{OSL_CHAPTERS.start}–{OSL_CHAPTERS.stop - 1}"
            )
        if self.section < 1:
            raise ProvisionError(
                f"section {self.section} is not a valid section (sections start at 1)"
            )
        if self.stycke is not None and self.stycke < 1:
            raise ProvisionError(f"stycke {self.stycke} is not valid (stycken start at 1)")
        if self.point is not None and self.point < 1:
            raise ProvisionError(f"point {self.point} is not valid (points start at 1)")
        key = (self.chapter, self.section, self.stycke or 0, self.point or 0)
        object.__setattr__(self, "_sort_key", key)

    def __str__(self) -> str:
        text = f"OSL {self.chapter}:{self.section}"
        if self.stycke is not None:
            text += f" st. {self.stycke}"
        if self.point is not None:
            text += f" p. {self.point}"
        return text

    @property
    def section_ref(self) -> ProvisionRef:
        """The whole section (paragraf), without stycke and point."""
        return ProvisionRef(self.chapter, self.section)

    def to_dict(self) -> dict[str, object]:
        return {
            "ref": str(self),
            "chapter": self.chapter,
            "section": self.section,
            "stycke": self.stycke,
            "point": self.point,
        }


# --------------------------------------------------------------------------- references

_ORDINALS = {
    "första": 1,
    "andra": 2,
    "tredje": 3,
    "fjärde": 4,
    "femte": 5,
    "sjätte": 6,
    "sjunde": 7,
    "åttonde": 8,
    "nionde": 9,
    "tionde": 10,
}
_ORD = "|".join(_ORDINALS)
# "2", "2:a", "3:e" or an ordinal word
_NUM = rf"(?:\d+(?::[ae])?|{_ORD})"

# Law designations are rewritten to one token before matching, so that "2009:400" is never
# read as chapter 2009, section 400.
_LAW_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"offentlighets-?\s*(?:och|&)\s*sekretesslag(?:en)?"
            r"(?:\s*\(\s*(?:SFS\s*)?2009\s*:\s*400\s*\))?",
            re.IGNORECASE,
        ),
        " OSL ",
    ),
    (
        re.compile(r"\(\s*(?:SFS\s*)?2009\s*:\s*400\s*\)|(?:SFS\s*)?\b2009\s*:\s*400\b", re.I),
        " OSL ",
    ),
    (
        re.compile(
            r"sekretesslag(?:en)?(?:\s*\(\s*(?:SFS\s*)?1980\s*:\s*100\s*\))?"
            r"|\(\s*(?:SFS\s*)?1980\s*:\s*100\s*\)|(?:SFS\s*)?\b1980\s*:\s*100\b",
            re.IGNORECASE,
        ),
        " SekrL ",
    ),
)

# Other laws that can follow a reference, e.g. "29 kap. 14 § skollagen" (tystnadsplikt in
# skollagen) or "12 kap. 6 § SoL": such a reference is not to OSL.
_OTHER_LAW = (
    r"(?:TF|RF|YGL|FL|SoL|SoF|LSS|HSL|PDL|PSL|SFB|BrB|RB|LVU|LVM|SkolL|OSF|GDPR|PUL"
    r"|[a-zåäö]+lag(?:en)?|[a-zåäö]+förordning(?:en)?)\b"
)

_LAW = r"(?:OSL|SekrL)"
_TAIL = (
    rf"(?:\s*,?\s*(?:(?:st\.?|stycke(?:t)?)\s*(?P<st_a>{_NUM})|(?P<st_b>{_NUM})\s*(?:st\.?|stycket)))?"
    # a point: "p. 3", "punkt 3", "3 p.", "3 punkten", or a bare number after "... stycket"
    rf"(?:(?<=stycket)\s+(?P<p_c>\d+)(?![\d:])"
    rf"|\s*,?\s*(?:(?:p\.?|punkt(?:en)?)\s*(?P<p_a>{_NUM})|(?P<p_b>{_NUM})\s*(?:p\.?|punkten)))?"
)
_REF_BODY = (
    r"(?:"
    # 26 kap. 1 §   26 kap 1§   26 kap. 1 och 5 §§   30 kap. 23 a §
    r"(?P<kchap>\d+)\s*kap(?:\.|itlet)?\s*"
    r"(?P<ksecs>\d+(?:\s*[a-z](?![a-zåäö]))?(?:\s*(?:,|och)\s*\d+(?:\s*[a-z](?![a-zåäö]))?)*)"
    r"\s*(?:§§?|paragraf(?:en|erna)?)"
    r"|"
    # 26:1   26 : 1
    r"(?P<cchap>\d+)\s*:\s*(?P<csec>\d+)(?![\d§])"
    r")"
)
_REF = re.compile(
    rf"(?P<pre>(?:{_LAW}[\s,]*)+)?"
    rf"(?<![\d:]){_REF_BODY}{_TAIL}"
    rf"(?:\s*,?\s*(?P<suf>{_LAW})|\s+(?P<other>{_OTHER_LAW}))?",
    re.IGNORECASE,
)
_LETTER_SECTION = re.compile(r"(\d+)\s*([a-z])$", re.IGNORECASE)


def _normalise(text: str) -> str:
    """Unify the characters that plans and word processors vary."""
    text = (
        text.replace("\u00a0", " ")
        .replace("\u202f", " ")
        .replace("\u00ad", "")
        .replace("\u2013", "-")
        .replace("\u2014", "-")
        .replace("\u2011", "-")
    )
    for pattern, replacement in _LAW_REWRITES:
        text = pattern.sub(replacement, text)
    # One law token before a reference is enough; long runs would make matching quadratic.
    text = _LAW_RUN.sub(_one_law, text)
    return re.sub(r"\s+", " ", text).strip()


_LAW_RUN = re.compile(r"\b(?:(?:OSL|SekrL)\b[\s,]*){2,}", re.IGNORECASE)


def _one_law(run: re.Match[str]) -> str:
    return " SekrL " if "sekrl" in run.group(0).casefold() else " OSL "


def _int(digits: str) -> int:
    # int() refuses very long digit strings with a plain ValueError; no OSL number has more
    # than a few digits, so report such text as what it is.
    if len(digits) > 9:
        raise ProvisionError(f"number {digits[:12]}… is too large for a provision reference")
    return int(digits)


def _number(token: str | None) -> int | None:
    if token is None:
        return None
    token = token.casefold()
    if token in _ORDINALS:
        return _ORDINALS[token]
    return _int(token.split(":")[0])


_OLD_LAW_MESSAGE = (
    "'{text}' refers to the repealed sekretesslagen (1980:100), not OSL (2009:400); "
    "map it to the OSL provision that replaced it"
)


def _refs_from_match(match: re.Match[str], text: str) -> list[ProvisionRef]:
    """The references one regex match stands for (several for "26 kap. 1 och 5 §§")."""
    laws = " ".join(x for x in (match["pre"], match["suf"]) if x).casefold()
    if "sekrl" in laws:
        raise ProvisionError(_OLD_LAW_MESSAGE.format(text=text))
    if match["other"]:
        raise ProvisionError(f"'{text}' refers to {match['other']}, not to OSL")
    stycke = _number(match["st_a"] or match["st_b"])
    point = _number(match["p_a"] or match["p_b"] or match["p_c"])
    if match["kchap"] is not None:
        chapter = _int(match["kchap"])
        sections: list[int] = []
        for part in re.split(r"\s*(?:,|och)\s*", match["ksecs"], flags=re.IGNORECASE):
            lettered = _LETTER_SECTION.fullmatch(part.strip())
            if lettered:
                raise ProvisionError(
                    f"'{text}': sections with a letter ({lettered[1]} {lettered[2]} §) "
                    "are not supported yet"
                )
            sections.append(_int(part))
    else:
        chapter = _int(match["cchap"])
        sections = [_int(match["csec"])]
    if len(sections) > 1 and (stycke is not None or point is not None):
        raise ProvisionError(f"'{text}': stycke or point given for several sections")
    return [ProvisionRef(chapter, s, stycke, point) for s in sections]


def parse_provision_ref(text: str) -> ProvisionRef:
    """Parse one reference to an OSL provision (lagrum), e.g. "26 kap. 1 § OSL" → OSL 26:1.

    Raises :class:`ProvisionError` with a message naming what is wrong: an empty or
    unrecognised text, a chapter outside 1–44, a section below 1, a reference to the repealed
    sekretesslagen (1980:100) or to another law, or more than one reference.
    """
    if not isinstance(text, str):
        raise ProvisionError(f"a provision reference must be text, not {type(text).__name__}")
    shown = text.strip()
    normalised = _normalise(text).strip(" .,;")
    if not normalised:
        raise ProvisionError("empty provision reference")
    match = _REF.fullmatch(normalised)
    if match is None:
        if re.search(r"\bSekrL\b", normalised, re.IGNORECASE):
            raise ProvisionError(_OLD_LAW_MESSAGE.format(text=shown))
        if re.fullmatch(r"(?:(?:OSL|SekrL)\s*)+", normalised, re.IGNORECASE):
            raise ProvisionError(f"'{shown}' names the law but no chapter and section")
        chapter_only = re.fullmatch(
            r"(?:OSL\s*)?(\d+)\s*(?:kap\.?|kapitlet)?(?:\s*OSL)?", normalised, re.IGNORECASE
        )
        if chapter_only:
            raise ProvisionError(
                f"'{shown}' gives chapter {chapter_only[1]} but no section (write e.g. "
                f"'OSL {chapter_only[1]}:1')"
            )
        found = list(_REF.finditer(normalised))
        if len(found) > 1:
            raise ProvisionError(
                f"'{shown}' holds {len(found)} references; give one "
                "(a plan's secrecy cell may hold several)"
            )
        raise ProvisionError(
            f"'{shown}' is not a recognised OSL reference "
            "(expected forms like 'OSL 26:1', '26 kap. 1 § OSL' or 'OSL 26:1 st. 2 p. 3')"
        )
    refs = _refs_from_match(match, shown)
    if len(refs) > 1:
        raise ProvisionError(
            f"'{shown}' holds {len(refs)} references; give one "
            "(a plan's secrecy cell may hold several)"
        )
    return refs[0]


# --------------------------------------------------------------------------- plan cells

_NONE_PHRASES = re.compile(
    r"(?:-+|nej|ej|ingen|inga|nix|n/?a|offentlig[at]?|allmän(?:na)?|saknas|ej aktuellt"
    r"|(?:ej|ingen|inte|icke) sekretess(?:belagd[at]?)?|offentlig handling"
    r"|inga sekretessuppgifter)",
    re.IGNORECASE,
)
_MAY_PHRASES = re.compile(
    r"(?:ja|x|ev|eventuellt|delvis|ofta|sekretess|tystnadsplikt|sekretessbelag(?:d|da|t)|sekretessprövas"
    r"|sekretessprövning|prövas|vid behov|(?:uppgifter som omfattas av )?sekretess förekommer"
    r"|kan förekomma|förekommer|kan finnas|kan innehålla sekretess(?:belagda uppgifter)?)",
    re.IGNORECASE,
)
_MAY_WORDS = re.compile(r"kan\s+förekomma|kan\s+finnas|kan\s+innehålla|prövas", re.IGNORECASE)
_FILLERS = re.compile(
    r"\b(?:enligt|enl\.?|se|jfr\.?|t\.\s?ex\.?|bl\.\s?a\.?|m\.\s?fl\.?|mfl|samt|och|eller|"
    r"OSL|lagrum)(?=\s|$|[.,;:])",
    re.IGNORECASE,
)
_REFLIKE = re.compile(r"\d+\s*:\s*\d*|\d+\s*kap|\bkap\b|§|\bst\.|\bSekrL\b", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r"[,;/\n()]|\s+(?:och|eller|samt)\s+", re.IGNORECASE)

_NOT_GIVEN = "may hold secret data, provision not given"


@dataclass(frozen=True)
class SecrecyHint:
    """What a plan's secrecy cell (Sekretess) says: a default hint only (domain.md §3).

    ``provisions`` are the OSL references found; ``may_contain`` is true when the cell says
    that secret data may occur (a provision, or words such as "Ja", "Kan förekomma");
    ``none`` is true when it says there is none ("Nej", "Offentlig", "-" or an empty cell).
    ``problems`` are errors for ``plan validate`` (malformed or out-of-range references);
    ``warnings`` are for a person to look at (no provision given, unrecognised words).
    """

    raw: str
    provisions: tuple[ProvisionRef, ...] = ()
    may_contain: bool = False
    none: bool = False
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "raw": self.raw,
            "provisions": [str(p) for p in self.provisions],
            "may_contain": self.may_contain,
            "none": self.none,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }

    def describe(self) -> str:
        """One line for people, e.g. "OSL 26:1, OSL 21:1" or "no secrecy"."""
        if self.provisions:
            text = ", ".join(str(p) for p in self.provisions)
        elif self.may_contain:
            text = _NOT_GIVEN
        elif self.none:
            text = "no secrecy"
        else:
            text = "not stated"
        extras = [*self.problems, *(w for w in self.warnings if w != _NOT_GIVEN)]
        if extras:
            text += " (" + "; ".join(extras) + ")"
        return text


def parse_secrecy_cell(text: str | None) -> SecrecyHint:
    """Read a plan's secrecy cell (sekretess) into a :class:`SecrecyHint`; never raises.

    Several references may be given ("OSL 26:1, 21:1", "26 kap. 1 § och 25 kap. 1 § OSL",
    "OSL 26:1; OSL 39:3"); references without a law are read as OSL. A chapter outside 1–44,
    a reference to the repealed sekretesslagen or to another law, and text that looks like a
    reference but cannot be read are problems; free words nobody recognised are warnings.
    """
    raw = text if isinstance(text, str) else ""
    normalised = _normalise(raw)
    provisions: list[ProvisionRef] = []
    problems: list[str] = []
    warnings: list[str] = []
    residue_parts: list[str] = []
    position = 0
    for match in _REF.finditer(normalised):
        residue_parts.append(normalised[position : match.start()])
        position = match.end()
        shown = match.group(0).strip(" ,")
        try:
            refs = _refs_from_match(match, shown)
        except ProvisionError as error:
            if match["other"]:
                warnings.append(str(error))
            else:
                problems.append(str(error) if str(error).startswith("'") else f"'{shown}': {error}")
            continue
        for ref in refs:
            if ref not in provisions:
                provisions.append(ref)
    residue_parts.append(normalised[position:])

    may_contain = bool(provisions)
    says_none = False
    unknown: list[str] = []
    for clause in _CLAUSE_SPLIT.split(" ".join(residue_parts)):
        if re.search(r"\bOSL\b", clause, re.IGNORECASE):
            may_contain = True  # "Sekretess enligt OSL": the law is named, the provision is not
        words = re.sub(r"\s+", " ", _FILLERS.sub(" ", clause)).strip()
        shown = words.strip(" .,:;!?*")
        if not shown:
            continue
        if _NONE_PHRASES.fullmatch(shown):
            says_none = True
        elif _MAY_PHRASES.fullmatch(shown) or _MAY_WORDS.search(shown):
            may_contain = True
        elif re.search(r"\bSekrL\b", shown, re.IGNORECASE):
            problems.append(_OLD_LAW_MESSAGE.format(text=raw.strip()))
        elif _REFLIKE.search(words) or shown.isdigit():
            fragment = words.strip(" .,;")
            problems.append(f"'{fragment}' looks like a provision reference but cannot be read")
        else:
            unknown.append(shown)

    if unknown:
        listed = ", ".join(repr(u) for u in unknown)
        warnings.append(f"unrecognised words in secrecy cell: {listed}")
    if says_none and may_contain:
        warnings.append("the cell says both that there is no secrecy and that there may be")
    if may_contain and not provisions and not problems:
        warnings.append(_NOT_GIVEN)
    none = not may_contain and not problems and not unknown
    return SecrecyHint(
        raw=raw,
        provisions=tuple(provisions),
        may_contain=may_contain,
        none=none,
        problems=tuple(dict.fromkeys(problems)),
        warnings=tuple(dict.fromkeys(warnings)),
    )
