"""Migrations, schema sync and database guards, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pgserver
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from diariekit.errors import ExitCode, RegistryError
from diariekit.registry import migrate, schema
from diariekit.registry.engine import (
    open_engine,
    sqlite_url_for_path,
    write_transaction,
)
from diariekit.registry.schema import GENESIS_HASH, metadata, new_id

EXPECTED_TABLES = {
    "organisation",
    "series",
    "series_counter",
    "plan",
    "plan_version",
    "plan_class",
    "record_type",
    "case_",
    "document",
    "file",
    "secrecy_marking",
    "hold",
    "case_link",
    "event",
    "disposal_batch",
    "disposal_item",
    "transfer",
    "transfer_package",
    "transfer_item",
}


@pytest.fixture
def engine(registry_url: str) -> Iterator[Engine]:
    """An engine on a fresh, empty database."""
    eng = open_engine(registry_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def migrated(engine: Engine) -> Engine:
    """An engine on a fresh database upgraded to head."""
    migrate.upgrade(engine)
    return engine


def _table_names(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


# --- upgrade and revision checks -----------------------------------------------------------


def test_upgrade_creates_all_tables(engine: Engine) -> None:
    assert _table_names(engine) == set()
    migrate.upgrade(engine)
    assert _table_names(engine) == EXPECTED_TABLES | {"alembic_version"}
    assert set(metadata.tables) == EXPECTED_TABLES
    assert migrate.current_revision(engine) == migrate.head_revision() == "0001"


def test_upgrade_twice_is_a_no_op(migrated: Engine) -> None:
    before = _schema_snapshot(migrated)
    migrate.upgrade(migrated)
    assert migrate.current_revision(migrated) == migrate.head_revision()
    assert _schema_snapshot(migrated) == before


def _schema_snapshot(engine: Engine) -> dict[str, Any]:
    inspector = sa.inspect(engine)
    return {
        name: (
            [c["name"] for c in inspector.get_columns(name)],
            sorted(i["name"] or "" for i in inspector.get_indexes(name)),
        )
        for name in inspector.get_table_names()
    }


def test_ensure_current_refuses_an_empty_database(engine: Engine) -> None:
    with pytest.raises(RegistryError) as info:
        migrate.ensure_current(engine)
    assert "registry needs migration: run `diariekit registry upgrade`" in info.value.message
    assert info.value.exit_code == ExitCode.REGISTRY


def test_ensure_current_passes_after_upgrade(migrated: Engine) -> None:
    migrate.ensure_current(migrated)


def test_ensure_current_refuses_a_newer_database(migrated: Engine) -> None:
    with migrated.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    with pytest.raises(RegistryError, match="registry is newer than this diariekit"):
        migrate.ensure_current(migrated)
    with pytest.raises(RegistryError, match="registry is newer than this diariekit"):
        migrate.upgrade(migrated)


def test_revisions_do_not_import_the_live_schema() -> None:
    for path in (migrate.MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "registry.schema" not in text and "import schema" not in text, path.name


# --- schema.py and the migrations agree ----------------------------------------------------


def _diffs(conn: Connection, target: sa.MetaData) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, target))


def test_schema_matches_migrated_database(migrated: Engine) -> None:
    with migrated.connect() as conn:
        assert _diffs(conn, metadata) == []


def test_schema_comparison_notices_a_difference(migrated: Engine) -> None:
    # Guards the guard: a column added to the metadata only must show up as a diff.
    changed = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["case_"].append_column(sa.Column("not_migrated", sa.Text()))
    with migrated.connect() as conn:
        diffs = _diffs(conn, changed)
    assert [d[0] for d in diffs] == ["add_column"]


# --- the event log is append-only ----------------------------------------------------------


def _insert_event(conn: Connection) -> None:
    conn.execute(
        schema.event.insert().values(
            event_date=date(2026, 2, 3),
            actor="AA",
            kind="case_opened",
            short_text="Ärende öppnat",
            prev_hash=GENESIS_HASH,
            hash="a" * 64,
        )
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE event SET short_text = 'ändrad'",
        "DELETE FROM event",
    ],
    ids=["update", "delete"],
)
def test_event_rejects_update_and_delete(migrated: Engine, statement: str) -> None:
    with migrated.begin() as conn:
        _insert_event(conn)
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), migrated.begin() as conn:
        conn.execute(sa.text(statement))
    with migrated.connect() as conn:
        rows = conn.execute(sa.select(schema.event.c.short_text)).all()
    assert rows == [("Ärende öppnat",)]


@pytest.mark.postgres
def test_event_rejects_truncate_on_postgresql(pg_server: pgserver.PostgresServer) -> None:
    name = f"dk_{uuid.uuid4().hex[:16]}"
    eng = open_engine(pg_server.create_database(name))
    try:
        migrate.upgrade(eng)
        with eng.begin() as conn:
            _insert_event(conn)
        with pytest.raises(sa.exc.IntegrityError, match="append-only"), eng.begin() as conn:
            conn.execute(sa.text("TRUNCATE event"))
    finally:
        eng.dispose()
        pg_server.drop_database(name)


def test_event_seq_is_monotonic(migrated: Engine) -> None:
    with migrated.begin() as conn:
        for n in range(3):
            conn.execute(
                schema.event.insert().values(
                    event_date=date(2026, 2, 3), actor="AA", kind="k", short_text=str(n),
                    prev_hash=str(n) * 64, hash=str(n + 1) * 64,
                )
            )
    with migrated.connect() as conn:
        rows = conn.execute(
            sa.select(schema.event.c.seq, schema.event.c.short_text).order_by(schema.event.c.seq)
        ).all()
    assert [r.short_text for r in rows] == ["0", "1", "2"]
    assert rows[0].seq < rows[1].seq < rows[2].seq


# --- constraints ---------------------------------------------------------------------------


def _organisation(conn: Connection, code: str = "SN") -> str:
    org_id = new_id()
    conn.execute(
        schema.organisation.insert().values(
            id=org_id, code=code, name="Socialnämnden i Exempelby", kind="nämnd",
            orgnr="212000-0000",
        )
    )
    return org_id


def _series(conn: Connection, org_id: str, code: str = "SN") -> str:
    series_id = new_id()
    conn.execute(
        schema.series.insert().values(
            id=series_id, organisation_id=org_id, code=code,
            dnr_template="{series} {year}/{number:04d}", active_from=date(2020, 1, 1),
        )
    )
    return series_id


def _case(conn: Connection, org_id: str, series_id: str, number: int, dnr: str) -> str:
    case_id = new_id()
    conn.execute(
        schema.case_.insert().values(
            id=case_id, organisation_id=org_id, series_id=series_id, year=2026, number=number,
            dnr=dnr, title="Klagomål på hemtjänst", opened_at=date(2026, 2, 3),
        )
    )
    return case_id


def _document(conn: Connection, org_id: str, case_id: str, seq: int, ref: str) -> None:
    conn.execute(
        schema.document.insert().values(
            organisation_id=org_id, case_id=case_id, seq=seq, ref=ref, direction="incoming",
            description="Klagomål", counterpart="Enskild", date_received=date(2026, 2, 3),
            registered_by="AA",
        )
    )


@pytest.fixture
def sn_case(migrated: Engine) -> tuple[str, str, str]:
    """(organisation id, series id, case id) of case SN 2026/0042."""
    with migrated.begin() as conn:
        org_id = _organisation(conn)
        series_id = _series(conn, org_id)
        case_id = _case(conn, org_id, series_id, 42, "SN 2026/0042")
    return org_id, series_id, case_id


def test_case_number_is_unique_per_series_and_year(
    migrated: Engine, sn_case: tuple[str, str, str]
) -> None:
    org_id, series_id, _ = sn_case
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as conn:
        _case(conn, org_id, series_id, 42, "SN 2026/42")


def test_dnr_is_unique_per_organisation(
    migrated: Engine, sn_case: tuple[str, str, str]
) -> None:
    org_id, _, _ = sn_case
    with migrated.begin() as conn:
        other_series = _series(conn, org_id, "SN2")
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as conn:
        _case(conn, org_id, other_series, 1, "SN 2026/0042")
    # Another organisation may use the same dnr text.
    with migrated.begin() as conn:
        other_org = _organisation(conn, "BUN")
        _case(conn, other_org, _series(conn, other_org, "SN"), 42, "SN 2026/0042")


def test_document_seq_is_unique_per_case(
    migrated: Engine, sn_case: tuple[str, str, str]
) -> None:
    org_id, _, case_id = sn_case
    with migrated.begin() as conn:
        _document(conn, org_id, case_id, 1, "SN 2026/0042-1")
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as conn:
        _document(conn, org_id, case_id, 1, "SN 2026/0042-1b")
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as conn:
        _document(conn, org_id, case_id, 2, "SN 2026/0042-1")


def test_row_ref_is_unique_per_plan_version(migrated: Engine) -> None:
    with migrated.begin() as conn:
        org_id = _organisation(conn)
        plan_id = new_id()
        conn.execute(schema.plan.insert().values(id=plan_id, organisation_id=org_id,
                                                 title="Dokumenthanteringsplan"))
        versions = []
        for version in ("2024-1", "2025-1"):
            version_id = new_id()
            conn.execute(schema.plan_version.insert().values(
                id=version_id, plan_id=plan_id, version=version, title="Plan",
                status="adopted", adoption_ref="SN 2024/15 § 12",
            ))
            versions.append(version_id)
        for version_id in versions:  # the same row_ref in two versions is fine
            conn.execute(schema.record_type.insert().values(
                plan_version_id=version_id, row_ref="2.3.2/klagomål", name="Klagomål",
                retention={"action": "dispose", "amount": 2, "unit": "år"},
            ))
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as conn:
        conn.execute(schema.record_type.insert().values(
            plan_version_id=versions[0], row_ref="2.3.2/klagomål", name="Klagomål igen",
        ))


def test_foreign_keys_are_enforced(migrated: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as conn:
        _series(conn, new_id())


def test_enumerated_values_are_checked(migrated: Engine, sn_case: tuple[str, str, str]) -> None:
    _, _, case_id = sn_case
    with pytest.raises(sa.exc.IntegrityError), migrated.begin() as conn:
        conn.execute(schema.case_.update().where(schema.case_.c.id == case_id)
                     .values(status="lost"))


# --- values round-trip alike on both backends ----------------------------------------------


def test_timestamps_and_json_round_trip(migrated: Engine, sn_case: tuple[str, str, str]) -> None:
    _, _, case_id = sn_case
    stockholm = timezone(timedelta(hours=1))
    at = datetime(2026, 2, 3, 0, 30, tzinfo=stockholm)
    with migrated.begin() as conn:
        conn.execute(schema.case_.update().where(schema.case_.c.id == case_id).values(
            voided_at=at, attributes={"källa": "e-post", "nr": [1, 2]},
        ))
    with migrated.connect() as conn:
        row = conn.execute(sa.select(schema.case_).where(schema.case_.c.id == case_id)).one()
    assert row.voided_at == at
    assert row.voided_at.tzinfo == UTC
    assert row.voided_at.hour == 23 and row.voided_at.day == 2
    assert row.registered_at.tzinfo == UTC
    assert row.attributes == {"källa": "e-post", "nr": [1, 2]}
    assert row.title_protected is None


def test_naive_timestamps_are_refused(migrated: Engine, sn_case: tuple[str, str, str]) -> None:
    _, _, case_id = sn_case
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), migrated.begin() as conn:
        conn.execute(schema.case_.update().where(schema.case_.c.id == case_id)
                     .values(voided_at=datetime(2026, 2, 3, 12, 0)))


# --- engine --------------------------------------------------------------------------------


def test_write_transaction_commits_and_rolls_back(migrated: Engine) -> None:
    with write_transaction(migrated) as conn:
        _organisation(conn, "KS")
    with pytest.raises(RuntimeError), write_transaction(migrated) as conn:
        _organisation(conn, "BUN")
        raise RuntimeError("abort")
    with migrated.connect() as conn:
        codes = conn.execute(sa.select(schema.organisation.c.code)).scalars().all()
    assert codes == ["KS"]


def test_write_transaction_takes_the_sqlite_write_lock_at_once(tmp_path: Path) -> None:
    path = tmp_path / "registry.sqlite"
    eng = open_engine(sqlite_url_for_path(path))
    try:
        migrate.upgrade(eng)
        with write_transaction(eng) as conn:
            conn.execute(sa.text("SELECT 1"))  # a read only: BEGIN IMMEDIATE already locked
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        eng.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    eng = open_engine(sqlite_url_for_path(tmp_path / "r.sqlite"))
    try:
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        eng.dispose()


def test_unreachable_postgresql_is_a_registry_error_without_password() -> None:
    with pytest.raises(RegistryError) as info:
        open_engine("postgresql://diariekit:hemligt@127.0.0.1:1/registry")
    message = str(info.value)
    assert "cannot connect to registry" in message
    assert "127.0.0.1:1/registry" in message
    assert "hemligt" not in message
    assert info.value.exit_code == ExitCode.REGISTRY


def test_unopenable_sqlite_file_is_a_registry_error(tmp_path: Path) -> None:
    url = sqlite_url_for_path(tmp_path / "missing-dir" / "registry.sqlite")
    with pytest.raises(RegistryError, match="cannot connect to registry"):
        open_engine(url)


def test_unsupported_url_is_a_registry_error() -> None:
    with pytest.raises(RegistryError, match="unsupported registry URL"):
        open_engine("mysql://u:p@localhost/db")


def test_head_revision_read_without_alembic_matches_alembic() -> None:
    from alembic.script import ScriptDirectory

    from diariekit.registry.migrate import _known_revisions, alembic_config, head_revision

    script = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == script.get_current_head()
    assert _known_revisions() == {r.revision for r in script.walk_revisions()}
