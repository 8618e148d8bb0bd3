"""The fast paths of bulk registration store exactly what the ordinary ones stored: rows
inserted with ``insert_many`` equal those of ``conn.execute(table.insert(), rows)`` byte for
byte, and event hashes and intake hashes are unchanged (both are stored, so a change would
break ``audit verify`` and idempotence for existing registries)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from diariekit.config import Config
from diariekit.events import event_hash, insert_many
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import (
    SQLITE_CACHE_KIB,
    connect,
    open_engine,
    sqlite_url_for_path,
    write_transaction,
)
from diariekit.registry.schema import (
    case_,
    document,
    event,
    new_id,
    organisation,
    secrecy_marking,
    series,
)


def test_sqlite_connections_cache_more_and_stay_durable(tmp_path: Path) -> None:
    engine = open_engine(sqlite_url_for_path(tmp_path / "registry.sqlite"))
    with connect(engine) as conn:
        def pragma(name: str) -> object:
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("cache_size") == -SQLITE_CACHE_KIB and SQLITE_CACHE_KIB > 2000
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL: a committed batch survives a power cut
        assert pragma("foreign_keys") == 1
    engine.dispose()


# Computed with the implementation before the fast paths (json.dumps per event); the chain
# of every existing registry depends on this value.
EVENT = {
    "id": "01JDQZ8X5C3V9T2M4N6P8R0S1A",
    "at": datetime(2026, 11, 28, 0, 30, 5, 123456, tzinfo=UTC),
    "event_date": date(2026, 11, 27), "actor": "Åsa Öberg", "kind": "document_registered",
    "organisation_id": "3f0c6a4e-1b2d-4c5e-8f90-a1b2c3d4e5f6",
    "case_id": "01JDQZ8X5C3V9T2M4N6P8R0S1B", "main_case_id": None,
    "document_id": "01JDQZ8X5C3V9T2M4N6P8R0S1C",
    "short_text": 'Handling KS 2026/0042-3 registrerad: Yttrande – "remiss"',
    "detail": "rad 1\nrad 2 ✓", "link": None, "person_ref": "19800101-1234",
    "payload": {"secrecy": ["OSL 26:1"], "direction": "incoming", "files": 2,
                "nested": {"b": 1, "a": [None, True, 1.5]}},
    "prev_hash": "0" * 64, "hash": "not hashed", "seq": 7,
}


def test_event_hash_is_unchanged() -> None:
    assert event_hash(EVENT) == (
        "5a0d093c2eb4461e58aa997f662ba757027cc58652ba6200b964818b6543c387")
    # As read back from the registry: dates as text, fields left out as None.
    assert event_hash({"kind": "x", "short_text": "y", "at": "2026-01-01T00:00:00+00:00",
                       "event_date": "2026-01-01"}) == (
        "6060dadb63337d61d2b28a2073e40fea211355784d8a9db5ac0882a1f0680d55")
    with pytest.raises(TypeError):
        event_hash({**EVENT, "detail": object()})


def _raw(conn: sa.Connection, table: sa.Table, row_id: str) -> dict[str, Any]:
    """The row as the database holds it (``text()``: no type processing on the way out)."""
    row = conn.execute(sa.text(f"SELECT * FROM {table.name} WHERE id = :id"),
                       {"id": row_id}).mappings().one()
    return dict(row)


def test_insert_many_stores_what_sqlalchemy_stores(registry: Config) -> None:
    engine = open_engine(registry.registry_url)
    at = datetime(2026, 11, 28, 1, 2, 3, 456789, tzinfo=UTC)
    with write_transaction(engine) as conn:
        org_id, series_id = conn.execute(
            sa.select(organisation.c.id, series.c.id)
            .join(series, series.c.organisation_id == organisation.c.id)
            .where(organisation.c.code == "ks")).one()

        def case_row(n: int) -> dict[str, Any]:
            return {"id": new_id(), "organisation_id": org_id, "dnr": f"KS 2026/{n:04d}",
                    "raw_ref": None, "series_id": series_id, "year": 2026, "number": n,
                    "title": "Ärende om åäö", "class_code": None, "status": "open",
                    "opened_at": date(2026, 2, 3), "officer": "AA", "unit": None,
                    "initiative": "eget", "registered_by": "t", "person_ref": None,
                    "attributes": {"extra": {"Kolumn": "värde"}}, "registered_at": at,
                    "last_document_seq": 1}

        def document_row(n: int, case_id: str) -> dict[str, Any]:
            return {"id": new_id(), "organisation_id": org_id, "case_id": case_id, "seq": 1,
                    "ref": f"KS 2026/{n:04d}-1", "raw_ref": None, "direction": "incoming",
                    "record_type_id": None, "document_type": None, "description": "Remiss",
                    "description_protected": None, "counterpart": "Länsstyrelsen",
                    "counterpart_protected": None, "date_received": date(2026, 2, 3),
                    "date_drawn_up": None, "date_dispatched": None, "registered_by": "t",
                    "external_id": f"e{n}", "intake_hash": "ab" * 32,
                    "due_basis": {"row_ref": "ks-1", "plan_version_id": "p"},
                    "attributes": None, "registered_at": at}

        def marking_row(document_id: str) -> dict[str, Any]:
            return {"id": new_id(), "target": "document", "target_id": document_id,
                    "provision": "OSL 26:1", "marked_on": date(2026, 2, 3),
                    "marking_authority_id": org_id, "marked_by": "t", "note": None,
                    "created_at": at, "provision_known": False}

        def event_row(case_id: str, document_id: str, n: int) -> dict[str, Any]:
            return {"id": new_id(), "at": at, "event_date": date(2026, 2, 3), "actor": "t",
                    "kind": "test", "organisation_id": org_id, "case_id": case_id,
                    "main_case_id": None, "document_id": document_id, "short_text": "å",
                    "detail": None, "link": None, "person_ref": None,
                    "payload": {"files": 0, "secrecy": ["OSL 26:1"]}, "prev_hash": "0" * 64,
                    "hash": f"{n:064x}"}

        pairs: list[tuple[sa.Table, str, str]] = []
        rows: dict[str, list[dict[str, Any]]] = {"sa": [], "fast": []}
        for way, n in (("sa", 9001), ("fast", 9002)):
            c = case_row(n)
            d = document_row(n, c["id"])
            m = marking_row(d["id"])
            e = event_row(c["id"], d["id"], n)
            rows[way] = [c, d, m, e]
        for table, a, b in zip((case_, document, secrecy_marking, event), rows["sa"],
                               rows["fast"], strict=True):
            conn.execute(table.insert(), [a])
            insert_many(conn, table, [b])
            pairs.append((table, a["id"], b["id"]))
        # Columns left out: Python-side defaults filled (ids, timestamps), server defaults
        # left to the database.
        bare = {"organisation_id": org_id, "dnr": "KS 2026/9003", "series_id": series_id,
                "year": 2026, "number": 9003, "title": "t", "opened_at": date(2026, 2, 3)}
        conn.execute(case_.insert(), [{**bare}])
        insert_many(conn, case_, [{**bare, "dnr": "KS 2026/9004", "number": 9004}])
        left_out = {r.number: r for r in conn.execute(
            sa.select(case_).where(case_.c.number.in_([9003, 9004])))}
        with pytest.raises((ValueError, sa.exc.StatementError)):
            insert_many(conn, case_, [{**bare, "dnr": "KS 2026/9005", "number": 9005},
                                      {k: v for k, v in bare.items() if k != "title"}])

    with connect(engine) as conn:
        for table, a_id, b_id in pairs:
            a, b = _raw(conn, table, a_id), _raw(conn, table, b_id)
            for differing in ("id", "dnr", "number", "ref", "external_id", "case_id",
                              "document_id", "target_id", "hash", "seq"):
                a.pop(differing, None)
                b.pop(differing, None)
            assert a == b, table.name
    sa_made, fast_made = left_out[9003], left_out[9004]
    assert len(fast_made.id) == len(sa_made.id) == 36 and fast_made.id != sa_made.id
    assert fast_made.status == sa_made.status == "open"
    assert fast_made.last_document_seq == sa_made.last_document_seq == 0
    assert fast_made.registered_at.tzinfo is UTC
    assert abs((fast_made.registered_at - sa_made.registered_at).total_seconds()) < 60


# The intake hash of this row as the implementation before the fast paths stored it: a row
# registered then must still be recognised (skipped) when the same input comes again.
ROW = ("ext-1;KS;;Remiss om \"vattenplan\" – åäö;1.1.4;ks-1.1.4-01;Inkommande;2026-02-03;"
       "Länsstyrelsen i Exempellän;Remiss ✓;AA;;;\n")
ROW_INTAKE_HASH = "decb2c1ea4a62775f3496d879f7dfcfda7753c2d58bcf687e79a9a83446a97e7"


def test_intake_hash_is_unchanged(registry: Config, write_input: Callable[..., Path]) -> None:
    path = write_input(ROW)
    engine = open_engine(registry.registry_url)
    report = register_rows(registry, read_intake(path), engine=engine, source=str(path))
    assert report.committed and report.count("registered") == 1
    with connect(engine) as conn:
        stored = conn.execute(sa.select(document.c.intake_hash)
                              .where(document.c.external_id == "ext-1")).scalar_one()
    assert stored == ROW_INTAKE_HASH
