"""The demo (``diariekit demo``): a registry for Exempelby kommun, set up end to end.

It runs the whole chain: init a registry with three organisations (kommunstyrelsen,
socialnämnden, barn- och utbildningsnämnden), validate and import their sample plans,
register a few hundred sample documents with real files (PDF/A, PDF, DOCX, TXT, XML, PNG,
TIFF), close the remiss cases, mark one answer as secret (OSL 31:16), review the markings,
and deliver the cases as FGS transfer packages (zip), which it then validates. Then disposal
(gallring): older recruitment cases from 2022 (migrated with their own numbers) whose "2 år
efter ärendets avslut" has passed are proposed for disposal; one of them is under a hold (a
pending access request); the batch is approved, run, its disposal log
(gallringsprotokoll) written and registered in the diarium in a case of its own.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from diariekit.cases import case_detail, close_case, list_cases
from diariekit.clock import today
from diariekit.config import Config, OrganisationConfig, SeriesConfig, load_config
from diariekit.disposal import ProposeResult, RunResult, approve_batch, propose_batch, run_batch
from diariekit.disposal_log import register_log
from diariekit.findings import Finding
from diariekit.holds import Hold, add_hold
from diariekit.markings import mark, review_markings
from diariekit.packages.build import BuildResult, Selection, build_case_packages
from diariekit.packages.schemas import SchemaSet, schema_dir
from diariekit.packages.validate import ValidationReport, validate_package
from diariekit.plans.loading import load_plan
from diariekit.plans.model import Plan
from diariekit.plans.store import ImportResult, import_plan
from diariekit.plans.validate import validate_plan_file
from diariekit.registration.intake import read_intake
from diariekit.registration.register import RegistrationReport, register_rows
from diariekit.registry.engine import open_engine
from diariekit.samples.make_files import make_sample_files
from diariekit.setup import InitResult, init_registry

SAMPLE_PLANS = ("kommunstyrelse.yaml", "socialnamnd.yaml", "barn_och_utbildning.csv")

DEMO_ORGANISATIONS = (
    OrganisationConfig(
        "ks", "Kommunstyrelsen", "nämnd", "212000-9999", "Exempelby kommun", None,
        (SeriesConfig("KS", "{series} {year}/{number:04d}", "-{seq}", "yearly",
                      "Kommunstyrelsens diarium"),)),
    OrganisationConfig(
        "sn", "Socialnämnden", "nämnd", "212000-9999", "Exempelby kommun", None,
        (SeriesConfig("SN", "{series} {year}/{number:04d}", "-{seq}", "yearly",
                      "Socialnämndens diarium"),)),
    OrganisationConfig(
        "bun", "Barn- och utbildningsnämnden", "nämnd", "212000-9999", "Exempelby kommun",
        None, (SeriesConfig("BUN", "{series}-{year}-{number:05d}", "-{seq}", "yearly",
                            "Barn- och utbildningsnämndens diarium"),)),
)

# Which organisation each sample plan belongs to.
PLAN_OWNER = {"kommunstyrelse.yaml": "ks", "socialnamnd.yaml": "sn",
              "barn_och_utbildning.csv": "bun"}


def demo_folder(base: Path) -> Path:
    """A new folder ``diariekit-demo`` (or ``-2``, ``-3`` …) under ``base``."""
    candidate = base / "diariekit-demo"
    n = 2
    while candidate.exists():
        candidate = base / f"diariekit-demo-{n}"
        n += 1
    return candidate


def copy_sample_plans(target: Path) -> list[Path]:
    """Copy the shipped sample plans into ``target`` and return their paths."""
    target.mkdir(parents=True, exist_ok=True)
    out = []
    package = resources.files("diariekit.retention_plans")
    for name in SAMPLE_PLANS:
        dest = target / name
        with resources.as_file(package.joinpath(name)) as src:
            shutil.copyfile(src, dest)
        out.append(dest)
    return out


@dataclass
class DemoReport:
    """What the demo did, step by step, for the CLI to print."""

    folder: Path
    init: InitResult | None = None
    validations: list[tuple[Path, Plan | None, list[Finding]]] = field(default_factory=list)
    imports: list[tuple[str, ImportResult]] = field(default_factory=list)
    shown: Plan | None = None
    registration: RegistrationReport | None = None
    closed: list[str] = field(default_factory=list)
    build: BuildResult | None = None
    validations_of_packages: list[ValidationReport] = field(default_factory=list)
    marking: dict[str, Any] | None = None
    review: list[dict[str, Any]] = field(default_factory=list)
    old_registration: RegistrationReport | None = None
    hold: Hold | None = None
    proposal: ProposeResult | None = None
    disposal: RunResult | None = None
    log_registration: RegistrationReport | None = None


def run_demo(folder: Path) -> DemoReport:
    """Set up the demo registry in ``folder`` (which should not exist yet)."""
    report = DemoReport(folder)
    report.init = init_registry(folder, DEMO_ORGANISATIONS, default_organisation="ks")
    config = load_config(report.init.config_path)
    plans = copy_sample_plans(folder / "plans")
    for path in plans:
        plan, findings = validate_plan_file(path, column_map=config.column_map)
        report.validations.append((path, plan, findings))
    for path in plans:
        loaded = load_plan(path, column_map=config.column_map).plan
        if loaded is None:
            continue
        report.imports.append((path.name, import_plan(config, loaded,
                                                      org_id=PLAN_OWNER[path.name],
                                                      actor="demo")))
    report.shown = load_plan(plans[0]).plan
    intake = make_sample_files(folder / "inkommet")
    report.registration = register_rows(
        config, read_intake(intake, column_map=config.registration_column_map),
        engine=open_engine(config.registry_url), source=str(intake), actor="registrator")
    if not report.registration.committed:
        return report
    # The kommunstyrelse's remisser (class 1.1.4) are answered: close them and deliver them.
    for case in list_cases(config, org_id="ks", limit=1000):
        if case["class"] == "1.1.4" and case["status"] == "open":
            close_case(config, case["dnr"], org_id="ks", actor="registrator")
            report.closed.append(case["dnr"])
    if report.closed:
        # A remiss answer holds a supplier's business details: mark it before delivery, so
        # the package carries the marking as a structured restriction.
        first = case_detail(config, report.closed[0], org_id="ks")["documents"][0]["ref"]
        report.marking = mark(config, first, "31 kap. 16 § OSL", org_id="ks",
                              reason="Leverantörens affärsförhållanden", actor="registrator")
        report.review = review_markings(config, before=today() + timedelta(days=90))
        report.build = build_case_packages(
            config, org_id="ks", select=Selection(class_code="1.1.4"),
            out_dir=folder / "leveranser", fmt="zip", actor="arkivarie")
        folder_with_schemas = schema_dir()
        schemas = SchemaSet(folder_with_schemas) if folder_with_schemas else None
        for package in report.build.packages:
            report.validations_of_packages.append(validate_package(package.path,
                                                                   schemas=schemas))
    _dispose_old_records(config, folder, report)
    return report


# Older recruitment cases (ansökningshandlingar från sökande som inte anställdes), migrated
# from the previous diarium with their own numbers: "Gallras 2 år efter ärendets avslut".
OLD_CASES = (
    ("KS 2022/0101", "Rekrytering av ekonom", ("Ansökan, Sökande A", "Ansökan, Sökande B")),
    ("KS 2022/0117", "Rekrytering av jurist", ("Ansökan, Sökande C",)),
    ("KS 2022/0140", "Rekrytering av arkivarie", ("Ansökan, Sökande D", "Ansökan, Sökande E")),
)
OLD_HEAD = ("Externt id;Serie;Ärende;Ärendemening;Klass;Handlingstyp;Riktning;Datum;"
            "Avsändare/Mottagare;Beskrivning;Handläggare;Filer\n")


def _dispose_old_records(config: Config, folder: Path, report: DemoReport) -> None:
    """Register the 2022 cases, close them, hold one, and run a disposal batch on the rest."""
    intake = folder / "aldre-arenden"
    (intake / "files").mkdir(parents=True)
    lines = []
    for dnr, title, docs in OLD_CASES:
        for n, text in enumerate(docs, start=1):
            name = f"{dnr.replace(' ', '-').replace('/', '-')}-{n}.txt"
            (intake / "files" / name).write_text(f"{text}\n{title}\n", encoding="utf-8")
            lines.append(f"migr-{dnr}-{n};KS;{dnr};{title};2.2.1;ks-2.2.1-02;Inkommande;"
                         f"2022-03-{n + 1:02d};{text.split(', ')[1]};{text};Linnea Engström;"
                         f"files/{name}")
    csv_path = intake / "arenden-2022.csv"
    csv_path.write_text(OLD_HEAD + "\n".join(lines) + "\n", encoding="utf-8")
    report.old_registration = register_rows(
        config, read_intake(csv_path), engine=open_engine(config.registry_url),
        source=str(csv_path), keep_numbers=True, actor="registrator")
    if not report.old_registration.committed:
        return
    for dnr, _, _ in OLD_CASES:
        close_case(config, dnr, org_id="ks", on=date(2022, 6, 30), actor="registrator")
    report.hold = add_hold(config, scope="case", ref=OLD_CASES[1][0], reason="access_request",
                           org_id="ks", reference="KS 2026/0001",
                           note="Begäran om utlämnande under prövning", actor="registrator")
    report.proposal = propose_batch(config, org_id="ks", actor="arkivarie")
    if report.proposal.batch_id is None:
        return
    approve_batch(config, report.proposal.batch_id, by="Anna Berg, arkivarie", org_id="ks",
                  approval_ref="Delegationsbeslut KS 2025/0412 § 187", actor="arkivarie")
    report.disposal = run_batch(config, report.proposal.batch_id, org_id="ks",
                                log_dir=folder / "gallringsprotokoll", actor="arkivarie")
    report.log_registration = register_log(
        config, report.proposal.batch_id, org_id="ks", series="KS",
        title=f"Gallring av rekryteringsärenden {today().year}", actor="arkivarie")
