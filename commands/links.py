"""``diariekit link`` (case links: remiss, uppdrag, vidarebefordran) and ``diariekit events``
(case-event messages for a citizen portal or contact centre)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from diariekit.caselinks import answer_link, link_case, list_links, overdue_links
from diariekit.clock import today
from diariekit.errors import UsageError
from diariekit.eventexport import export_events, parse_bound, write_jsonl, write_jsonl_atomic

from .common import (
    JSON_OPTION,
    console,
    err_console,
    get_config,
    handle_errors,
    parse_date_option,
    print_json,
)

links_app = typer.Typer(
    help="Case links (ärendelänkar): remiss, uppdrag and vidarebefordran, and their "
    "follow-up (bevakning).", no_args_is_help=True)
events_app = typer.Typer(
    help="Case events (ärendehändelser): export for a citizen portal or contact centre.",
    no_args_is_help=True)

ORG_OPTION = typer.Option(None, "--org", help="Organisation (default: the config's default).")
BY_OPTION = typer.Option(None, "--by", help="Who acts (default: $USER).")




def _print_link(r: dict[str, Any], head: str) -> None:
    to = r["to_party"] or ""
    if r["to_case"]:
        to = f"{to} (ärende {r['to_case']})" if to else f"ärende {r['to_case']}"
    due = f", svar senast {r['due']}" if r["due"] else ""
    console.print(f"[green]✓[/] {head}: {r['kind']} {r['from_case']} → {to}{due} "
                  f"[dim](link {r['id']})[/]")


@links_app.command("add")
@handle_errors
def link_add_cmd(
    ctx: typer.Context,
    from_ref: str = typer.Argument(..., metavar="FROM", help="The sending case (dnr)."),
    kind: str = typer.Option(..., "--kind", help="remiss, uppdrag or vidarebefordran."),
    to_case: str | None = typer.Option(None, "--to-case", metavar="DNR",
                                       help="The receiving case in this registry."),
    to_org: str | None = typer.Option(None, "--to-org",
                                      help="Organisation of --to-case (default: --org)."),
    to_party: str | None = typer.Option(None, "--to-party", metavar="NAME",
                                        help="An outside party (authority, unit, company)."),
    sent: str | None = typer.Option(None, "--sent", metavar="DATE",
                                    help="Sending date (default today)."),
    due: str | None = typer.Option(None, "--due", metavar="DATE",
                                   help="Answer deadline (svar senast)."),
    keeps_followup: bool = typer.Option(
        False, "--keeps-followup", help="Vidarebefordran med behållet uppföljningsansvar: "
        "the case stays open until the klarmarkering."),
    note: str | None = typer.Option(None, "--note", help="A note (kept as protected detail)."),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Send a case on: a remiss, an uppdrag or a vidarebefordran.

    A receiving case in this registry gets the sender's main case number
    (huvudärendenummer). A vidarebefordran without --keeps-followup closes the case here
    as forwarded (överlämnad).

    Examples:

      diariekit link add "KS 2026/0042" --kind remiss --to-party Länsstyrelsen --due 2026-03-01

      diariekit link add "KS 2026/0042" --kind uppdrag --to-case SN-2026-00007 --to-org sn

      diariekit link add "KS 2026/0042" --kind vidarebefordran --to-party "Tekniska nämnden"
    """
    result = link_case(get_config(ctx), from_ref, kind, to_ref=to_case, to_party=to_party,
                       to_org_id=to_org, sent_on=parse_date_option(sent, "--sent"),
                       due_on=parse_date_option(due, "--due"),
                       keeps_followup=keeps_followup, note=note, org_id=org, actor=by)
    if as_json:
        print_json(result)
        return
    _print_link(result, "linked")
    if result["case_status"] == "forwarded":
        console.print(f"  {result['from_case']} closed here as forwarded (överlämnad)")
    for w in result["warnings"]:
        err_console.print(f"[yellow]warning[/]: {w}")


@links_app.command("answer")
@handle_errors
def link_answer_cmd(
    ctx: typer.Context,
    from_ref: str = typer.Argument(..., metavar="FROM", help="The sending case (dnr)."),
    party: str | None = typer.Option(None, "--party", metavar="NAME",
                                     help="The party (or receiving case number) that answered."),
    link_id: str | None = typer.Option(None, "--link", metavar="ID",
                                       help="The link's id (or its first 8 characters)."),
    on: str | None = typer.Option(None, "--on", metavar="DATE",
                                  help="Date of the answer (default today)."),
    answer_doc: str | None = typer.Option(None, "--answer-doc", metavar="REF",
                                          help="The registered answer, e.g. 'KS 2026/0042-4'."),
    note: str | None = typer.Option(None, "--note", help="A note (kept as protected detail)."),
    org: str | None = ORG_OPTION,
    by: str | None = BY_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record an answer: remissvar, uppdragssvar or klarmarkering.

    The klarmarkering of a vidarebefordran with kept follow-up closes the case here as
    forwarded (överlämnad).

    Examples:

      diariekit link answer "KS 2026/0042" --party Länsstyrelsen --answer-doc "KS 2026/0042-4"

      diariekit link answer "KS 2026/0042" --link 3f2a9c1e --json
    """
    if (party is None) == (link_id is None):
        raise UsageError("name the link with either --party or --link")
    key = link_id if link_id is not None else party or ""
    answered_on = parse_date_option(on, "--on") or today()
    result = answer_link(get_config(ctx), from_ref, key, answered_on=answered_on,
                         answer_doc_ref=answer_doc, note=note, org_id=org, actor=by)
    if as_json:
        print_json(result)
        return
    _print_link(result, f"answered {result['answered']}")
    if result["case_status"] == "forwarded":
        console.print(f"  {result['from_case']} closed here as forwarded (överlämnad)")


def _link_table(rows: list[dict[str, Any]], with_case: bool) -> Table:
    head = ["case"] if with_case else ["direction"]
    table = Table(*head, "kind", "to", "sent", "due", "answered", "answer", "id")
    for r in rows:
        to = r["to_party"] or ""
        if r["to_case"]:
            to = f"{to} ({r['to_case']})" if to else r["to_case"]
        due = r["due"] or ""
        if r["overdue"]:
            due = f"[bold red]{due} (+{r['days_overdue']} d)[/]"
        first = r["from_case"] if with_case else (
            "→" if r["direction"] == "outgoing" else f"← {r['from_case']}")
        table.add_row(first, r["kind"], to, r["sent"] or "", due, r["answered"] or "",
                      r["answer_doc"] or "", r["id"][:8])
    return table


@links_app.command("list")
@handle_errors
def link_list_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="DNR", help="Case number in any configured form."),
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="Judge overdue as of this date (default today)."),
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List a case's links, sent and received, with answers and overdue deadlines.

    Examples:

      diariekit link list "KS 2026/0042"

      diariekit link list SN-2026-00007 --org sn --json
    """
    rows = list_links(get_config(ctx), ref, org_id=org, as_of=parse_date_option(as_of, "--as-of"))
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no links")
        return
    console.print(_link_table(rows, with_case=False))


@links_app.command("overdue")
@handle_errors
def link_overdue_cmd(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="Overdue as of this date (default today)."),
    org: str | None = ORG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Follow-up (bevakning): links of open cases whose answer is overdue.

    Examples:

      diariekit link overdue

      diariekit link overdue --as-of 2026-03-31 --org sn --json
    """
    rows = overdue_links(get_config(ctx), parse_date_option(as_of, "--as-of"), org_id=org)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("[green]✓[/] nothing overdue")
        return
    console.print(_link_table(rows, with_case=True))


@events_app.command("export")
@handle_errors
def events_export_cmd(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", metavar="DATE|DATETIME",
        help="From this event date (YYYY-MM-DD) or system time (ISO 8601; naive = Swedish "
        "time), inclusive."),
    until: str | None = typer.Option(
        None, "--until", metavar="DATE|DATETIME",
        help="Up to this event date (inclusive) or system time (exclusive)."),
    org: str | None = typer.Option(None, "--org", help="Only this organisation's cases "
                                   "(default: all)."),
    kinds: list[str] | None = typer.Option(None, "--kind", metavar="KIND",
                                           help="Only this event kind (repeatable)."),
    include_personnummer: bool = typer.Option(
        False, "--include-personnummer", help="Give the personnummer of the person concerned, "
        "so a portal can route the event (protected data; the export is logged as an event)."),
    public: bool = typer.Option(
        False, "--public", help="A public feed: never personnummer, no detail about persons."),
    output: Path | None = typer.Option(None, "--output", "-o", metavar="FILE",
                                       help="Write to FILE (atomically) instead of stdout."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Export case events as JSON Lines: Sambruk's case-event message, one per line.

    Each line has date, short_text, case_number, main_case_number, detail, link and
    personnummer (plus seq, kind, event_id, organisation, secrecy), in event order. Under
    secrecy only what the public may see: detail is null and protected names and
    descriptions never appear. Personnummer only with --include-personnummer. With -o and
    --json, a summary is printed.

    Examples:

      diariekit events export --since 2026-02-01 -o events.jsonl

      diariekit events export --since 2026-02-03T08:00 --kind remiss_sent --kind forwarded

      diariekit events export --org sn --include-personnummer -o mina-sidor.jsonl
    """
    messages = export_events(
        get_config(ctx), since=parse_bound(since, "--since") if since else None,
        until=parse_bound(until, "--until") if until else None, org_id=org, kinds=kinds,
        include_personnummer=include_personnummer, public=public)
    if output is None:
        write_jsonl(messages, sys.stdout)
        sys.stdout.flush()
        return
    n = write_jsonl_atomic(messages, output)
    if as_json:
        print_json({"output": str(output), "events": n})
    else:
        err_console.print(f"[green]✓[/] {n} events → {output}")
