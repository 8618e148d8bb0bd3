"""``diariekit transfer``: deliveries to the archive (leverans) and their receipts."""

from __future__ import annotations

import typer
from rich.table import Table

from diariekit.clock import legal_date
from diariekit.transfers import (
    ReceiptResult,
    TransferView,
    accept_transfer,
    get_transfer,
    list_transfers,
    reject_transfer,
)

from .common import (
    JSON_OPTION,
    console,
    get_config,
    handle_errors,
    parse_date_option,
    print_json,
)

transfer_app = typer.Typer(
    help="Transfers to the archive (leverans): list, show, accept, reject.\n\n"
    "A transfer is recorded by `diariekit package build` (status built). When the archive "
    "answers, record its receipt with `transfer accept PACKAGE_ID` or `transfer reject`; "
    "rules \"gallras efter leverans\" count from the acceptance date.",
    no_args_is_help=True)

BY_OPTION = typer.Option(None, "--by", help="Who records it (default: $USER).")


def _line(t: TransferView) -> str:
    state = t.status
    if t.accepted_on:
        state = f"accepted {t.accepted_on.isoformat()}"
        if t.receipt_ref:
            state += f" (receipt {t.receipt_ref})"
    elif t.status == "rejected" and t.status_changed_at:
        state = f"rejected {legal_date(t.status_changed_at).isoformat()}"
    return f"{t.submission_ref}: {state}"


def _print_transfer(t: TransferView) -> None:
    console.print(_line(t), markup=False)
    console.print(f"  organisation {t.organisation} → {t.recipient}, profile {t.profile}, "
                  f"built {t.built_at.isoformat()} by {t.built_by or '?'}", markup=False)
    if t.rejected_reason:
        console.print(f"  reason: {t.rejected_reason}", markup=False)
    table = Table("seq", "package id (OBJID)", "file", "size", "cases")
    for p in t.packages:
        table.add_row(str(p["seq"]), p["package_id"], p["filename"] or "",
                      str(p["size"] or ""), ", ".join(p["cases"]))
    console.print(table)
    console.print(f"  {len(t.cases)} ärenden, {t.documents} handlingar", markup=False)


@transfer_app.command("list")
@handle_errors
def list_cmd(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help="Only transfers with this status: built, validated, sent, "
        "received, accepted or rejected."),
    org: str | None = typer.Option(None, "--org", help="Only this organisation "
                                   "(default: all)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List transfers (leveranser), oldest first, with status and receipt.

    Examples:

      diariekit transfer list

      diariekit transfer list --status built --json
    """
    found = list_transfers(get_config(ctx), status=status, org_id=org)
    if as_json:
        print_json([t.to_dict() for t in found])
        return
    if not found:
        console.print("no transfers" + (f" with status {status}" if status else ""))
        return
    table = Table("submission ref", "org", "status", "built", "packages", "cases", "receipt",
                  "accepted")
    for t in found:
        table.add_row(t.submission_ref, t.organisation, t.status,
                      t.built_at.date().isoformat(), str(len(t.packages)), str(len(t.cases)),
                      t.receipt_ref or "", t.accepted_on.isoformat() if t.accepted_on else "")
    console.print(table)


@transfer_app.command("show")
@handle_errors
def show_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="ID|PACKAGE_ID",
                              help="A package id (OBJID), submission reference or transfer id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one transfer: its packages, cases, status, receipt and dates.

    Examples:

      diariekit transfer show uuid-2b0c6a4e-0d7e-5f43-9a55-6c1f0e4d8a21

      diariekit transfer show KS-20261201-3fa2c01b9e7d --json
    """
    t = get_transfer(get_config(ctx), ref)
    if as_json:
        print_json(t.to_dict())
    else:
        _print_transfer(t)


def _print_result(result: ReceiptResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
        return
    t = result.transfer
    if not result.changed:
        console.print(f"no change: transfer {_line(t)}", markup=False)
        return
    console.print(f"✓ transfer {_line(t)}; {result.events} events "
                  f"({len(t.cases)} cases)", markup=False)


@transfer_app.command("accept")
@handle_errors
def accept_cmd(
    ctx: typer.Context,
    package_id: str = typer.Argument(..., metavar="PACKAGE_ID",
                                     help="The id (OBJID) of any package of the transfer."),
    receipt: str | None = typer.Option(None, "--receipt", metavar="REF",
                                       help="The archive's receipt reference "
                                       "(leveranskvittens)."),
    on: str | None = typer.Option(None, "--date", metavar="DATE",
                                  help="The day the archive accepted it (default today)."),
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record that the archive accepted a transfer (mottagen, leveranskvittens).

    The whole transfer the package belongs to becomes 'accepted', with the receipt and
    the acceptance date as the day responsibility passed to the archive; a
    transfer_accepted event is logged per case. "Gallras efter leverans" counts from this
    date. Running it again changes nothing; a rejected transfer cannot be accepted (exit 6).
    Exit 1 for an unknown package id.

    Examples:

      diariekit transfer accept uuid-2b0c6a4e-0d7e-5f43-9a55-6c1f0e4d8a21 --receipt "KA 2026/118"

      diariekit transfer accept uuid-2b0c6a4e-0d7e-5f43-9a55-6c1f0e4d8a21 --date 2026-12-03 --by AA
    """
    result = accept_transfer(get_config(ctx), package_id, receipt_ref=receipt,
                             on=parse_date_option(on, "--date"), actor=by)
    _print_result(result, as_json)


@transfer_app.command("reject")
@handle_errors
def reject_cmd(
    ctx: typer.Context,
    package_id: str = typer.Argument(..., metavar="PACKAGE_ID",
                                     help="The id (OBJID) of any package of the transfer."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT",
                               help="Why the archive rejected it (logged)."),
    on: str | None = typer.Option(None, "--date", metavar="DATE",
                                  help="The day the archive rejected it (default today)."),
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record that the archive rejected a transfer.

    The whole transfer becomes 'rejected' and a transfer_rejected event with the reason is
    logged per case; its cases may then be packaged again (`diariekit package build`, or
    the package-due job). Running it again changes nothing; an accepted transfer cannot be
    rejected (exit 6).

    Example:

      diariekit transfer reject uuid-2b0c6a4e-0d7e-5f43-9a55-6c1f0e4d8a21 --reason "ERMS ogiltig"
    """
    result = reject_transfer(get_config(ctx), package_id, reason=reason,
                             on=parse_date_option(on, "--date"), actor=by)
    _print_result(result, as_json)
