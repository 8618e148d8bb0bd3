"""The registrar's commands as a user runs them: exit codes, JSON, dry run, partial."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli import run

from diariekit.config import Config

ROWS = (
    "k1;KS;r1;Remiss om vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;Länsstyrelsen;"
    "Remiss;AA;files/brev.pdf;;\n"
    "k2;KS;r1;;;ks-1.1.4-02;Utgående;2026-03-01;Länsstyrelsen;Yttrande;AA;;;\n"
)
BAD = "k3;KS;;Titel;1.1.4;ks-1.1.4-01;Inkommande;2026-02-30;A;B;AA;;;\n"


def _cfg(config: Config) -> list[str]:
    return ["--config", str(config.path)]


def test_register_then_show_close_assign(registry: Config,
                                         write_input: Callable[..., Path]) -> None:
    path = write_input(ROWS)
    dry = run(*_cfg(registry), "register", path, "--dry-run", "--json")
    assert dry.code == 0 and dry.json()["summary"]["would_register"] == 2
    assert run(*_cfg(registry), "case", "list", "--json").json() == []
    done = run(*_cfg(registry), "register", path, "--json")
    assert done.code == 0, done.text
    assert [r["ref"] for r in done.json()["rows"]] == ["KS 2026/0001-1", "KS 2026/0001-2"]
    shown = run(*_cfg(registry), "case", "show", "KS 2026/1", "--json").json()
    assert [d["ref"] for d in shown["documents"]] == ["KS 2026/0001-1", "KS 2026/0001-2"]
    assert shown["documents"][0]["files"][0]["puid"] == "fmt/17"
    assert run(*_cfg(registry), "case", "assign", "KS 2026/0001", "BB").code == 0
    closed = run(*_cfg(registry), "case", "close", "KS 2026/0001", "--on", "2026-04-01",
                 "--json")
    assert closed.code == 0 and closed.json()["status"] == "closed"
    again = run(*_cfg(registry), "case", "close", "KS 2026/0001")
    assert again.code == 6  # refused by policy: already closed
    doc = run(*_cfg(registry), "doc", "show", "KS 2026/0001-2", "--json").json()
    assert doc["case"] == "KS 2026/0001" and doc["direction"] == "outgoing"
    assert run(*_cfg(registry), "audit", "verify").code == 0


def test_bad_row_exit_1_partial_exit_7(registry: Config,
                                       write_input: Callable[..., Path]) -> None:
    path = write_input(ROWS + BAD)
    refused = run(*_cfg(registry), "register", path)
    assert refused.code == 1
    assert f"{path}, line 4, field 'date'" in refused.err + refused.out
    assert run(*_cfg(registry), "case", "list", "--json").json() == []
    partial = run(*_cfg(registry), "register", path, "--partial", "--json")
    assert partial.code == 7
    assert partial.json()["summary"]["registered"] == 2


def test_unreadable_input_exit_4(registry: Config, tmp_path: Path) -> None:
    assert run(*_cfg(registry), "register", tmp_path / "saknas.csv").code == 4
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02garbage")
    assert run(*_cfg(registry), "register", binary).code == 4


def test_dnr_parse_any_configured_form(registry: Config) -> None:
    result = run(*_cfg(registry), "dnr", "parse", "Dnr KS 2026/42", "SN-2026-00042-3",
                 "--json")
    assert result.code == 0, result.text
    doc = result.json()
    assert doc[0]["case"] == "KS 2026/0042"
    assert doc[1]["document"] == "SN-2026-00042-3" and doc[1]["seq"] == 3
    assert run(*_cfg(registry), "dnr", "parse", "nonsens").code == 1


def test_void_keeps_the_number_and_the_entry(registry: Config,
                                             write_input: Callable[..., Path]) -> None:
    path = write_input(ROWS)
    assert run(*_cfg(registry), "register", path).code == 0
    assert run(*_cfg(registry), "doc", "void", "KS 2026/0001-2", "--reason", "").code == 2
    voided = run(*_cfg(registry), "doc", "void", "KS 2026/0001-2", "--reason",
                 "Registrerad i fel ärende", "--json")
    assert voided.code == 0 and voided.json() == {"ref": "KS 2026/0001-2", "status": "voided",
                                                  "changed": True}
    again = run(*_cfg(registry), "doc", "void", "KS 2026/0001-2", "--reason", "x", "--json")
    assert again.json()["changed"] is False
    doc = run(*_cfg(registry), "doc", "show", "KS 2026/0001-2", "--json").json()
    assert doc["status"] == "voided" and doc["files"] == [] and doc["seq"] == 2
    # The number is never reused: the next document of the case is -3.
    more = write_input("k9;KS;KS 2026/0001;;;ks-1.1.4-02;Utgående;2026-03-05;Länsstyrelsen;"
                       "Påminnelse;AA;;;\n", name="more.csv")
    # this input names the registered case (Ärende) instead of a key
    more.write_text(more.read_text(encoding="utf-8").replace("Ärendenyckel", "Ärende", 1),
                    encoding="utf-8")
    added = run(*_cfg(registry), "register", more, "--json")
    assert added.code == 0, added.text
    assert [r["ref"] for r in added.json()["rows"]] == ["KS 2026/0001-3"]
    case = run(*_cfg(registry), "case", "void", "KS 2026/0001", "--reason",
               "Dubbelregistrering", "--json")
    assert case.code == 0 and case.json()["documents_voided"] == ["KS 2026/0001-1",
                                                                  "KS 2026/0001-3"]
    assert run(*_cfg(registry), "case", "close", "KS 2026/0001").code == 6
    shown = run(*_cfg(registry), "case", "show", "KS 2026/0001", "--json").json()
    assert shown["status"] == "voided"
    assert {d["status"] for d in shown["documents"]} == {"voided"}
    assert run(*_cfg(registry), "audit", "verify").code == 0
