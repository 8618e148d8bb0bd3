"""``diariekit disposal``, ``hold`` and ``retention``: disposal (gallring) and its holds."""

from __future__ import annotations

import typer

disposal_app = typer.Typer(help="Disposal batches (gallringsomgång): propose, show, approve, run.",
                           no_args_is_help=True)
hold_app = typer.Typer(help="Holds (gallringsstopp): add, list, release.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention and delivery dates (gallrings- och leveransfrister).",
                            no_args_is_help=True)
