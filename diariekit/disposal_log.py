"""The disposal log (gallringsprotokoll) of a completed batch, as CSV and HTML.

Written from the batch's items alone (:func:`diariekit.disposal.batch_items`), so a resumed
run writes the same log. Into ``<log folder>/<organisation>/<date>-<batch>/``:

* ``gallringsprotokoll.csv`` — one row per destroyed record: dnr/ref, record type, plan row,
  rule as applied, due date, legal basis (plan and decision), files and bytes destroyed;
* ``avvikelser.csv`` — the items that were not destroyed, with the reason (hold, changed rule);
* ``gallringsprotokoll.html`` — a standalone page with the header (authority, batch, decision,
  approver, executor, method, dates, extent, the range of due dates) and both lists.

The files are also put into the content store (the protocol is itself kept); their SHA-256
go into the batch's ``disposal_completed`` event.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from diariekit.atomic import write_bytes_atomic
from diariekit.clock import STOCKHOLM
from diariekit.config import Config
from diariekit.files.store import ContentStore

__all__ = ["CSV_COLUMNS", "write_log"]

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


def _rows_html(items: list[dict[str, Any]]) -> str:
    out = []
    for i in items:
        cells = [i["ref"], i["record_type"] or "", i["rule"] or "", i["due"] or "",
                 i["legal_basis"] or "", f"{i['plan'] or ''} {i['decision'] or ''}".strip(),
                 str(i["files"]), str(i["bytes"]),
                 _OUTCOME_SV.get(i["outcome"] or "", i["outcome"] or ""), i["note"] or ""]
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return "\n".join(out)


def _html(config: Config, org_id: str, batch: dict[str, Any],
          done: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> bytes:
    org = config.organisation(org_id)
    dues = sorted(i["due"] for i in done if i["due"])
    e = html.escape
    head = [
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
    heads = "".join(f"<th>{e(h)}</th>" for h in (
        "Diarienummer", "Handlingstyp", "Gallringsregel", "Gallringsdatum", "Lagstöd",
        "Plan och beslut", "Filer", "Byte", "Utfall", "Anmärkning"))
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


def write_log(config: Config, org_id: str, batch: dict[str, Any], items: list[dict[str, Any]],
              folder: Path, store: ContentStore) -> list[tuple[Path, str]]:
    """Write the log files atomically; return each path with its SHA-256."""
    done = [i for i in items if i["outcome"] == "destroyed"]
    skipped = [i for i in items if i["outcome"] != "destroyed"]
    target = folder / org_id / f"{batch['as_of']}-{batch['id'][:8]}"
    files = {
        "gallringsprotokoll.csv": _csv(done),
        "avvikelser.csv": _csv(skipped),
        "gallringsprotokoll.html": _html(config, org_id, batch, done, skipped),
    }
    out: list[tuple[Path, str]] = []
    for name, data in files.items():
        path = target / name
        write_bytes_atomic(path, data)
        store.put_bytes(data)
        out.append((path, hashlib.sha256(data).hexdigest()))
    return out
