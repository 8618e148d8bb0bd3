"""A corpus of broken plans: each gives the right error at the right line, exit 1 (or 4 for
files that are not text at all), through the CLI, with no traceback."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli import run

HEAD = "Klass;Process;Handlingstyp;Registrering;Sekretess;Bevaras/Gallras;Gallringsfrist;" \
       "Hänvisning till gallringsbeslut eller lagrum\n"
PREFACE = ("Myndighet;Testnämnden\nVersion;1\nBeslutad;TN 2025/1 § 2, 2025-01-10\n"
           "Gäller från;2025-02-01\n\n")


@dataclass
class Case:
    name: str
    filename: str
    content: bytes
    code: str | None  # finding code expected
    line: int | None
    exit: int = 1
    field: str | None = None


def _y(text: str) -> bytes:
    return text.encode("utf-8")


YAML_HEAD = """\
diariekit_plan: 1
plan:
  title: Testplan
  organisation: Testnämnden
  version: "1"
  adoption_ref: TN 2025/1 § 2
  valid_from: "2025-02-01"
classes:
"""

CASES = [
    Case("duplicate class code", "dup_class.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
  - code: "1"
    title: Styra igen
"""), "plan.duplicate-class", 11, field="code"),
    Case("duplicate record type id", "dup_rt.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
    record_types:
      - id: a
        name: Protokoll
        retention: Bevaras
      - id: a
        name: Kallelse
        retention: G 2 år
"""), "plan.duplicate-record-type", 15, field="id"),
    Case("unresolvable parent", "orphan.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
  - code: "2.1"
    title: Ekonomi
"""), "plan.unresolved-parent", 11, field="code"),
    Case("unparseable retention frist", "frist.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
    record_types:
      - id: a
        name: Protokoll
        retention: Året
"""), "plan.retention-unparsed", 14, field="retention"),
    Case("disposal without a period", "g_only.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
    record_types:
      - id: a
        name: Kallelse
        retention: Gallras
"""), "plan.retention-unparsed", 14, field="retention"),
    Case("disposal without legal basis", "no_basis.yaml", _y(YAML_HEAD.replace(
        "  adoption_ref: TN 2025/1 § 2\n", "") + """\
  - code: "1"
    title: Styra
    record_types:
      - id: a
        name: Kallelse
        retention: G 2 år
"""), "plan.no-legal-basis", 13, field="retention"),
    Case("bad YAML", "bad.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
      level: area
"""), "plan.yaml-syntax", 11),
    Case("schema: misspelt field", "typo.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
    record_types:
      - id: a
        name: Protokoll
        retension: Bevaras
"""), "plan.schema", 12),
    Case("schema: bad date", "date.yaml", _y(YAML_HEAD.replace('"2025-02-01"', '"1 feb 2025"')
                                              + '  - code: "1"\n    title: Styra\n'),
         "plan.schema", 7),
    Case("OSL chapter out of range", "osl.yaml", _y(YAML_HEAD + """\
  - code: "1"
    title: Styra
    record_types:
      - id: a
        name: Utredning
        secrecy: OSL 45:1
        retention: Bevaras
"""), "plan.secrecy-invalid", 14, field="secrecy"),
    Case("CSV: missing retention column", "nocol.csv", _y(
        PREFACE + "Handlingstyp;Registrering\nProtokoll;Diarieförs\n"),
        "plan.missing-column", 6),
    Case("CSV: no heading row", "nohead.csv", _y("a;b;c\n1;2;3\n"), "plan.no-heading-row", 1),
    Case("CSV: unparseable frist", "frist.csv", _y(
        PREFACE + HEAD + "1.1;Styra;Protokoll;Diarieförs;;G;fem år typ;\n"),
        "plan.retention-unparsed", 7, field="retention"),
    Case("CSV: disposal without basis", "nobasis.csv", _y(
        "Myndighet;Testnämnden\nVersion;1\n\n" + HEAD + "1.1;Styra;Kallelse;;;G;2 år;\n"),
        "plan.no-legal-basis", 5),
    Case("CSV: duplicate record type", "dup.csv", _y(
        PREFACE + HEAD + "1.1;Styra;Protokoll;;;B;;\n1.1;Styra;Protokoll;;;B;;\n"),
        "plan.duplicate-record-type", 8),
    Case("CSV: mojibake (UTF-8 read as cp1252 before saving)", "mojibake.csv", _y(
        PREFACE + HEAD + "1.1;Styra;Ã…tgÃ¤rdsprogram;;;B;;\n"), "plan.mojibake", 7),
    Case("CSV: multi-line cell reports the record's first line", "multiline.csv", _y(
        PREFACE + HEAD + '1.1;Styra;"Protokoll\nmed bilagor";;;B;;"KS\n2025"\n'
        "1.1;Styra;Kallelse;;;G;inte alls;\n"), "plan.retention-unparsed", 10),
    Case("UTF-16 without BOM is unreadable", "utf16.csv",
         (PREFACE + HEAD).encode("utf-16-le"), None, None, exit=4),
    Case("binary data is unreadable", "binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
         None, None, exit=4),
    Case("UTF-16 with BOM reads fine but the frist is bad", "utf16bom.csv",
         codecs.BOM_UTF16_LE + (PREFACE + HEAD + "1.1;Styra;Protokoll;;;G;snart;\n"
                                ).encode("utf-16-le"), "plan.retention-unparsed", 7),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_plan_reports_error_at_line(case: Case, tmp_path: Path) -> None:
    path = tmp_path / case.filename
    path.write_bytes(case.content)
    result = run("plan", "validate", "--json", path, cwd=tmp_path)
    assert result.code == case.exit, result.text
    doc = result.json()
    if case.exit == 4:
        assert doc["exit_code"] == 4
        assert doc["file"] == str(path)
        return
    findings = doc["files"][0]["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    matching = [f for f in errors if f["code"] == case.code]
    assert matching, f"expected {case.code}, got {errors}"
    assert matching[0]["line"] == case.line, matching[0]
    assert matching[0]["file"] == str(path)
    if case.field:
        assert matching[0]["field"] == case.field or case.field in (matching[0]["field"] or "")


def test_human_output_names_file_line_and_field(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.filename == "frist.yaml")
    path = tmp_path / case.filename
    path.write_bytes(case.content)
    result = run("plan", "validate", path, cwd=tmp_path)
    assert result.code == 1
    assert f"{path}, line 14, field 'retention'" in result.out
    assert "Året" in result.out
