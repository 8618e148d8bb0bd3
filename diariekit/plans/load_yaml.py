"""Load a plan written in diariekit's YAML form (``retention_plans/plan.schema.json``).

YAML is loaded with node marks kept, so that every JSON Schema error and every
meaning check names the physical line of the offending node. Dates stay text (the
schema checks their form), duplicate keys are refused rather than silently merged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from diariekit.errors import Location
from diariekit.findings import Finding, Severity
from diariekit.plans.build import build_record_type, clean_cell
from diariekit.plans.meta import build_meta
from diariekit.plans.model import LoadResult, Plan, PlanClass, RecordType, SourceInfo, parent_of
from diariekit.textio import DecodedText

Path_ = tuple[str | int, ...]


class _PlanLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay strings."""


_PlanLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def plan_schema() -> dict[str, Any]:
    """The JSON Schema of the YAML plan form, shipped in ``diariekit.retention_plans``."""
    text = resources.files("diariekit.retention_plans").joinpath("plan.schema.json").read_text(
        encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int],
          dupes: list[tuple[Path_, int]]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dupes.append((path + (key,), key_node.start_mark.line + 1))
            seen.add(key)
            _walk(value_node, path + (key,), lines, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, dupes)


def _line_for(path: Path_, lines: Mapping[Path_, int]) -> int | None:
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get((), None)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_message(err: jsonschema.ValidationError) -> str:
    message = str(err.message)
    if err.validator == "additionalProperties":
        return f"{message} (check the spelling of the field)"
    return message


def load_yaml_plan(path: Path, decoded: DecodedText) -> LoadResult:
    """Load and schema-check a YAML plan; the plan is ``None`` when the schema fails."""
    file = str(path)
    findings: list[Finding] = []
    try:
        alias = next((e for e in yaml.parse(decoded.text, Loader=_PlanLoader)
                      if isinstance(e, yaml.AliasEvent)), None)
        if alias is not None:
            findings.append(Finding(
                "plan.yaml-alias", Severity.ERROR,
                "YAML anchors and aliases (*name) are not allowed in plans: write values out",
                Location(file, alias.start_mark.line + 1 if alias.start_mark else None)))
            return LoadResult(None, tuple(findings))
        root = yaml.compose(decoded.text, Loader=_PlanLoader)
        data = yaml.load(decoded.text, Loader=_PlanLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        findings.append(Finding("plan.yaml-syntax", Severity.ERROR,
                                f"not valid YAML: {problem}", Location(file, line)))
        return LoadResult(None, tuple(findings))
    if root is None or not isinstance(data, dict):
        findings.append(Finding("plan.not-a-plan", Severity.ERROR,
                                "the file holds no plan (expected keys diariekit_plan, plan, "
                                "classes)", Location(file, 1)))
        return LoadResult(None, tuple(findings))

    lines: dict[Path_, int] = {}
    dupes: list[tuple[Path_, int]] = []
    _walk(root, (), lines, dupes)
    for dup_path, line in dupes:
        findings.append(Finding("plan.duplicate-key", Severity.ERROR,
                                f"key '{dup_path[-1]}' is given twice in the same mapping",
                                Location(file, line, _dotted(dup_path))))

    validator = jsonschema.Draft202012Validator(plan_schema())
    schema_errors = sorted(validator.iter_errors(data),
                           key=lambda e: (_line_for(tuple(e.absolute_path), lines) or 0))
    for err in schema_errors:
        p = tuple(err.absolute_path)
        findings.append(Finding("plan.schema", Severity.ERROR, _schema_message(err),
                                Location(file, _line_for(p, lines), _dotted(p) or None)))
    if schema_errors:
        return LoadResult(None, tuple(findings))

    plan_data: dict[str, Any] = data["plan"]
    meta_lines = {k: lines[("plan", k)] for k in plan_data if ("plan", k) in lines}
    meta = build_meta(plan_data, file=file, lines=meta_lines, findings=findings)

    classes: list[PlanClass] = []
    record_types: list[RecordType] = []
    for ci, cls in enumerate(data["classes"]):
        code = str(cls["code"])
        explicit = cls.get("parent")
        classes.append(PlanClass(
            code=code, title=cls["title"],
            parent_code=str(explicit) if explicit is not None else parent_of(code),
            parent_explicit=explicit is not None, level=cls.get("level"),
            description=cls.get("description"), line=lines.get(("classes", ci))))
        for ri, rt in enumerate(cls.get("record_types", [])):
            base: Path_ = ("classes", ci, "record_types", ri)
            cells = {k: _text(v) for k, v in rt.items() if k not in {"id", "name", "formats",
                                                                      "personal_data"}}
            if "formats" in rt:
                cells["formats"] = ", ".join(rt["formats"])
            field_lines = {k: lines[base + (k,)] for k in rt if base + (k,) in lines}
            record_types.append(build_record_type(
                key=str(rt["id"]), name=str(rt["name"]).strip(), class_code=code,
                process=cls["title"], cells=cells, line=lines.get(base),
                field_lines=field_lines, personal_data=rt.get("personal_data")))

    source = SourceInfo(file, decoded.sha256, "yaml", decoded.encoding, None)
    return LoadResult(Plan(meta, tuple(classes), tuple(record_types), source), tuple(findings))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return clean_cell("; ".join(str(v) for v in value))
    return clean_cell(str(value))

