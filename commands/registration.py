"""``diariekit register``, ``case``, ``doc`` and ``dnr``: the registrar's commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from diariekit.cases import (
    assign_case,
    case_detail,
    close_case,
    document_detail,
    list_cases,
    void_case,
    void_document,
)
from diariekit.errors import ExitCode, UsageError
from diariekit.findings import Severity
from diariekit.registration.dnr import DnrError, DnrFormat, parse_any
from diariekit.registration.intake import FIELDS, read_intake
from diariekit.registration.register import RegistrationReport, register_rows
from diariekit.registry.session import open_registry

from .common import (
    JSON_OPTION,
    console,
    exit_with,
    get_config,
    handle_errors,
    parse_assignments,
    parse_date_option,
    print_finding,
    print_json,
)

case_app = typer.Typer(help="Cases (ärenden): list, show, close, void, assign.",
                       no_args_is_help=True)
doc_app = typer.Typer(help="Documents (handlingar): show, void.", no_args_is_help=True)
dnr_app = typer.Typer(help="Case references (diarienummer): parse.", no_args_is_help=True)

ORG_OPTION = typer.Option(None, "--org", help="Organisation (default: the config's default).")


@handle_errors
def register_cmd(
    ctx: typer.Context,
    source: Path = typer.Argument(..., metavar="INPUT",
                                  help="A CSV, JSON Lines or JSON file, or a folder with "
                                  "metadata.csv/.jsonl/.json beside its files."),
    org: str | None = ORG_OPTION,
    partial: bool = typer.Option(False, "--partial",
                                 help="Keep the good rows and report the bad (exit 7)."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Show what would happen; change nothing."),
    keep_numbers: bool = typer.Option(
        False, "--keep-numbers", help="Migration: keep the case and document numbers of an "
        "exported register (Ärende, Dokumentnummer columns); counters continue after them."),
    mapping: list[str] | None = typer.Option(
        None, "--map", help="Map an input heading to a field, HEADING=FIELD (repeatable); "
        "adds to [registration.column_map] in the config."),
    encoding: str | None = typer.Option(None, "--encoding",
                                        help="Force the input's encoding (e.g. cp1252)."),
    by: str | None = typer.Option(None, "--by", help="Who registers (default: $USER)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only problems."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register cases and documents in bulk, with numbers, classes, files and events.

    A row with Ärende adds a document to that case; rows sharing an Ärendenyckel form one
    new case (the first opens it); any other row opens a case of its own. All or nothing:
    a bad row refuses the whole batch (exit 1) unless --partial. Running the same input
    again registers nothing twice.

    Examples:

      diariekit register post-2026-11-27.csv --dry-run

      diariekit register e-tjanst.jsonl --partial --json

      diariekit register export.json --keep-numbers --org av --map id=document
    """
    config = get_config(ctx)
    engine = open_registry(config)
    column_map = {**config.registration_column_map, **parse_assignments(mapping, "--map")}
    unknown = sorted(set(column_map.values()) - set(FIELDS))
    if unknown:
        raise UsageError(f"--map names unknown fields {', '.join(unknown)} "
                         f"(known: {', '.join(FIELDS)})")
    rows = read_intake(source, encoding=encoding, column_map=column_map)
    show_bar = sys.stderr.isatty() and not as_json and not quiet
    if show_bar:
        with Progress(TextColumn("registering"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task("rows", total=None)
            report = register_rows(config, rows, engine=engine, source=str(source), org_id=org,
                                   partial=partial, dry_run=dry_run, keep_numbers=keep_numbers,
                                   actor=by, progress=lambda n: bar.update(task, completed=n))
    else:
        report = register_rows(config, rows, engine=engine, source=str(source), org_id=org,
                               partial=partial, dry_run=dry_run, keep_numbers=keep_numbers,
                               actor=by)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report, quiet)
    if report.errors and partial and report.committed:
        exit_with(ExitCode.PARTIAL)
    if report.errors:
        exit_with(ExitCode.INVALID)


def _print_report(report: RegistrationReport, quiet: bool) -> None:
    for f in report.findings:
        if not quiet or f.severity is Severity.ERROR:
            print_finding(f)
    s = report.to_dict()["summary"]
    if report.dry_run:
        head = "[cyan]dry run[/]: nothing changed"
        done = f"{s['would_register']} documents would be registered"
    elif report.committed:
        head = "[green]✓[/] registered"
        done = f"{s['registered']} documents"
    else:
        head = "[red]✗[/] refused: nothing registered"
        done = f"{s['errors']} rows with errors"
    console.print(f"{head} — {done}, {s['cases_opened']} new cases, {s['skipped']} already "
                  f"registered, {s['errors']} errors ({s['rows']} rows)")


@case_app.command("list")
@handle_errors
def case_list_cmd(
    ctx: typer.Context,
    org: str | None = ORG_OPTION,
    status: str | None = typer.Option(None, help="open, closed, written_off, …"),
    series: str | None = typer.Option(None, help="Series code, e.g. KS."),
    year: int | None = typer.Option(None, help="Registration year."),
    officer: str | None = typer.Option(None, help="Case officer (handläggare)."),
    limit: int = typer.Option(100, help="At most this many, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List cases, newest first.

    Examples:

      diariekit case list --status open --officer AA

      diariekit case list --series KS --year 2026 --json
    """
    rows = list_cases(get_config(ctx), org_id=org, status=status, series_code=series,
                      year=year, officer=officer, limit=limit)
    if as_json:
        print_json(rows)
        return
    table = Table("dnr", "title", "class", "status", "opened", "officer", "docs")
    for r in rows:
        table.add_row(r["dnr"], r["title"], r["class"] or "", r["status"], r["opened"],
                      r["officer"] or "", str(r["documents"]))
    console.print(table)


@case_app.command("show")
@handle_errors
def case_show_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="DNR", help="Case number in any configured form."),
    org: str | None = ORG_OPTION,
    protected: bool = typer.Option(False, "--protected",
                                   help="Include protected forms (staff only)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a case with its documents, files, secrecy markings, events and transfers.

    Examples:

      diariekit case show "KS 2026/0042"

      diariekit case show KS-2026-42 --json
    """
    data = case_detail(get_config(ctx), ref, org_id=org, protected=protected)
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['dnr']}[/] {data['title']}  [dim]class {data['class']}, "
                  f"{data['status']}, opened {data['opened']}"
                  f"{', closed ' + data['closed'] if data['closed'] else ''}[/]")
    table = Table("ref", "direction", "date", "record type", "counterpart", "description",
                  "secrecy", "files")
    for d in data["documents"]:
        when = d["date_received"] or d["date_drawn_up"] or d["date_dispatched"] or ""
        table.add_row(d["ref"], d["direction"] or "", when, d["record_type"] or "",
                      d.get("counterpart_protected") or d["counterpart"] or "",
                      d.get("description_protected") or d["description"],
                      ", ".join(d["secrecy"]), str(len(d["files"])))
    console.print(table)
    for e in data["events"]:
        console.print(f"  [dim]{e['date']}[/] {e['text']} [dim]({e['actor']})[/]")
    for t in data.get("transfers", []):
        answer = ""
        if t["accepted_on"]:
            answer = f", accepted {t['accepted_on']}"
            if t["receipt_ref"]:
                answer += f", receipt {t['receipt_ref']}"
        elif t["status"] == "rejected":
            answer = f", rejected {t['status_changed'] or ''}: {t['rejected_reason'] or ''}"
        console.print(f"  transfer {t['submission_ref']}: package {t['package_id']}, "
                      f"{t['status']}, built {t['built']}{answer}", markup=False)


@case_app.command("close")
@handle_errors
def case_close_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="DNR"),
    org: str | None = ORG_OPTION,
    kind: str = typer.Option("beslut", "--kind", help="beslut, avskrivning or överlämnad."),
    on: str | None = typer.Option(None, "--on", help="Closing date (default today)."),
    by: str | None = typer.Option(None, "--by", help="Who closes (default: $USER)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Close a case; its closing date starts retention periods such as "2 år efter avslut".

    Example:

      diariekit case close "KS 2026/0042" --kind beslut
    """
    result = close_case(get_config(ctx), ref, org_id=org, kind=kind,
                        on=parse_date_option(on, "--on"), actor=by)
    if as_json:
        print_json(result)
    else:
        console.print(f"[green]✓[/] {result['dnr']} {result['status']} {result['closed']}")


@case_app.command("void")
@handle_errors
def case_void_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="DNR"),
    reason: str = typer.Option(..., "--reason", help="Why the case is voided."),
    org: str | None = ORG_OPTION,
    by: str | None = typer.Option(None, "--by", help="Who voids (default: $USER)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Void (makulera) a case opened by mistake, with its documents; the number is never reused.

    Example:

      diariekit case void "KS 2026/0042" --reason "Dubbelregistrering av KS 2026/0041"
    """
    result = void_case(get_config(ctx), ref, reason=reason, org_id=org, actor=by)
    if as_json:
        print_json(result)
    else:
        console.print(f"[green]✓[/] {result['dnr']} voided, with "
                      f"{len(result['documents_voided'])} documents")


@case_app.command("assign")
@handle_errors
def case_assign_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="DNR"),
    officer: str = typer.Argument(..., help="The case officer (handläggare)."),
    unit: str | None = typer.Option(None, "--unit", help="Unit or group."),
    org: str | None = ORG_OPTION,
    by: str | None = typer.Option(None, "--by", help="Who assigns (default: $USER)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Assign a case to a case officer.

    Example:

      diariekit case assign "KS 2026/0042" AA --unit Kansliavdelningen
    """
    result = assign_case(get_config(ctx), ref, officer, org_id=org, unit=unit, actor=by)
    if as_json:
        print_json(result)
    else:
        console.print(f"[green]✓[/] {result['dnr']} → {officer}")


@doc_app.command("void")
@handle_errors
def doc_void_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="Document number, e.g. 'KS 2026/0042-3'."),
    reason: str = typer.Option(..., "--reason", help="Why the entry is voided."),
    org: str | None = ORG_OPTION,
    by: str | None = typer.Option(None, "--by", help="Who voids (default: $USER)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Void (makulera) a document registered by mistake; its number is never reused.

    The entry stays in the register, marked voided with who, when and why.

    Example:

      diariekit doc void "KS 2026/0042-3" --reason "Registrerad i fel ärende"
    """
    result = void_document(get_config(ctx), ref, reason=reason, org_id=org, actor=by)
    if as_json:
        print_json(result)
    else:
        console.print(f"[green]✓[/] {result['ref']} voided"
                      f"{'' if result['changed'] else ' (already)'}")


@doc_app.command("show")
@handle_errors
def doc_show_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="Document number, e.g. 'KS 2026/0042-3'."),
    org: str | None = ORG_OPTION,
    protected: bool = typer.Option(False, "--protected",
                                   help="Include protected forms (staff only)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a document with its files (SHA-256, format, PDF checks) and secrecy.

    Example:

      diariekit doc show "KS 2026/0042-3" --json
    """
    data = document_detail(get_config(ctx), ref, org_id=org, protected=protected)
    if as_json:
        print_json(data)
        return
    for key in ("ref", "case", "direction", "record_type", "document_type", "description",
                "counterpart", "date_received", "date_drawn_up", "date_dispatched",
                "registered_at", "registered_by", "external_id"):
        if data.get(key):
            console.print(f"[bold]{key}:[/] {data[key]}")
    if data["secrecy"]:
        console.print(f"[bold magenta]secrecy:[/] {', '.join(data['secrecy'])}")
    for f in data["files"]:
        console.print(f"  {f['filename']}  {f['mime']}  {f['puid'] or '?'}  {f['size']} B  "
                      f"sha256 {f['sha256'][:16]}…")


@dnr_app.command("parse")
@handle_errors
def dnr_parse_cmd(
    ctx: typer.Context,
    refs: list[str] = typer.Argument(..., metavar="DNR...", help="References to parse."),
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Parse case or document references in any configured form and show them canonically.

    Exit 1 if any reference matches no configured series format.

    Examples:

      diariekit dnr parse "KS 2026/42" KS-2026-00042-3

      diariekit dnr parse "Dnr KS 2026/0042" --json
    """
    config = get_config(ctx)
    formats = {s.code: DnrFormat(s.dnr_format, s.doc_suffix)
               for o in config.organisations if org is None or o.id == org for s in o.series}
    if not formats:
        raise UsageError("no series configured")
    results: list[dict[str, Any]] = []
    bad = False
    for ref in refs:
        try:
            p = parse_any(ref, formats)
        except DnrError as exc:
            bad = True
            results.append({"input": ref, "error": str(exc)})
            continue
        code = p.series or next(iter(formats))
        fmt = formats[code]
        case = fmt.render(series=code, year=p.year or 0, number=p.number,
                          class_code=p.class_code)
        results.append({"input": ref, "series": p.series, "year": p.year, "number": p.number,
                        "seq": p.seq, "case": case,
                        "document": fmt.render_document(case, p.seq) if p.seq else None})
    if as_json:
        print_json(results)
    else:
        for r in results:
            if "error" in r:
                console.print(f"[red]✗[/] {r['input']}: {r['error']}")
            else:
                doc = f", document {r['seq']}" if r["seq"] else ""
                console.print(f"{r['input']} → {r['document'] or r['case']} "
                              f"[dim](series {r['series']}, year {r['year']}, number "
                              f"{r['number']}{doc})[/]")
    if bad:
        exit_with(ExitCode.INVALID)

