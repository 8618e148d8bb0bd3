"""``diariekit link`` and ``diariekit events``, run as a user runs them (the console script),
on an SQLite registry with the two sample organisations (ks, sn) and their plans."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli import Result, run
from registries import HEAD, make_registry

from diariekit.registry.engine import sqlite_url_for_path

NAME = "Anna Andersson"
DESCRIPTION = "Begäran om kopia av akt om missbruksvård"
PNR = "19121212-1212"
ROWS = (
    "k1;KS;vatten;Remiss om regional vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
    "Länsstyrelsen i Exempellän;Remiss;AA;;;\n"
    "k2;KS;vatten;;;ks-1.1.4-02;Inkommande;2026-02-03;Länsstyrelsen i Exempellän;"
    "Remissvar;AA;;;\n"
    "k3;KS;;Nedskräpning vid badplatsen;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
    "Anmälare;Anmälan;BB;;;\n"
    f"s1;SN;;Begäran om utlämnande;2.2.1;sn-2.2.1-01;Inkommande;2026-02-03;{NAME};"
    f"{DESCRIPTION};CC;;OSL 26:1;{PNR}\n"
)


@pytest.fixture
def dk(tmp_path: Path) -> Callable[..., Result]:
    """``dk(*args, today=…)`` runs ``diariekit --config … ARGS`` on a registered registry."""
    config = make_registry(tmp_path / "reg", sqlite_url_for_path(tmp_path / "reg.sqlite"))
    source = tmp_path / "in.csv"
    source.write_text(HEAD + ROWS, encoding="utf-8")

    def call(*args: str | Path, today: str = "2026-02-03") -> Result:
        return run("--config", config.path, *args, env={"DIARIEKIT_TODAY": today})

    registered = call("register", source, "--json")
    assert registered.code == 0, registered.text
    return call


def test_help_lists_the_commands_with_examples() -> None:
    assert "link" in run("--help").out and "events" in run("--help").out
    for name in ("add", "answer", "list", "overdue"):
        assert name in run("link", "--help").out
    for args in (["link", "add"], ["link", "answer"], ["link", "list"], ["link", "overdue"],
                 ["events", "export"]):
        assert "Example" in run(*args, "--help").out, args


def test_remiss_follow_up_round_trip(dk: Callable[..., Result]) -> None:
    added = dk("link", "add", "KS 2026/0001", "--kind", "remiss", "--to-party",
               "Länsstyrelsen i Exempellän", "--due", "2026-02-17", "--json")
    assert added.code == 0, added.text
    link = added.json()
    assert link["kind"] == "remiss" and link["due"] == "2026-02-17"

    late = dk("link", "overdue", "--as-of", "2026-02-20", "--json")
    assert late.code == 0 and [r["id"] for r in late.json()] == [link["id"]]
    human = dk("link", "overdue", "--as-of", "2026-02-20")
    assert "KS 2026/0001" in human.out and "+3 d" in human.out
    assert dk("link", "overdue", "--as-of", "2026-02-17", "--json").json() == []

    answered = dk("link", "answer", "KS 2026/0001", "--party", "Länsstyrelsen i Exempellän",
                  "--on", "2026-02-03", "--answer-doc", "KS 2026/0001-2", "--json")
    assert answered.code == 0, answered.text
    assert answered.json()["answer_doc"] == "KS 2026/0001-2"
    assert dk("link", "overdue", "--as-of", "2026-02-20", "--json").json() == []
    listed = dk("link", "list", "KS 2026/0001", "--json").json()
    assert listed[0]["answered"] == "2026-02-03" and not listed[0]["overdue"]
    assert "Länsstyrelsen" in dk("link", "list", "KS 2026/0001").out


def test_vidarebefordran_and_main_case(dk: Callable[..., Result]) -> None:
    fwd = dk("link", "add", "KS 2026/0002", "--kind", "vidarebefordran", "--to-party",
             "Tekniska nämnden", "--json")
    assert fwd.code == 0 and fwd.json()["case_status"] == "forwarded"
    shown = dk("case", "show", "KS 2026/0002", "--json").json()
    assert shown["status"] == "forwarded" and shown["closing_kind"] == "överlämnad"

    up = dk("link", "add", "KS 2026/0001", "--kind", "uppdrag", "--to-case", "SN-2026-1",
            "--to-org", "sn")
    assert up.code == 0, up.text
    incoming = dk("link", "list", "SN-2026-00001", "--org", "sn", "--json").json()
    assert incoming[0]["direction"] == "incoming"
    lines = dk("events", "export", "--org", "sn").out.splitlines()
    assert lines and all(json.loads(x)["main_case_number"] == "KS 2026/0001" for x in lines)


def test_link_errors_have_their_exit_codes(dk: Callable[..., Result]) -> None:
    assert dk("link", "add", "KS 2026/0001", "--kind", "hemskickning",
              "--to-party", "X").code == 2
    assert dk("link", "add", "KS 2026/0001", "--kind", "remiss").code == 2
    assert dk("link", "add", "KS 2026/0001", "--kind", "remiss", "--to-party", "X",
              "--due", "snart").code == 2
    missing = dk("link", "add", "KS 2026/0001", "--kind", "remiss", "--to-case",
                 "KS 2026/0099", "--json")
    assert missing.code == 1 and missing.json()["error"] == "InvalidInputError"
    assert dk("link", "answer", "KS 2026/0001", "--on", "2026-02-03").code == 2
    assert dk("link", "answer", "KS 2026/0001", "--party", "Ingen").code == 1
    dk("link", "add", "KS 2026/0002", "--kind", "vidarebefordran", "--to-party", "TK")
    assert dk("link", "add", "KS 2026/0002", "--kind", "remiss", "--to-party", "X").code == 6


def test_events_export(dk: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    done = dk("events", "export", "-o", out, "--json")
    assert done.code == 0, done.text
    text = out.read_text(encoding="utf-8")
    messages = [json.loads(x) for x in text.splitlines()]
    assert done.json()["events"] == len(messages) > 0
    seqs = [m["seq"] for m in messages]
    assert seqs == sorted(seqs)
    assert NAME not in text and DESCRIPTION not in text and PNR not in text
    secret = [m for m in messages if m["case_number"] == "SN-2026-00001"]
    assert secret and all(m["detail"] is None and m["secrecy"] for m in secret)

    routed = dk("events", "export", "--org", "sn", "--include-personnummer")
    assert routed.code == 0 and PNR in routed.out
    assert NAME not in routed.out and DESCRIPTION not in routed.out
    assert dk("events", "export", "--public", "--include-personnummer").code == 2

    dk("link", "add", "KS 2026/0001", "--kind", "remiss", "--to-party", "Länsstyrelsen",
       today="2026-03-10")
    later = dk("events", "export", "--since", "2026-03-01", "--kind", "remiss_sent").out
    assert [json.loads(x)["kind"] for x in later.splitlines()] == ["remiss_sent"]
    assert dk("events", "export", "--since", "igår").code == 2
