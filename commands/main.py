"""The ``diariekit`` command line: parse, call the library, print."""

from __future__ import annotations

from pathlib import Path

import typer

from diariekit import __version__

from . import (
    disposal,
    extract,
    jobs,
    links,
    packages,
    plan,
    registration,
    registry,
    secrecy,
    setup,
    transfer,
)

app = typer.Typer(
    name="diariekit",
    help="Records management and archiving for Swedish public bodies: document-management "
    "plans, registration (diarieföring), secrecy, disposal (gallring) and FGS packages.\n\n"
    "Exit codes: 0 ok/valid, 1 invalid, 2 usage, 3 configuration, 4 unreadable input, "
    "5 registry, 6 refused by policy, 7 partial, 130 interrupted.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"diariekit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="DIARIEKIT_CONFIG",
        help="The diariekit.toml to use (default: found from the current folder upwards)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """diariekit: plans, registration, secrecy, disposal and FGS packages."""
    ctx.obj = {"config": config}


app.command("init")(setup.init_cmd)
app.command("demo")(setup.demo_cmd)
app.add_typer(plan.app, name="plan")
app.command("register")(registration.register_cmd)
app.add_typer(registration.case_app, name="case")
app.add_typer(registration.doc_app, name="doc")
app.add_typer(registration.dnr_app, name="dnr")
app.add_typer(links.links_app, name="link")
app.add_typer(links.events_app, name="events")
app.add_typer(secrecy.secrecy_app, name="secrecy")
app.add_typer(extract.extract_app, name="extract")
app.add_typer(disposal.retention_app, name="retention")
app.add_typer(disposal.hold_app, name="hold")
app.add_typer(disposal.disposal_app, name="disposal")
app.add_typer(packages.package_app, name="package")
app.add_typer(transfer.transfer_app, name="transfer")
app.add_typer(jobs.job_app, name="job")
app.add_typer(packages.schemas_app, name="schemas")
app.add_typer(registry.app, name="registry")
app.add_typer(registry.audit_app, name="audit")


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
