"""``diariekit plan``: load, validate, show, diff, export and import plans."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.tree import Tree

from diariekit.errors import ExitCode, InvalidInputError, Location, UsageError
from diariekit.findings import Severity, has_errors
from diariekit.plans import store
from diariekit.plans.diff import PlanDiff, diff_plans
from diariekit.plans.export import EXPORT_FORMATS, export_plan
from diariekit.plans.model import Plan
from diariekit.plans.retention import Action
from diariekit.plans.validate import validate_plan_file

from .common import (
    JSON_OPTION,
    console,
    exit_with,
    handle_errors,
    optional_config,
    parse_assignments,
    parse_date_option,
    print_finding,
    print_json,
    write_output,
)

app = typer.Typer(
    help="Document-management plans (dokumenthanteringsplaner): validate, show, diff, "
    "export, import.",
    no_args_is_help=True,
)

PLAN_REF_HELP = ("A plan file (.yaml or .csv), or a version in the registry: '@active' "
                 "(the version in force today) or '@VERSION'.")


def _load(ctx: typer.Context, ref: str, org: str | None = None) -> Plan:
    """A plan from a file, or from the registry for ``@active`` / ``@VERSION``."""
    config = optional_config(ctx)
    if ref.startswith("@"):
        if config is None:
            from .common import get_config

            config = get_config(ctx)
        return store.load_plan_ref(config, ref[1:], org)
    plan, findings = validate_plan_file(
        Path(ref), column_map=config.column_map if config else None)
    if plan is None or has_errors(findings):
        for f in findings:
            if f.severity is Severity.ERROR:
                print_finding(f)
        raise InvalidInputError("the plan has errors; run `diariekit plan validate` for all "
                                "findings", Location(ref))
    return plan


@app.command("validate")
@handle_errors
def validate_cmd(
    ctx: typer.Context,
    plans: list[Path] = typer.Argument(..., help="Plan files (.yaml, .yml or .csv)."),
    strict: bool = typer.Option(False, help="Fail (exit 1) on warnings too."),
    today: str | None = typer.Option(None, help="Judge validity as of this date (YYYY-MM-DD)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors and warnings."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check plans against the schema and for meaning; exit 0 when clean, 1 on errors.

    Errors name the file, the line and the field. Checks: unique class codes and
    record-type ids, a resolvable class tree, retention rules that parse, a legal basis
    for every disposal, well-formed OSL references, expired or superseded plans, unknown
    formats.

    Examples:

      diariekit plan validate retention_plans/kommunstyrelse.yaml

      diariekit plan validate plan.csv --json
    """
    config = optional_config(ctx)
    on = parse_date_option(today, "--today")
    results = []
    failed = False
    for path in plans:
        plan, findings = validate_plan_file(
            path, column_map=config.column_map if config else None, today=on)
        bad = has_errors(findings) or (strict and any(
            f.severity is Severity.WARNING for f in findings))
        failed = failed or bad
        results.append((path, plan, findings, bad))
    if as_json:
        print_json({
            "valid": not failed,
            "files": [{
                "file": str(path),
                "valid": not bad,
                "plan": None if plan is None else {
                    "title": plan.meta.title, "version": plan.meta.version,
                    "classes": len(plan.classes), "record_types": len(plan.record_types),
                    "format": plan.source.format, "encoding": plan.source.encoding},
                "findings": [f.to_dict() for f in findings],
            } for path, plan, findings, bad in results],
        })
    else:
        for path, plan, findings, bad in results:
            for f in findings:
                if not quiet or f.severity is not Severity.INFO:
                    print_finding(f)
            errors = sum(f.severity is Severity.ERROR for f in findings)
            warnings = sum(f.severity is Severity.WARNING for f in findings)
            what = (f"{len(plan.record_types)} record types in {len(plan.classes)} classes"
                    if plan else "not loaded")
            mark = "[red]✗[/]" if bad else "[green]✓[/]"
            console.print(f"{mark} {path}: {what}; {errors} errors, {warnings} warnings")
    exit_with(ExitCode.INVALID if failed else ExitCode.OK)


@app.command("show")
@handle_errors
def show_cmd(
    ctx: typer.Context,
    plan_ref: str = typer.Argument(..., metavar="PLAN", help=PLAN_REF_HELP),
    org: str | None = typer.Option(None, "--org", help="Organisation (for registry refs)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a plan as a tree of classes and record types with their rules.

    Examples:

      diariekit plan show retention_plans/socialnamnd.yaml

      diariekit plan show @active --org sn --json
    """
    plan = _load(ctx, plan_ref, org)
    if as_json:
        print_json(plan.to_dict())
        return
    console.print(render_tree(plan))


def render_tree(plan: Plan, max_record_types: int | None = None) -> Tree:
    """A rich tree: plan → classes (nested) → record types with retention and secrecy.

    ``max_record_types`` cuts the tree after that many record types (for the demo)."""
    m = plan.meta
    head = f"[bold]{m.title}[/] — {m.organisation or '?'}, version {m.version or '?'}"
    if m.adoption_ref:
        head += f", beslut {m.adoption_ref}"
    if m.valid_from:
        head += f", gäller från {m.valid_from.isoformat()}"
    tree = Tree(head)
    nodes: dict[str, Tree] = {}
    by_class: dict[str, list[str]] = {}
    for rt in plan.record_types:
        by_class.setdefault(rt.class_code or rt.process or "", []).append(rt.key)
    rts = plan.record_type_by_key()
    for cls in plan.classes:
        parent = nodes.get(cls.parent_code or "", tree) if cls.parent_code else tree
        label = f"[bold cyan]{cls.code}[/] {cls.title}" if cls.code else f"[bold]{cls.title}[/]"
        nodes[cls.key] = parent.add(label)
    shown = 0
    for key, members in by_class.items():
        if max_record_types is not None and shown >= max_record_types:
            tree.add(f"[dim]… {len(plan.record_types) - shown} more record types "
                     "(diariekit plan show)[/]")
            break
        node = nodes.get(key) or tree.add(f"[bold]{key or '(utan klass)'}[/]")
        for rk in members:
            shown += 1
            rt = rts[rk]
            colour = {Action.KEEP: "green", Action.DISPOSE: "red", Action.REVIEW: "yellow"}[
                rt.retention.action]
            text = f"{rt.name} [dim]({rt.key})[/] — [{colour}]{rt.retention.describe()}[/]"
            if rt.secrecy.provisions:
                text += " [magenta]" + ", ".join(str(p) for p in rt.secrecy.provisions) + "[/]"
            elif rt.secrecy.may_contain:
                text += " [magenta]sekretess kan förekomma[/]"
            node.add(text)
    if max_record_types is not None:
        _prune(tree, set(map(id, nodes.values())))
    return tree


@app.command("diff")
@handle_errors
def diff_cmd(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="The older plan. " + PLAN_REF_HELP),
    new: str = typer.Argument(..., help="The newer plan, same forms."),
    org: str | None = typer.Option(None, "--org", help="Organisation (for registry refs)."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when the plans differ."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show what changed between two plan versions: what the nämnd must decide on.

    Record types are matched on their id, so inserted rows do not shift the rest.

    Examples:

      diariekit plan diff plan-2022.yaml plan-2026.yaml

      diariekit plan diff @2022-1 plan-2026.yaml --json
    """
    d = diff_plans(_load(ctx, old, org), _load(ctx, new, org))
    if as_json:
        print_json(d.to_dict())
    else:
        _print_diff(d)
    if exit_code and not d.empty:
        exit_with(ExitCode.INVALID)


def _print_diff(d: PlanDiff) -> None:
    console.print(f"[bold]Plan {d.old_version} → {d.new_version}[/]")
    if d.empty:
        console.print("no differences")
        return
    for m in d.meta:
        console.print(f"  plan {m.field}: {m.old} → {m.new}")
    for c in d.classes_added:
        console.print(f"[green]+ class {c.key} {c.title}[/]")
    for c in d.classes_removed:
        console.print(f"[red]- class {c.key} {c.title}[/]")
    for renamed in d.classes_renamed:
        console.print(f"[yellow]~ class {renamed.field}: {renamed.old} → {renamed.new}[/]")
    if d.added or d.removed or d.changed:
        table = Table("", "id", "record type", "change", show_lines=False)
        for r in d.added:
            table.add_row("[green]+[/]", r.key, r.name, f"new: {r.retention.describe()}")
        for r in d.removed:
            table.add_row("[red]-[/]", r.key, r.name, f"removed (was {r.retention.describe()})")
        for change in d.changed:
            lines = []
            ret = change.retention
            if ret:
                flag = {"now_disposed": " [red](now disposed of)[/]",
                        "now_kept": " [green](now kept)[/]"}.get(ret.direction, "")
                lines.append(f"retention: {ret.old_rule} → {ret.new_rule}{flag}")
            lines += [f"{f.field}: {f.old or '—'} → {f.new or '—'}" for f in change.fields]
            table.add_row("[yellow]~[/]", change.key, change.name, "\n".join(lines))
        console.print(table)
    s = d.to_dict()["summary"]
    console.print(f"{s['added']} added, {s['removed']} removed, {s['changed']} changed "
                  f"({s['retention_changed']} retention changes)")


@app.command("export")
@handle_errors
def export_cmd(
    ctx: typer.Context,
    plan_ref: str = typer.Argument(..., metavar="PLAN", help=PLAN_REF_HELP),
    fmt: str = typer.Option("csv", "--format", "-f",
                            help=f"One of: {', '.join(EXPORT_FORMATS)}."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write here (atomically) instead of stdout."),
    org: str | None = typer.Option(None, "--org", help="Organisation (for registry refs)."),
) -> None:
    """Export a plan as CSV (UTF-8, ';', opens in Excel), Markdown or HTML.

    Examples:

      diariekit plan export retention_plans/kommunstyrelse.yaml --format html -o ks.html

      diariekit plan export @active --format csv > plan.csv
    """
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(EXPORT_FORMATS)}")
    write_output(export_plan(_load(ctx, plan_ref, org), fmt), output)


@app.command("import")
@handle_errors
def import_cmd(
    ctx: typer.Context,
    plan_file: Path = typer.Argument(..., metavar="PLAN", help="A plan file (.yaml or .csv)."),
    org: str | None = typer.Option(None, "--org", help="Organisation the plan belongs to."),
    set_: list[str] | None = typer.Option(
        None, "--set", help="Plan metadata KEY=VALUE (version, valid_from, adoption_ref …); "
        "for CSV plans without a preface or sidecar."),
    actor: str | None = typer.Option(None, "--by", help="Who imports (default: $USER)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Store a validated plan version in the registry and make it active.

    Idempotent: importing the same file again changes nothing. A version that names
    the one it supersedes closes that one's validity.

    Examples:

      diariekit plan import retention_plans/socialnamnd.yaml --org sn

      diariekit plan import plan.csv --set version=2026-1 --set valid_from=2026-01-01
    """
    from .common import get_config

    config = get_config(ctx)
    meta = parse_assignments(set_, "--set")
    plan, findings = validate_plan_file(plan_file, column_map=config.column_map,
                                        meta_values=meta)
    if plan is None or has_errors(findings):
        if not as_json:
            for f in findings:
                if f.severity is Severity.ERROR:
                    print_finding(f)
        raise InvalidInputError("the plan has errors and was not imported",
                                Location(str(plan_file)))
    result = store.import_plan(config, plan, org_id=org, actor=actor)
    if as_json:
        print_json(result.to_dict())
        return
    verb = "imported" if result.created else "already imported"
    console.print(f"[green]✓[/] {verb}: {plan.meta.title}, version {plan.meta.version} "
                  f"({len(plan.record_types)} record types) for {result.organisation}"
                  f"{'; active now' if result.active_now else ''}")
    if result.created and result.active_now:
        console.print("  registered documents follow the plan in force: see what changes with "
                      f"[bold]diariekit retention recompute --org {result.organisation} "
                      "--dry-run[/]")


@app.command("list")
@handle_errors
def list_cmd(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the plan versions stored in the registry.

    Example:

      diariekit plan list --json
    """
    from .common import get_config

    rows = store.list_versions(get_config(ctx), org)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = Table("org", "plan", "version", "status", "valid from", "valid to", "record types",
                  "active")
    for r in rows:
        table.add_row(r.organisation, r.title, r.version, r.status, r.valid_from or "",
                      r.valid_to or "", str(r.record_types), "✓" if r.active else "")
    console.print(table)


def _prune(node: Tree, class_nodes: set[int]) -> bool:
    """Drop class nodes with no record types below them; True if ``node`` keeps content."""
    node.children = [c for c in node.children if _prune(c, class_nodes)]
    return bool(node.children) or id(node) not in class_nodes

