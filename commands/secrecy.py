"""``diariekit secrecy``: secrecy markings (sekretessmarkering) under OSL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import typer
from rich.table import Table

from diariekit.clock import today
from diariekit.markings import list_markings, mark, review_markings, unmark

from .common import JSON_OPTION, console, get_config, handle_errors, parse_date_option, print_json

secrecy_app = typer.Typer(help="Secrecy markings (sekretessmarkering, OSL 5:5): mark, unmark, "
                          "show, review.", no_args_is_help=True)

ORG_OPTION = typer.Option(None, "--org", help="Organisation (default: the config's default).")
REF_ARGUMENT = typer.Argument(
    ..., metavar="REF",
    help="A document reference (KS 2026/0042-3) or a case number (KS 2026/0042), in any "
    "configured form.")
BY_OPTION = typer.Option(None, "--by", help="Who acts (default: $DIARIEKIT_USER or the login).")


@secrecy_app.command("mark")
@handle_errors
def mark_cmd(
    ctx: typer.Context,
    ref: str = REF_ARGUMENT,
    provision: str = typer.Option(
        ..., "--provision", "-p",
        help='The OSL provision: "OSL 26:1", "26 kap. 1 § OSL", "21:7", "OSL 26:1 st. 2".'),
    target: str | None = typer.Option(
        None, "--target",
        help="What is secret: document (default for a document), counterpart, description, "
        "file (every file of the document) or case_title (the only, and default, target of "
        "a case)."),
    reason: str | None = typer.Option(None, "--reason",
                                      help="Why (kept as the marking's note; not public)."),
    on: str | None = typer.Option(None, "--date", help="Marking date YYYY-MM-DD (default "
                                  "today; not before the handling's date, not in the future)."),
    by: str | None = BY_OPTION,
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Mark a document or a case title as secret (sekretessmarkera) under an OSL provision.

    The marking records the provision, the date, the marking authority (the organisation)
    and who marked, and the date its secrecy expires at the latest: the handling's date
    (received, drawn up or dispatched; for a case, the day it was opened) plus the
    provision's maximum time in the law in force on the marking date. A case number marks
    the case title (ärendemening). Marking again with the same provision changes nothing.

    An unreadable provision, or one not in the OSL table on the marking date, is a usage
    error (exit 2) and nothing is changed. Exit 1 when the reference is not found.

    Examples:

      diariekit secrecy mark "SN-2026-00042-3" --provision "26 kap. 1 § OSL"

      diariekit secrecy mark "KS 2026/0042-1" -p "OSL 31:16" --target counterpart

      diariekit secrecy mark "SN-2026-00042" -p "OSL 26:1" --by AA --json
    """
    result = mark(get_config(ctx), ref, provision, target=target, reason=reason,
                  on=parse_date_option(on, "--date"), actor=by, org_id=org)
    if as_json:
        print_json(result)
        return
    if not result["changed"]:
        console.print(f"[dim]=[/] {result['ref']} already marked under {result['provision']} "
                      f"({result['target']}); nothing changed")
        return
    for m in result["markings"]:
        until = m["max_until"] or "no maximum stated"
        console.print(f"[green]✓[/] {result['ref']} {m['target']} marked under "
                      f"{m['provision']} ({result['provision_title'] or ''}) on "
                      f"{m['marked_on']}, at the latest until {until}  [dim]{m['id']}[/]")


@secrecy_app.command("unmark")
@handle_errors
def unmark_cmd(
    ctx: typer.Context,
    ref: str = REF_ARGUMENT,
    reason: str = typer.Option(..., "--reason", help="Why the marking is revoked (required)."),
    provision: str | None = typer.Option(
        None, "--provision", "-p",
        help="Revoke every active marking of REF under this provision (default ones too)."),
    marking_id: str | None = typer.Option(None, "--id",
                                          help="Revoke this one marking (see `secrecy show`)."),
    by: str | None = BY_OPTION,
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Revoke (häva) secrecy markings; they are kept with who, when and why, never deleted.

    Without --provision or --id, REF must have exactly one active marking. Revoking what
    is already revoked changes nothing (exit 0); a provision or id REF never had is exit 1.

    Examples:

      diariekit secrecy unmark "SN-2026-00042-3" --provision "OSL 26:1" --reason "Prövad: offentlig"

      diariekit secrecy unmark "KS 2026/0042-1" --id 3f0c…  --reason "Felmarkerad" --json
    """
    result = unmark(get_config(ctx), ref, reason=reason, provision=provision,
                    marking_id=marking_id, actor=by, org_id=org)
    if as_json:
        print_json(result)
        return
    if not result["changed"]:
        console.print(f"[dim]=[/] {result['ref']}: already revoked; nothing changed")
    for m in result["revoked"]:
        console.print(f"[green]✓[/] {result['ref']} {m['target']} marking under "
                      f"{m['provision']} revoked  [dim]{m['id']}[/]")


@secrecy_app.command("show")
@handle_errors
def show_cmd(
    ctx: typer.Context,
    ref: str = REF_ARGUMENT,
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List the markings of a document, or of a case (its title and all its documents),
    active and revoked. "effective" says which ones decide the public extract: an explicit
    marking supersedes the record type's default from registration.

    Examples:

      diariekit secrecy show "SN-2026-00042"

      diariekit secrecy show "SN-2026-00042-3" --json
    """
    result = list_markings(get_config(ctx), ref, org_id=org)
    if as_json:
        print_json(result)
        return
    if not result["markings"]:
        console.print(f"{result['ref']}: no secrecy markings")
        return
    table = Table("ref", "target", "provision", "marked", "by", "until", "state", "id")
    for m in result["markings"]:
        table.add_row(m["ref"], m["target"] + (f" {m['file']}" if m.get("file") else ""),
                      m["provision"], m["marked_on"], m["marked_by"], m["max_until"] or "",
                      _state(m), m["id"])
    console.print(table)


def _state(m: dict[str, Any]) -> str:
    if not m["active"]:
        return f"revoked {m['revoked_at'][:10]} by {m['revoked_by']}: {m['revoked_reason']}"
    kind = "default" if m["default"] else "explicit"
    return kind + ("" if m["effective"] else ", superseded")


@secrecy_app.command("review")
@handle_errors
def review_cmd(
    ctx: typer.Context,
    expiring_before: str | None = typer.Option(
        None, "--expiring-before",
        help="List markings whose maximum time ends before this date (default: today + 90 "
        "days). Markings already past their maximum are always listed."),
    org: str | None = typer.Option(None, "--org",
                                   help="One organisation (default: every organisation)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Active markings whose maximum time (max_until) has run out or soon will, for review
    (omprövning). "expired" means the maximum time has passed: the data can no longer be
    secret under that provision, so the marking should be revoked.

    Examples:

      diariekit secrecy review

      diariekit secrecy review --expiring-before 2027-01-01 --org sn --json
    """
    before = parse_date_option(expiring_before, "--expiring-before") or (
        today() + timedelta(days=90))
    rows = review_markings(get_config(ctx), before=before, org_id=org)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"no markings expire before {before.isoformat()}")
        return
    table = Table("ref", "target", "provision", "marked", "until", "state", "id")
    for r in rows:
        table.add_row(r["ref"] or "", r["target"], r["provision"], r["marked_on"],
                      r["max_until"], "[red]expired[/]" if r["expired"] else "expiring",
                      r["id"])
    console.print(table)
