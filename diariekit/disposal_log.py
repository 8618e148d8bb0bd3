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

:func:`register_log` registers (diarieför) the log of a completed batch as a document: the
PDF/A (else the HTML) from the store, drawn up (upprättad) on the completion date, with the
record type for disposal logs in the plan in force (the one row named "Gallringsprotokoll",
or the one given), in a given case or in a new case of a given series. Its external id is
``gallringsprotokoll:<batch id>``, so registering it again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diariekit.atomic import write_bytes_atomic
from diariekit.clock import STOCKHOLM
from diariekit.config import Config
from diariekit.errors import InvalidInputError, Location, PolicyError, UsageError
from diariekit.files.store import ContentStore
from diariekit.pdfa import PdfaError, PdfaUnavailable, Report, Table, find_font, render

if TYPE_CHECKING:
    from diariekit.registration.register import RegistrationReport

__all__ = ["CSV_COLUMNS", "LOG_RECORD_TYPE_NAMES", "LogResult", "register_log", "write_log"]

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


#: Record type names (handlingstyper) that mean the disposal log, compared case-folded.
LOG_RECORD_TYPE_NAMES = ("gallringsprotokoll", "gallringsbevis", "protokoll över gallring")


def _log_record_type(config: Config, org_id: str) -> str:
    """The one record type of the plan in force named like a disposal log."""
    from diariekit.plans.store import load_plan_ref  # noqa: PLC0415

    plan = load_plan_ref(config, "active", org_id)
    found = [rt.key for rt in plan.record_types
             if " ".join(rt.name.casefold().split()) in LOG_RECORD_TYPE_NAMES]
    if len(found) != 1:
        what = "no record type" if not found else f"{len(found)} record types ({', '.join(found)})"
        raise UsageError(f"the plan in force has {what} named Gallringsprotokoll: give the "
                         "record type with --record-type")
    return found[0]


def register_log(config: Config, batch_id: str, *, org_id: str | None = None,
                 case: str | None = None, series: str | None = None,
                 title: str | None = None, record_type: str | None = None,
                 dry_run: bool = False, actor: str | None = None) -> RegistrationReport:
    """Register the disposal log of a completed batch (see the module docstring).

    Give ``case`` (a diarienummer) or ``series`` (a new case, with ``title`` or a default
    ärendemening). Raises :class:`PolicyError` when the batch is not completed and
    :class:`InvalidInputError` when its log is missing from the store.
    """
    import sqlalchemy as sa  # noqa: PLC0415

    from diariekit.disposal import batch_detail  # noqa: PLC0415
    from diariekit.organisations import organisation_id  # noqa: PLC0415
    from diariekit.registration.intake import IntakeRow  # noqa: PLC0415
    from diariekit.registration.register import (  # noqa: PLC0415
        RegistrationReport,
        RowOutcome,
        register_rows,
    )
    from diariekit.registry.engine import connect  # noqa: PLC0415
    from diariekit.registry.schema import case_, document, event  # noqa: PLC0415
    from diariekit.registry.session import open_registry  # noqa: PLC0415

    if bool(case) == bool(series):
        raise UsageError("give the case to register the log in (--case DNR), or a series for "
                         "a new case (--series S)")
    org = config.organisation(org_id)
    batch = batch_detail(config, batch_id, org_id=org.id)
    if batch["status"] != "completed":
        raise PolicyError(f"batch {batch['id']} is {batch['status']}: only a completed "
                          "batch has a disposal log (diariekit disposal run)")
    engine = open_registry(config)
    with connect(engine) as conn:
        org_reg = organisation_id(conn, org.id)
        logs = [r.payload.get("log") or {} for r in conn.execute(
            sa.select(event.c.payload).where(event.c.organisation_id == org_reg,
                                             event.c.kind == "disposal_completed"))
                if (r.payload or {}).get("batch_id") == batch["id"]]
        external_id = f"gallringsprotokoll:{batch['id']}"
        known = conn.execute(
            sa.select(document.c.ref, case_.c.dnr.label("case_ref"))
            .outerjoin(case_, case_.c.id == document.c.case_id)
            .where(document.c.organisation_id == org_reg,
                   document.c.external_id == external_id)).first()
    source = f"disposal batch {batch['id']}"
    if known is not None:  # registered before: nothing to do, whatever the options now
        report = RegistrationReport(source, dry_run, False)
        report.add(RowOutcome(1, "skipped", ref=known.ref, case=known.case_ref,
                              external_id=external_id))
        report.committed = not dry_run
        return report
    log: dict[str, str] = logs[-1] if logs else {}
    name = next((n for n in ("gallringsprotokoll.pdf", "gallringsprotokoll.html") if n in log),
                None)
    store = ContentStore(config.storage_path)
    if name is None or not store.exists(log[name]):
        raise InvalidInputError(f"the disposal log of batch {batch['id']} is not in the "
                                "content store", Location(str(config.storage_path)))
    short = batch["id"][:8]
    completed = batch.get("completed_at") or ""
    day = (datetime.fromisoformat(completed).astimezone(STOCKHOLM).date().isoformat()
           if completed else str(batch["as_of"]))
    destroyed = sum(1 for i in batch["items"] if i["outcome"] == "destroyed")
    values: dict[str, str | None] = {
        "external_id": external_id,
        "record_type": record_type or _log_record_type(config, org.id),
        "direction": "Upprättad", "date": day,
        "description": f"Gallringsprotokoll, gallringsomgång {short} per {batch['as_of']}: "
                       f"{destroyed} handlingar gallrade",
    }
    if case:
        values["case"] = case
    else:
        values["series"] = series
        values["case_title"] = title or f"Gallring {str(batch['as_of'])[:4]}"
    with tempfile.TemporaryDirectory(prefix="diariekit-log-") as tmp:
        file_name = f"{Path(name).stem}-{batch['as_of']}-{short}{Path(name).suffix}"
        with store.open(log[name]) as src, open(Path(tmp) / file_name, "wb") as dst:
            shutil.copyfileobj(src, dst)
        values["files"] = file_name
        row = IntakeRow(line=1, values=values, extra={}, source=source, base_dir=Path(tmp))
        return register_rows(config, [row], engine=engine, source=source, org_id=org.id,
                             dry_run=dry_run, actor=actor)
