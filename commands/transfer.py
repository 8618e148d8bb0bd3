"""``diariekit transfer``: deliveries to the archive (leverans) and their receipts."""

from __future__ import annotations

import typer

transfer_app = typer.Typer(help="Transfers to the archive (leverans): list, show, accept, reject.",
                           no_args_is_help=True)
