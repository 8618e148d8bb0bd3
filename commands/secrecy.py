"""``diariekit secrecy``: secrecy markings (sekretessmarkering) under OSL."""

from __future__ import annotations

import typer

secrecy_app = typer.Typer(help="Secrecy markings (sekretessmarkering, OSL 5:5): mark, unmark, "
                          "review.", no_args_is_help=True)
