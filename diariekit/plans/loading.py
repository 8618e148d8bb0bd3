"""Load a plan file of any supported form (YAML or CSV), with its sidecar metadata."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from diariekit.errors import InvalidInputError, Location
from diariekit.plans.load_csv import load_csv_plan
from diariekit.plans.load_yaml import load_yaml_plan
from diariekit.plans.model import LoadResult
from diariekit.textio import read_text_file

YAML_SUFFIXES = {".yaml", ".yml"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


def sidecar_path(path: Path) -> Path:
    """The metadata sidecar of a CSV plan: ``plan.csv`` → ``plan.meta.yaml``."""
    return path.with_name(path.stem + ".meta.yaml")


def load_plan(
    path: Path,
    *,
    column_map: Mapping[str, str] | None = None,
    meta_values: Mapping[str, Any] | None = None,
    encoding: str | None = None,
) -> LoadResult:
    """Load ``path`` as a plan. Unreadable files raise; content problems become findings.

    For CSV plans, plan metadata comes from the preface rows, then a ``.meta.yaml``
    sidecar (its ``plan:`` block), then ``meta_values`` (command line), later winning.
    """
    decoded = read_text_file(path, encoding)
    suffix = path.suffix.casefold()
    if suffix in YAML_SUFFIXES:
        return load_yaml_plan(path, decoded)
    if suffix not in CSV_SUFFIXES and decoded.text.lstrip().startswith(("diariekit_plan", "---")):
        return load_yaml_plan(path, decoded)
    meta: dict[str, Any] = {}
    side = sidecar_path(path)
    if side.is_file():
        meta.update(_read_sidecar(side))
    meta.update(meta_values or {})
    return load_csv_plan(path, decoded, column_map=column_map, meta_values=meta)


def _read_sidecar(path: Path) -> dict[str, Any]:
    decoded = read_text_file(path)
    try:
        data = yaml.safe_load(decoded.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInputError(f"not valid YAML: {exc}",
                                Location(str(path), mark.line + 1 if mark else None)) from None
    block = data.get("plan", data) if isinstance(data, dict) else None
    if not isinstance(block, dict):
        raise InvalidInputError("expected a 'plan:' mapping of plan metadata", Location(str(path)))
    return {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in block.items()}
