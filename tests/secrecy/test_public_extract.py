"""The public register extract (diarieutdrag): no secret counterpart, description, case title
or personnummer in any format, while public entries show their fields (SQLite and
PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cli import run

from diariekit.config import Config
from diariekit.errors import UsageError
from diariekit.events import verify_chain
from diariekit.extract import (
    COLUMNS,
    ExtractFilter,
    iter_public_extract,
    scrub_personnummer,
    write_extract,
)
from diariekit.markings import mark
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import document
from diariekit.registry.session import open_registry

ENV = {"DIARIEKIT_TODAY": "2026-03-01", "DIARIEKIT_USER": "registrator"}
SECRET = "Uppgift omfattas av sekretess enligt OSL 26:1"

# Socialnämnden (SN-YYYY-NNNNN). sn-1.2.1-04 has the default secrecy OSL 26:1; sn-1.1.1-01
# has none.
ROWS = (
    # 1: secret by the record type's default; personnummer in description and person_ref
    "s1;SN;c1;Bistånd Anna Andersson;;sn-1.2.1-04;Inkommande;2026-02-03;Anna Andersson;"
    "Ansökan från Anna Andersson 850312-1234;AA;;;19850312-1234\n"
    # 2: public, but with a personnummer and markup in its description
    "s2;SN;c2;Rapport till IVO;;sn-1.1.1-01;Upprättad;2026-02-04;IVO;"
    "Kvartalsrapport Q1 <script>alert(1)</script> ref 19900101-2389;AA;;;\n"
    # 3: public at registration, marked secret afterwards (its columns hold the real text)
    "s3;SN;c3;Placering i familjehem;;sn-1.1.1-01;Inkommande;2026-02-05;Familjehemmet Berg;"
    "Utredning Berg;AA;;;\n"
    # 4: secret by the row's own secrecy cell
    "s4;SN;c4;Anmälan;;sn-1.1.1-01;Inkommande;2026-02-06;Bo Ek;Orosanmälan Bo Ek;AA;;"
    "OSL 26:1;\n"
    # 5: to be voided (makulerad)
    "s5;SN;c2;;;sn-1.1.1-01;Upprättad;2026-02-07;Lisa Lund;Felregistrerad handling Lisa;AA;;;\n"
    # 6: public; a samordningsnummer in the counterpart, only the counterpart of a later
    # document in the same case is marked
    "s6;SN;c2;;;sn-1.1.1-01;Inkommande;2026-02-08;Kalle 850372-1234;Synpunkter på rapporten;"
    "AA;;;198503721234\n"
    "s7;SN;c2;;;sn-1.1.1-01;Inkommande;2026-02-09;Vittnet Nils Holm;Skrivelse om rapporten;"
    "AA;;;\n"
)
NEVER = ("Anna", "Andersson", "850312", "1234", "900101", "2389", "Familjehemmet", "Berg",
         "Bo Ek", "Orosanmälan", "Felregistrerad", "Lisa", "Lund", "850372", "Nils Holm",
         "Vittnet")


@pytest.fixture
def extract_registry(registry: Config, write_input: Callable[..., Path]) -> Config:
    path = write_input(ROWS)
    done = run("--config", registry.path, "register", path, "--org", "sn", env=ENV)
    assert done.code == 0, done.text
    with pytest.MonkeyPatch.context() as mp:
        for key, value in ENV.items():
            mp.setenv(key, value)
        mark(registry, "SN-2026-00003-1", "OSL 26:1", org_id="sn")
        mark(registry, "SN-2026-00001", "26 kap. 1 § OSL", org_id="sn")  # the case title
        mark(registry, "SN-2026-00002-4", "OSL 26:1", target="counterpart", org_id="sn")
    # No void command yet (issue 3 scope): set the status as a void would.
    with write_transaction(open_registry(registry)) as conn:
        conn.execute(sa.update(document).where(document.c.ref == "SN-2026-00002-2")
                     .values(status="voided", voided_reason="Fel ärende"))
    return registry


def _extract(config: Config, fmt: str, *extra: str) -> str:
    done = run("--config", config.path, "extract", "public", "--org", "sn", "--format", fmt,
               *extra, env=ENV)
    assert done.code == 0, done.text
    return done.out


def _by_ref(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["ref"]: r for r in rows}


def test_public_extract_leaks_nothing(extract_registry: Config, tmp_path: Path) -> None:
    config = extract_registry
    text_csv = _extract(config, "csv")
    text_jsonl = _extract(config, "jsonl")
    (tmp_path / "ut").mkdir()
    out = tmp_path / "ut" / "postlista.html"
    _extract(config, "html", "--output", str(out))
    text_html = out.read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["postlista.html"]  # no temporary left

    for name, text in (("csv", text_csv), ("jsonl", text_jsonl), ("html", text_html)):
        for secret in NEVER:
            assert secret not in text, f"{secret!r} leaks into the {name} extract"

    assert text_csv.startswith("\ufeff")
    from_csv = list(csv.DictReader(io.StringIO(text_csv.lstrip("\ufeff")), delimiter=";"))
    from_jsonl = [json.loads(line) for line in text_jsonl.splitlines()]
    assert list(from_jsonl[0]) == list(COLUMNS)
    assert list(from_csv[0]) == list(COLUMNS)
    # csv writes None as "", so compare through that.
    assert [{k: v or "" for k, v in r.items()} for r in from_jsonl] == from_csv
    rows = _by_ref(from_jsonl)
    assert list(rows) == ["SN-2026-00001", "SN-2026-00001-1", "SN-2026-00002",
                          "SN-2026-00002-1", "SN-2026-00002-2", "SN-2026-00002-3",
                          "SN-2026-00002-4", "SN-2026-00003", "SN-2026-00003-1",
                          "SN-2026-00004", "SN-2026-00004-1"]

    # Secret by default, case title marked: exists, with number, dates, direction, type.
    secret = rows["SN-2026-00001-1"]
    assert secret["direction"] == "incoming" and secret["document_date"] == "2026-02-03"
    assert secret["record_type"] == "Rapport om ej verkställda beslut"
    assert secret["counterpart"] == secret["description"] == secret["case_title"] == SECRET
    assert secret["secrecy"] == "OSL 26:1" and secret["status"] == "registrerad"
    assert secret["registered"]
    assert rows["SN-2026-00001"]["case_title"] == SECRET
    # Marked after registration, and marked by the row's secrecy cell.
    for ref in ("SN-2026-00003-1", "SN-2026-00004-1"):
        assert rows[ref]["counterpart"] == rows[ref]["description"] == SECRET
        assert rows[ref]["direction"] == "incoming"
    assert rows["SN-2026-00003-1"]["case_title"] == "Placering i familjehem"  # not marked
    # Only the counterpart marked: the description stays.
    assert rows["SN-2026-00002-4"]["counterpart"] == SECRET
    assert rows["SN-2026-00002-4"]["description"] == "Skrivelse om rapporten"
    # Public entries show their fields; personnummer are scrubbed from them.
    public = rows["SN-2026-00002-1"]
    assert public["counterpart"] == "IVO" and public["case_title"] == "Rapport till IVO"
    assert public["description"] == ("Kvartalsrapport Q1 <script>alert(1)</script> ref "
                                     "[personnummer]")
    assert public["direction"] == "internal" and public["secrecy"] is None
    assert public["record_type"] == "Kallelse och föredragningslista"
    assert rows["SN-2026-00002"]["case_title"] == "Rapport till IVO"
    assert rows["SN-2026-00002-3"]["counterpart"] == "Kalle [personnummer]"
    assert rows["SN-2026-00002-3"]["description"] == "Synpunkter på rapporten"
    # Voided: number and status only.
    voided = rows["SN-2026-00002-2"]
    assert voided["status"] == "makulerad"
    assert {k for k, v in voided.items() if v is not None} == {"kind", "ref", "case", "status"}

    # HTML: standalone and escaped; the public description's markup is text.
    assert text_html.startswith("<!DOCTYPE html>") and text_html.rstrip().endswith("</html>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text_html and "<script" not in text_html
    assert "Rapport till IVO" in text_html and SECRET in text_html

    # Filters: a registration-date range outside everything gives no rows; unknown series.
    def count(**kwargs: Any) -> int:
        return sum(1 for _ in iter_public_extract(config, ExtractFilter(org_id="sn", **kwargs)))

    assert count(date_from=date(2000, 1, 1), date_to=date(2000, 1, 2)) == 0
    assert count(date_from=date(2000, 1, 1)) == count(series="SN") == len(rows)
    refused = run("--config", config.path, "extract", "public", "--org", "sn", "--series",
                  "KS", "--format", "html", env=ENV)
    assert refused.code == 2 and "--series" in refused.err and refused.out == ""
    with pytest.raises(UsageError, match="--format"):
        write_extract(config, ExtractFilter(org_id="sn"), "pdf", stdout=io.StringIO())
    with pytest.raises(UsageError, match="--from"):
        ExtractFilter(date_from=date(2026, 2, 1), date_to=date(2026, 1, 1))
    with connect(open_registry(config)) as conn:
        assert verify_chain(conn).ok


@pytest.mark.parametrize(("text", "expected"), [
    ("850312-1234", "[personnummer]"),
    ("19850312-1234", "[personnummer]"),
    ("198503121234", "[personnummer]"),
    ("8503121234", "[personnummer]"),
    ("850312+1234", "[personnummer]"),
    ("850312 1234", "[personnummer]"),
    ("850372-1234", "[personnummer]"),  # samordningsnummer: day + 60
    ("Anna (20850312-1234) ringde", "Anna ([personnummer]) ringde"),
    ("pnr:850312-1234.", "pnr:[personnummer]."),
    ("212000-9999", "212000-9999"),  # organisationsnummer: month ≥ 20
    ("2026-02-03", "2026-02-03"),
    ("KS 2026/0042-3", "KS 2026/0042-3"),
    ("SN-2026-00042-3", "SN-2026-00042-3"),
    ("9850312-12345", "9850312-12345"),  # longer digit runs are not personnummer
    ("", ""),
    (None, None),
])
def test_scrub_personnummer(text: str | None, expected: str | None) -> None:
    assert scrub_personnummer(text) == expected


def test_help_has_examples() -> None:
    shown = run("extract", "public", "--help")
    assert shown.code == 0 and "Examples" in shown.out and "personnummer" in shown.out
