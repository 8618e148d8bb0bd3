"""``diariekit package`` and ``diariekit schemas``: validate transfer packages, manage schemas."""

from __future__ import annotations

from pathlib import Path

import typer

from diariekit.errors import ConfigError, ExitCode
from diariekit.findings import Severity

from .common import JSON_OPTION, console, exit_with, handle_errors, print_finding, print_json

package_app = typer.Typer(help="Transfer packages (informationspaket, FGS/E-ARK SIP): validate.",
                          no_args_is_help=True)
schemas_app = typer.Typer(help="The official XML schemas (METS, PREMIS, ERMS, E-ARK profiles).",
                          no_args_is_help=True)

SCHEMAS_OPTION = typer.Option(
    None, "--schemas", help="Schema folder with catalog.xml (default: $DIARIEKIT_SCHEMAS, then "
    "the folder filled by 'diariekit schemas install').")


@package_app.command("validate")
@handle_errors
def validate_cmd(
    path: Path = typer.Argument(..., metavar="PATH",
                                help="The package: a folder, a zip or a tar (read in place)."),
    schemas: Path | None = SCHEMAS_OPTION,
    no_checksums: bool = typer.Option(False, "--no-checksums",
                                      help="Check presence and sizes only, not checksums."),
    require_schemas: bool = typer.Option(
        False, "--require-schemas", help="Fail (exit 3) instead of skipping XML Schema "
        "validation when no schemas are installed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors and the verdict."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate a package against FGS Paketstruktur 2.0 (E-ARK CSIP/SIP 2.1.0).

    Checks the folder structure (CSIPSTR), every machine-checkable CSIP and SIP METS
    requirement (reported by ID: MUST = error, SHOULD = warning, MAY = info), every file's
    size and checksum, unreferenced files, and METS/PREMIS/ERMS against their XML Schemas
    when installed. Exit 0 valid, 1 invalid, 3 schemas required but missing, 4 unreadable.

    Examples:

      diariekit package validate uuid-4f1c2b7e.zip

      diariekit package validate transfer/ --schemas ../shared/external/schemas --json

      diariekit package validate big.tar --no-checksums --quiet
    """
    # lxml is imported only when a package command runs (keeps `diariekit --help` fast)
    from diariekit.packages.schemas import ENV_VAR, SchemaSet
    from diariekit.packages.validate import validate_package

    schema_set = SchemaSet.find(schemas)
    if schema_set is None and require_schemas:
        raise ConfigError("no schemas installed: run 'diariekit schemas install FOLDER' or "
                          f"set ${ENV_VAR} / --schemas")
    report = validate_package(path, schemas=schema_set, checksums=not no_checksums)
    if as_json:
        print_json(report.to_dict())
    else:
        for finding in report.findings:
            if quiet and finding.severity is not Severity.ERROR:
                continue
            print_finding(finding)
        for note in report.skipped:
            console.print(f"[yellow]skipped:[/] {note}")
        c = report.counts()
        verdict = "[bold green]valid[/]" if report.valid else "[bold red]invalid[/]"
        console.print(f"{path}: {verdict} — {c['error']} errors, {c['warning']} warnings, "
                      f"{c['info']} notes; {report.files_checked} files checked "
                      f"({report.container})")
    if not report.valid:
        exit_with(ExitCode.INVALID)


@schemas_app.command("install")
@handle_errors
def install_cmd(
    folder: Path = typer.Argument(..., metavar="FOLDER",
                                  help="A schema folder with catalog.xml, e.g. "
                                  "../shared/external/schemas."),
    target: Path | None = typer.Option(None, "--target",
                                       help="Install here instead of the user data folder."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Copy the official schemas into the user's data folder (atomically).

    Examples:

      diariekit schemas install ../shared/external/schemas

      diariekit schemas install ./schemas --target /srv/diariekit/schemas
    """
    from diariekit.packages.schemas import SchemaSet, install_schemas

    where = install_schemas(folder, target)
    SchemaSet(where).mets()  # prove they compile offline before saying so
    if as_json:
        print_json({"installed": str(where)})
    else:
        console.print(f"schemas installed in {where}")


@schemas_app.command("show")
@handle_errors
def show_cmd(
    schemas: Path | None = SCHEMAS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show which schema folder validation and build would use.

    Example:

      diariekit schemas show --json
    """
    from diariekit.packages.schemas import CATALOG, ENV_VAR, schema_dir, user_schema_dir

    folder = schema_dir(schemas)
    data = {"schemas": str(folder) if folder else None, "user_folder": str(user_schema_dir()),
            "env": ENV_VAR, "catalog": str(folder / CATALOG) if folder else None}
    if as_json:
        print_json(data)
    elif folder is None:
        console.print(f"no schemas installed (looked in ${ENV_VAR} and {user_schema_dir()}); "
                      "run 'diariekit schemas install FOLDER'")
    else:
        console.print(f"schemas: {folder}")


from .package_build import build_cmd  # noqa: E402  (kept beside validate in the package group)

package_app.command("build")(build_cmd)
