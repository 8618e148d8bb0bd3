"""OSL provisions (sekretessbestämmelser) as data.

The table ``osl_provisions.json`` is derived from the statute text of offentlighets- och
sekretesslagen (2009:400) by ``scripts/make_osl_table.py`` (run it again when the law
changes). It holds every version of every section of chapters 15–40 with the dates it applies
(``valid_from`` inclusive, ``valid_to`` exclusive), a short title, the harm test (skaderekvisit,
domain.md §3.2) and the maximum time secrecy can apply to data in an allmän handling.

:meth:`ProvisionTable.get` picks the version in force on a date (decisions.md, "OSL data").
Sections with a letter (30 kap. 23 a §) are in the JSON file but not yet reachable here, since
:class:`~diariekit.secrecy.ProvisionRef` has no letter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from diariekit.secrecy import ProvisionRef

__all__ = [
    "HARM_TESTS",
    "Provision",
    "ProvisionTable",
    "add_years",
    "load_provisions",
]

#: Harm tests (skaderekvisit) in the table; ``none`` marks a section that lays down no secrecy
#: itself (an exception, a definition, secrecy moving to another authority).
HARM_TESTS = ("straight", "qualified straight", "reverse", "absolute", "none")

_RESOURCE = "osl_provisions.json"


@dataclass(frozen=True)
class Provision:
    """One version of a section (paragraf) of OSL.

    ``harm_test`` is the test of the section's main rule (its first stycke laying down
    secrecy); ``harm_tests`` gives it per stycke (``None`` for stycken laying down no
    secrecy). ``max_years`` is the longest "högst N år" of the section, ``None`` if it states
    none. ``valid_to`` is the first day this version no longer applies.
    """

    ref: ProvisionRef
    title: str
    harm_test: str
    max_years: int | None
    valid_from: date | None
    valid_to: date | None
    state_only: bool
    harm_tests: tuple[str | None, ...] = field(default=(), compare=False)
    title_is_heading: bool = field(default=False, compare=False)

    def in_force(self, on: date) -> bool:
        """Whether this version applies on the date."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on < self.valid_to
        )

    def harm_test_for(self, stycke: int | None) -> str:
        """The harm test of one stycke (1-based), or of the section when it has none."""
        if stycke is not None and 1 <= stycke <= len(self.harm_tests):
            test = self.harm_tests[stycke - 1]
            if test is not None:
                return test
        return self.harm_test


def add_years(start: date, years: int) -> date:
    """The same month and day ``years`` later; 29 February becomes 28 February."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year that is not a leap year
        return start.replace(year=start.year + years, day=28)


def _date(value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, not {value!r}")
    return date.fromisoformat(value)


class ProvisionTable:
    """Versions of OSL sections, looked up by reference and date."""

    def __init__(self, provisions: list[Provision], header: dict[str, Any] | None = None):
        self.header: dict[str, Any] = dict(header or {})
        self._by_section: dict[ProvisionRef, list[Provision]] = {}
        for provision in provisions:
            self._by_section.setdefault(provision.ref.section_ref, []).append(provision)
        for versions in self._by_section.values():
            versions.sort(key=lambda p: p.valid_from or date.min)

    def __iter__(self) -> Iterator[Provision]:
        for ref in sorted(self._by_section):
            yield from self._by_section[ref]

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_section.values())

    def versions(self, ref: ProvisionRef) -> tuple[Provision, ...]:
        """Every version of the section, oldest first."""
        return tuple(self._by_section.get(ref.section_ref, ()))

    def get(self, ref: ProvisionRef, on: date) -> Provision | None:
        """The version of the section in force on the date (stycke and point are ignored)."""
        for provision in self._by_section.get(ref.section_ref, ()):
            if provision.in_force(on):
                return provision
        return None

    def known(self, ref: ProvisionRef, on: date) -> bool:
        """Whether the section exists (and is in force) on the date."""
        return self.get(ref, on) is not None

    def max_until(
        self, ref: ProvisionRef, document_date: date, on: date | None = None
    ) -> date | None:
        """The last date secrecy can apply to data in a handling dated ``document_date``:
        ``document_date`` + the section's maximum years (``None`` when the section states no
        maximum or is not in force). ``on`` picks the version (default: the document date).
        """
        provision = self.get(ref, on or document_date)
        if provision is None or provision.max_years is None:
            return None
        return add_years(document_date, provision.max_years)


def _provision(entry: dict[str, Any]) -> Provision | None:
    if entry.get("letter"):
        return None
    harm_test = str(entry["harm_test"])
    if harm_test not in HARM_TESTS:
        raise ValueError(f"{entry.get('ref')}: unknown harm test {harm_test!r}")
    max_years = entry.get("max_years")
    return Provision(
        ref=ProvisionRef(int(entry["chapter"]), int(entry["section"])),
        title=str(entry["title"]),
        harm_test=harm_test,
        max_years=None if max_years is None else int(max_years),
        valid_from=_date(entry.get("valid_from")),
        valid_to=_date(entry.get("valid_to")),
        state_only=bool(entry.get("state_only", False)),
        harm_tests=tuple(
            None if t is None else str(t) for t in entry.get("harm_tests", ())
        ),
        title_is_heading=bool(entry.get("title_is_heading", False)),
    )


def table_from_json(text: str) -> ProvisionTable:
    """A table from the JSON written by ``scripts/make_osl_table.py``."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("provisions"), list):
        raise ValueError("not an OSL provision table: no 'provisions' list")
    provisions = [p for p in (_provision(e) for e in data["provisions"]) if p is not None]
    header = {k: v for k, v in data.items() if k != "provisions"}
    return ProvisionTable(provisions, header)


@cache
def load_provisions() -> ProvisionTable:
    """The table shipped with diariekit (``diariekit/osl_provisions.json``)."""
    text = resources.files("diariekit").joinpath(_RESOURCE).read_text(encoding="utf-8")
    return table_from_json(text)
