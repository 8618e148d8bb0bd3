"""Derive diariekit's table of OSL provisions from the statute text (issue 5).

Run from the repository root::

    python scripts/make_osl_table.py --source ../shared/external/domain/osl \\
        --out diariekit/osl_provisions.json

It reads ``osl_2009-400_paragrafer.csv`` (the consolidated text of offentlighets- och
sekretesslagen (2009:400), one row per version of a section; columns in
``../shared/external/domain/README.md``) and writes, for every version of every section
(paragraf) of chapters 15–40:

* ``valid_from`` / ``valid_to`` (the CSV's ``ikraft_datum`` / ``upphor_datum``; ``valid_to`` is
  the first day the version no longer applies). Versions are told apart by these dates, never
  by the ``status`` column (decisions.md, "OSL data").
* ``max_years``: the longest "högst N år" in the section, with the value per stycke and the
  matched phrases as evidence;
* ``harm_test`` (skaderekvisit) per stycke and for the section: ``reverse`` (omvänt, "om det
  inte står klart att"), ``qualified straight`` (kvalificerat rakt, "om det av särskild
  anledning kan antas", "om det måste antas"), ``straight`` (rakt, "om det kan antas") or
  ``absolute`` (a stycke that lays down secrecy with none of these). Stycken that lay down no
  secrecy (exceptions, definitions, the duration) have ``null``. The section's test is that
  of its first stycke laying down secrecy, or ``none`` when no stycke does;
* ``title``: a short title written by hand (``TITLES`` below) or, failing that, the CSV's
  ``rubrik``, which is only the nearest heading above the section (``title_is_heading``);
* ``state_only``: the section applies only to state authorities (statliga myndigheter).

The output holds no statute text beyond the matched phrases. It is deterministic: sorted, with
a header naming the source files, their SHA-256 and the generation date (``--generated``,
default the newest date in the source).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SECTIONS_FILE = "osl_2009-400_paragrafer.csv"
CHAPTERS = range(15, 41)
FORMAT = 1

#: Short titles written by hand; the CSV's ``rubrik`` is only the nearest heading.
TITLES: dict[str, str] = {
    "18:8": "Säkerhets- eller bevakningsåtgärd",
    "18:13": "Risk- och sårbarhetsanalyser, fredstida kriser",
    "19:1": "Det allmännas affärs- eller driftförhållanden",
    "19:3": "Förvärv, överlåtelse, upplåtelse; upphandling",
    "21:1": "Hälsa och sexualliv",
    "21:3": "Adress och kontaktuppgifter vid risk för hot eller våld",
    "21:7": "Behandling i strid med dataskyddsregleringen",
    "23:1": "Förskola: personliga förhållanden",
    "23:2": "Skola: elevhälsa, särskilt elevstöd och övrigt",
    "25:1": "Hälso- och sjukvård: hälsotillstånd och personliga förhållanden",
    "26:1": "Socialtjänst: personliga förhållanden",
    "30:23": "Tillsyn m.m. av statlig myndighet över näringslivet",
    "30:23 a": "Tillsyn mot penningtvätt: anmälarens identitet",
    "31:16": "Enskilds affärsförbindelse med myndighet",
    "32:4": "Överförmyndare och överförmyndarnämnd",
    "39:3": "Personaladministrativ verksamhet i övrigt",
    "40:5": "Teknisk bearbetning och lagring för annans räkning",
}

#: Sections that apply only to state authorities although the text does not say so in the
#: form the pattern below finds (decisions.md: 30:23 applies to state authorities).
STATE_ONLY: frozenset[str] = frozenset({"30:23"})

_NUMBER_WORDS = {
    "ett": 1,
    "två": 2,
    "tre": 3,
    "fyra": 4,
    "fem": 5,
    "sex": 6,
    "sju": 7,
    "åtta": 8,
    "nio": 9,
    "tio": 10,
    "femton": 15,
    "tjugo": 20,
    "tjugofem": 25,
    "trettio": 30,
    "fyrtio": 40,
    "femtio": 50,
    "sextio": 60,
    "sjuttio": 70,
    "åttio": 80,
    "nittio": 90,
    "hundra": 100,
    "etthundra": 100,
}
_MAX = re.compile(r"\bhögst\s+(\d+|[a-zåäö]+)\s+år\b", re.IGNORECASE)
_REVERSE = re.compile(r"\bom det inte står klart att\b", re.IGNORECASE)
_QUALIFIED = re.compile(
    r"\bom det av särskild anledning kan antas\b|\bom det måste antas\b", re.IGNORECASE
)
_STRAIGHT = re.compile(r"\bom det kan antas\b", re.IGNORECASE)
# A stycke lays down secrecy when it starts "Sekretess gäller …" (not "Sekretessen gäller
# inte …") or forbids release outright ("får … inte i något fall lämnas").
_LAYS_DOWN = re.compile(
    r"\bsekretess gäller\b(?!\s+inte)|\bgäller\s+(?:även\s+|också\s+|dock\s+)?sekretess\b"
    r"|\binte i något fall lämnas\b",
    re.IGNORECASE,
)
_STATE_ONLY = re.compile(
    r"^sekretess gäller[^.]*?\b(?:i|hos) en statlig myndighets?\b", re.IGNORECASE
)
_AMENDED = re.compile(r"\bLag \((\d{4}:\d+)\)\.?\s*$")
# A later section merged into this one by the markdown split: "##### … 23 a §".
_MERGED = re.compile(r"^#####.*?\s(\d+(?: [a-z])?) §\s*$")
_POINT = re.compile(r"^\d+\.\s")


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    try:
        return _NUMBER_WORDS[word.casefold()]
    except KeyError:
        raise SystemExit(f"unknown number word in 'högst {word} år'") from None


def _is_trailing_heading(lines: list[str]) -> bool:
    """The last line is the heading of the next section, merged in by the markdown split."""
    if len(lines) < 2:
        return False
    last = lines[-1].strip()
    if not last or _POINT.match(last) or _AMENDED.search(last):
        return False
    if not re.search(r"[.,:;]$", last):
        return True
    return (
        len(last) <= 60
        and lines[-2].rstrip().endswith(".")
        and not re.search(r"\b(?:gäller|gälla|avses|lämnas|får|ska)\b", last)
    )


def _stycken(lines: list[str]) -> list[str]:
    """Join numbered points (and the lines after them) to the stycke that introduces them."""
    stycken: list[str] = []
    in_points = False
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if _POINT.match(text) and stycken:
            stycken[-1] += " " + text
            in_points = True
            continue
        if in_points and stycken and not stycken[-1].rstrip().endswith("."):
            stycken[-1] += " " + text  # the text after the last point, e.g. "… 3. x, om det …"
            in_points = False
            continue
        in_points = False
        stycken.append(text)
    return stycken


def _harm_test(stycke: str) -> tuple[str | None, str | None]:
    """(test, matched phrase) for one stycke; (None, None) if it lays down no secrecy."""
    for name, pattern in (
        ("reverse", _REVERSE),
        ("qualified straight", _QUALIFIED),
        ("straight", _STRAIGHT),
    ):
        found = pattern.search(stycke)
        if found:
            return name, found.group(0)
    if _LAYS_DOWN.search(stycke):
        return "absolute", None
    return None, None


def _derive(
    chapter: int, paragraf: str, rubrik: str, lines: list[str], row: dict[str, str]
) -> dict[str, Any]:
    while _is_trailing_heading(lines):
        lines = lines[:-1]
    key = f"{chapter}:{paragraf}"
    amended = _AMENDED.search(lines[-1]) if lines else None
    stycken = _stycken(lines)
    tests: list[str | None] = []
    maxima: list[int | None] = []
    evidence: list[str] = []
    for stycke in stycken:
        test, phrase = _harm_test(stycke)
        tests.append(test)
        if phrase:
            evidence.append(phrase)
        found = [(m.group(0), _number(m.group(1))) for m in _MAX.finditer(stycke)]
        maxima.append(max((years for _, years in found), default=None))
        evidence.extend(phrase for phrase, _ in found)
    section_test = next((t for t in tests if t is not None), "none")
    longest = max((m for m in maxima if m is not None), default=None)
    number, _, letter = paragraf.partition(" ")
    title = TITLES.get(key)
    state_only = key in STATE_ONLY or bool(stycken and _STATE_ONLY.search(stycken[0]))
    return {
        "chapter": chapter,
        "section": int(number),
        "letter": letter or None,
        "ref": key,
        "valid_from": row["ikraft_datum"] or None,
        "valid_to": row["upphor_datum"] or None,
        "title": title if title is not None else rubrik,
        "title_is_heading": title is None,
        "harm_test": section_test,
        "harm_tests": tests,
        "max_years": longest,
        "max_years_by_stycke": maxima,
        "state_only": state_only,
        "amended_by": amended.group(1) if amended else None,
        "evidence": list(dict.fromkeys(evidence)),
    }


def _split_merged(paragraf: str, text: str) -> list[tuple[str, list[str]]]:
    """The section's own lines, then any later sections merged into it."""
    parts: list[tuple[str, list[str]]] = [(paragraf, [])]
    for line in text.replace("\r\n", "\n").split("\n"):
        merged = _MERGED.match(line)
        if merged:
            parts.append((merged.group(1), []))
        else:
            parts[-1][1].append(line)
    return parts


def _sort_key(entry: dict[str, Any]) -> tuple[int, int, str, str]:
    return (entry["chapter"], entry["section"], entry["letter"] or "", entry["valid_from"] or "")


def build(source: Path, generated: str | None) -> dict[str, Any]:
    path = source / SECTIONS_FILE
    raw = path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines(keepends=True)))
    provisions: list[dict[str, Any]] = []
    repealed: list[str] = []
    dates: set[str] = set()
    for row in rows:
        dates.update(d for d in (row["ikraft_datum"], row["upphor_datum"]) if d)
        chapter = int(row["kapitel"])
        if chapter not in CHAPTERS:
            continue
        if row["upphavd"].strip().casefold() == "true" or row["status"] == "upphavd":
            repealed.append(f"{chapter}:{row['paragraf']}")
            continue
        for paragraf, lines in _split_merged(row["paragraf"].strip(), row["text"]):
            provisions.append(_derive(chapter, paragraf, row["rubrik"].strip(), lines, row))
    provisions.sort(key=_sort_key)
    seen: set[tuple[int, int, str, str]] = set()
    for entry in provisions:
        key = _sort_key(entry)
        if key in seen:
            raise SystemExit(f"two versions of {entry['ref']} from {entry['valid_from']}")
        seen.add(key)
    return {
        "format": FORMAT,
        "law": "offentlighets- och sekretesslagen (2009:400)",
        "generated": generated or max(dates),
        "generator": "scripts/make_osl_table.py",
        "sources": [{"file": SECTIONS_FILE, "sha256": hashlib.sha256(raw).hexdigest()}],
        "chapters": [CHAPTERS.start, CHAPTERS.stop - 1],
        "repealed": sorted(repealed),
        "provisions": provisions,
    }


def render(table: dict[str, Any]) -> str:
    """The header indented, then one provision a line (short diffs when the law changes)."""
    header = {k: v for k, v in table.items() if k != "provisions"}
    head = json.dumps(header, ensure_ascii=False, indent=1)
    assert head.endswith("\n}")
    rows = ",\n".join("  " + json.dumps(p, ensure_ascii=False) for p in table["provisions"])
    return head[:-2] + ',\n "provisions": [\n' + rows + "\n ]\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, required=True, help="folder with the OSL CSVs")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    parser.add_argument(
        "--generated", help="generation date for the header (default: newest date in source)"
    )
    args = parser.parse_args(argv)
    text = render(build(args.source, args.generated))
    args.out.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
