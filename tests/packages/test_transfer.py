"""Delivery receipts (leveranskvittenser): ``transfer accept`` / ``reject`` as a user runs them.

A package is built first (``package build``), then the archive's answer is recorded, on
SQLite and PostgreSQL: status, receipt, dates and one event per case; a second accept
changes nothing; the refused transitions exit 6 and change nothing; rejected cases can be
packaged again; ``case show`` lists the case's transfers; ``accepted_on`` gives the
Swedish legal date "gallras efter leverans" counts from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cli import run

from diariekit.cases import close_case
from diariekit.clock import STOCKHOLM
from diariekit.config import Config
from diariekit.errors import InvalidInputError, UsageError
from diariekit.events import verify_chain
from diariekit.packages.build import Selection, build_case_packages
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import case_, document, event, transfer
from diariekit.transfers import accepted_on, list_transfers, reject_transfer

# Two cases of the kommunstyrelse, each with a PDF and a plain document.
ROWS = (
    "k1;KS;r1;Remiss om vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;Länsstyrelsen;"
    "Remiss;AA;files/brev.pdf;;\n"
    "k2;KS;r1;;;ks-1.1.4-02;Utgående;2026-03-01;Länsstyrelsen;Yttrande;AA;;;\n"
    "k3;KS;r2;Remiss om översiktsplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-10;Region;"
    "Remiss;AA;files/brev.pdf;;\n"
)


def _cli(config: Config, *args: str | Path, env: dict[str, str] | None = None) -> Any:
    return run("--config", config.path, *args, env=env)


def _ok(config: Config, *args: str | Path, env: dict[str, str] | None = None) -> Any:
    r = _cli(config, *args, "--json", env=env)
    assert r.code == 0, r.text
    return r.json()


def _registered(config: Config, write_input: Callable[..., Path]) -> None:
    """Register ROWS and close both cases (in-process: only the receipts go through the
    CLI here, and every subprocess costs a second)."""
    path = write_input(ROWS)
    engine = open_engine(config.registry_url)
    try:
        report = register_rows(config, read_intake(path), engine=engine, source=str(path))
    finally:
        engine.dispose()
    assert report.committed and report.errors == 0
    for dnr in ("KS 2026/0001", "KS 2026/0002"):
        close_case(config, dnr, on=date(2026, 4, 1), actor="test")


def _build(config: Config, out: Path, *cases: str, fmt: str = "dir",
           created: datetime | None = None) -> dict[str, Any]:
    """``package build``, in-process; ``cases`` empty means every closed KS case."""
    result = build_case_packages(config, select=Selection(series="KS", cases=cases),
                                 out_dir=out, fmt=fmt, created=created, actor="test")
    return result.to_dict()


def _chain_ok(config: Config) -> bool:
    engine = open_engine(config.registry_url)
    try:
        with connect(engine) as conn:
            return verify_chain(conn).ok
    finally:
        engine.dispose()


def _state(config: Config) -> tuple[list[tuple[Any, ...]], int]:
    """Every transfer row and the number of events: what a refused command must not change."""
    engine = open_engine(config.registry_url)
    try:
        with connect(engine) as conn:
            rows = [tuple(r) for r in conn.execute(sa.select(transfer).order_by(transfer.c.id))]
            events = conn.execute(sa.select(sa.func.count()).select_from(event)).scalar_one()
            return rows, int(events)
    finally:
        engine.dispose()


def _events(config: Config, kind: str) -> list[Any]:
    engine = open_engine(config.registry_url)
    try:
        with connect(engine) as conn:
            return list(conn.execute(
                sa.select(event.c.kind, event.c.event_date, event.c.payload, case_.c.dnr)
                .join(case_, case_.c.id == event.c.case_id)
                .where(event.c.kind == kind).order_by(event.c.seq)))
    finally:
        engine.dispose()


def _accepted_on(config: Config, dnr: str) -> dict[str, Any]:
    """``accepted_on`` for the documents of case ``dnr``, keyed by document ref."""
    engine = open_engine(config.registry_url)
    try:
        with connect(engine) as conn:
            docs = dict(conn.execute(
                sa.select(document.c.id, document.c.ref)
                .join(case_, case_.c.id == document.c.case_id).where(case_.c.dnr == dnr)).all())
            return {docs[k]: v for k, v in accepted_on(conn, list(docs)).items()}
    finally:
        engine.dispose()


def test_accept_records_receipt_once(registry: Config, write_input: Callable[..., Path],
                                     tmp_path: Path) -> None:
    _registered(registry, write_input)
    built = _build(registry, tmp_path / "out", "KS 2026/0001")
    pid = built["packages"][0]["package_id"]
    shown = _ok(registry, "transfer", "show", pid)
    assert shown["status"] == "built" and shown["cases"] == ["KS 2026/0001"]
    assert shown["submission_ref"] == built["submission_ref"]
    assert _accepted_on(registry, "KS 2026/0001") == {}

    # The archive answers a few days after the build: pin "today" so the date is the past.
    real_today = datetime.now(STOCKHOLM).date()
    accepted_day = real_today + timedelta(days=2)
    later = {"DIARIEKIT_TODAY": (real_today + timedelta(days=5)).isoformat()}
    r = _cli(registry, "transfer", "accept", pid, "--receipt", "KA 2026/118", "--date",
             accepted_day.isoformat(), "--by", "arkivarie", "--json", env=later)
    assert r.code == 0, r.text
    data = r.json()
    assert data["changed"] is True and data["events"] == 1
    assert data["status"] == "accepted" and data["receipt_ref"] == "KA 2026/118"
    assert data["accepted_on"] == accepted_day.isoformat()
    # responsibility passed at midnight in Sweden, which is the evening before in UTC
    moment = datetime.fromisoformat(data["responsibility_transferred_at"])
    assert moment.astimezone(STOCKHOLM).date() == accepted_day
    assert moment.astimezone(UTC).date() == accepted_day - timedelta(days=1)
    assert data["status_changed_at"] is not None

    (ev,) = _events(registry, "transfer_accepted")
    assert ev.dnr == "KS 2026/0001" and ev.event_date == accepted_day
    assert ev.payload["receipt_ref"] == "KA 2026/118" and ev.payload["package_id"] == pid
    # "gallras efter leverans" counts from the Swedish date, for every transferred document
    assert _accepted_on(registry, "KS 2026/0001") == {"KS 2026/0001-1": accepted_day,
                                                      "KS 2026/0001-2": accepted_day}
    assert _accepted_on(registry, "KS 2026/0002") == {}

    before = _state(registry)
    again = _cli(registry, "transfer", "accept", pid, "--receipt", "KA 2026/118", "--json",
                 env=later)
    assert again.code == 0 and again.json()["changed"] is False
    assert _state(registry) == before
    refused = _cli(registry, "transfer", "reject", pid, "--reason", "för sent")
    assert refused.code == 6, refused.text
    assert "accepted" in refused.err
    assert _state(registry) == before

    listed = _ok(registry, "transfer", "list", "--status", "accepted")
    assert [t["package_id"] for t in listed[0]["packages"]] == [pid]
    assert _ok(registry, "transfer", "list", "--status", "rejected") == []
    case = _ok(registry, "case", "show", "KS 2026/0001")
    (t,) = case["transfers"]
    assert t["package_id"] == pid and t["status"] == "accepted"
    assert t["receipt_ref"] == "KA 2026/118" and t["accepted_on"] == accepted_day.isoformat()
    assert t["submission_ref"] == built["submission_ref"]
    assert _ok(registry, "case", "show", "KS 2026/0002")["transfers"] == []
    text = _cli(registry, "case", "show", "KS 2026/0001")
    assert text.code == 0
    assert f"package {pid}, accepted" in text.out and "receipt KA 2026/118" in text.out
    assert _chain_ok(registry)

    # an unknown package id is a clear error (exit 1), naming what to give instead
    r = _cli(registry, "transfer", "accept", "uuid-0000", "--receipt", "KA 1")
    assert r.code == 1 and "no package 'uuid-0000'" in r.err and "transfer list" in r.err
    r = _cli(registry, "transfer", "show", "uuid-0000", "--json")
    assert r.code == 1 and "uuid-0000" in r.json()["message"]
    with pytest.raises(UsageError):
        list_transfers(registry, status="lost")


def test_reject_makes_cases_eligible_again(registry: Config, write_input: Callable[..., Path],
                                           tmp_path: Path) -> None:
    _registered(registry, write_input)
    built = _build(registry, tmp_path / "out", fmt="zip")
    pids = [p["package_id"] for p in built["packages"]]
    assert len(pids) == 2  # one transfer, one package per case
    # nothing left to package while the transfer is pending
    with pytest.raises(InvalidInputError, match="no closed case"):
        _build(registry, tmp_path / "o2")

    assert _cli(registry, "transfer", "reject", pids[1]).code == 2  # --reason is required
    future = datetime.now(STOCKHOLM).date() + timedelta(days=3)
    with pytest.raises(UsageError, match="in the future"):
        reject_transfer(registry, pids[1], reason="x", on=future)
    with pytest.raises(UsageError, match="--reason"):
        reject_transfer(registry, pids[1], reason="  ")
    r = _cli(registry, "transfer", "reject", pids[1], "--reason", "ERMS saknar klass", "--json")
    assert r.code == 0, r.text
    data = r.json()
    assert data["status"] == "rejected" and data["changed"] and data["events"] == 2
    assert data["rejected_reason"] == "ERMS saknar klass"
    assert data["responsibility_transferred_at"] is None and data["receipt_ref"] is None
    rejected = _events(registry, "transfer_rejected")
    assert sorted(e.dnr for e in rejected) == ["KS 2026/0001", "KS 2026/0002"]
    assert all(e.payload["reason"] == "ERMS saknar klass" for e in rejected)

    before = _state(registry)
    again = _cli(registry, "transfer", "reject", pids[0], "--reason", "igen", "--json")
    assert again.code == 0 and again.json()["changed"] is False
    refused = _cli(registry, "transfer", "accept", pids[0], "--receipt", "KA 1")
    assert refused.code == 6 and "rejected" in refused.err
    assert _state(registry) == before
    assert _accepted_on(registry, "KS 2026/0001") == {}

    case = _ok(registry, "case", "show", "KS 2026/0002")
    assert [(t["status"], t["rejected_reason"]) for t in case["transfers"]] == [
        ("rejected", "ERMS saknar klass")]
    text = _cli(registry, "case", "show", "KS 2026/0002")
    assert "rejected" in text.out and "ERMS saknar klass" in text.out

    # the rejected cases are selected again and go into a new transfer
    rebuilt = _build(registry, tmp_path / "o3",
                     created=datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM))
    assert sorted(p["case"] for p in rebuilt["packages"]) == ["KS 2026/0001", "KS 2026/0002"]
    assert rebuilt["submission_ref"] != built["submission_ref"]
    assert all(p["recorded"] for p in rebuilt["packages"])
    assert [t.submission_ref for t in list_transfers(registry, status="built")] == [
        rebuilt["submission_ref"]]
    assert _chain_ok(registry)
