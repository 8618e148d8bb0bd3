"""The public register extract (diarieutdrag / postlista): what anyone may see of the diarium.

One row per registered case (its title row, ärendemening) and per registered document
(handling), cases in number order with their documents after them, then loose documents.
The columns are stable (:data:`COLUMNS`):

========================  =====================================================================
``kind``                  ``case`` (ärende) or ``document`` (handling)
``ref``                   the diarienummer of the case, or the document's reference
``case``                  the diarienummer of the document's case (empty for loose documents)
``registered``            registration date (registreringsdatum), Europe/Stockholm
``document_date``         received, drawn up or dispatched (a case: the date it was opened)
``direction``             ``incoming``, ``outgoing`` or ``internal`` (inkommande, upprättad,
                          utgående in HTML)
``record_type``           the record type's name (handlingstyp)
``case_title``            the case title in its public form (ärendemening)
``counterpart``           sender or recipient in its public form (avsändare/mottagare)
``description``           the description in its public form (handlingsmening)
``secrecy``               the provisions of the entry's effective markings ("OSL 26:1")
``status``                registrerad, makulerad, gallrad, levererad; a case: pågående,
                          vilande, avslutat, avskrivet, överlämnat, makulerat
========================  =====================================================================

What never appears (domain.md §3.4): protected forms (``*_protected`` columns are not read at
all), personnummer (``person_ref`` is not read; anything shaped like a personnummer or
samordningsnummer is removed from every field, :func:`scrub_personnummer`), and for an entry
with an effective secrecy marking (:func:`diariekit.markings.effective_markings`) its
counterpart and description (or only the one marked) and a marked case title, which are
replaced by a neutral text naming the provision (:func:`secrecy_text`). The number, dates,
direction and record type of a secret entry are shown: the public may know that it exists.
A voided entry (makulerad) shows its number and status only.

Rows are streamed from the registry in chunks; nothing holds the whole register in memory.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.atomic import atomic_open
from diariekit.clock import STOCKHOLM, legal_date
from diariekit.config import Config
from diariekit.errors import UsageError
from diariekit.markings import EffectiveMarking, effective_case_markings, effective_markings
from diariekit.organisations import organisation_id
from diariekit.registry.engine import connect
from diariekit.registry.schema import case_, document, record_type, series
from diariekit.registry.session import open_registry

__all__ = [
    "COLUMNS",
    "EXTRACT_FORMATS",
    "ExtractFilter",
    "iter_public_extract",
    "scrub_personnummer",
    "secrecy_text",
    "write_extract",
    "write_public_extract",
]

COLUMNS = ("kind", "ref", "case", "registered", "document_date", "direction", "record_type",
           "case_title", "counterpart", "description", "secrecy", "status")
EXTRACT_FORMATS = ("csv", "jsonl", "html")

#: The text that stands in for a personnummer or samordningsnummer.
PERSONNUMMER_TEXT = "[personnummer]"

# ÅÅMMDD-NNNN, ÅÅMMDD+NNNN, ÅÅÅÅMMDD-NNNN, ÅÅÅÅMMDDNNNN, ÅÅMMDDNNNN, with a space allowed as
# separator; the day may be a samordningsnummer day (61–91). Month and day are checked so that
# organisationsnummer (month ≥ 20) and dates stay; no check digit is required, since a
# mistyped personnummer is still one.
_PERSONNUMMER = re.compile(
    r"(?<!\d)(?:1[89]|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+ ]?\d{4}(?!\d)")

_DOC_STATUS = {"registered": "registrerad", "voided": "makulerad", "disposed": "gallrad",
               "transferred": "levererad"}
_CASE_STATUS = {"open": "pågående", "dormant": "vilande", "closed": "avslutat",
                "written_off": "avskrivet", "forwarded": "överlämnat", "voided": "makulerat"}
_DIRECTION_SV = {"incoming": "Inkommande", "internal": "Upprättad", "outgoing": "Utgående"}
_HEADINGS_SV = {"kind": "Typ", "ref": "Nummer", "case": "Ärende", "registered": "Registrerad",
                "document_date": "Datum", "direction": "Riktning", "record_type": "Handlingstyp",
                "case_title": "Ärendemening", "counterpart": "Avsändare/mottagare",
                "description": "Beskrivning", "secrecy": "Sekretess", "status": "Status"}
_KIND_SV = {"case": "Ärende", "document": "Handling"}
_CHUNK = 500

Row = dict[str, str | None]


def scrub_personnummer(text: str | None) -> str | None:
    """``text`` with everything shaped like a personnummer or samordningsnummer replaced."""
    if not text:
        return text
    return _PERSONNUMMER.sub(PERSONNUMMER_TEXT, text)


def secrecy_text(provisions: list[str]) -> str:
    """The neutral text that replaces secret data, e.g. "Uppgift omfattas av sekretess
    enligt OSL 26:1"."""
    return "Uppgift omfattas av sekretess enligt " + ", ".join(provisions)


@dataclass(frozen=True)
class ExtractFilter:
    """Which entries an extract holds: one organisation, optionally one series and a range of
    registration dates (both ends included)."""

    org_id: str | None = None
    series: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UsageError(f"--from {self.date_from} is after --to {self.date_to}")

    def describe(self) -> str:
        parts = []
        if self.series:
            parts.append(f"serie {self.series}")
        if self.date_from or self.date_to:
            parts.append(f"registrerade {self.date_from or '…'} – {self.date_to or '…'}")
        return ", ".join(parts)


def _utc_bound(day: date) -> datetime:
    """The UTC moment a Swedish calendar day starts."""
    return datetime.combine(day, time(0), STOCKHOLM)


def _in_range(when: datetime, f: ExtractFilter) -> bool:
    day = legal_date(when)
    return (f.date_from is None or day >= f.date_from) and (f.date_to is None or
                                                           day <= f.date_to)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _provisions(markings: list[EffectiveMarking], targets: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(m.provision for m in markings if m.target in targets))


def _clean(row: Row) -> Row:
    return {k: scrub_personnummer(v) for k, v in row.items()}


def _case_row(c: Any, case_marks: list[EffectiveMarking]) -> Row:
    provisions = _provisions(case_marks, ("case_title",))
    if c.case_status == "voided":
        return {**dict.fromkeys(COLUMNS), "kind": "case", "ref": c.dnr, "case": c.dnr,
                "status": _CASE_STATUS["voided"]}
    return {"kind": "case", "ref": c.dnr, "case": c.dnr,
            "registered": _iso(legal_date(c.case_registered_at)),
            "document_date": _iso(c.opened_at), "direction": None, "record_type": None,
            "case_title": secrecy_text(provisions) if provisions else c.title,
            "counterpart": None, "description": None,
            "secrecy": ", ".join(provisions) or None,
            "status": _CASE_STATUS.get(c.case_status, c.case_status)}


def _document_row(d: Any, doc_marks: list[EffectiveMarking],
                  case_marks: list[EffectiveMarking]) -> Row:
    if d.doc_status == "voided":
        return {**dict.fromkeys(COLUMNS), "kind": "document", "ref": d.ref, "case": d.dnr,
                "status": _DOC_STATUS["voided"]}
    whole = _provisions(doc_marks, ("document",))
    counterpart = _provisions(doc_marks, ("document", "counterpart"))
    description = _provisions(doc_marks, ("document", "description"))
    title_marks = _provisions(case_marks, ("case_title",))
    title = d.title
    if title_marks:
        title = secrecy_text(title_marks)
    all_provisions = list(dict.fromkeys([*whole, *counterpart, *description]))
    return {"kind": "document", "ref": d.ref, "case": d.dnr,
            "registered": _iso(legal_date(d.registered_at)),
            "document_date": _iso(d.date_received or d.date_drawn_up or d.date_dispatched),
            "direction": d.direction, "record_type": d.rt_name, "case_title": title,
            "counterpart": secrecy_text(counterpart) if counterpart else d.counterpart,
            "description": secrecy_text(description) if description else d.description,
            "secrecy": ", ".join(all_provisions) or None,
            "status": _DOC_STATUS.get(d.doc_status, d.doc_status)}


# Only public columns are selected: never *_protected, never person_ref.
_CASE_COLS = (case_.c.id.label("case_id"), case_.c.dnr, case_.c.title, case_.c.opened_at,
              case_.c.status.label("case_status"),
              case_.c.registered_at.label("case_registered_at"))
_DOC_COLS = (document.c.id.label("doc_id"), document.c.ref, document.c.direction,
             document.c.counterpart, document.c.description, document.c.date_received,
             document.c.date_drawn_up, document.c.date_dispatched, document.c.registered_at,
             document.c.status.label("doc_status"), record_type.c.name.label("rt_name"))


def _case_query(oid: str, f: ExtractFilter) -> sa.Select[Any]:
    q = (sa.select(*_CASE_COLS, *_DOC_COLS)
         .join(series, series.c.id == case_.c.series_id)
         .outerjoin(document, document.c.case_id == case_.c.id)
         .outerjoin(record_type, record_type.c.id == document.c.record_type_id)
         .where(case_.c.organisation_id == oid)
         .order_by(series.c.code, case_.c.year, case_.c.number, document.c.seq))
    if f.series:
        q = q.where(series.c.code == f.series)
    return q.where(*_date_conditions(f, case_.c.registered_at, document.c.registered_at))


def _loose_query(oid: str, f: ExtractFilter) -> sa.Select[Any]:
    q = (sa.select(*_DOC_COLS, sa.null().label("dnr"), sa.null().label("title"),
                   sa.null().label("case_id"))
         .outerjoin(record_type, record_type.c.id == document.c.record_type_id)
         .outerjoin(series, series.c.id == document.c.series_id)
         .where(document.c.organisation_id == oid, document.c.case_id.is_(None))
         .order_by(series.c.code, document.c.year, document.c.number, document.c.ref))
    if f.series:
        q = q.where(series.c.code == f.series)
    return q.where(*_date_conditions(f, document.c.registered_at))


def _date_conditions(f: ExtractFilter, *columns: sa.ColumnElement[Any]
                     ) -> list[sa.ColumnElement[bool]]:
    """Rows where any of ``columns`` (registration timestamps) is in the range; the exact
    legal-date test per entry is made in Python."""
    conds: list[sa.ColumnElement[bool]] = []
    for column in columns:
        parts: list[sa.ColumnElement[bool]] = []
        if f.date_from:
            parts.append(column >= _utc_bound(f.date_from))
        if f.date_to:
            parts.append(column < _utc_bound(f.date_to + timedelta(days=1)))
        if parts:
            conds.append(sa.and_(*parts))
    return [sa.or_(*conds)] if conds else []


def _stream(conn: Connection, q: sa.Select[Any]) -> Iterator[Sequence[Any]]:
    # Per statement: Connection.execution_options() would change the whole connection.
    result = conn.execute(q, execution_options={"stream_results": True, "yield_per": _CHUNK})
    yield from result.partitions(_CHUNK)


def _rows(conn: Connection, oid: str, f: ExtractFilter) -> Iterator[Row]:
    last_case: str | None = None
    for chunk in _stream(conn, _case_query(oid, f)):
        doc_marks = effective_markings(conn, [r.doc_id for r in chunk if r.doc_id])
        case_marks = effective_case_markings(conn, {r.case_id for r in chunk})
        for r in chunk:
            marks = case_marks.get(r.case_id, [])
            if r.case_id != last_case:
                last_case = r.case_id
                if _in_range(r.case_registered_at, f):
                    yield _clean(_case_row(r, marks))
            if r.doc_id is not None and _in_range(r.registered_at, f):
                yield _clean(_document_row(r, doc_marks.get(r.doc_id, []), marks))
    for chunk in _stream(conn, _loose_query(oid, f)):
        doc_marks = effective_markings(conn, [r.doc_id for r in chunk])
        for r in chunk:
            yield _clean(_document_row(r, doc_marks.get(r.doc_id, []), []))


def iter_public_extract(config: Config, f: ExtractFilter | None = None
                        ) -> Generator[Row, None, None]:
    """The rows of the public extract (see the module docstring), streamed.

    The connection stays open while the iterator is consumed; close the generator (or run
    it to the end) to release it.
    """
    f = f or ExtractFilter()
    org = config.organisation(f.org_id)
    engine = open_registry(config)
    with connect(engine) as conn, conn.begin():
        oid = organisation_id(conn, org.id)
        if f.series and conn.execute(sa.select(series.c.id).where(
                series.c.organisation_id == oid, series.c.code == f.series)).first() is None:
            raise UsageError(f"--series: organisation {org.id} has no series '{f.series}'")
        yield from _rows(conn, oid, f)


# --------------------------------------------------------------------------- writers


def _write_csv(rows: Iterator[Row], out: TextIO) -> int:
    # UTF-8 with a BOM and ";" (what Swedish Excel opens), as ``plan export`` writes.
    out.write("\ufeff")
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(COLUMNS)
    n = 0
    for row in rows:
        w.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
        n += 1
    return n


def _write_jsonl(rows: Iterator[Row], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps({c: row[c] for c in COLUMNS}, ensure_ascii=False) + "\n")
        n += 1
    return n


_CSS = ("body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}"
        "th{background:#eee}tr.case td{font-weight:600;background:#f7f7f7}"
        "td.secret{font-style:italic}")


def _write_html(rows: Iterator[Row], out: TextIO, title: str) -> int:
    e = html.escape
    out.write(f'<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
              f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
              f"<h1>{e(title)}</h1>\n<table>\n<thead><tr>")
    out.write("".join(f"<th>{e(_HEADINGS_SV[c])}</th>" for c in COLUMNS))
    out.write("</tr></thead>\n<tbody>\n")
    n = 0
    for row in rows:
        cells = []
        for c in COLUMNS:
            value = row[c] or ""
            if c == "kind":
                value = _KIND_SV.get(value, value)
            elif c == "direction":
                value = _DIRECTION_SV.get(value, value)
            secret = value.startswith("Uppgift omfattas av sekretess")
            cls = ' class="secret"' if secret else ""
            cells.append(f"<td{cls}>{e(value)}</td>")
        out.write(f'<tr class="{e(row["kind"] or "")}">{"".join(cells)}</tr>\n')
        n += 1
    out.write(f"</tbody>\n</table>\n<p>{n} poster.</p>\n</body>\n</html>\n")
    return n


def write_public_extract(rows: Iterator[Row], fmt: str, out: TextIO, *,
                         title: str = "Diarieutdrag") -> int:
    """Write extract rows as ``csv``, ``jsonl`` or ``html`` to ``out``; return the count."""
    if fmt == "csv":
        return _write_csv(rows, out)
    if fmt == "jsonl":
        return _write_jsonl(rows, out)
    if fmt == "html":
        return _write_html(rows, out, title)
    raise UsageError(f"--format must be one of {', '.join(EXTRACT_FORMATS)}, not '{fmt}'")


def _chain(first: Row | None, rest: Generator[Row, None, None]
           ) -> Generator[Row, None, None]:
    try:
        if first is not None:
            yield first
        yield from rest
    finally:
        rest.close()


def write_extract(config: Config, f: ExtractFilter, fmt: str, *, output: Path | None = None,
                  stdout: TextIO | None = None) -> int:
    """Write the public extract to ``output`` atomically (a temporary file in the same folder,
    renamed when complete) or to ``stdout``; return the number of rows."""
    if fmt not in EXTRACT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(EXTRACT_FORMATS)}, not '{fmt}'")
    org = config.organisation(f.org_id)
    described = f.describe()
    title = f"Diarieutdrag, {org.name}" + (f" ({described})" if described else "")
    rows = iter_public_extract(config, f)
    # Take the first row before writing anything, so that a refused filter (an unknown
    # series) or an unreachable registry leaves no half-written output behind.
    first = next(rows, None)
    rows = _chain(first, rows)
    if output is None:
        assert stdout is not None, "give output or stdout"
        return write_public_extract(rows, fmt, stdout, title=title)
    try:
        with atomic_open(output, newline="") as fh:
            n = write_public_extract(rows, fmt, fh, title=title)
    finally:
        rows.close()
    return n
