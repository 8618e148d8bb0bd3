"""Export of case-event messages (ärendehändelsemeddelanden) for a citizen portal, on SQLite
and PostgreSQL: secrecy, personnummer, filters, order and batching, atomic output."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from diariekit.config import Config
from diariekit.errors import UsageError
from diariekit.eventexport import (
    MESSAGE_FIELDS,
    export_events,
    parse_bound,
    write_jsonl,
    write_jsonl_atomic,
)
from diariekit.events import verify_chain
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import document, event

NAME = "Anna Andersson"
DESCRIPTION = "Begäran om kopia av akt om missbruksvård"
PNR = "19121212-1212"
SECRET = (f"s1;SN;;Begäran om utlämnande;2.2.1;sn-2.2.1-01;Inkommande;2026-02-03;{NAME};"
          f"{DESCRIPTION};CC;;OSL 26:1;{PNR}\n")
PUBLIC = ("k1;KS;;Remiss om regional vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
          "Länsstyrelsen i Exempellän;Remiss om vattenplanen;AA;;;\n")
LATER = ("k2;KS;;Medborgarförslag om cykelväg;1.1.4;ks-1.1.4-01;Inkommande;2026-03-10;"
         "Medborgare;Förslag om cykelväg;BB;;;\n")


def _register(config: Config, path: Path) -> None:
    report = register_rows(config, read_intake(path), engine=open_engine(config.registry_url),
                           source=str(path), actor="registrator")
    assert report.committed and report.errors == 0, report.findings


@pytest.fixture
def registered(registry: Config, write_input: Callable[..., Path],
               monkeypatch: pytest.MonkeyPatch) -> Config:
    """A secret SN case (OSL 26:1, with personnummer) and a public KS case on 2026-02-03,
    and another KS case on 2026-03-10."""
    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-02-03")
    _register(registry, write_input(SECRET + PUBLIC))
    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-03-10")
    _register(registry, write_input(LATER, name="later.csv"))
    return registry


def _jsonl(messages: Any) -> tuple[str, list[dict[str, Any]]]:
    buf = io.StringIO()
    write_jsonl(messages, buf)
    text = buf.getvalue()
    return text, [json.loads(line) for line in text.splitlines()]


def test_secret_events_show_only_what_the_public_may_see(registered: Config) -> None:
    with connect(open_engine(registered.registry_url)) as conn:
        doc = conn.execute(sa.select(document).where(document.c.ref == "SN-2026-00001-1")).one()
    # The registry keeps the protected forms: they exist, so their absence below means
    # something.
    assert doc.counterpart_protected == NAME and doc.description_protected == DESCRIPTION

    text, messages = _jsonl(export_events(registered))
    assert NAME not in text and DESCRIPTION not in text and "missbruk" not in text
    assert PNR not in text and "19121212" not in text
    assert all(tuple(m) == MESSAGE_FIELDS for m in messages)
    assert all(m["personnummer"] is None for m in messages)

    secret = [m for m in messages if m["case_number"] == "SN-2026-00001"]
    assert {m["kind"] for m in secret} == {"case_opened", "document_registered"}
    assert all(m["secrecy"] and m["detail"] is None for m in secret)
    (registered_doc,) = [m for m in secret if m["kind"] == "document_registered"]
    assert registered_doc["short_text"].startswith("Handling SN-2026-00001-1 registrerad")
    assert registered_doc["organisation"] == "sn"
    assert registered_doc["main_case_number"] == "SN-2026-00001"

    (public_doc,) = [m for m in messages if m["case_number"] == "KS 2026/0001"
                     and m["kind"] == "document_registered"]
    assert not public_doc["secrecy"] and public_doc["detail"] == "Remiss om vattenplanen"
    assert public_doc["date"] == "2026-02-03" and public_doc["main_case_number"] == "KS 2026/0001"


def test_personnummer_only_when_asked_and_the_export_is_logged(registered: Config) -> None:
    with connect(open_engine(registered.registry_url)) as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(event)).scalar_one()
    text, messages = _jsonl(export_events(registered, include_personnummer=True,
                                          actor="kc-agent"))
    for m in messages:
        expected = PNR if m["case_number"] == "SN-2026-00001" else None
        assert m["personnummer"] == expected, m
    # Routing data only: the secret case still shows no protected text.
    assert NAME not in text and DESCRIPTION not in text
    assert all(m["detail"] is None for m in messages if m["secrecy"])
    with connect(open_engine(registered.registry_url)) as conn:
        rows = conn.execute(sa.select(event).where(event.c.seq > 0)
                            .order_by(event.c.seq.desc()).limit(1)).all()
        assert conn.execute(sa.select(sa.func.count()).select_from(event)).scalar_one() == \
            before + 1
        assert rows[0].kind == "events_exported" and rows[0].actor == "kc-agent"
        assert verify_chain(conn).ok


def test_public_mode_never_gives_personnummer(registered: Config,
                                              write_input: Callable[..., Path]) -> None:
    with pytest.raises(UsageError, match="personnummer"):
        export_events(registered, public=True, include_personnummer=True)
    # A public case about a person: detail is kept from a public feed.
    _register(registered, write_input(
        "k3;KS;;Synpunkt på snöröjning;1.1.4;ks-1.1.4-01;Inkommande;2026-03-10;Per Persson;"
        "Synpunkt om snöröjning på Storgatan;BB;;;19121212-1212\n", name="person.csv"))
    text, messages = _jsonl(export_events(registered, public=True))
    assert PNR not in text and NAME not in text
    about_person = [m for m in messages if m["case_number"] == "KS 2026/0003"]
    assert about_person and all(m["detail"] is None for m in about_person)
    (plain,) = [m for m in messages if m["case_number"] == "KS 2026/0001"
                and m["kind"] == "document_registered"]
    assert plain["detail"] == "Remiss om vattenplanen"
    staff = [m for m in export_events(registered) if m["case_number"] == "KS 2026/0003"
             and m["kind"] == "document_registered"]
    assert staff[0]["detail"] == "Synpunkt om snöröjning på Storgatan"


def test_since_and_until_filter_by_event_date(registered: Config) -> None:
    later = list(export_events(registered, since=date(2026, 3, 1)))
    assert later and {m["case_number"] for m in later} == {"KS 2026/0002"}
    assert all(m["date"] >= "2026-03-01" for m in later)
    earlier = list(export_events(registered, until=date(2026, 2, 28)))
    assert {m["case_number"] for m in earlier} == {"SN-2026-00001", "KS 2026/0001"}
    assert list(export_events(registered, since=date(2026, 2, 4), until=date(2026, 3, 9))) == []
    with pytest.raises(UsageError, match="after"):
        export_events(registered, since=date(2026, 3, 2), until=date(2026, 3, 1))


def test_since_a_datetime_filters_by_system_time(registered: Config) -> None:
    everything = list(export_events(registered))
    with connect(open_engine(registered.registry_url)) as conn:
        at = conn.execute(sa.select(event.c.at).where(
            event.c.id == everything[2]["event_id"])).scalar_one()
    assert at.tzinfo is not None
    assert [m["seq"] for m in export_events(registered, since=at)] == [
        m["seq"] for m in everything[2:]]
    assert [m["seq"] for m in export_events(registered, until=at)] == [
        m["seq"] for m in everything[:2]]
    assert list(export_events(registered, since=datetime(2999, 1, 1))) == []  # naive: Sweden
    assert len(list(export_events(registered, since=datetime(2000, 1, 1, tzinfo=UTC)))) == \
        len(everything)


def test_events_come_in_seq_order_whatever_the_batch_size(registered: Config) -> None:
    everything = list(export_events(registered))
    seqs = [m["seq"] for m in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # Only case events: registry housekeeping (organisations, plans) has no case number.
    assert all(m["case_number"] for m in everything)
    assert "plan_imported" not in {m["kind"] for m in everything}
    for size in (1, 2, 5):
        assert list(export_events(registered, batch_size=size)) == everything
    with pytest.raises(UsageError):
        export_events(registered, batch_size=0)


def test_kind_and_organisation_filters(registered: Config) -> None:
    opened = list(export_events(registered, kinds=["case_opened"]))
    assert [m["case_number"] for m in opened] == ["SN-2026-00001", "KS 2026/0001",
                                                  "KS 2026/0002"]
    sn = list(export_events(registered, org_id="sn"))
    assert sn and {m["organisation"] for m in sn} == {"sn"}


def test_atomic_file_output(registered: Config, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "events.jsonl"
    out.write_text("old\n", encoding="utf-8")
    n = write_jsonl_atomic(export_events(registered), out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert n == len(lines) == len(list(export_events(registered)))
    assert all(json.loads(line)["case_number"] for line in lines)
    assert [p.name for p in folder.iterdir()] == ["events.jsonl"]

    def broken() -> Any:
        yield from export_events(registered)
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError):
        write_jsonl_atomic(broken(), out)
    assert out.read_text(encoding="utf-8").splitlines() == lines
    assert [p.name for p in folder.iterdir()] == ["events.jsonl"]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-02-03", date(2026, 2, 3)),
    ("2026-02-03T10:00", datetime(2026, 2, 3, 10, 0)),
    ("2026-02-03T10:00:00+01:00", datetime.fromisoformat("2026-02-03T10:00:00+01:00")),
    ("2026-02-03T09:00:00Z", datetime(2026, 2, 3, 9, 0, tzinfo=UTC)),
])
def test_parse_bound(text: str, expected: date) -> None:
    assert parse_bound(text, "--since") == expected


def test_parse_bound_refuses_junk() -> None:
    with pytest.raises(UsageError, match="--since"):
        parse_bound("förra veckan", "--since")
