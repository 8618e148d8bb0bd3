"""``diariekit registry`` (migrations, status) and ``diariekit audit`` (the event chain)."""

from __future__ import annotations

import typer

from diariekit.errors import ExitCode
from diariekit.events import verify_chain
from diariekit.registry.engine import connect, display_url, open_engine
from diariekit.registry.migrate import current_revision, head_revision
from diariekit.registry.session import open_registry

from .common import (
    JSON_OPTION,
    console,
    exit_with,
    get_config,
    handle_errors,
    print_finding,
    print_json,
)

app = typer.Typer(help="The registry database: migrate and inspect.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail (the hash-chained event log).",
                        no_args_is_help=True)


@app.command("upgrade")
@handle_errors
def upgrade_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Bring the registry's schema up to date (runs the Alembic migrations).

    Safe to run again: a current registry is left as it is.

    Example:

      diariekit registry upgrade
    """
    config = get_config(ctx)
    rev = current_revision(open_registry(config, create=True))
    if as_json:
        print_json({"registry": display_url(config.registry_url), "revision": rev})
    else:
        console.print(f"[green]✓[/] registry {display_url(config.registry_url)} at revision {rev}")


@app.command("status")
@handle_errors
def status_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Show the registry URL and whether its schema is current (exit 5 when not).

    Example:

      diariekit registry status --json
    """
    config = get_config(ctx)
    engine = open_engine(config.registry_url)
    rev, head = current_revision(engine), head_revision()
    data = {"registry": display_url(config.registry_url), "revision": rev, "head": head,
            "current": rev == head}
    if as_json:
        print_json(data)
    else:
        state = "[green]current[/]" if rev == head else "[red]needs `diariekit registry upgrade`[/]"
        console.print(f"registry {data['registry']}: revision {rev or 'none'} ({state})")
    if rev != head:
        exit_with(ExitCode.REGISTRY)


@audit_app.command("verify")
@handle_errors
def verify_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Verify the hash chain of the event log; exit 1 if any event was edited or deleted.

    Example:

      diariekit audit verify
    """
    engine = open_registry(get_config(ctx))
    with connect(engine) as conn:
        report = verify_chain(conn)
    if as_json:
        print_json(report.to_dict())
    else:
        for f in report.findings:
            print_finding(f)
        mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
        console.print(f"{mark} {report.checked} events checked, {len(report.findings)} problems")
    exit_with(ExitCode.OK if report.ok else ExitCode.INVALID)
