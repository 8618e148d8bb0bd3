"""``diariekit extract``: the public register extract (diarieutdrag / postlista)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from diariekit.extract import ExtractFilter, write_extract

from .common import err_console, get_config, handle_errors, parse_date_option

extract_app = typer.Typer(help="Extracts of the register: the public extract (diarieutdrag).",
                          no_args_is_help=True)


@extract_app.command("public")
@handle_errors
def public_cmd(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org",
                                   help="Organisation (default: the config's default)."),
    series: str | None = typer.Option(None, "--series", help="One series, e.g. KS."),
    date_from: str | None = typer.Option(None, "--from",
                                         help="First registration date YYYY-MM-DD."),
    date_to: str | None = typer.Option(None, "--to",
                                       help="Last registration date YYYY-MM-DD (included)."),
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, jsonl or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o",
        help="Write to this file (atomically: a temporary name, renamed when complete); "
        "default stdout."),
) -> None:
    """The public register extract (diarieutdrag / postlista): what anyone may see.

    One row per case (its title) and per document, cases in number order with their
    documents. Columns, in this order and under these names in csv and jsonl: kind (case or
    document), ref, case, registered, document_date, direction (incoming, outgoing,
    internal), record_type, case_title, counterpart, description, secrecy, status.

    For an entry with an effective secrecy marking the number, dates, direction and record
    type are shown; the counterpart and description (and a marked case title) are replaced
    by "Uppgift omfattas av sekretess enligt OSL …". Protected forms and personnummer never
    appear: anything shaped like a personnummer or samordningsnummer is replaced by
    "[personnummer]". A voided entry (makulerad) shows its number and status only.

    csv is UTF-8 with a BOM and ";" (for Excel); jsonl has one object per row; html is a
    standalone page.

    Examples:

      diariekit extract public --format csv -o postlista.csv

      diariekit extract public --series KS --from 2026-03-02 --to 2026-03-08 -f html -o v10.html

      diariekit extract public --org sn --format jsonl | jq .ref
    """
    f = ExtractFilter(org_id=org, series=series, date_from=parse_date_option(date_from, "--from"),
                      date_to=parse_date_option(date_to, "--to"))
    n = write_extract(get_config(ctx), f, fmt, output=output, stdout=sys.stdout)
    if output is not None:
        err_console.print(f"[green]✓[/] {n} entries written to {output}")
