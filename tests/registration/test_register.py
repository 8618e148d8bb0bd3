"""Bulk registration on a real registry (SQLite and PostgreSQL): numbers, classification,
files, idempotence, all-or-nothing, partial, dry run, and row-level errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from diariekit.config import Config
from diariekit.errors import UnreadableInputError
from diariekit.events import verify_chain
from diariekit.files.store import ContentStore
from diariekit.registration.intake import read_intake
from diariekit.registration.register import RegistrationReport, register_rows
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import case_, document, event, file, secrecy_marking

GOOD = (
    "k1;KS;remiss-1;Remiss om regional vattenplan;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
    "Länsstyrelsen i Exempellän;Remiss;AA;files/brev.pdf;;\n"
    "k2;KS;remiss-1;;;ks-1.1.4-02;Utgående;2026-03-01;Länsstyrelsen i Exempellän;Yttrande;"
    "AA;;;\n"
    "k3;KS;;Ansökan om tjänst som handläggare;2.2.1;ks-2.2.1-02;Inkommande;2026-02-10;"
    "Eva Ek;Ansökan;BB;files/notering.txt;;\n"
)


def _run(config: Config, path: Path, **kw: object) -> RegistrationReport:
    engine = open_engine(config.registry_url)
    return register_rows(config, read_intake(path), engine=engine, source=str(path),
                         **kw)  # type: ignore[arg-type]


def _counts(config: Config) -> tuple[int, int, int, int]:
    with connect(open_engine(config.registry_url)) as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (case_, document, file, event))  # type: ignore[return-value]


def test_registers_cases_documents_and_files(registry: Config,
                                             write_input: Callable[..., Path]) -> None:
    report = _run(registry, write_input(GOOD), actor="registrator")
    assert report.committed and report.errors == 0
    refs = [o.ref for o in report.outcomes]
    assert refs == ["KS 2026/0001-1", "KS 2026/0001-2", "KS 2026/0002-1"]
    with connect(open_engine(registry.registry_url)) as conn:
        cases = conn.execute(sa.select(case_.c.dnr, case_.c.number, case_.c.class_code)
                             .order_by(case_.c.number)).all()
        assert [(c.dnr, c.number, c.class_code) for c in cases] == [
            ("KS 2026/0001", 1, "1.1.4"), ("KS 2026/0002", 2, "2.2.1")]
        f = conn.execute(sa.select(file)).all()
        assert {r.mime for r in f} == {"application/pdf", "text/plain"}
        assert {r.pronom_puid for r in f} == {"fmt/17", "x-fmt/111"}
        store = ContentStore(registry.storage_path)
        assert all(store.exists(r.sha256) for r in f)
        # OSL 39:3 is the plan's default secrecy for ansökningshandlingar: the register keeps
        # the name in the protected column and shows a neutral public form.
        doc = conn.execute(sa.select(document).where(document.c.ref == "KS 2026/0002-1")).one()
        assert doc.counterpart_protected == "Eva Ek" and doc.counterpart != "Eva Ek"
        marks = conn.execute(sa.select(secrecy_marking.c.provision)).scalars().all()
        assert "OSL 39:3" in marks
        assert verify_chain(conn).ok


def test_running_twice_registers_nothing_twice(registry: Config,
                                               write_input: Callable[..., Path]) -> None:
    path = write_input(GOOD)
    _run(registry, path)
    before = _counts(registry)
    again = _run(registry, path)
    assert again.count("skipped") == 3 and again.count("registered") == 0
    assert _counts(registry) == before


def test_duplicate_external_id_with_other_content_is_refused(
        registry: Config, write_input: Callable[..., Path]) -> None:
    _run(registry, write_input(GOOD))
    before = _counts(registry)
    changed = write_input(GOOD.replace("Ansökan om tjänst", "Ansökan om annan tjänst"),
                          name="changed.csv")
    report = _run(registry, changed)
    assert not report.committed
    errors = [f for f in report.findings if f.severity == "error"]
    assert len(errors) == 1 and errors[0].location.line == 4
    assert errors[0].location.field == "external_id"
    assert "other content" in errors[0].message
    assert _counts(registry) == before


@pytest.mark.parametrize(("row", "field", "text"), [
    ("x1;KS;;Titel;1.1.4;ks-1.1.4-01;Inkommande;2026-13-40;A;B;AA;;;\n", "date", "not a date"),
    ("x1;KS;;Titel;9.9;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;;;\n", "class",
     "not in the plan"),
    ("x1;KS;;Titel;1.1.4;ks-9-99;Inkommande;2026-02-01;A;B;AA;;;\n", "record_type",
     "not in the plan"),
    ("x1;KS;;Titel;1.1.4;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;files/saknas.pdf;;\n",
     "files", "file not found"),
    ("x1;KS;;Titel;1.1.4;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;../../etc/passwd;;\n",
     "files", "escapes"),
    ("x1;KS;;Titel;1.1.4;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;/etc/passwd;;\n",
     "files", "absolute"),
    ("x1;XX;;Titel;1.1.4;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;;;\n", "series",
     "unknown series"),
    ("x1;KS;;Titel;1.1.4;ks-1.1.4-01;Sidledes;2026-02-01;A;B;AA;;;\n", "direction",
     "unknown direction"),
    ("x1;KS;;Titel;1.1.4;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;;OSL 99:1;\n", "secrecy",
     "chapter"),
    ("x1;KS;;;1.1.4;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;;;\n", "case_title", "title"),
])
def test_bad_row_refuses_the_batch_and_changes_nothing(
        registry: Config, write_input: Callable[..., Path], row: str, field: str,
        text: str) -> None:
    before = _counts(registry)
    report = _run(registry, write_input(GOOD + row))
    assert not report.committed
    errors = [f for f in report.findings if f.severity == "error"]
    assert len(errors) == 1, errors
    assert errors[0].location.line == 5 and errors[0].location.field == field
    assert text in errors[0].message
    assert _counts(registry) == before
    assert list(ContentStore(registry.storage_path).iter_objects()) == []


def test_partial_keeps_good_rows(registry: Config, write_input: Callable[..., Path]) -> None:
    bad = "x1;KS;;Titel;9.9;ks-1.1.4-01;Inkommande;2026-02-01;A;B;AA;;;\n"
    report = _run(registry, write_input(bad + GOOD), partial=True)
    assert report.committed
    assert report.count("registered") == 3 and report.count("error") == 1
    # The refused row allocated no number: the good rows are numbered from 1, gapless.
    assert [o.ref for o in report.outcomes if o.ref] == [
        "KS 2026/0001-1", "KS 2026/0001-2", "KS 2026/0002-1"]


def test_dry_run_changes_nothing(registry: Config, write_input: Callable[..., Path]) -> None:
    before = _counts(registry)
    report = _run(registry, write_input(GOOD), dry_run=True)
    assert report.count("would register") == 3 and not report.committed
    assert _counts(registry) == before


def test_cp1252_input_is_read(registry: Config, write_input: Callable[..., Path]) -> None:
    report = _run(registry, write_input(GOOD, encoding="cp1252"))
    assert report.committed and report.count("registered") == 3


def test_utf16_without_bom_is_unreadable(registry: Config,
                                         write_input: Callable[..., Path]) -> None:
    with pytest.raises(UnreadableInputError):
        _run(registry, write_input(GOOD, encoding="utf-16-le"))


def test_numbers_continue_across_batches(registry: Config,
                                         write_input: Callable[..., Path]) -> None:
    _run(registry, write_input(GOOD))
    more = GOOD.replace("k1;", "m1;").replace("k2;", "m2;").replace("k3;", "m3;").replace(
        "remiss-1", "remiss-2")
    report = _run(registry, write_input(more, name="more.csv"))
    assert [o.case for o in report.outcomes] == ["KS 2026/0003", "KS 2026/0003",
                                                 "KS 2026/0004"]


def test_json_lines_and_folder_sidecar(registry: Config, write_input: Callable[..., Path]
                                       ) -> None:
    import json

    folder = write_input("").parent
    rows = [{"external_id": "e1", "series": "KS", "case_title": "Medborgarförslag om parkbänkar",
             "class": "1.1.2", "record_type": "ks-1.1.2-03", "direction": "Inkommande",
             "date": "2026-04-01", "counterpart": "Medborgare", "description": "Förslag",
             "files": ["files/brev.pdf"]},
            {"Externt id": "e2", "Serie": "KS", "Ärendemening": "Motion om cykelvägar",
             "Klass": "1.1.2", "Handlingstyp": "ks-1.1.2-02", "Riktning": "Inkommande",
             "Datum": "2026-04-02", "Avsändare": "Ledamot", "Beskrivning": "Motion"}]
    jsonl = folder / "in.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                     encoding="utf-8")
    report = _run(registry, jsonl)
    assert report.committed and report.count("registered") == 2
    (folder / "metadata.json").write_text(json.dumps(rows, ensure_ascii=False),
                                          encoding="utf-8")
    again = _run(registry, folder)
    assert again.count("skipped") == 2  # same rows, same files: already registered
