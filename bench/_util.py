"""Shared plumbing of the benchmarks: run a measurement in a worker subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def spawn(script: str, *argv: str) -> dict[str, Any]:
    """Run ``python SCRIPT ARGV`` and return the JSON object it prints last."""
    proc = subprocess.run([sys.executable, script, *argv], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"worker {argv[1]} failed with exit code {proc.returncode}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))
