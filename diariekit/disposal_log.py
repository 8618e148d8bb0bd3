"""The disposal log (gallringsprotokoll) of a completed batch, as CSV, PDF/A and HTML.

Written from the batch's items alone (:func:`diariekit.disposal.batch_items`), so a resumed
run writes the same log. Into ``<log folder>/<organisation>/<date>-<batch>/``:

* ``gallringsprotokoll.csv`` — one row per destroyed record: dnr/ref, record type, plan row,
  rule as applied, due date, legal basis (plan and decision), files and bytes destroyed;
* ``avvikelser.csv`` — the items that were not destroyed, with the reason (hold, changed rule);
* ``gallringsprotokoll.pdf`` — PDF/A-2b (:mod:`diariekit.pdfa`): the header (authority, batch,
  decision, approver, executor, method, dates, extent, the range of due dates) and both lists;
  the format the log is kept in. It needs a TrueType font to embed (``[reports] font`` or a
  system font); without one it is left out and :attr:`LogResult.notes` says why;
* ``gallringsprotokoll.html`` — the same as a standalone page, for reading in a browser.

The files are also put into the content store (the protocol is itself kept); their SHA-256
go into the batch's ``disposal_completed`` event.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from diariekit.atomic import write_bytes_atomic
from diariekit.clock import STOCKHOLM
from diariekit.config import Config
from diariekit.files.store import ContentStore
from diariekit.pdfa import PdfaError, PdfaUnavailable, Report, Table, find_font, render

__all__ = ["CSV_COLUMNS", "LogResult", "write_log"]

_TABLE_COLUMNS = ("Diarienummer", "Handlingstyp", "Gallringsregel", "Gallringsdatum", "Lagstöd",
                  "Plan och beslut", "Filer", "Byte", "Utfall", "Anmärkning")
_TABLE_WIDTHS = (1.3, 2.0, 1.8, 1.15, 2.0, 1.6, 0.6, 0.9, 1.2, 1.6)

CSV_COLUMNS = ("diarienummer", "handlingstyp", "planrad", "gallringsregel", "gallringsdatum",
               "lagstöd", "plan", "beslut", "beslutsdatum", "filer", "byte", "utfall",
               "anmärkning")

_OUTCOME_SV = {"destroyed": "gallrad", "skipped_hold": "ej gallrad: gallringsstopp",
               "skipped_changed": "ej gallrad: ändrad förutsättning", "failed": "misslyckad"}


def _csv(items: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for i in items:
        w.writerow([i["ref"], i["record_type"] or "", i["row_ref"] or "", i["rule"] or "",
                    i["due"] or "", i["legal_basis"] or "", i["plan"] or "",
                    i["decision"] or "", i["decision_date"] or "", i["files"], i["bytes"],
                    _OUTCOME_SV.get(i["outcome"] or "", i["outcome"] or ""), i["note"] or ""])
    # UTF-8 with BOM: what Excel opens correctly on a Swedish desktop.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _local(stamp: str | None) -> str:
    """An ISO timestamp as Swedish local time to the minute (``2026-11-28 01:41``)."""
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def _cells(i: dict[str, Any]) -> list[str]:
    """One record's cells in the order of :data:`_TABLE_COLUMNS`."""
    return [i["ref"], i["record_type"] or "", i["rule"] or "", i["due"] or "",
            i["legal_basis"] or "", f"{i['plan'] or ''} {i['decision'] or ''}".strip(),
            str(i["files"]), str(i["bytes"]),
            _OUTCOME_SV.get(i["outcome"] or "", i["outcome"] or ""), i["note"] or ""]


def _rows_html(items: list[dict[str, Any]]) -> str:
    return "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(i))
                     + "</tr>" for i in items)


def _header(config: Config, org_id: str, batch: dict[str, Any],
            done: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The protocol's heading/value pairs (the same in the HTML and the PDF/A)."""
    org = config.organisation(org_id)
    dues = sorted(i["due"] for i in done if i["due"])
    return [
        ("Myndighet (arkivbildare)",
         org.name + (f", {org.org_number}" if org.org_number else "")),
        ("Gallringsomgång", batch["id"]),
        ("Gallringsdatum (urval t.o.m.)", batch["as_of"] or ""),
        ("Godkänd av", f"{batch['approved_by'] or ''} {_local(batch['approved_at'])}".strip()),
        ("Delegationsbeslut / referens", batch["approval_ref"] or ""),
        ("Metod", batch["method"] or "secure_delete"),
        ("Verkställd av", f"{batch['executed_by'] or ''} {_local(batch['executed_at'])}".strip()),
        ("Omfattning", f"{len(done)} handlingar, {sum(i['files'] for i in done)} filer, "
                       f"{sum(i['bytes'] for i in done)} byte"),
        ("Handlingarnas gallringsdatum", f"{dues[0]} – {dues[-1]}" if dues else "–"),
        ("Avvikelser", f"{len(skipped)} poster gallrades inte" if skipped else "inga"),
        ("Säkerhetskopior", "gallras genom rotation enligt myndighetens rutin"),
    ]


def _html(config: Config, org_id: str, batch: dict[str, Any],
          done: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> bytes:
    head = _header(config, org_id, batch, done, skipped)
    e = html.escape
    heads = "".join(f"<th>{e(h)}</th>" for h in _TABLE_COLUMNS)
    table = f"<table><thead><tr>{heads}</tr></thead><tbody>\n{{rows}}\n</tbody></table>"
    page = f"""<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><title>Gallringsprotokoll {e(batch['id'])}</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:2px 6px;text-align:left}}</style></head>
<body>
<h1>Gallringsprotokoll</h1>
<dl>
{"".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in head)}
</dl>
<h2>Gallrade handlingar</h2>
{table.replace("{rows}", _rows_html(done))}
<h2>Avvikelser</h2>
{table.replace("{rows}", _rows_html(skipped)) if skipped else "<p>Inga.</p>"}
</body>
</html>
"""
    return page.encode("utf-8")


def _pdf(config: Config, org_id: str, batch: dict[str, Any], done: list[dict[str, Any]],
         skipped: list[dict[str, Any]]) -> tuple[bytes | None, str | None]:
    """The protocol as PDF/A-2b, or None and the reason it could not be made here."""
    font = find_font(config.report_font)
    if font is None:
        where = (f"the configured font {config.report_font} was not found"
                 if config.report_font else
                 "no TrueType font was found (install fonts-dejavu-core, or set "
                 "[reports] font in diariekit.toml)")
        return None, f"gallringsprotokoll.pdf (PDF/A) not written: {where}"
    report = Report(
        title="Gallringsprotokoll",
        fields=_header(config, org_id, batch, done, skipped),
        tables=[Table("Gallrade handlingar", _TABLE_COLUMNS, [_cells(i) for i in done],
                      _TABLE_WIDTHS),
                Table("Avvikelser", _TABLE_COLUMNS, [_cells(i) for i in skipped],
                      _TABLE_WIDTHS)],
        subject=f"Gallringsomgång {batch['id']}",
        author=config.organisation(org_id).name,
        footer=f"Gallringsprotokoll {batch['id']}",
        created=batch.get("completed_at") or batch.get("executed_at"))
    try:
        return render(report, font), None
    except PdfaUnavailable as exc:
        return None, f"gallringsprotokoll.pdf (PDF/A) not written: {exc}"
    except PdfaError as exc:  # the written bytes did not pass: never keep them
        why = "; ".join(f"{f.rule}: {f.message}" for f in exc.report.findings[:3])
        return None, f"gallringsprotokoll.pdf not written: it did not pass PDF/A-2b ({why})"


@dataclass
class LogResult:
    """The files of a disposal log, each with its SHA-256, and what was left out and why."""

    files: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def write_log(config: Config, org_id: str, batch: dict[str, Any], items: list[dict[str, Any]],
              folder: Path, store: ContentStore) -> LogResult:
    """Write the log files atomically, each also into the store."""
    done = [i for i in items if i["outcome"] == "destroyed"]
    skipped = [i for i in items if i["outcome"] != "destroyed"]
    target = folder / org_id / f"{batch['as_of']}-{batch['id'][:8]}"
    files = {
        "gallringsprotokoll.csv": _csv(done),
        "avvikelser.csv": _csv(skipped),
    }
    pdf, note = _pdf(config, org_id, batch, done, skipped)
    if pdf is not None:
        files["gallringsprotokoll.pdf"] = pdf
    files["gallringsprotokoll.html"] = _html(config, org_id, batch, done, skipped)
    out = LogResult(notes=[note] if note else [])
    for name, data in files.items():
        path = target / name
        write_bytes_atomic(path, data)
        store.put_bytes(data)
        out.files.append((path, hashlib.sha256(data).hexdigest()))
    return out
