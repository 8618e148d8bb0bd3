"""Scheduled jobs (``diariekit job``) as cron runs them.

On SQLite, with the PostgreSQL advisory lock tested on PostgreSQL (the jobs' registry
work is the library's, tested on both backends elsewhere; these tests are about the runs).

Each run is quiet unless a person is needed, says what happened by its exit code and
leaves one JSON report; a run that finds the job locked (by a process on this machine,
or on PostgreSQL by another machine) exits 5 at once and changes nothing: no report, no
package, no registry row.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cli import Result, run
from registries import PLANS as REPO_PLANS
from registries import make_registry

from diariekit.cases import close_case
from diariekit.config import Config, load_config, write_config
from diariekit.jobs import JOBS, cron_text, job_lock
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import (
    connect,
    open_engine,
    sqlite_url_for_path,
    write_transaction,
)
from diariekit.registry.schema import event, transfer, transfer_package
from diariekit.transfers import get_transfer, reject_transfer

ROWS = (
    "k1;KS;r1;Remiss om vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;Länsstyrelsen;"
    "Remiss;AA;files/brev.pdf;;\n"
    "k2;KS;r1;;;ks-1.1.4-02;Utgående;2026-03-01;Länsstyrelsen;Yttrande;AA;;;\n"
)
# ks-1.1.4-01 is delivered "1 år efter ärendets avslut", counted to the end of the year:
# a case closed on 2026-04-01 is due on 2027-12-31.
BEFORE_DUE, AFTER_DUE = "2027-12-30", "2028-01-02"


def _with_jobs(config: Config, shared: Path, extra: str = "") -> Config:
    """The config with a [jobs] section (zip packages into ``leverans``, schemas for
    validation); written as text, as a person would."""
    text = config.path.read_text(encoding="utf-8") + f"""
[jobs]
report_dir = "rapporter"
lock_dir = "lås"

[jobs.package-due]
out = "leverans"
format = "zip"
schemas = "{shared / 'external' / 'schemas'}"
{extra}"""
    config.path.write_text(text, encoding="utf-8")
    return load_config(config.path)


def _job(config: Config, *args: str, env: dict[str, str] | None = None) -> Result:
    return run("--config", config.path, "job", *args, env=env)


def _reports(config: Config, job: str | None = None) -> list[dict[str, Any]]:
    folder = config.path.parent / "rapporter"
    if not folder.is_dir():
        return []
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if n.startswith(".")], "no temporary report left behind"
    out = [json.loads((folder / n).read_text(encoding="utf-8")) for n in names]
    return [r for r in out if job is None or r["job"] == job]


def _state(config: Config) -> tuple[int, int, int]:
    """Events, transfers and packages in the registry."""
    engine = open_engine(config.registry_url)
    try:
        with connect(engine) as conn:
            return tuple(  # type: ignore[return-value]
                int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in (event, transfer, transfer_package))
    finally:
        engine.dispose()


@pytest.fixture
def registry_url(tmp_path: Path) -> str:
    """SQLite only in this module (shadows the two-backend fixture of tests/conftest.py)."""
    return sqlite_url_for_path(tmp_path / "registry.sqlite")


def _register_and_close(config: Config, path: Path) -> None:
    """Register the rows in ``path`` and close KS 2026/0001 on 2026-04-01, in-process."""
    engine = open_engine(config.registry_url)
    try:
        report = register_rows(config, read_intake(path), engine=engine, source=str(path))
    finally:
        engine.dispose()
    assert report.committed and report.errors == 0
    close_case(config, "KS 2026/0001", on=date(2026, 4, 1), actor="test")


@pytest.fixture
def closed_case(registry: Config, write_input: Callable[..., Path], shared: Path) -> Config:
    """KS 2026/0001 registered and closed on 2026-04-01, and a [jobs] section."""
    config = _with_jobs(registry, shared)
    _register_and_close(config, write_input(ROWS))
    return config


def test_audit_verify_quiet_then_exit_1_on_tampering(registry: Config, shared: Path) -> None:
    config = _with_jobs(registry, shared)
    r = _job(config, "run", "audit-verify")
    assert (r.code, r.out, r.err) == (0, "", "")
    (report,) = _reports(config)
    assert report["job"] == "audit-verify" and report["exit_code"] == 0
    assert report["result"]["ok"] is True and report["result"]["checked"] > 0
    assert report["started"] <= report["finished"] and report["error"] is None
    assert Path(report["report"]).parent == config.path.parent / "rapporter"

    engine = open_engine(config.registry_url)
    try:
        with write_transaction(engine) as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER event_append_only_update")
            else:
                conn.exec_driver_sql("DROP TRIGGER event_append_only_row ON event")
            first = conn.execute(sa.select(sa.func.min(event.c.seq))).scalar_one()
            conn.execute(sa.update(event).where(event.c.seq == first)
                         .values(short_text="ändrad i efterhand"))
    finally:
        engine.dispose()
    r = _job(config, "run", "audit-verify")
    assert r.code == 1, r.text
    assert "audit.event-altered" in r.out and "report:" in r.out
    reports = _reports(config)
    assert len(reports) == 2 and [x["exit_code"] for x in reports] == [0, 1]
    assert reports[1]["result"]["ok"] is False and reports[1]["attention"]


def test_package_due_builds_validates_and_reports(closed_case: Config) -> None:
    config = closed_case
    out = config.path.parent / "leverans"
    r = _job(config, "run", "package-due", "--as-of", BEFORE_DUE)
    assert (r.code, r.out, r.err) == (0, "", ""), r.text  # nothing due: quiet success
    assert not out.exists() or not list(out.iterdir())
    (report,) = _reports(config, "package-due")
    assert report["as_of"] == BEFORE_DUE and report["result"]["packages"] == []
    assert _state(config)[1:] == (0, 0)

    r = _job(config, "run", "package-due", "--as-of", AFTER_DUE)
    assert (r.code, r.out, r.err) == (0, "", ""), r.text
    report = _reports(config, "package-due")[-1]
    (pkg,) = report["result"]["packages"]
    assert pkg["case"] == "KS 2026/0001" and pkg["valid"] is True and pkg["errors"] == []
    assert pkg["format"] == "zip" and Path(pkg["path"]) == out / f"{pkg['package_id']}.zip"
    assert Path(pkg["path"]).is_file()
    assert report["result"]["schemas"], "validated against the official schemas"
    assert [t["submission_ref"] for t in report["result"]["transfers"]]
    assert _state(config)[1:] == (1, 1)

    # the case is in a transfer now: nothing due any more
    r = _job(config, "run", "package-due", "--as-of", AFTER_DUE, "--json")
    assert r.code == 0 and r.json()["result"]["packages"] == [] and r.err == ""
    assert len(_reports(config, "package-due")) == 3
    assert get_transfer(config, pkg["package_id"]).status == "built"


def test_package_due_rebuilds_a_rejected_case_as_a_new_package(closed_case: Config) -> None:
    """The archive rejects the package; the case is due again and is built again, as a new
    package (the rejection is part of the case's history, so the OBJID differs) in a new
    transfer; the rejected one stays on record."""
    config = closed_case
    assert _job(config, "run", "package-due", "--as-of", AFTER_DUE).code == 0
    (pkg,) = _reports(config, "package-due")[-1]["result"]["packages"]
    assert reject_transfer(config, pkg["package_id"], reason="ERMS ogiltig").changed
    r = _job(config, "run", "package-due", "--as-of", AFTER_DUE)
    assert r.code == 0 and r.out == "", r.text
    (again,) = _reports(config, "package-due")[-1]["result"]["packages"]
    assert again["package_id"] != pkg["package_id"] and again["recorded"]
    assert Path(pkg["path"]).exists() and Path(again["path"]).exists()
    assert get_transfer(config, pkg["package_id"]).status == "rejected"
    assert get_transfer(config, again["package_id"]).status == "built"
    # Built again and not rejected: nothing more is due.
    assert _job(config, "run", "package-due", "--as-of", AFTER_DUE).code == 0
    assert _reports(config, "package-due")[-1]["result"]["packages"] == []


@contextmanager
def _hold_flock(config: Config, job: str) -> Iterator[int]:
    """Hold the job's lock file as another process on this machine would."""
    folder = config.path.parent / "lås"
    folder.mkdir(exist_ok=True)
    fd = os.open(folder / f"{job}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield fd
    finally:
        os.close(fd)


def test_second_run_is_locked_and_changes_nothing(closed_case: Config) -> None:
    config = closed_case
    before = _state(config)
    out = config.path.parent / "leverans"
    # another process holds the package-due lock (this test's own open file description)
    with _hold_flock(config, "package-due"):
        for args in (("--as-of", AFTER_DUE), ("--as-of", AFTER_DUE, "--json")):
            r = _job(config, "run", "package-due", *args)
            assert r.code == 5, r.text
            assert r.out == "" and "locked" in r.err and "package-due" in r.err
        assert _reports(config) == []
        assert _state(config) == before
        assert not out.exists() or not list(out.iterdir())
        # other jobs are not blocked by it
        assert _job(config, "run", "audit-verify").code == 0
    # the library's own lock, held in this process, blocks a run just the same
    with job_lock(config, "package-due"):
        assert _job(config, "run", "package-due", "--as-of", AFTER_DUE).code == 5
    assert _state(config)[1:] == before[1:]
    # once released, the run goes through
    assert _job(config, "run", "package-due", "--as-of", AFTER_DUE).code == 0
    assert _state(config)[1:] == (1, 1)


@pytest.fixture
def pg_closed_case(pg_server: Any, tmp_path: Path, write_input: Callable[..., Path],
                   shared: Path) -> Iterator[Config]:
    """As ``closed_case``, on a PostgreSQL registry."""
    name = f"dk_{uuid.uuid4().hex[:16]}"
    url = pg_server.create_database(name)
    try:
        config = _with_jobs(make_registry(tmp_path / "pg", url), shared)
        _register_and_close(config, write_input(ROWS))
        yield config
    finally:
        pg_server.drop_database(name)


@pytest.mark.postgres
def test_postgres_lock_spans_machines(pg_closed_case: Config) -> None:
    """Another machine (its own lock folder) running the job holds the advisory lock."""
    config = pg_closed_case
    before = _state(config)
    engine = open_engine(config.registry_url)
    try:
        with connect(engine) as conn:
            from diariekit.jobs import _PG_LOCK_CLASS, _pg_key

            args = {"a": _PG_LOCK_CLASS, "b": _pg_key("package-due")}
            assert conn.execute(sa.text("SELECT pg_try_advisory_lock(:a, :b)"), args).scalar()
            conn.commit()
            r = _job(config, "run", "package-due", "--as-of", AFTER_DUE)
            assert r.code == 5 and r.out == "" and "advisory lock" in r.err, r.text
            assert _reports(config) == [] and _state(config) == before
            conn.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), args)
            conn.commit()
    finally:
        engine.dispose()
    assert _job(config, "run", "package-due", "--as-of", AFTER_DUE).code == 0
    # and the job released its own advisory lock: the next run is not locked out
    assert _job(config, "run", "package-due", "--as-of", AFTER_DUE).code == 0


def test_usage_and_config_errors(registry: Config, shared: Path) -> None:
    r = _job(registry, "run", "gallra-allt")
    assert r.code == 2 and all(name in r.err for name in JOBS)
    assert _job(registry, "run", "audit-verify", "--as-of", "igår").code == 2
    config = _with_jobs(registry, shared)
    with config.path.open("a", encoding="utf-8") as f:
        f.write('\n[jobs.audit-verify]\nout = "x"\n')
    r = _job(config, "run", "audit-verify")
    assert r.code == 3 and "jobs.audit-verify.out" in r.err
    assert _reports(config) == []


def test_jobs_config_round_trip(registry: Config, shared: Path) -> None:
    config = _with_jobs(registry, shared)
    write_config(config)
    again = load_config(config.path)
    assert again.jobs == config.jobs
    assert again.jobs.job_options("package-due")["format"] == "zip"
    assert again.jobs.report_dir == config.path.parent / "rapporter"


def test_list_and_cron(registry: Config, shared: Path) -> None:
    config = _with_jobs(registry, shared, 'schedule = "5 1 * * *"\n')
    listed = _job(config, "list", "--json")
    assert listed.code == 0
    jobs = {j["job"]: j for j in listed.json()}
    assert set(jobs) == set(JOBS)
    assert jobs["package-due"]["schedule"] == "5 1 * * *"
    assert jobs["package-due"]["options"]["format"] == "zip"
    r = _job(config, "cron")
    assert r.code == 0, r.text
    lines = [line for line in r.out.splitlines() if " job run " in line and
             not line.startswith(("#", "ExecStart"))]
    assert len(lines) == len(JOBS)
    assert "5 1 * * * " in lines[0] and f"--config {config.path} job run package-due" in lines[0]
    assert "[Timer]" in r.out and "OnCalendar=" in r.out and "Type=oneshot" in r.out
    assert "ExecStart=" in r.out and "job run %i" in r.out
    assert cron_text(config, "dk")["systemd"]["timers"].keys() == set(JOBS)
    assert _job(config, "run", "--help").out.count("locked") >= 1


def test_secrecy_review_job(registry: Config, write_input: Callable[..., Path],
                            shared: Path) -> None:
    """The job reports what ``review_markings`` finds; exit 1 when there is anything."""
    from diariekit.markings import review_markings

    config = _with_jobs(registry, shared, "\n[jobs.secrecy-review]\nwithin_days = 0\n")
    _register_and_close(config, write_input(ROWS.replace("files/brev.pdf;;",
                                                         "files/brev.pdf;OSL 26:1;")))
    counts = []
    for as_of in ("2026-01-01", "2200-01-01"):
        expected = review_markings(config, before=date.fromisoformat(as_of))
        counts.append(len(expected))
        r = _job(config, "run", "secrecy-review", "--as-of", as_of)
        report = _reports(config, "secrecy-review")[-1]
        assert report["result"]["count"] == len(expected)
        assert r.code == (1 if expected else 0), r.text
        assert (r.out == "") == (not expected) and r.err == ""
    # OSL 26:1 lasts at most 70 years: nothing to review now, the marking by 2200
    assert counts[0] == 0 and counts[1] > 0


def test_disposal_propose_job(registry: Config, write_input: Callable[..., Path],
                              shared: Path) -> None:
    """Nothing due is a quiet success; a proposed batch awaits a person's approval (exit 1)."""
    from diariekit import disposal

    assert callable(disposal.propose_batch)
    config = _with_jobs(registry, shared, '\n[jobs.disposal-propose]\nactor = "cron"\n')
    # a kallelse (ks-1.1.1-01, "G 2 år") in KS 2026/0001, closed on 2026-04-01
    _register_and_close(config, write_input(
        "k9;KS;r9;Sammanträde;1.1.1;ks-1.1.1-01;Upprättad;2026-02-03;;Kallelse;AA;"
        "files/brev.pdf;;\n"))
    r = _job(config, "run", "disposal-propose", "--as-of", "2026-12-01")
    assert (r.code, r.out, r.err) == (0, "", ""), r.text
    (report,) = _reports(config, "disposal-propose")
    assert [b["org"] for b in report["result"]["batches"]] == ["ks", "sn"]
    assert all(not b["batch_id"] for b in report["result"]["batches"])

    r = _job(config, "run", "disposal-propose", "--as-of", "2030-01-01")
    assert r.code == 1, r.text
    report = _reports(config, "disposal-propose")[-1]
    ks = report["result"]["batches"][0]
    assert ks["batch_id"] and ks["items"] == 1
    assert f"disposal batch {ks['batch_id']}" in r.out and "awaits approval" in r.out
    assert report["attention"] and report["exit_code"] == 1


def test_retention_recompute_job(registry: Config, write_input: Callable[..., Path],
                                 shared: Path, tmp_path: Path) -> None:
    """Quiet while the stored dates are right; a plan version coming into force that
    shortens a rule changes them on its first day, and a person is told (exit 1)."""
    from diariekit.plans.loading import load_plan
    from diariekit.plans.store import import_plan
    from diariekit.registry.schema import document

    config = _with_jobs(registry, shared, '\n[jobs.retention-recompute]\norg = "ks"\n')
    _register_and_close(config, write_input(
        "k9;KS;r9;Sammanträde;1.1.1;ks-1.1.1-01;Upprättad;2026-02-03;;Kallelse;AA;"
        "files/brev.pdf;;\n"))

    def stored() -> date | None:
        engine = open_engine(config.registry_url)
        try:
            with connect(engine) as conn:
                return conn.execute(sa.select(document.c.retention_due)).scalar_one()
        finally:
            engine.dispose()

    before = stored()
    assert before is not None
    r = _job(config, "run", "retention-recompute", "--as-of", "2026-05-01")
    assert (r.code, r.out, r.err) == (0, "", ""), r.text
    (report,) = _reports(config, "retention-recompute")
    assert [o["organisation"] for o in report["result"]["organisations"]] == ["ks"]
    assert report["result"]["organisations"][0]["changed"] == 0

    # Version 2027-1 shortens the kallelse to one year from 2027-01-01.
    text = (REPO_PLANS / "kommunstyrelse.yaml").read_text(encoding="utf-8")
    v2 = tmp_path / "ks-2027.yaml"
    v2.write_text(text.replace('version: "2026-1"', 'version: "2027-1"')
                  .replace('supersedes: "2022-1"', 'supersedes: "2026-1"')
                  .replace('valid_from: "2026-01-01"', 'valid_from: "2027-01-01"')
                  .replace("retention: G 2 år\n        delivery: Ej\n        storage: "
                           "Ärendehanteringssystemet (W3D3), mötesmodulen",
                           "retention: G 1 år\n        delivery: Ej\n        storage: "
                           "Ärendehanteringssystemet (W3D3), mötesmodulen", 1),
                  encoding="utf-8")
    plan = load_plan(v2).plan
    assert plan is not None
    import_plan(config, plan, org_id="ks", actor="test")

    r = _job(config, "run", "retention-recompute", "--as-of", "2026-12-31")
    assert r.code == 0 and stored() == before, r.text  # not in force yet
    events = _state(config)[0]
    r = _job(config, "run", "retention-recompute", "--as-of", "2027-01-01")
    assert r.code == 1, r.text
    assert "1 document(s) of ks became disposable sooner" in r.out
    report = _reports(config, "retention-recompute")[-1]
    ks = report["result"]["organisations"][0]
    assert (ks["changed"], ks["earlier"], report["exit_code"]) == (1, 1, 1)
    (change,) = ks["changes"]
    assert change["old_retention_due"] == before.isoformat()
    after = stored()
    assert after is not None and after < before and change["retention_due"] == after.isoformat()
    assert _state(config)[0] == events + 1  # one retention_recomputed event
    r = _job(config, "run", "retention-recompute", "--as-of", "2027-01-02")
    assert (r.code, r.out) == (0, ""), r.text
    assert _reports(config, "retention-recompute")[-1]["result"]["organisations"][0][
        "changed"] == 0


@pytest.mark.parametrize("args", [["job", "run"], ["job", "list"], ["job", "cron"],
                                  ["transfer", "list"], ["transfer", "show"],
                                  ["transfer", "accept"], ["transfer", "reject"]])
def test_help_has_examples(args: list[str]) -> None:
    from diariekit.commands.main import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Example" in result.output, result.output
    if args == ["job", "run"]:
        for meaning in ("nothing needs a person", "a person is needed", "unknown job name",
                        "configuration:", "or locked:", "refused by policy", "130 interrupted"):
            assert meaning in result.output, meaning
