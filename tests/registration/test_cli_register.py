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
