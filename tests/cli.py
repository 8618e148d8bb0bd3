"""Run the ``diariekit`` console script as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(sys.executable).with_name("diariekit")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def text(self) -> str:
        return self.out + self.err


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
        input: str | None = None) -> Result:
    """Run ``diariekit ARGS`` and return exit code, stdout and stderr.

    A traceback in the output is always a bug, so it fails here whatever the test expects.
    """
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    full_env.pop("DIARIEKIT_CONFIG", None)
    full_env.update(env or {})
    proc = subprocess.run([str(SCRIPT), *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, input=input, timeout=300)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr + proc.stdout
    return Result(proc.returncode, proc.stdout, proc.stderr)
