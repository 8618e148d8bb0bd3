"""``diariekit init`` and ``diariekit demo``."""

from __future__ import annotations

from pathlib import Path

import typer

from diariekit.config import OrganisationConfig, SeriesConfig
from diariekit.demo import DemoReport, demo_folder, run_demo
from diariekit.errors import UsageError
from diariekit.findings import Severity, has_errors
from diariekit.setup import init_registry

from .common import JSON_OPTION, console, handle_errors, print_finding, print_json
from .plan import render_tree


@handle_errors
def init_cmd(
    folder: Path = typer.Argument(Path("."), help="Where to write diariekit.toml."),
    org: str = typer.Option("ks", "--org", help="Short key of the organisation (ks, sn …)."),
    name: str = typer.Option("Kommunstyrelsen", "--name",
                             help="Name of the organisation (arkivbildare)."),
    kind: str = typer.Option("nämnd", "--kind", help="kommun, region, nämnd, statlig_myndighet …"),
    org_number: str | None = typer.Option(None, "--org-number",
                                          help="Organisationsnummer, e.g. 212000-1234."),
    municipality: str | None = typer.Option(None, "--municipality",
                                            help="The kommun or region, e.g. 'Exempelby kommun'."),
    series: list[str] | None = typer.Option(
        None, "--series",
        help="A diarium series CODE or CODE=FORMAT, e.g. 'KS={series} {year}/{number:04d}'. "
        "Repeat for more. Default: one series named after --org."),
    registry_url: str | None = typer.Option(
        None, "--registry-url",
        help="sqlite:///PATH (default sqlite:///registry.sqlite beside the config) or "
        "postgresql+psycopg://USER@HOST/DB for a shared registry."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write diariekit.toml and create the registry (SQLite by default, or PostgreSQL).

    Run again in the same folder, it leaves the config alone and only brings the registry
    up to date.

    Examples:

      diariekit init

      diariekit init kommun --org sn --name Socialnämnden --series "SN={series}-{year}-{number:05d}"

      diariekit init --registry-url postgresql+psycopg://diarium@db.example/diarium
    """
    parsed: list[SeriesConfig] = []
    for item in series or [org.upper()]:
        code, sep, fmt = item.partition("=")
        if not code.strip():
            raise UsageError(f"--series takes CODE or CODE=FORMAT, got '{item}'")
        parsed.append(SeriesConfig(code.strip(), fmt.strip()) if sep else
                      SeriesConfig(code.strip()))
    organisation = OrganisationConfig(org, name, kind, org_number, municipality, None,
                                      tuple(parsed))
    result = init_registry(folder, (organisation,), registry_url=registry_url)
    if as_json:
        print_json({"config": str(result.config_path), "registry": result.registry,
                    "revision": result.revision, "created": result.created})
        return
    if result.created:
        console.print(f"[green]✓[/] wrote {result.config_path}")
    else:
        console.print(f"{result.config_path} exists: kept as it is")
    console.print(f"[green]✓[/] registry {result.registry} at revision {result.revision}")


@handle_errors
def demo_cmd(
    folder: Path | None = typer.Option(
        None, "--dir", help="Folder to create (default: a new diariekit-demo* folder here)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the whole chain on sample data in a new folder under the current one.

    Sets up a registry for Exempelby kommun with three organisations, imports their
    sample document-management plans, validates them and shows one.

    Example:

      diariekit demo
    """
    target = folder or demo_folder(Path.cwd())
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target} exists and is not empty: choose another --dir")
    report = run_demo(target)
    failed = any(has_errors(f) for _, _, f in report.validations) or (
        report.registration is not None and not report.registration.committed) or any(
        not v.valid for v in report.validations_of_packages)
    if as_json:
        print_json({
            "folder": str(report.folder),
            "config": str(report.init.config_path) if report.init else None,
            "validations": [{"file": str(p), "valid": not has_errors(f),
                             "record_types": len(plan.record_types) if plan else 0}
                            for p, plan, f in report.validations],
            "imports": [{"file": name, **r.to_dict()} for name, r in report.imports],
            "registration": (report.registration.to_dict()["summary"]
                             if report.registration else None),
            "packages": [{"case": p.dnr, "path": str(p.path), "valid": v.valid}
                         for p, v in zip(report.build.packages if report.build else (),
                                         report.validations_of_packages, strict=False)],
            "secrecy_marking": report.marking,
            "secrecy_review": len(report.review),
            "hold": report.hold.to_dict() if report.hold else None,
            "disposal_proposal": report.proposal.to_dict() if report.proposal else None,
            "disposal": report.disposal.to_dict() if report.disposal else None,
            "disposal_log_registered": _log_ref(report),
        })
    else:
        console.rule("[bold]1. Registry")
        if report.init:
            console.print(f"[green]✓[/] {report.init.config_path} (registry "
                          f"{report.init.registry})")
        console.rule("[bold]2. Validate the sample plans")
        for path, plan, findings in report.validations:
            for f in findings:
                if f.severity is Severity.ERROR:
                    print_finding(f)
            warnings = sum(f.severity is Severity.WARNING for f in findings)
            mark = "[red]✗[/]" if has_errors(findings) else "[green]✓[/]"
            n = len(plan.record_types) if plan else 0
            console.print(f"{mark} {path.name}: {n} record types, {warnings} warnings")
        console.rule("[bold]3. Import them into the registry")
        for name, r in report.imports:
            console.print(f"[green]✓[/] {name} → {r.organisation}, version {r.version}"
                          f"{' (active)' if r.active_now else ''}")
        console.rule("[bold]4. The kommunstyrelse's plan (first classes)")
        if report.shown:
            console.print(render_tree(report.shown, max_record_types=12))
        reg = report.registration
        if reg is not None:
            console.rule("[bold]5. Register the sample post")
            s = reg.to_dict()["summary"]
            warnings = sum(f.severity is Severity.WARNING for f in reg.findings)
            for f in reg.findings:
                if f.severity is Severity.ERROR:
                    print_finding(f)
            mark = "[green]✓[/]" if reg.committed else "[red]✗[/]"
            console.print(f"{mark} {s['registered']} documents in {s['cases_opened']} cases "
                          f"from {reg.source}; {warnings} file warnings (formats the plan "
                          "does not list, fonts not embedded): see `diariekit doc show`")
            failed = failed or not reg.committed
        if report.marking is not None:
            console.rule("[bold]6. Secrecy")
            console.print(f"✓ marked {report.marking['ref']} secret under "
                          f"{report.marking['provision']}; {len(report.review)} markings due "
                          "for review within 90 days (diariekit secrecy review)")
        if report.build is not None:
            console.rule("[bold]7. Close the remisser and deliver them as FGS packages")
            console.print(f"✓ closed {len(report.closed)} cases; built "
                          f"{len(report.build.packages)} packages (zip) in "
                          f"{report.folder / 'leveranser'}")
            bad = [v for v in report.validations_of_packages if not v.valid]
            warnings = sum(v.counts().get("warning", 0) for v in report.validations_of_packages)
            skipped = sorted({s for v in report.validations_of_packages for s in v.skipped})
            mark = "[red]✗[/]" if bad else "[green]✓[/]"
            console.print(f"{mark} validated {len(report.validations_of_packages)} packages: "
                          f"{len(bad)} invalid, {warnings} warnings")
            for line in skipped:
                console.print(f"  [yellow]{line}[/]")
            failed = failed or bool(bad)
        if report.proposal is not None:
            console.rule("[bold]8. Disposal (gallring) of the 2022 recruitment cases")
            if report.hold:
                console.print(f"✓ hold (gallringsstopp) on {report.hold.label}: "
                              f"{report.hold.reason}")
            p = report.proposal
            console.print(f"✓ proposed batch {p.batch_id}: {p.item_count} documents, "
                          f"{p.file_count} files; left out: "
                          f"{', '.join(f'{k} {v}' for k, v in sorted(p.skipped.items()))}")
            if report.disposal is not None:
                d = report.disposal
                console.print(f"[green]✓[/] approved and run: {d.outcomes.get('destroyed', 0)} "
                              f"documents disposed of, {d.files_removed} files removed; "
                              "register entries kept")
                for log in d.log_files:
                    console.print(f"  disposal log: {log}")
                for note in d.log_notes:
                    console.print(f"  [yellow]note:[/] {note}")
                if _log_ref(report):
                    console.print(f"[green]✓[/] disposal log registered as {_log_ref(report)}")
            failed = (failed or report.disposal is None or report.disposal.status != "completed"
                      or _log_ref(report) is None)
        console.print(f"\nDone. Try: [bold]cd {report.folder}[/] and then "
                      "[bold]diariekit case list[/], [bold]diariekit case show "
                      "\"KS 2026/0001\"[/], [bold]diariekit extract public --format csv[/], "
                      "[bold]diariekit disposal list[/], [bold]diariekit plan list[/]")
    if failed:
        raise typer.Exit(1)


def _log_ref(report: DemoReport) -> str | None:
    """The reference of the registered disposal log, if the demo got that far."""
    reg = report.log_registration
    if reg is None or not reg.committed or not reg.outcomes:
        return None
    return reg.outcomes[0].ref
