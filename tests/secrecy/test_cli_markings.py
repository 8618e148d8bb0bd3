"""``diariekit secrecy mark / unmark / show / review`` as a user runs them, on a real registry
(SQLite and PostgreSQL): provision forms, refusals that change nothing, max_until, events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from cli import run
from registries import HEAD, make_registry

from diariekit.config import Config
from diariekit.errors import DiariekitError
from diariekit.markings import (
    effective_markings,
    list_markings,
    mark,
    review_markings,
    unmark,
)
from diariekit.registry.engine import connect, sqlite_url_for_path, write_transaction
from diariekit.registry.schema import document, event, secrecy_marking
from diariekit.registry.session import open_registry

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
TODAY = {"DIARIEKIT_TODAY": "2026-03-01", "DIARIEKIT_USER": "registrator"}

# KS 2026/0001-1 (2026-02-03), -2 (2026-03-01); KS 2026/0002-1 (2024-02-29, leap day);
# SN-2026-00001-1 (2026-02-03, record type default OSL 26:1), SN-2026-00002-1 (public).
ROWS = (
    "k1;KS;r1;Remiss om vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;Länsstyrelsen;"
    "Remiss;AA;;;\n"
    "k2;KS;r1;;;ks-1.1.4-02;Utgående;2026-03-01;Länsstyrelsen;Yttrande;AA;;;\n"
    "k3;KS;r2;Rehabiliteringsärende;1.1.4;ks-1.1.4-01;Inkommande;2024-02-29;Företagshälsan;"
    "Läkarintyg;AA;;;\n"
    "k4;KS;r3;Anbud på IT-drift;1.1.4;ks-1.1.4-01;Inkommande;2026-02-10;Leverantören AB;"
    "Anbud;AA;files/anbud.txt;;\n"
)
SN_ROWS = (
    "s1;SN;c1;Ansökan om bistånd;;sn-1.2.1-04;Inkommande;2026-02-03;Anna Andersson;"
    "Ansökan;AA;;;19850312-1234\n"
    "s2;SN;c2;Rapport till IVO;;sn-1.1.1-01;Upprättad;2026-02-04;IVO;Kvartalsrapport;AA;;;\n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def reg(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Config]:
    """One registry per backend for the whole module, with a few registered documents."""
    folder = tmp_path_factory.mktemp("secrecy")
    if request.param == "sqlite":
        url = sqlite_url_for_path(folder / "registry.sqlite")
        name = None
    else:
        server = request.getfixturevalue("pg_server")
        name = f"dk_{uuid.uuid4().hex[:16]}"
        url = server.create_database(name)
    config = make_registry(folder / "reg", url)
    (folder / "files").mkdir()
    (folder / "files" / "anbud.txt").write_text("Anbud med priser.\n", encoding="utf-8")
    for rows, org in ((ROWS, "ks"), (SN_ROWS, "sn")):
        path = folder / f"{org}.csv"
        path.write_text(HEAD + rows, encoding="utf-8")
        done = run("--config", config.path, "register", path, "--org", org, env=TODAY)
        assert done.code == 0, done.text
    yield config
    open_registry(config).dispose()
    if name is not None:
        request.getfixturevalue("pg_server").drop_database(name)


def dk(config: Config, *args: str, env: dict[str, str] | None = None) -> Any:
    return run("--config", config.path, *args, env={**TODAY, **(env or {})})


def counts(config: Config) -> tuple[int, int, int]:
    """(markings, active markings, events) in the registry."""
    with connect(open_registry(config)) as conn:
        markings = conn.execute(sa.select(sa.func.count()).select_from(secrecy_marking)
                                ).scalar_one()
        active = conn.execute(sa.select(sa.func.count()).select_from(secrecy_marking)
                              .where(secrecy_marking.c.revoked_at.is_(None))).scalar_one()
        events = conn.execute(sa.select(sa.func.count()).select_from(event)).scalar_one()
    return markings, active, events


def events_of(config: Config, kind: str) -> list[Any]:
    with connect(open_registry(config)) as conn:
        return list(conn.execute(sa.select(event).where(event.c.kind == kind)
                                 .order_by(event.c.seq)))


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library calls below see the same today and user as the CLI runs."""
    for key, value in TODAY.items():
        monkeypatch.setenv(key, value)


MARKS = [
    # (provision as written, ref, options, normalised, target, max_until, through the CLI)
    ("OSL 26:1", "SN-2026-00002-1", ["--org", "sn", "--target", "description"], "OSL 26:1",
     "description", "2096-02-04", True),
    ("26 kap. 1 § OSL", "SN-2026-00002", ["--org", "sn"], "OSL 26:1", "case_title",
     "2096-02-04", False),
    ("26 kap 1§ offentlighets- och sekretesslagen", "KS 2026/0001-1", [], "OSL 26:1",
     "document", "2096-02-03", True),
    ("21:7", "KS 2026/0001-2", ["--target", "counterpart"], "OSL 21:7", "counterpart", None,
     False),
    ("OSL 39:3", "KS 2026/2-1", [], "OSL 39:3", "document", "2074-02-28", False),  # 29 Feb
    ("OSL 31:16 st. 1", "KS 2026/0001-1", ["--target", "counterpart"], "OSL 31:16 st. 1",
     "counterpart", "2046-02-03", False),
]


def _options(extra: list[str]) -> dict[str, str | None]:
    pairs = dict(zip(extra[::2], extra[1::2], strict=True))
    return {"org_id": pairs.get("--org"), "target": pairs.get("--target")}


@pytest.mark.parametrize(("written", "ref", "extra", "normalised", "target", "until", "cli"),
                         MARKS)
def test_mark_provision_forms(reg: Config, written: str, ref: str, extra: list[str],
                              normalised: str, target: str, until: str | None,
                              cli: bool) -> None:
    before = counts(reg)
    reason = "Uppgift om Anna Andersson 850312-1234"

    def do_mark(note: str | None) -> dict[str, Any]:
        if not cli:
            return mark(reg, ref, written, reason=note, actor="AA", **_options(extra))
        done = dk(reg, "secrecy", "mark", ref, "--provision", written, *extra,
                  *(["--reason", note] if note else []), "--by", "AA", "--json")
        assert done.code == 0, done.text
        result: dict[str, Any] = done.json()
        return result

    doc = do_mark(reason)
    assert doc["changed"] is True and doc["provision"] == normalised
    [m] = doc["markings"]
    assert (m["target"], m["provision"], m["max_until"]) == (target, normalised, until)
    assert m["marked_on"] == "2026-03-01" and m["marked_by"] == "AA" and m["note"] == reason
    assert m["marking_authority"] == ("sn" if "--org" in extra else "ks")
    assert counts(reg) == (before[0] + 1, before[1] + 1, before[2] + 1)
    marked = events_of(reg, "secrecy_marked")[-1]
    assert marked.actor == "AA" and normalised in marked.short_text \
        and doc["ref"] in marked.short_text
    assert "Anna" not in marked.short_text and "850312" not in marked.short_text
    assert marked.detail == reason and marked.payload["marking_id"] == m["id"]
    # The same marking again changes nothing: no new row, no event.
    again = do_mark(None)
    assert again["changed"] is False and again["markings"][0]["id"] == m["id"]
    assert counts(reg) == (before[0] + 1, before[1] + 1, before[2] + 1)
    shown = list_markings(reg, ref, org_id=_options(extra)["org_id"])
    assert m["id"] in {x["id"] for x in shown["markings"] if x["active"]}


REFUSED = [
    # (arguments, exit code, text the message must hold, through the CLI)
    (["KS 2026/0001-1", "--provision", "OSL 99:1"], 2, "--provision: chapter 99", False),
    (["KS 2026/0001-1", "--provision", "OSL 26:99"], 2, "--provision: OSL 26:99 is not", True),
    (["KS 2026/0001-1", "--provision", "OSL 3:1"], 2, "--provision: OSL 3:1 is not", False),
    (["KS 2026/0001-1", "--provision", "26 kap. OSL"], 2, "--provision", False),
    (["KS 2026/0001-1", "--provision", "SekrL 7:4"], 2, "sekretesslagen", False),
    (["KS 2026/0001-1", "--provision", "hemligt"], 2, "--provision", False),
    (["KS 2026/0001-1", "--provision", ""], 2, "--provision", False),
    (["KS 2026/0001", "--provision", "OSL 26:1", "--target", "document"], 2, "--target",
     False),
    (["KS 2026/0001-1", "--provision", "OSL 26:1", "--target", "case_title"], 2, "--target",
     False),
    (["KS 2026/0001-1", "--provision", "OSL 26:1", "--target", "file"], 1, "no files", False),
    (["KS 2026/0001-1", "--provision", "OSL 26:1", "--date", "2026-13-01"], 2, "--date", True),
    (["KS 2026/0001-1", "--provision", "OSL 26:1", "--date", "2026-01-01"], 2, "before",
     False),
    (["KS 2026/0001-1", "--provision", "OSL 26:1", "--date", "2027-01-01"], 2, "future",
     False),
    (["KS 2026/0099-1", "--provision", "OSL 26:1"], 1, "no case", True),
    (["KS 2026/0001-9", "--provision", "OSL 26:1"], 1, "no document", False),
    (["nonsens", "--provision", "OSL 26:1"], 1, "nonsens", False),
    (["KS 2026/0001-1"], 2, "--provision", True),
]


@pytest.mark.parametrize(("args", "code", "message", "cli"), REFUSED)
def test_mark_refused_changes_nothing(reg: Config, args: list[str], code: int,
                                      message: str, cli: bool) -> None:
    before = counts(reg)
    if cli:
        refused = dk(reg, "secrecy", "mark", *args)
        assert refused.code == code, refused.text
        assert message in refused.err, refused.err
    else:
        options = dict(zip(args[1::2], args[2::2], strict=True))
        when = options.get("--date")
        with pytest.raises(DiariekitError) as caught:
            mark(reg, args[0], options["--provision"], target=options.get("--target"),
                 on=date.fromisoformat(when) if when else None)
        assert int(caught.value.exit_code) == code and message in str(caught.value)
    assert counts(reg) == before


@pytest.mark.parametrize(("args", "code"), [
    (["KS 2026/0001-1", "--provision", "OSL 99:1"], 2),
    (["KS 2026/0099-1", "--provision", "OSL 26:1"], 1),
])
def test_mark_refused_as_json(reg: Config, args: list[str], code: int) -> None:
    refused = dk(reg, "secrecy", "mark", *args, "--json")
    assert refused.code == code
    assert refused.json()["exit_code"] == code and refused.json()["message"]


def test_unmark_keeps_the_marking_with_who_when_why(reg: Config) -> None:
    ref = "KS 2026/0001-2"
    marking_id = mark(reg, ref, "OSL 19:1")["markings"][0]["id"]
    before = counts(reg)
    revoked = dk(reg, "secrecy", "unmark", ref, "--provision", "19 kap. 1 § OSL",
                 "--reason", "Prövad: offentlig", "--by", "BB", "--json")
    assert revoked.code == 0, revoked.text
    [m] = revoked.json()["revoked"]
    assert m["id"] == marking_id and not m["active"]
    assert (m["revoked_by"], m["revoked_reason"]) == ("BB", "Prövad: offentlig")
    assert counts(reg) == (before[0], before[1] - 1, before[2] + 1)  # kept, not deleted
    last = events_of(reg, "secrecy_revoked")[-1]
    assert last.actor == "BB" and "OSL 19:1" in last.short_text
    assert "Prövad" not in last.short_text and last.detail == "Prövad: offentlig"
    # Again: nothing to revoke, nothing changed.
    again = unmark(reg, ref, provision="OSL 19:1", reason="x")
    assert again["changed"] is False and again["revoked"] == []
    assert counts(reg) == (before[0], before[1] - 1, before[2] + 1)
    shown = list_markings(reg, ref)["markings"]
    assert [x["revoked_reason"] for x in shown if x["id"] == marking_id] == ["Prövad: offentlig"]
    # Marking the same provision again is a new marking; revoke that one by its id.
    new = mark(reg, ref, "OSL 19:1")
    new_id = new["markings"][0]["id"]
    assert new["changed"] and new_id != marking_id
    by_id = dk(reg, "secrecy", "unmark", ref, "--id", new_id, "--reason", "Fel", "--json")
    assert by_id.code == 0 and [x["id"] for x in by_id.json()["revoked"]] == [new_id]


@pytest.mark.parametrize(("args", "code", "message", "cli"), [
    (["-p", "OSL 25:1", "--reason", "x"], 1, "no marking under OSL 25:1", True),
    (["-p", "OSL 99:1", "--reason", "x"], 2, "--provision", False),
    (["--id", "nope", "--reason", "x"], 1, "--id", False),
    (["-p", "OSL 26:1", "--id", "nope", "--reason", "x"], 2, "not both", False),
    (["-p", "OSL 26:1", "--reason", " "], 2, "--reason", False),
    (["-p", "OSL 26:1"], 2, "--reason", True),
])
def test_unmark_refused_changes_nothing(reg: Config, args: list[str], code: int,
                                        message: str, cli: bool) -> None:
    before = counts(reg)
    ref = "SN-2026-00001-1"
    if cli:
        refused = dk(reg, "secrecy", "unmark", ref, "--org", "sn", *args)
        assert refused.code == code, refused.text
        assert message in refused.err
    else:
        options = dict(zip(args[::2], args[1::2], strict=True))
        with pytest.raises(DiariekitError) as caught:
            unmark(reg, ref, org_id="sn", reason=options["--reason"],
                   provision=options.get("-p"), marking_id=options.get("--id"))
        assert int(caught.value.exit_code) == code and message in str(caught.value)
    assert counts(reg) == before


def test_explicit_marking_supersedes_the_default(reg: Config) -> None:
    ref = "SN-2026-00001-1"  # record type sn-1.2.1-04: default OSL 26:1 from registration
    shown = list_markings(reg, ref, org_id="sn")["markings"]
    [default] = [m for m in shown if m["default"]]
    assert default["provision"] == "OSL 26:1" and default["effective"]
    assert mark(reg, ref, "OSL 21:1", org_id="sn")["changed"]
    shown = list_markings(reg, ref, org_id="sn")["markings"]
    state = {m["provision"]: (m["default"], m["effective"]) for m in shown}
    assert state == {"OSL 26:1": (True, False), "OSL 21:1": (False, True)}
    table = dk(reg, "secrecy", "show", "SN-2026-00001", "--org", "sn")  # the case: all docs
    assert table.code == 0 and "superseded" in table.out and "explicit" in table.out


def test_mark_the_files_of_a_document(reg: Config) -> None:
    ref = "KS 2026/0003-1"  # 2026-02-10, one file
    done = mark(reg, ref, "OSL 19:3", target="file", reason="Anbudssekretess")
    [m] = done["markings"]
    assert done["changed"] and m["target"] == "file" and m["max_until"] == "2046-02-10"
    shown = list_markings(reg, ref)["markings"]
    assert [(x["target"], x.get("file"), x["effective"]) for x in shown] == [
        ("file", "anbud.txt", True)]
    [found] = [r for r in review_markings(reg, before=date(2046, 2, 11)) if r["id"] == m["id"]]
    assert (found["ref"], found["file"]) == (ref, "anbud.txt")
    assert mark(reg, ref, "OSL 19:3", target="file")["changed"] is False
    assert not effective_markings_of(reg, ref)  # a file's marking is not the entry's
    revoked = unmark(reg, ref, reason="Tilldelning klar")
    assert [x["id"] for x in revoked["revoked"]] == [m["id"]]


def effective_markings_of(config: Config, ref: str) -> list[Any]:
    with connect(open_registry(config)) as conn:
        doc_id = conn.execute(sa.select(document.c.id).where(document.c.ref == ref)).scalar_one()
        return effective_markings(conn, [doc_id]).get(doc_id, [])


def test_review(reg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = "KS 2026/0001-1"  # 2026-02-03; OSL 19:1 has 20 år → 2046-02-03
    marking_id = mark(reg, ref, "OSL 19:1")["markings"][0]["id"]

    def ids(before: date, org: str | None = None) -> list[str]:
        return [r["id"] for r in review_markings(reg, before=before, org_id=org)]

    assert marking_id not in ids(date(2046, 2, 3))
    assert marking_id in ids(date(2046, 2, 4))
    assert marking_id not in ids(date(2046, 2, 4), "sn")
    soon = dk(reg, "secrecy", "review", "--expiring-before", "2046-02-04", "--org", "ks",
              "--json")
    [item] = [r for r in soon.json() if r["id"] == marking_id]
    assert item == {"id": marking_id, "target": "document", "ref": ref,
                    "provision": "OSL 19:1", "marked_on": "2026-03-01",
                    "max_until": "2046-02-03", "max_until_source": "marking",
                    "expired": False, "marking_authority": "ks", "marked_by": "registrator",
                    "default": False}
    assert all(r["marking_authority"] == "ks" for r in soon.json())
    # Past its maximum: listed as expired whatever --expiring-before says.
    # Without --expiring-before: today + 90 days (2046-01-01 + 90 → 2046-04-01).
    text = dk(reg, "secrecy", "review", "--org", "ks", env={"DIARIEKIT_TODAY": "2046-01-01"})
    assert text.code == 0 and marking_id in text.out and "expiring" in text.out
    monkeypatch.setenv("DIARIEKIT_TODAY", "2046-02-04")
    found = review_markings(reg, before=date(2030, 1, 1), org_id="ks")
    assert [r["expired"] for r in found if r["id"] == marking_id] == [True]
    every = review_markings(reg, before=date(2030, 1, 1))
    assert [r for r in every if r["marking_authority"] == "sn"] == review_markings(
        reg, before=date(2030, 1, 1), org_id="sn")
    # Registration stores its default markings with max_until (the document's date + 70 år);
    # a marking stored without one (older registries) has it computed from the date.
    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-03-01")
    far = review_markings(reg, before=date(2096, 2, 4), org_id="sn")
    stored = [r for r in far if r["ref"] == "SN-2026-00001-1" and r["default"]]
    assert [(r["max_until"], r["max_until_source"]) for r in stored] == [
        ("2096-02-03", "marking")]
    with write_transaction(open_registry(reg)) as conn:
        conn.execute(sa.update(secrecy_marking).where(secrecy_marking.c.id == stored[0]["id"])
                     .values(max_until=None))
    far = review_markings(reg, before=date(2096, 2, 4), org_id="sn")
    computed = [r for r in far if r["id"] == stored[0]["id"]]
    assert [(r["max_until"], r["max_until_source"]) for r in computed] == [
        ("2096-02-03", "computed")]
    bad = dk(reg, "secrecy", "review", "--expiring-before", "soon")
    assert bad.code == 2 and "--expiring-before" in bad.err


def test_help_has_examples() -> None:
    for command in ("mark", "unmark", "show", "review"):
        shown = run("secrecy", command, "--help")
        assert shown.code == 0 and "Examples" in shown.out, command


def test_audit_verify_still_passes(reg: Config) -> None:
    # Every mark and unmark of this module appended to the same chain as registration.
    ref = "KS 2026/0002-1"
    mark(reg, ref, "OSL 21:1", target="description")
    unmark(reg, ref, provision="OSL 21:1", reason="Prövad")
    assert events_of(reg, "secrecy_marked") and events_of(reg, "secrecy_revoked")
    verified = dk(reg, "audit", "verify", "--json")
    assert verified.code == 0, verified.text
