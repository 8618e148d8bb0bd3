"""``diariekit job``: scheduled jobs (schemalagda jobb) for cron and systemd timers."""

from __future__ import annotations

import typer

job_app = typer.Typer(help="Scheduled jobs: run one from the config, or print cron lines.",
                      no_args_is_help=True)
