"""Fixtures for plan tests: a small valid YAML plan and the shipped sample plans."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "retention_plans"

SMALL_PLAN = """\
diariekit_plan: 1
plan:
  title: Dokumenthanteringsplan för testnämnden
  organisation: Testnämnden, Exempelby kommun
  version: "2026-1"
  adopted_by: Testnämnden
  adoption_ref: TN 2025/0007 § 3
  adoption_date: "2025-12-01"
  valid_from: "2026-01-01"
classes:
  - code: "1"
    title: Styra verksamheten
  - code: "1.1"
    title: Nämndadministration
    record_types:
      - id: tn-1
        name: Protokoll
        registration: Diarieförs
        formats: [PDF/A]
        retention: Bevaras
        delivery: 5 år
      - id: tn-2
        name: Kallelser
        registration: Förvaras ordnat
        retention: Vid inaktualitet
  - code: "1.2"
    title: Synpunkter
    record_types:
      - id: tn-3
        name: Klagomål
        registration: Diarieförs
        secrecy: OSL 26:1
        retention: Gallras 2 år efter ärendets avslut
        notes: Bevaras om klagomålet leder till lex Sarah-utredning
"""


@pytest.fixture
def small_plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(SMALL_PLAN, encoding="utf-8")
    return path
