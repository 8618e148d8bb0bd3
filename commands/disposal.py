"""``diariekit disposal``, ``hold`` and ``retention``: disposal (gallring) and its holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from diariekit.disposal import (
    approve_batch,
    batch_detail,
    list_batches,
    propose_batch,
    run_batch,
)
from diariekit.disposal_log import register_log
from diariekit.errors import ExitCode, UsageError
from diariekit.holds import add_hold, list_holds, release_hold
from diariekit.registry.schema import HOLD_REASONS
from diariekit.retention_dates import explain, recompute_due_dates, record_trigger

from .common import (
    JSON_OPTION,
    console,
    err_console,
    exit_with,
    get_config,
    handle_errors,
    parse_date_option,
    print_finding,
    print_json,
)

disposal_app = typer.Typer(help="Disposal batches (gallringsomgång): propose, show, approve, "
                           "run, register-log.", no_args_is_help=True)
hold_app = typer.Typer(help="Holds (gallringsstopp): add, list, release.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention and delivery dates (gallrings- och leveransfrister).",
                            no_args_is_help=True)

ORG_OPTION = typer.Option(None, "--org", help="Organisation (default: the config's default).")
BY_OPTION = typer.Option(None, "--by", help="Who acts (default: $USER).")


# --------------------------------------------------------------------------- retention


@retention_app.command("show")
@handle_errors
def retention_show_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="DNR|DOC", help="A case or document reference."),
    org: str | None = ORG_OPTION,
    on: str | None = typer.Option(None, "--on", help="Compute as on this date (default today)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the retention and delivery dates of a document, or of a case's documents, and why.

    Examples:

      diariekit retention show "KS 2026/0042"

      diariekit retention show "KS 2026/0042-3" --json
    """
    result = explain(get_config(ctx), ref, org_id=org, on=parse_date_option(on, "--on"))
    if as_json:
        print_json(result)
        return
    table = Table("Handling", "Regel", "Gallras tidigast", "Leverans senast", "Underlag")
    for d in result["documents"]:
        table.add_row(d["ref"], d["rule"], d["retention_due"] or "–", d["delivery_due"] or "–",
                      d["basis"])
    console.print(table)
    if result["kind"] == "case":
        console.print(f"Ärendet kan gallras i sin helhet: {result['case_retention_due'] or 'nej'}")


@retention_app.command("recompute")
@handle_errors
def retention_recompute_cmd(
    ctx: typer.Context,
    org: str | None = ORG_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes; write nothing."),
    on: str | None = typer.Option(None, "--on", help="Plan in force on this date (default "
                                  "today)."),
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-compute every document's dates from the plan in force (after a plan change).

    Run with --dry-run first to see which dates would change.

    Examples:

      diariekit retention recompute --dry-run

      diariekit retention recompute --org sn --json
    """
    res = recompute_due_dates(get_config(ctx), org_id=org, on=parse_date_option(on, "--on"),
                              dry_run=dry_run, actor=by)
    if as_json:
        print_json(res.to_dict())
        return
    verb = "would change" if dry_run else "changed"
    console.print(f"{res.checked} documents checked, {res.changed} {verb}"
                  + (f"; {res.earlier} disposable sooner than before" if res.earlier else ""))
    if res.changes:
        table = Table("Handling", "Gallras tidigast (före → efter)", "Leverans (före → efter)",
                      "Regel")
        for c in res.changes[:200]:
            table.add_row(c.ref, f"{_d(c.stored_due)} → {_d(c.due)}",
                          f"{_d(c.stored_delivery_due)} → {_d(c.delivery_due)}",
                          c.rule.describe() if c.rule else "bevaras")
        console.print(table)


def _d(value: Any) -> str:
    return value.isoformat() if value else "–"


@retention_app.command("trigger")
@handle_errors
def retention_trigger_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="DNR|DOC"),
    event_name: str = typer.Option(..., "--event", help="scan_verified, employment_end, death, "
                                   "decision_final or audit_discharged."),
    on: str = typer.Option(..., "--date", help="When it happened (YYYY-MM-DD)."),
    note: str | None = typer.Option(None, "--note", help="Method, checksum, decision …"),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record the date of an event a retention rule counts from.

    "Gallras efter skanning" counts only from a recorded scan_verified (the scan is
    checked and registered as the new original); "5 år efter avslutad anställning" from
    employment_end, and so on. Recorded on a case, the date applies to all its documents.

    Examples:

      diariekit retention trigger "KS 2026/0042-3" --event scan_verified --date 2026-03-02

      diariekit retention trigger "SN-2026-00007" --event employment_end --date 2026-06-30
    """
    when = parse_date_option(on, "--date")
    assert when is not None
    result = record_trigger(get_config(ctx), ref, event_name, when, org_id=org, note=note,
                            actor=by)
    if as_json:
        print_json(result)
    else:
        console.print(f"[green]✓[/] {result['ref']}: {result['trigger']} {result['date']}")


# --------------------------------------------------------------------------- holds


@hold_app.command("add")
@handle_errors
def hold_add_cmd(
    ctx: typer.Context,
    reason: str = typer.Option(..., "--reason", help=", ".join(HOLD_REASONS) + "."),
    case: str | None = typer.Option(None, "--case", help="A case (dnr) and its documents."),
    doc: str | None = typer.Option(None, "--doc", help="One document."),
    class_code: str | None = typer.Option(None, "--class", help="A class and its sub-classes."),
    record_type_ref: str | None = typer.Option(None, "--record-type",
                                               help="A record type (plan row id)."),
    series_code: str | None = typer.Option(None, "--series", help="A whole series."),
    query: str | None = typer.Option(None, "--query", help="Records whose case title, "
                                     "description or counterpart contains this text."),
    reference: str | None = typer.Option(None, "--reference",
                                         help="The dnr of the request, appeal or audit."),
    note: str | None = typer.Option(None, "--note"),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Place a hold (gallringsstopp): the records it covers are never disposed of.

    Give exactly one of --case, --doc, --class, --record-type, --series, --query.

    Examples:

      diariekit hold add --case "SN-2026-00042" --reason access_request --reference "KS 2026/0101"

      diariekit hold add --class 2.4 --reason supervision --note "IVO-tillsyn 2026"
    """
    given = [(s, v) for s, v in (("case", case), ("document", doc), ("class", class_code),
                                 ("record_type", record_type_ref), ("series", series_code),
                                 ("query", query)) if v is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of --case, --doc, --class, --record-type, "
                         "--series, --query")
    scope, ref = given[0]
    h = add_hold(get_config(ctx), scope=scope, ref=ref, reason=reason, org_id=org,
                 reference=reference, note=note, actor=by)
    if as_json:
        print_json(h.to_dict())
    else:
        console.print(f"[green]✓[/] hold {h.id} on {h.label} ({h.reason})")


@hold_app.command("list")
@handle_errors
def hold_list_cmd(
    ctx: typer.Context,
    org: str | None = ORG_OPTION,
    all_: bool = typer.Option(False, "--all", help="Include released holds."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the holds (active ones; --all for released ones too).

    Example:

      diariekit hold list --json
    """
    holds = list_holds(get_config(ctx), org_id=org, include_released=all_)
    if as_json:
        print_json([h.to_dict() for h in holds])
        return
    table = Table("Id", "Omfattar", "Skäl", "Referens", "Lagt av", "Hävt")
    for h in holds:
        table.add_row(h.id, h.label, h.reason, h.reference or "", h.placed_by,
                      h.released_at.date().isoformat() if h.released_at else "")
    console.print(table)


@hold_app.command("release")
@handle_errors
def hold_release_cmd(
    ctx: typer.Context,
    hold_id: str = typer.Argument(..., metavar="HOLD_ID", help="The id (or its beginning)."),
    note: str | None = typer.Option(None, "--note"),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Release a hold; what it covered may be disposed of again when due.

    Example:

      diariekit hold release 3f2a --note "Begäran avgjord"
    """
    h = release_hold(get_config(ctx), hold_id, org_id=org, note=note, actor=by)
    if as_json:
        print_json(h.to_dict())
    else:
        console.print(f"[green]✓[/] hold {h.id} on {h.label} released")


# --------------------------------------------------------------------------- disposal


@disposal_app.command("propose")
@handle_errors
def disposal_propose_cmd(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="Select what is due by this date "
                                     "(default today)."),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Propose a disposal batch (gallringsförslag) of every record that is due.

    Left out: records under a hold, in an open case, in a transfer the archive has not
    accepted, or in another open batch; "vid inaktualitet" and conditional rules never
    come up by themselves. Nothing is destroyed until the batch is approved and run.

    Examples:

      diariekit disposal propose

      diariekit disposal propose --as-of 2026-12-31 --org sn --json
    """
    res = propose_batch(get_config(ctx), as_of=parse_date_option(as_of, "--as-of"),
                        org_id=org, actor=by)
    if as_json:
        print_json(res.to_dict())
        return
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(res.skipped.items())) or "none"
    if res.batch_id is None:
        console.print(f"nothing due by {res.as_of} (left out: {skipped})")
    else:
        console.print(f"[green]✓[/] batch {res.batch_id}: {res.item_count} documents, "
                      f"{res.file_count} files, {res.byte_count} bytes (left out: {skipped})")
        console.print(f"  next: diariekit disposal show {res.batch_id} → "
                      f"disposal approve {res.batch_id} --by NAME")


@disposal_app.command("list")
@handle_errors
def disposal_list_cmd(
    ctx: typer.Context, org: str | None = ORG_OPTION, as_json: bool = JSON_OPTION,
) -> None:
    """List disposal batches, newest first.

    Example:

      diariekit disposal list
    """
    batches = list_batches(get_config(ctx), org_id=org)
    if as_json:
        print_json(batches)
        return
    table = Table("Id", "Status", "Datum", "Poster", "Godkänd av")
    for b in batches:
        table.add_row(b["id"], b["status"], b["as_of"], str(b["items"]), b["approved_by"] or "")
    console.print(table)


@disposal_app.command("show")
@handle_errors
def disposal_show_cmd(
    ctx: typer.Context,
    batch_id: str = typer.Argument(..., metavar="BATCH"),
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a batch: status, approval and every item with its rule and legal basis.

    Example:

      diariekit disposal show 3f2a9c1d
    """
    d = batch_detail(get_config(ctx), batch_id, org_id=org)
    if as_json:
        print_json(d)
        return
    console.print(f"Batch {d['id']} — {d['status']}, as of {d['as_of']}, "
                  f"{d['totals']['items']} items, {d['totals']['files']} files, "
                  f"{d['totals']['bytes']} bytes")
    if d["approved_by"]:
        console.print(f"Approved by {d['approved_by']} {d['approved_at']} "
                      f"{d['approval_ref'] or ''}")
    if d["log_document"]:
        console.print(f"Disposal log registered as {d['log_document']}")
    table = Table("Handling", "Handlingstyp", "Regel", "Datum", "Beslut", "Utfall")
    for i in d["items"]:
        table.add_row(i["ref"], i["record_type"] or "", i["rule"] or "", i["due"] or "",
                      i["decision"] or "", i["outcome"] or "")
    console.print(table)


@disposal_app.command("approve")
@handle_errors
def disposal_approve_cmd(
    ctx: typer.Context,
    batch_id: str = typer.Argument(..., metavar="BATCH"),
    by: str = typer.Option(..., "--by", help="The person who approves (with delegation)."),
    ref: str | None = typer.Option(None, "--ref", help="Delegation decision or reference."),
    method: str = typer.Option("secure_delete", "--method",
                               help="secure_delete, shredding, incineration or crypto_erase."),
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Approve a proposed batch; only an approved batch can run.

    Example:

      diariekit disposal approve 3f2a9c1d --by "Anna Arkivarie" --ref "KS 2026/0120"
    """
    d = approve_batch(get_config(ctx), batch_id, by=by, org_id=org, approval_ref=ref,
                      method=method)
    if as_json:
        print_json(d)
    else:
        console.print(f"[green]✓[/] batch {d['id']} approved by {d['approved_by']}")


@disposal_app.command("run")
@handle_errors
def disposal_run_cmd(
    ctx: typer.Context,
    batch_id: str = typer.Argument(..., metavar="BATCH"),
    log_dir: Path | None = typer.Option(None, "--log-dir", help="Where the disposal log goes "
                                        "(default: gallringsprotokoll/ beside the config)."),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run an approved batch: re-check holds, destroy the files, write the disposal log.

    The register entries stay (as disposed). An interrupted run resumes when run again.

    Example:

      diariekit disposal run 3f2a9c1d
    """
    res = run_batch(get_config(ctx), batch_id, org_id=org, log_dir=log_dir, actor=by)
    if as_json:
        print_json(res.to_dict())
        return
    if res.already_completed:
        console.print(f"batch {res.batch_id} was already completed")
        return
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(res.outcomes.items()))
    console.print(f"[green]✓[/] batch {res.batch_id} completed: {outcomes}; "
                  f"{res.files_removed} files ({res.bytes_removed} bytes) removed")
    for p in res.log_files:
        console.print(f"  log: {p}")
    for note in res.log_notes:
        err_console.print(f"[yellow]warning:[/] {note}")


@disposal_app.command("register-log")
@handle_errors
def disposal_register_log_cmd(
    ctx: typer.Context,
    batch_id: str = typer.Argument(..., metavar="BATCH"),
    case: str | None = typer.Option(None, "--case", metavar="DNR",
                                    help="The case to register the log in."),
    series: str | None = typer.Option(None, "--series", metavar="S",
                                      help="Open a new case in this series instead."),
    title: str | None = typer.Option(None, "--title", help="Ärendemening of the new case "
                                     "(default: Gallring <year>)."),
    record_type: str | None = typer.Option(
        None, "--record-type", metavar="ID",
        help="Record type (default: the plan's one row named Gallringsprotokoll)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be registered."),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Register (diarieför) the disposal log of a completed batch as a document.

    The PDF/A log (else the HTML) is registered as drawn up on the completion date, with
    the plan's record type for disposal logs, in a case or in a new case of a series.
    Registering it again changes nothing. Exit 1 when the registration is refused, 6 when
    the batch is not completed.

    Examples:

      diariekit disposal register-log 3f2a9c1d --case "KS 2026/0120"

      diariekit disposal register-log 3f2a9c1d --series KS --title "Gallring 2026"
    """
    report = register_log(get_config(ctx), batch_id, org_id=org, case=case, series=series,
                          title=title, record_type=record_type, dry_run=dry_run, actor=by)
    if as_json:
        print_json(report.to_dict())
    else:
        for f in report.findings:
            print_finding(f)
        outcome = report.outcomes[0] if report.outcomes else None
        if outcome is not None and outcome.action in ("registered", "would register"):
            verb = "registered as" if outcome.action == "registered" else "would be registered"
            console.print(f"[green]✓[/] disposal log of {batch_id} {verb} {outcome.ref or ''}"
                          + (f" (new case {outcome.case})" if outcome.opened_case else ""))
        elif outcome is not None and outcome.action == "skipped":
            console.print(f"disposal log of {batch_id} already registered as {outcome.ref}")
    if report.errors:
        exit_with(ExitCode.INVALID)
