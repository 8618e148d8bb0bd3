"""Disposal (gallring) on a real registry, as an archivist runs it from the command line.

A record under hold and one whose rule is "vid inaktualitet" are never destroyed; running an
approved batch removes exactly the listed files and the disposal log lists exactly them;
a run killed half-way resumes to the same result.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from cli import Result, run
from pdftext import pdf_text

from diariekit.cases import close_case
from diariekit.config import Config
from diariekit.disposal import propose_batch
from diariekit.errors import PolicyError
from diariekit.files.store import ContentStore
from diariekit.holds import list_holds, release_hold
from diariekit.pdfa import check, find_font
from diariekit.registry.engine import connect
from diariekit.registry.schema import document
from diariekit.registry.session import open_registry
from diariekit.retention_dates import explain

LATER = {"DIARIEKIT_TODAY": "2029-06-01"}  # 2 år efter avslut 2026 → due 2029-01-01

# Externt id;Serie;Ärendenyckel;Ärendemening;Klass;Handlingstyp;Riktning;Datum;
# Avsändare/Mottagare;Beskrivning;Handläggare;Filer;Sekretess;Personnummer
ROWS = (
    # Case a: two documents, "Gallras 2 år efter ärendets avslut", to be destroyed.
    "a1;KS;a;Rekrytering ekonom;2.2.1;ks-2.2.1-02;Inkommande;2026-02-03;Sökande A;"
    "Ansökan;AA;files/a1.txt;;\n"
    "a2;KS;a;;2.2.1;ks-2.2.1-02;Inkommande;2026-02-04;Sökande B;Ansökan;AA;files/a2.txt;;\n"
    # Case b: same rule, put under a hold.
    "b1;KS;b;Rekrytering jurist;2.2.1;ks-2.2.1-02;Inkommande;2026-02-05;Sökande C;"
    "Ansökan;AA;files/b1.txt;;\n"
    # Case c (KS 2026/0003): "Vid inaktualitet": a person's judgement, never automatic.
    "c1;KS;c;Korta besked;2.4.1;ks-2.4.1-02;Inkommande;2026-02-06;Någon;E-post;AA;"
    "files/c1.txt;;\n"
    # Case d (KS 2026/0004): same rule as a, but the case stays open.
    "d1;KS;d;Rekrytering pågår;2.2.1;ks-2.2.1-02;Inkommande;2026-02-07;Sökande D;"
    "Ansökan;AA;files/d1.txt;;\n"
    # Case e: same rule; its file has the same content as b1 (held): the blob must stay.
    "e1;KS;e;Rekrytering arkivarie;2.2.1;ks-2.2.1-02;Inkommande;2026-02-08;Sökande E;"
    "Ansökan;AA;files/e1.txt;;\n"
)
CONTENT = {"a1": "ansökan a1", "a2": "ansökan a2", "b1": "delad text", "c1": "e-post c1",
           "d1": "ansökan d1", "e1": "delad text"}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def reg(registry: Config, write_input: Callable[..., Path]) -> Config:
    path = write_input(ROWS)
    for key, text in CONTENT.items():
        (path.parent / "files" / f"{key}.txt").write_text(text, encoding="utf-8")
    assert dk(registry, "register", path).code == 0
    for dnr in ("KS 2026/0001", "KS 2026/0002", "KS 2026/0003", "KS 2026/0005"):
        close_case(registry, dnr, on=date(2026, 3, 1))
    return registry


def dk(config: Config, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    return run("--config", config.path, *args, env=env)


def _statuses(config: Config) -> dict[str, str]:
    with connect(open_registry(config)) as conn:
        return {r.ref: r.status for r in conn.execute(
            sa.select(document.c.ref, document.c.status))}


def _propose_and_approve(config: Config) -> str:
    held = dk(config, "hold", "add", "--case", "KS 2026/0002", "--reason", "access_request",
              "--reference", "KS 2029/0007", "--json")
    assert held.code == 0, held.text
    proposed = dk(config, "disposal", "propose", "--json", env=LATER)
    assert proposed.code == 0, proposed.text
    res = proposed.json()
    # a1, a2 and e1 are due; b1 is held, d1's case is open, c1 is "vid inaktualitet".
    assert res["items"] == 3 and res["skipped"] == {"held": 1}
    batch = res["batch_id"]
    shown = dk(config, "disposal", "show", batch, "--json").json()
    assert [i["ref"] for i in shown["items"]] == ["KS 2026/0001-1", "KS 2026/0001-2",
                                                  "KS 2026/0005-1"]
    assert {i["rule"] for i in shown["items"]} == {"gallras 2 år efter ärendets avslut"}
    assert all(i["due"] == "2029-01-01" and i["decision"] for i in shown["items"])
    # Not approved: refused by policy, nothing destroyed.
    assert dk(config, "disposal", "run", batch, env=LATER).code == 6
    approved = dk(config, "disposal", "approve", batch, "--by", "Anna Arkivarie", "--ref",
                  "KS 2029/0100", env=LATER)
    assert approved.code == 0, approved.text
    return str(batch)


def _check_outcome(config: Config, log_dir: Path) -> None:
    store = ContentStore(config.storage_path)
    gone = {k for k in CONTENT if not store.exists(_sha(CONTENT[k]))}
    assert gone == {"a1", "a2"}  # e1's content is b1's, which is held: kept
    assert store.exists(_sha("delad text"))
    status = _statuses(config)
    assert status == {"KS 2026/0001-1": "disposed", "KS 2026/0001-2": "disposed",
                      "KS 2026/0002-1": "registered", "KS 2026/0003-1": "registered",
                      "KS 2026/0004-1": "registered", "KS 2026/0005-1": "disposed"}
    logs = list(log_dir.rglob("gallringsprotokoll.csv"))
    assert len(logs) == 1
    with logs[0].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert [r["diarienummer"] for r in rows] == ["KS 2026/0001-1", "KS 2026/0001-2",
                                                 "KS 2026/0005-1"]
    assert all(r["utfall"] == "gallrad" and r["lagstöd"] for r in rows)
    html = (logs[0].parent / "gallringsprotokoll.html").read_text(encoding="utf-8")
    assert "Anna Arkivarie" in html and "KS 2026/0005-1" in html
    assert "KS 2026/0002-1" not in html
    pdf = logs[0].parent / "gallringsprotokoll.pdf"
    if find_font() is None and not os.environ.get("CI"):
        assert not pdf.exists()  # and the run said why (test_disposal_log_without_font)
    else:
        text = pdf_text(pdf)
        assert "Anna Arkivarie" in text and "KS 2026/0005-1" in text
        assert "KS 2026/0002-1" not in text
        assert check(pdf) == "pass"
    assert dk(config, "audit", "verify").code == 0


def test_disposal_batch_end_to_end(reg: Config, tmp_path: Path) -> None:
    batch = _propose_and_approve(reg)
    log_dir = tmp_path / "protokoll"
    done = dk(reg, "disposal", "run", batch, "--log-dir", log_dir, "--json", env=LATER)
    assert done.code == 0, done.text
    assert done.json()["outcomes"] == {"destroyed": 3}
    assert done.json()["files_removed"] == 2  # a1, a2 (e1's blob is shared with b1)
    _check_outcome(reg, log_dir)
    again = dk(reg, "disposal", "run", batch, "--json", env=LATER)
    assert again.code == 0 and again.json()["already_completed"]
    # The register entry stays as a tombstone; a new proposal finds nothing more.
    nothing = dk(reg, "disposal", "propose", "--json", env=LATER).json()
    assert nothing["batch_id"] is None and nothing["skipped"] == {"held": 1}


def test_killed_run_resumes_to_the_same_result(reg: Config, tmp_path: Path) -> None:
    batch = _propose_and_approve(reg)
    log_dir = tmp_path / "protokoll"
    killed = dk(reg, "disposal", "run", batch, "--log-dir", log_dir,
                env={**LATER, "DIARIEKIT_FAULT_AFTER_DELETES": "1"})
    assert killed.code == 137
    assert not list(log_dir.rglob("*.csv"))  # nothing reported yet
    # Nothing reported destroyed that is not: the registry has no outcome for the item yet.
    shown = dk(reg, "disposal", "show", batch, "--json").json()
    assert shown["status"] == "executing"
    assert not any(i["outcome"] == "destroyed" for i in shown["items"])
    resumed = dk(reg, "disposal", "run", batch, "--log-dir", log_dir, "--json", env=LATER)
    assert resumed.code == 0, resumed.text
    assert resumed.json()["outcomes"] == {"destroyed": 3}
    _check_outcome(reg, log_dir)


SQLITE_ONLY = pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_disposal_log_without_font(reg: Config, tmp_path: Path) -> None:
    """No font to embed: the run completes, CSV and HTML are written, and it says why."""
    with reg.path.open("a", encoding="utf-8") as fh:
        fh.write('\n[reports]\nfont = "fonts/missing.ttf"\n')
    batch = _propose_and_approve(reg)
    done = dk(reg, "disposal", "run", batch, "--log-dir", tmp_path, env=LATER)
    assert done.code == 0, done.text
    assert "missing.ttf was not found" in done.err
    names = sorted(p.name for p in tmp_path.rglob("gallringsprotokoll.*"))
    assert names == ["gallringsprotokoll.csv", "gallringsprotokoll.html"]


@SQLITE_ONLY
def test_hold_placed_after_approval_is_respected_at_run_time(reg: Config,
                                                             tmp_path: Path) -> None:
    batch = _propose_and_approve(reg)
    assert dk(reg, "hold", "add", "--doc", "KS 2026/0001-2", "--reason", "appeal").code == 0
    done = dk(reg, "disposal", "run", batch, "--log-dir", tmp_path, "--json", env=LATER)
    assert done.json()["outcomes"] == {"destroyed": 2, "skipped_hold": 1}
    store = ContentStore(reg.storage_path)
    assert store.exists(_sha(CONTENT["a2"])) and not store.exists(_sha(CONTENT["a1"]))
    deviations = next(tmp_path.rglob("avvikelser.csv")).read_text(encoding="utf-8-sig")
    assert "KS 2026/0001-2" in deviations


@SQLITE_ONLY
def test_hold_list_release_and_refusals(reg: Config) -> None:
    added = dk(reg, "hold", "add", "--class", "2.2", "--reason", "audit", "--json")
    assert added.code == 0, added.text
    hold_id = added.json()["id"]
    assert dk(reg, "hold", "add", "--class", "9.9.9", "--reason", "audit").code == 1
    assert dk(reg, "hold", "add", "--case", "KS 2026/0001", "--reason", "whim").code == 2
    assert dk(reg, "hold", "add", "--reason", "audit").code == 2
    assert [h["id"] for h in dk(reg, "hold", "list", "--json").json()] == [hold_id]
    # The class hold covers every due record: nothing to propose.
    with pinned_today("2029-06-01"):
        proposed = propose_batch(reg)
    assert proposed.batch_id is None and proposed.skipped == {"held": 4}
    assert dk(reg, "hold", "release", hold_id, "--note", "klar").code == 0
    with pytest.raises(PolicyError):
        release_hold(reg, hold_id)
    assert list_holds(reg) == [] and len(list_holds(reg, include_released=True)) == 1
    with pinned_today("2029-06-01"):
        assert propose_batch(reg).item_count == 4


@SQLITE_ONLY
def test_retention_show_and_trigger(reg: Config) -> None:
    shown = dk(reg, "retention", "show", "KS 2026/0001", "--json").json()
    assert [d["retention_due"] for d in shown["documents"]] == ["2029-01-01", "2029-01-01"]
    assert shown["case_retention_due"] == "2029-01-01"
    inakt = explain(reg, "KS 2026/0003-1")["documents"][0]
    assert inakt["retention_due"] is None and "inaktualitet" in inakt["basis"]
    assert explain(reg, "KS 2026/0004-1")["documents"][0]["retention_due"] is None
    # Closing a case stored its documents' dates: nothing left to recompute.
    doc = dk(reg, "doc", "show", "KS 2026/0001-2", "--json").json()
    assert doc["retention_due"] == "2029-01-01"
    dry = dk(reg, "retention", "recompute", "--dry-run", "--json").json()
    assert dry["dry_run"] and dry["checked"] == 6 and dry["changed"] == 0
    bad = dk(reg, "retention", "trigger", "KS 2026/0001-1", "--event", "birthday",
             "--date", "2026-01-01")
    assert bad.code == 2
    ok = dk(reg, "retention", "trigger", "KS 2026/0001-1", "--event", "scan_verified",
            "--date", "2026-03-02", "--json")
    assert ok.code == 0, ok.text


@contextmanager
def pinned_today(day: str) -> Iterator[None]:
    old = os.environ.get("DIARIEKIT_TODAY")
    os.environ["DIARIEKIT_TODAY"] = day
    try:
        yield
    finally:
        if old is None:
            del os.environ["DIARIEKIT_TODAY"]
        else:
            os.environ["DIARIEKIT_TODAY"] = old


def test_register_the_disposal_log_in_the_diarium(reg: Config, tmp_path: Path) -> None:
    """The log is itself a record to keep: registered with the plan's Gallringsprotokoll
    record type (Bevaras), its file the very log the run wrote; once only."""
    batch = _propose_and_approve(reg)
    early = dk(reg, "disposal", "register-log", batch, "--series", "KS", env=LATER)
    assert early.code == 6 and "completed" in early.err, early.text
    both = dk(reg, "disposal", "register-log", batch, "--series", "KS", "--case",
              "KS 2026/0004", env=LATER)
    assert both.code == 2, both.text
    assert dk(reg, "disposal", "run", batch, "--log-dir", tmp_path, env=LATER).code == 0
    events = _event_count(reg)

    dry = dk(reg, "disposal", "register-log", batch, "--series", "KS", "--dry-run", env=LATER)
    assert dry.code == 0 and "would be registered" in dry.out, dry.text
    assert _event_count(reg) == events
    done = dk(reg, "disposal", "register-log", batch, "--series", "KS", "--title",
              "Gallring 2029", "--json", env=LATER)
    assert done.code == 0, done.text
    (row,) = done.json()["rows"]
    assert row["action"] == "registered" and row["opened_case"]
    shown = dk(reg, "doc", "show", row["ref"], "--json").json()
    assert shown["record_type"] == "ks-2.4.3-03"
    (stored,) = shown["files"]
    pdf = next(tmp_path.rglob("gallringsprotokoll.pdf"), None)
    log = pdf or next(tmp_path.rglob("gallringsprotokoll.html"))
    assert stored["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
    assert stored["filename"].startswith("gallringsprotokoll-2029-06-01-")
    (kept,) = dk(reg, "retention", "show", row["ref"], "--json").json()["documents"]
    assert kept["retention_due"] is None and kept["rule"] == "bevaras"
    assert dk(reg, "disposal", "show", batch, "--json").json()["log_document"] == row["ref"]

    again = dk(reg, "disposal", "register-log", batch, "--series", "KS", "--title",
               "Gallring 2029", env=LATER)
    assert again.code == 0 and f"already registered as {row['ref']}" in again.out, again.text
    # Once registered, the log is found by its external id whatever the options now.
    events = _event_count(reg)
    for args in (["--case", "KS 2026/0004"], ["--series", "KS", "--record-type", "nope"]):
        other = dk(reg, "disposal", "register-log", batch, *args, "--json", env=LATER)
        assert other.code == 0, other.text
        assert other.json()["rows"][0]["action"] == "skipped"
        assert other.json()["rows"][0]["ref"] == row["ref"]
    assert _event_count(reg) == events
    assert dk(reg, "audit", "verify").code == 0


def _event_count(config: Config) -> int:
    from diariekit.registry.schema import event

    with connect(open_registry(config)) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(event)).scalar_one())
