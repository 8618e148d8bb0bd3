"""The README's Quick start and CI run the same test command; the README documents every
exit code and command group."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from diariekit.config import parse_config
from diariekit.errors import ExitCode

REPO = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_has_two_commands_and_ci_runs_the_second() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert "diariekit demo" in commands[0]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == commands[1]


def test_readme_lists_every_exit_code() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", text, re.M), code


def test_readme_config_example_loads(tmp_path: Path) -> None:
    """The diariekit.toml shown in the README is a config diariekit accepts as it stands."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration: `diariekit.toml`", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(tomllib.loads(example), tmp_path / "diariekit.toml")
    assert config.organisation().id == "ks"
    assert config.jobs.options["package-due"]["format"] == "zip"


def test_readme_shows_every_command_group() -> None:
    from diariekit.commands.main import app

    text = (REPO / "README.md").read_text(encoding="utf-8")
    names = [g.name for g in app.registered_groups] + [c.name for c in app.registered_commands]
    missing = [n for n in names if n and f"diariekit {n}" not in text]
    assert not missing, missing
