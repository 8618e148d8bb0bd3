"""``diariekit package build``: transfer packages (överföringspaket, SIP) of closed cases, one
per case or, with ``--max-size`` / ``--max-files``, several cases per package.

Wired into the ``package`` group by ``commands/packages.py``::

    from .package_build import build_cmd
    package_app.command("build")(build_cmd)
"""

from __future__ import annotations

from pathlib import Path

import typer

from diariekit.clock import today
from diariekit.errors import UsageError

from .common import (
    JSON_OPTION,
    console,
    get_config,
    handle_errors,
    parse_date_option,
    print_json,
)

FORMATS = ("dir", "zip", "tar")


@handle_errors
def build_cmd(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org",
                                   help="Organisation (default: the config's default)."),
    series: str | None = typer.Option(None, "--series", help="Only cases of this series (KS)."),
    class_code: str | None = typer.Option(
        None, "--class", metavar="CODE", help="Only cases of this class or its subclasses."),
    closed_from: str | None = typer.Option(None, "--closed-from", metavar="DATE",
                                           help="Closed on or after this date."),
    closed_to: str | None = typer.Option(None, "--closed-to", metavar="DATE",
                                         help="Closed on or before this date."),
    due: bool = typer.Option(False, "--due", help="Only cases with a document whose delivery "
                             "deadline (leveransfrist) has passed today."),
    cases: list[str] = typer.Option([], "--case", metavar="DNR",
                                    help="A named closed case (repeatable); overrides filters."),
    include_transferred: bool = typer.Option(
        False, "--include-transferred", help="Also cases already in a transfer."),
    fmt: str = typer.Option("dir", "--format", help="dir, zip or tar."),
    out: Path = typer.Option(Path("transfer"), "--out", metavar="DIR",
                             help="Folder to write the packages in."),
    created: str | None = typer.Option(
        None, "--date", metavar="ISO", help="Package creation time (CREATEDATE, also fixes the "
        "OBJID); default: each case's last logged event."),
    profile: str | None = typer.Option(
        None, "--profile", help="Package profile: fgs-2.0 (default, ERMS 3.0), "
        "fgs-2.0-erms-2.1 (ERMS 2.1.2), csip-2.2 or a YAML path."),
    schemas: Path | None = typer.Option(
        None, "--schemas", help="Schema folder to copy XSDs from into schemas/ (default: "
        "$DIARIEKIT_SCHEMAS or the installed schemas; none: no schemas/ folder)."),
    max_size: str | None = typer.Option(
        None, "--max-size", metavar="SIZE", help="Split the transfer: at most this many bytes "
        "of data files per package (500M, 2G; metadata not counted). Cases are packed "
        "together up to the limit and never split; a case over it goes alone."),
    max_files: int | None = typer.Option(
        None, "--max-files", metavar="N", help="Split the transfer: at most N data files per "
        "package (cases packed together, never split; a case over it goes alone)."),
    link: bool = typer.Option(
        False, "--link", help="Folder output: hard-link the data files from the store instead "
        "of copying them (each is still read once and its SHA-256 checked). Fast, but the "
        "package shares the store's files: move or upload it, then delete it."),
    by: str | None = typer.Option(None, "--by", help="Who acts (default: $USER)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Build transfer packages (överföringspaket, FGS Paketstruktur 2.0 SIP) for closed cases.

    One SIP per case: CITS ERMS 3.0 for the case and its documents (public forms only,
    secrecy markings as restrictions), PREMIS, and the files copied from the store while
    hashed. With --max-size and/or --max-files the cases are packed into as few packages as
    the limits allow, each complete and valid on its own, all in one transfer with one
    submission reference. Written atomically; the same input and --date give the same
    bytes. An interrupted build (killed, disk full) resumes where it stopped when run again
    with the same options. The transfer is recorded with status 'built' and a
    transfer_built event per case.

    Examples:

      diariekit package build --series KS --closed-to 2025-12-31 --format zip --out leverans/

      diariekit package build --case "KS 2026/0042" --date 2026-12-01 --json

      diariekit package build --org sn --class 2.3 --due --format tar

      diariekit package build --series KS --max-size 4G --max-files 50000 --format zip

      diariekit package build --series KS --link --out /mnt/e-arkiv/inkorg/
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    # lxml is imported only when the command runs (keeps `diariekit --help` fast)
    from diariekit.packages.build import (
        Selection,
        build_case_packages,
        parse_created,
        parse_size,
    )

    config = get_config(ctx)
    select = Selection(series=series, class_code=class_code,
                       closed_from=parse_date_option(closed_from, "--closed-from"),
                       closed_to=parse_date_option(closed_to, "--closed-to"),
                       delivery_due_by=today() if due else None, cases=tuple(cases),
                       include_transferred=include_transferred)
    result = build_case_packages(
        config, org_id=org, select=select, out_dir=out, fmt=fmt,
        created=parse_created(created) if created else None, actor=by, profile=profile,
        schema_dir=schemas, max_size=parse_size(max_size) if max_size else None,
        max_files=max_files, link=link)
    if as_json:
        print_json(result.to_dict())
        return
    for p in result.packages:
        state = "" if p.recorded else " [dim](already recorded)[/]"
        if p.reused_files:
            state += f" [dim](resumed: {p.reused_files} files reused)[/]"
        what = p.dnr if len(p.cases) <= 1 else f"{p.dnr} … {p.cases[-1]} ({len(p.cases)} ärenden)"
        console.print(f"[green]✓[/] {what}: {p.path} ({p.documents} handlingar, {p.files} "
                      f"filer, {p.size} bytes){state}")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    if result.submission_ref:
        console.print(f"Leverans {result.submission_ref} registrerad (status built), "
                      f"{len(result.packages)} paket.")
