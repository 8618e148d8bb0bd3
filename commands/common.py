"""Shared CLI plumbing: consoles, error handling, JSON output, atomic output files."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from diariekit.atomic import atomic_open
from diariekit.config import Config, load_config
from diariekit.errors import DiariekitError, ExitCode, UsageError
from diariekit.findings import Finding, Severity

P = ParamSpec("P")
R = TypeVar("R")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

JSON_OPTION = typer.Option(False, "--json", help="Print a JSON document on stdout.")


def print_json(data: Any) -> None:
    """Write ``data`` as JSON on stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def exit_with(code: ExitCode | int) -> NoReturn:
    raise typer.Exit(int(code))


def report_error(exc: DiariekitError, as_json: bool) -> NoReturn:
    """Print a user error (one red paragraph, or JSON on stdout) and exit with its code."""
    if as_json:
        print_json(exc.to_dict())
    else:
        err_console.print(f"[bold red]error:[/] {_escape(str(exc))}")
    exit_with(exc.exit_code)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`DiariekitError` into its exit code and Ctrl-C into 130."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DiariekitError as exc:
            report_error(exc, bool(kwargs.get("as_json")))
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/]")
            exit_with(ExitCode.INTERRUPTED)

    return wrapper


def get_config(ctx: typer.Context) -> Config:
    """The config named by ``--config`` (or found from the current folder)."""
    path = ctx.obj.get("config") if ctx.obj else None
    return load_config(path)


def optional_config(ctx: typer.Context) -> Config | None:
    """The config if there is one; commands like ``plan validate`` work without."""
    path = ctx.obj.get("config") if ctx.obj else None
    try:
        return load_config(path)
    except DiariekitError:
        if path is not None:
            raise
        return None


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def print_finding(f: Finding) -> None:
    where = _escape(str(f.location))
    prefix = f"{where}: " if where else ""
    console.print(f"{prefix}[{_STYLE[f.severity]}]{f.severity}[/]: {_escape(f.message)} "
                  f"[dim]\\[{f.code}][/]")


def write_output(text: str, output: Path | None) -> None:
    """Write to ``output`` atomically (temporary name + rename), or to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    with atomic_open(output, newline="") as fh:
        fh.write(text)


def parse_date_option(value: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option value, or a usage error (exit 2) naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} takes a date YYYY-MM-DD, got '{value}'") from None


def parse_assignments(values: list[str] | None, option: str) -> dict[str, str]:
    """``KEY=VALUE`` pairs from a repeated option."""
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} takes KEY=VALUE, got '{item}'")
        out[key.strip()] = value.strip()
    return out
