"""Case links (remiss, uppdrag, vidarebefordran) on a real registry (SQLite and PostgreSQL):
deadlines and follow-up, answers, forwarding, the huvudärendenummer, atomicity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from diariekit.caselinks import answer_link, link_case, list_links, overdue_links
from diariekit.config import Config
from diariekit.errors import InvalidInputError, PolicyError, UsageError
from diariekit.eventexport import export_events
from diariekit.events import verify_chain
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import case_, case_link, event

KS_CASES = (
    "k1;KS;vatten;Remiss om regional vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
    "Länsstyrelsen i Exempellän;Remiss;AA;;;\n"
    "k2;KS;vatten;;;ks-1.1.4-02;Inkommande;2026-02-03;Länsstyrelsen i Exempellän;"
    "Remissvar;AA;;;\n"
    "k3;KS;;Medborgarförslag om cykelväg;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
    "Medborgare;Förslag;BB;;;\n"
    "k4;KS;;Nedskräpning vid badplatsen;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
    "Anmälare;Anmälan;BB;;;\n"
)
SN_CASE = ("s1;SN;;Insats efter medborgarförslag;2.2.1;sn-2.2.1-01;Inkommande;2026-02-03;"
           "Kommunstyrelsen;Uppdrag;CC;;;\n")

VATTEN, CYKEL, SKRAP = "KS 2026/0001", "KS 2026/0002", "KS 2026/0003"


@pytest.fixture
def cases(registry: Config, write_input: Callable[..., Path],
          monkeypatch: pytest.MonkeyPatch) -> Config:
    """KS 2026/0001 (with a second document, the remissvar), 0002, 0003 and SN-2026-00001,
    registered on 2026-02-03."""
    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-02-03")
    path = write_input(KS_CASES + SN_CASE)
    report = register_rows(registry, read_intake(path), engine=open_engine(registry.registry_url),
                           source=str(path), actor="registrator")
    assert report.committed and report.errors == 0, report.findings
    return registry


def _case(config: Config, dnr: str) -> Any:
    with connect(open_engine(config.registry_url)) as conn:
        return conn.execute(sa.select(case_).where(case_.c.dnr == dnr)).one()


def _kinds(config: Config, dnr: str) -> list[str]:
    with connect(open_engine(config.registry_url)) as conn:
        return list(conn.execute(
            sa.select(event.c.kind).join(case_, case_.c.id == event.c.case_id)
            .where(case_.c.dnr == dnr).order_by(event.c.seq)).scalars())


def test_remiss_is_overdue_after_its_deadline_until_answered(
        cases: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    link = link_case(cases, VATTEN, "remiss", to_party="Länsstyrelsen i Exempellän",
                     due_on=date(2026, 2, 17), note="Yttrande om vattenplanen", actor="AA")
    assert link["kind"] == "remiss" and link["due"] == "2026-02-17"
    assert link["awaiting_answer"] and not link["overdue"] and link["case_status"] == "open"

    (only,) = list_links(cases, VATTEN, as_of=date(2026, 2, 17))
    assert only["id"] == link["id"] and not only["overdue"]
    assert overdue_links(cases, date(2026, 2, 17)) == []

    (late,) = overdue_links(cases, date(2026, 2, 20))
    assert late["id"] == link["id"] and late["from_case"] == VATTEN
    assert late["days_overdue"] == 3 and late["officer"] == "AA"
    assert list_links(cases, "KS 2026/1", as_of=date(2026, 2, 20))[0]["overdue"]

    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-02-20")
    answered = answer_link(cases, VATTEN, "länsstyrelsen i exempellän",
                           answered_on=date(2026, 2, 20), answer_doc_ref="KS 2026/0001-2")
    assert answered["answered"] == "2026-02-20" and answered["answer_doc"] == "KS 2026/0001-2"
    assert overdue_links(cases, date(2026, 3, 1)) == []
    (done,) = list_links(cases, VATTEN, as_of=date(2026, 3, 1))
    assert not done["overdue"] and not done["awaiting_answer"]
    assert _kinds(cases, VATTEN)[-2:] == ["remiss_sent", "remiss_answered"]
    with pytest.raises(PolicyError, match="already answered"):
        answer_link(cases, VATTEN, link["id"], answered_on=date(2026, 2, 20))
    with connect(open_engine(cases.registry_url)) as conn:
        assert verify_chain(conn).ok


def test_overdue_is_per_organisation_and_ignores_closed_cases(cases: Config) -> None:
    link_case(cases, VATTEN, "remiss", to_party="Länsstyrelsen", due_on=date(2026, 2, 10))
    link_case(cases, "SN-2026-1", "uppdrag", to_party="AME", due_on=date(2026, 2, 10),
              org_id="sn")
    assert [r["from_case"] for r in overdue_links(cases, date(2026, 3, 1))] == [VATTEN]
    assert [r["from_case"] for r in overdue_links(cases, date(2026, 3, 1), org_id="sn")] == [
        "SN-2026-00001"]
    from diariekit.cases import close_case

    close_case(cases, VATTEN, on=date(2026, 2, 3))
    assert overdue_links(cases, date(2026, 3, 1)) == []


def test_vidarebefordran_without_followup_marks_the_case_forwarded(cases: Config) -> None:
    result = link_case(cases, SKRAP, "vidarebefordran", to_party="Tekniska nämnden")
    assert result["case_status"] == "forwarded" and not result["awaiting_answer"]
    row = _case(cases, SKRAP)
    assert row.status == "forwarded" and row.closed_at == date(2026, 2, 3)
    assert row.closing_kind == "överlämnad"
    assert _kinds(cases, SKRAP)[-2:] == ["forwarded", "status_changed"]
    # Responsibility has passed: nothing is followed up, and the case cannot be sent on again.
    assert overdue_links(cases, date(2027, 1, 1)) == []
    with pytest.raises(PolicyError, match="forwarded"):
        link_case(cases, SKRAP, "remiss", to_party="Miljönämnden")


def test_vidarebefordran_with_followup_stays_open_until_klarmarkering(
        cases: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    link = link_case(cases, SKRAP, "vidarebefordran", to_party="Tekniska nämnden",
                     due_on=date(2026, 2, 28), keeps_followup=True)
    assert link["case_status"] == "open" and link["keeps_followup"]
    assert [r["id"] for r in overdue_links(cases, date(2026, 3, 2))] == [link["id"]]
    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-03-05")
    done = answer_link(cases, SKRAP, "Tekniska nämnden", answered_on=date(2026, 3, 5))
    assert done["case_status"] == "forwarded"
    row = _case(cases, SKRAP)
    assert row.status == "forwarded" and row.closed_at == date(2026, 3, 5)
    assert _kinds(cases, SKRAP)[-2:] == ["forward_completed", "status_changed"]


def test_link_to_a_case_here_sets_the_main_case_number(cases: Config) -> None:
    # KS commissions SN (another organisation of the registry); SN forwards on to KS 0002.
    first = link_case(cases, CYKEL, "uppdrag", to_ref="SN-2026-1", to_org_id="sn",
                      due_on=date(2026, 3, 31))
    assert first["to_case"] == "SN-2026-00001" and first["warnings"] == []
    ks = _case(cases, CYKEL)
    sn = _case(cases, "SN-2026-00001")
    assert sn.main_case_id == ks.id and ks.main_case_id is None
    # The recipient's own onward link keeps the originator's main case (flat, not a chain).
    link_case(cases, "SN-2026-1", "remiss", to_ref=VATTEN, to_org_id="ks", org_id="sn")
    assert _case(cases, VATTEN).main_case_id == ks.id
    assert "case_linked" in _kinds(cases, "SN-2026-00001")

    incoming = list_links(cases, "SN-2026-00001", org_id="sn")
    assert [(r["direction"], r["kind"]) for r in incoming] == [
        ("incoming", "uppdrag"), ("outgoing", "remiss")]

    mains = {(m["case_number"], m["main_case_number"]) for m in export_events(cases)}
    assert ("SN-2026-00001", CYKEL) in mains and (VATTEN, CYKEL) in mains
    assert (CYKEL, CYKEL) in mains and (SKRAP, SKRAP) in mains
    # Answering by the receiving case's number.
    answer_link(cases, CYKEL, "SN-2026-00001", answered_on=date(2026, 2, 3))
    assert list_links(cases, CYKEL)[0]["answered"] == "2026-02-03"


def test_a_recipient_that_was_a_main_case_moves_its_cases_along(cases: Config) -> None:
    link_case(cases, VATTEN, "remiss", to_ref=SKRAP)
    assert _case(cases, SKRAP).main_case_id == _case(cases, VATTEN).id
    link_case(cases, CYKEL, "uppdrag", to_ref=VATTEN)
    cykel = _case(cases, CYKEL).id
    assert _case(cases, VATTEN).main_case_id == cykel
    assert _case(cases, SKRAP).main_case_id == cykel


def test_a_recipient_with_another_main_case_keeps_it_with_a_warning(cases: Config) -> None:
    link_case(cases, VATTEN, "remiss", to_ref=SKRAP)
    result = link_case(cases, CYKEL, "remiss", to_ref=SKRAP)
    assert result["warnings"] and "already belongs" in result["warnings"][0]
    assert _case(cases, SKRAP).main_case_id == _case(cases, VATTEN).id


def _link_count(config: Config) -> tuple[int, int]:
    with connect(open_engine(config.registry_url)) as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(case_link)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).select_from(event)).scalar_one())


@pytest.mark.parametrize(("kwargs", "error", "text"), [
    ({"kind": "remiss"}, UsageError, "recipient"),
    ({"kind": "hemskickning", "to_party": "X"}, UsageError, "unknown link kind"),
    ({"kind": "remiss", "to_party": "X", "due_on": date(2026, 2, 1)}, InvalidInputError,
     "before the sending date"),
    ({"kind": "remiss", "to_party": "X", "sent_on": date(2026, 2, 4)}, InvalidInputError,
     "future"),
    ({"kind": "remiss", "to_ref": VATTEN}, InvalidInputError, "itself"),
    ({"kind": "remiss", "to_ref": "KS 2026/0099"}, InvalidInputError, "no case"),
])
def test_bad_links_are_refused_and_change_nothing(
        cases: Config, kwargs: dict[str, object], error: type[Exception], text: str) -> None:
    before = _link_count(cases)
    rest = dict(kwargs)
    kind = str(rest.pop("kind"))
    with pytest.raises(error, match=text):
        link_case(cases, VATTEN, kind, **rest)  # type: ignore[arg-type]
    assert _link_count(cases) == before


def test_answer_needs_a_known_single_link(cases: Config) -> None:
    link_case(cases, VATTEN, "remiss", to_party="Länsstyrelsen")
    link_case(cases, VATTEN, "uppdrag", to_party="Länsstyrelsen")
    with pytest.raises(InvalidInputError, match="no link"):
        answer_link(cases, VATTEN, "Trafikverket", answered_on=date(2026, 2, 3))
    with pytest.raises(InvalidInputError, match="several"):
        answer_link(cases, VATTEN, "Länsstyrelsen", answered_on=date(2026, 2, 3))
    first = list_links(cases, VATTEN)[0]
    with pytest.raises(UsageError, match="document number"):
        answer_link(cases, VATTEN, first["id"], answered_on=date(2026, 2, 3),
                    answer_doc_ref=VATTEN)
    before = _link_count(cases)
    with pytest.raises(InvalidInputError, match="no document"):
        answer_link(cases, VATTEN, first["id"], answered_on=date(2026, 2, 3),
                    answer_doc_ref="KS 2026/0001-9")
    assert _link_count(cases) == before
    done = answer_link(cases, VATTEN, first["id"][:8], answered_on=date(2026, 2, 3))
    assert done["id"] == first["id"] and done["kind"] == "remiss"
    assert _kinds(cases, VATTEN)[-1] == "remiss_answered"


def test_secret_case_short_text_does_not_name_the_recipient(
        cases: Config, write_input: Callable[..., Path]) -> None:
    path = write_input("s2;SN;;Utredning;2.2.1;sn-2.2.1-01;Inkommande;2026-02-03;Eva Ek;"
                       "Ansökan om bistånd;CC;;OSL 26:1;19121212-1212\n", name="secret.csv")
    register_rows(cases, read_intake(path), engine=open_engine(cases.registry_url),
                  source=str(path))
    link_case(cases, "SN-2026-2", "remiss", to_party="Familjerätten Annanstad", org_id="sn")
    with connect(open_engine(cases.registry_url)) as conn:
        text, detail = conn.execute(sa.select(event.c.short_text, event.c.detail)
                                    .where(event.c.kind == "remiss_sent")).one()
    assert "Familjerätten" not in text and "Familjerätten" in (detail or "")
