"""A normal (non-editable) install carries everything the demo needs: the CLI under
diariekit.commands, the plans, the JSON Schema, the migrations and the samples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_install_runs_the_demo(tmp_path: Path) -> None:
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
         "--target", str(target), str(REPO)],
        capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    installed = target / "diariekit"
    for part in ("commands/main.py", "retention_plans/plan.schema.json",
                 "retention_plans/kommunstyrelse.yaml", "retention_plans/barn_och_utbildning.csv",
                 "registry/migrations/env.py", "registry/migrations/versions/0001_initial.py",
                 "samples/registrations.csv", "samples/make_files.py",
                 "packages/validate.py", "packages/build.py", "registration/register.py",
                 "fgs_templates/profile-fgs-2.0.yaml", "osl_provisions.json"):
        assert (installed / part).is_file(), part
    work = tmp_path / "work"
    work.mkdir()
    # Only the installed copy may be importable: run from elsewhere, the target first.
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    result = subprocess.run([sys.executable, "-m", "diariekit.commands.main", "demo", "--json"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (work / "diariekit-demo" / "diariekit.toml").is_file()
    probe = subprocess.run([sys.executable, "-c", "import diariekit; print(diariekit.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert probe.stdout.strip().startswith(str(target))
