"""``diariekit job``: scheduled jobs (schemalagda jobb) for cron and systemd timers."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer
from rich.table import Table

from diariekit.errors import ExitCode, UsageError
from diariekit.jobs import JOBS, JobLockedError, cron_text, job_table, run_job

from .common import (
    JSON_OPTION,
    console,
    err_console,
    exit_with,
    get_config,
    handle_errors,
    parse_date_option,
    print_json,
)

job_app = typer.Typer(
    help="Scheduled jobs: run one from the config, or print cron lines.\n\n"
    f"Jobs: {', '.join(JOBS)}. Configure them under [jobs] in diariekit.toml; "
    "`diariekit job cron` prints crontab lines and a systemd timer example.",
    no_args_is_help=True)


@job_app.command("run")
@handle_errors
def run_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help=f"One of: {', '.join(JOBS)}."),
    as_of: str | None = typer.Option(None, "--as-of", metavar="DATE",
                                     help="Run as on this date (default today, in Sweden)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a scheduled job once, under its lock, and write a JSON report.

    Quiet unless a person is needed: then a short summary goes to stdout (cron mails it)
    and errors to stderr. Each run writes <report_dir>/<started>-<job>-<pid>.json
    (job, started, finished, exit code, result). A second run while one is going exits 5
    at once, changing nothing.

    Jobs: package-due (build and validate packages past their delivery deadline),
    audit-verify (the event chain), secrecy-review (markings reaching their maximum time),
    disposal-propose (a disposal batch for approval), retention-recompute (store the
    retention and delivery dates as the plan in force gives them).

    Examples:

      diariekit job run audit-verify

      diariekit job run package-due --as-of 2026-12-31 --json

      30 2 * * *  diariekit --config /srv/diarium/diariekit.toml job run package-due

    Exit codes:

    0   ran; nothing needs a person (also: nothing was due). Prints nothing.

    1   ran, and a person is needed: audit chain broken, a package not valid or already
    recorded, secrecy markings to review, a disposal batch awaiting approval, documents
    that became disposable sooner after a recompute.

    2   unknown job name (the known ones are listed) or bad --as-of.

    3   configuration: no or bad diariekit.toml or [jobs], report folder not writable, a
    job's module missing.

    4   input cannot be read (e.g. a file of the content store).

    5   registry error, or locked: another run of this job holds its lock (a lock file in
    [jobs] lock_dir, and on PostgreSQL an advisory lock); nothing done, no report.

    6   refused by policy (e.g. a package with the same id already in the output folder).

    130 interrupted.
    """
    if name not in JOBS:
        raise UsageError(f"unknown job '{name}' (known jobs: {', '.join(JOBS)})")
    day = parse_date_option(as_of, "--as-of")
    config = get_config(ctx)
    try:
        report = run_job(config, name, as_of=day)
    except JobLockedError as exc:
        # always on stderr, also with --json: stdout stays empty for a run that did nothing
        err_console.print(f"locked: {exc}", markup=False, soft_wrap=True)
        exit_with(ExitCode.REGISTRY)
    if as_json:
        print_json(report.to_dict())
    elif report.error:
        where = ", ".join(str(report.error[k]) for k in ("file", "line", "field")
                          if report.error.get(k) is not None)
        err_console.print(f"error: job {name}: {where + ': ' if where else ''}"
                          f"{report.error.get('message', '')}", markup=False, soft_wrap=True)
        err_console.print(f"report: {report.path}", markup=False, soft_wrap=True)
    elif report.attention:
        for line in report.attention:
            console.print(f"{name}: {line}", markup=False, soft_wrap=True)
        console.print(f"report: {report.path}", markup=False, soft_wrap=True)
    exit_with(report.exit_code)


@job_app.command("list")
@handle_errors
def list_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the scheduled jobs with their schedule and configured options.

    Examples:

      diariekit job list

      diariekit job list --json
    """
    jobs = job_table(get_config(ctx))
    if as_json:
        print_json(jobs)
        return
    table = Table("job", "what it does", "cron schedule", "options")
    for j in jobs:
        opts = ", ".join(f"{k}={v}" for k, v in j["options"].items())
        table.add_row(j["job"], j["title"], j["schedule"], opts)
    console.print(table)


def _executable() -> str:
    """The absolute path of the running ``diariekit``, for cron's short PATH."""
    here = Path(sys.argv[0])
    if here.name == "diariekit" and here.is_file():
        return str(here.resolve())
    return shutil.which("diariekit") or "diariekit"


@job_app.command("cron")
@handle_errors
def cron_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Print crontab lines for every job, and a systemd service and timers as an example.

    The lines name this diariekit and this config by absolute path. Schedules come from
    [jobs.NAME] schedule / on_calendar in diariekit.toml, else the defaults.

    Examples:

      diariekit job cron

      diariekit job cron | grep 'job run' | crontab -
    """
    data = cron_text(get_config(ctx), _executable())
    if as_json:
        print_json(data)
        return
    out = list(data["crontab"])
    out += ["", "# --- or, with systemd: one service template and a timer per job ---", "",
            data["systemd"]["service"]]
    for timer in data["systemd"]["timers"].values():
        out += ["", timer]
    out += ["", "# then:", *(f"#   {line}" for line in data["systemd"]["enable"])]
    sys.stdout.write("\n".join(out) + "\n")
