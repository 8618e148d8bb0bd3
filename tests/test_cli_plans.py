"""The plan commands and the demo, run as a user runs them (the console script)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cli import run

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "retention_plans"


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.code == 0
    for name in ("init", "demo", "plan", "registry", "audit"):
        assert name in result.out
    plan_help = run("plan", "--help").out
    for name in ("validate", "show", "diff", "export", "import", "list"):
        assert name in plan_help


def test_every_command_help_has_an_example() -> None:
    for args in (["init"], ["demo"], ["plan", "validate"], ["plan", "show"], ["plan", "diff"],
                 ["plan", "export"], ["plan", "import"], ["plan", "list"],
                 ["registry", "upgrade"], ["registry", "status"], ["audit", "verify"],
                 ["register"], ["case", "list"], ["case", "show"], ["case", "close"],
                 ["case", "assign"], ["doc", "show"], ["dnr", "parse"], ["link", "add"],
                 ["link", "answer"], ["link", "list"], ["link", "overdue"],
                 ["events", "export"]):
        out = run(*args, "--help").out
        assert "Example" in out, args


def test_sample_plans_validate_clean() -> None:
    plans = sorted(SAMPLES.glob("*.yaml")) + sorted(SAMPLES.glob("*.csv"))
    assert len(plans) >= 3
    result = run("plan", "validate", "--json", *plans)
    assert result.code == 0, result.out
    doc = result.json()
    assert doc["valid"] is True
    counts = {Path(f["file"]).name: f["plan"]["record_types"] for f in doc["files"]}
    assert counts["kommunstyrelse.yaml"] >= 40
    assert counts["socialnamnd.yaml"] >= 40
    assert counts["barn_och_utbildning.csv"] >= 25


def test_unknown_option_is_usage_error() -> None:
    assert run("plan", "validate", "--bogus").code == 2


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    result = run("plan", "validate", tmp_path / "nope.yaml")
    assert result.code == 4
    assert "nope.yaml" in result.err and "not found" in result.err


def test_show_json_and_tree() -> None:
    result = run("plan", "show", "--json", SAMPLES / "socialnamnd.yaml")
    assert result.code == 0
    doc = result.json()
    assert doc["plan"]["adoption_ref"]
    assert any(rt["secrecy"]["provisions"] for rt in doc["record_types"])
    tree = run("plan", "show", SAMPLES / "kommunstyrelse.yaml")
    assert tree.code == 0 and "bevaras" in tree.out


def test_show_refuses_a_broken_plan(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("diariekit_plan: 1\nplan: {}\n", encoding="utf-8")
    result = run("plan", "show", bad)
    assert result.code == 1


def test_export_csv_round_trips(tmp_path: Path) -> None:
    source = SAMPLES / "socialnamnd.yaml"
    out = tmp_path / "sn.csv"
    assert run("plan", "export", source, "--format", "csv", "-o", out).code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Myndighet"
    diff = run("plan", "diff", "--json", "--exit-code", source, out)
    doc = diff.json()
    assert doc["record_types"]["added"] == [] and doc["record_types"]["removed"] == []
    assert doc["record_types"]["changed"] == [], doc["record_types"]["changed"][:2]


def test_export_html_and_markdown_escape(tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text((SAMPLES / "kommunstyrelse.yaml").read_text(encoding="utf-8").replace(
        "name: Protokoll", "name: Protokoll <script>x</script> | pipe", 1), encoding="utf-8")
    html = run("plan", "export", plan, "--format", "html").out
    assert "<script>x" not in html and "&lt;script&gt;" in html
    md = run("plan", "export", plan, "--format", "markdown").out
    assert "\\| pipe" in md


def test_diff_reports_retention_changes(tmp_path: Path) -> None:
    old = SAMPLES / "kommunstyrelse.yaml"
    text = old.read_text(encoding="utf-8")
    new = tmp_path / "new.yaml"
    lines = text.splitlines()
    # Change the first "retention: Bevaras" into a disposal rule, and drop nothing else.
    idx = next(i for i, line in enumerate(lines) if line.strip() == "retention: Bevaras")
    lines[idx] = lines[idx].replace("Bevaras", "G 10 år")
    new.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("plan", "diff", "--json", old, new)
    assert result.code == 0
    changed = result.json()["record_types"]["changed"]
    assert len(changed) == 1
    assert changed[0]["retention"]["direction"] == "now_disposed"
    assert run("plan", "diff", "--exit-code", old, new).code == 1
    assert run("plan", "diff", "--exit-code", old, old).code == 0


def test_init_import_list_and_audit(tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    result = run("init", reg, "--org", "sn", "--name", "Socialnämnden", "--series",
                 "SN={series} {year}/{number:04d}", "--json")
    assert result.code == 0, result.text
    assert (reg / "diariekit.toml").is_file()
    again = run("init", reg, "--json")
    assert again.code == 0 and again.json()["created"] is False
    imp = run("plan", "import", SAMPLES / "socialnamnd.yaml", "--json", cwd=reg)
    assert imp.code == 0, imp.text
    assert imp.json()["created"] is True
    assert run("plan", "import", SAMPLES / "socialnamnd.yaml", "--json",
               cwd=reg).json()["created"] is False
    listing = run("plan", "list", "--json", cwd=reg).json()
    assert len(listing) == 1 and listing[0]["organisation"] == "sn"
    shown = run("plan", "show", "@active", "--json", cwd=reg,
                env={"DIARIEKIT_TODAY": "2025-01-01"})
    assert shown.code == 0, shown.text
    audit = run("audit", "verify", "--json", cwd=reg)
    assert audit.code == 0 and audit.json()["ok"] is True


def test_commands_without_config_exit_3(tmp_path: Path) -> None:
    result = run("plan", "list", cwd=tmp_path)
    assert result.code == 3
    assert "diariekit init" in result.err


def test_import_refuses_plan_with_errors(tmp_path: Path) -> None:
    reg = tmp_path / "reg"
    assert run("init", reg).code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text((SAMPLES / "kommunstyrelse.yaml").read_text(encoding="utf-8").replace(
        "retention: Bevaras", "retention: Året", 1), encoding="utf-8")
    result = run("plan", "import", bad, cwd=reg)
    assert result.code == 1
    assert run("plan", "list", "--json", cwd=reg).json() == []


def test_demo_runs_in_a_new_folder(tmp_path: Path, shared: Path) -> None:
    result = run("demo", cwd=tmp_path,
                 env={"DIARIEKIT_SCHEMAS": str(shared / "external" / "schemas")})
    assert result.code == 0, result.text
    folder = tmp_path / "diariekit-demo"
    assert (folder / "diariekit.toml").is_file()
    assert (folder / "registry.sqlite").is_file()
    assert "XSD validation skipped" not in result.out
    second = run("demo", "--json", cwd=tmp_path)
    assert second.code == 0
    doc = second.json()
    assert doc["folder"].endswith("diariekit-demo-2")
    assert doc["registration"]["registered"] == 368
    assert doc["packages"] and all(p["valid"] for p in doc["packages"])
    assert doc["secrecy_marking"]["provision"] == "OSL 31:16"
    assert doc["disposal_proposal"]["skipped"] == {"held": 1}
    assert doc["disposal"]["outcomes"] == {"destroyed": 4}
    assert doc["disposal"]["status"] == "completed"
    log_ref = doc["disposal_log_registered"]
    assert log_ref and log_ref.startswith("KS ")
    log_doc = run("doc", "show", log_ref, "--json", cwd=tmp_path / "diariekit-demo-2").json()
    assert log_doc["files"][0]["filename"].startswith("gallringsprotokoll-")
    listing = run("plan", "list", "--json", cwd=folder).json()
    assert {r["organisation"] for r in listing} == {"ks", "sn", "bun"}
