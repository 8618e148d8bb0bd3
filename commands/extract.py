"""``diariekit extract``: the public register extract (diarieutdrag / postlista)."""

from __future__ import annotations

import typer

extract_app = typer.Typer(help="Extracts of the register: the public extract (diarieutdrag).",
                          no_args_is_help=True)
