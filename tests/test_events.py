"""The event log's hash chain: appends from several connections keep one chain, and
`audit verify` finds an edited or deleted event (after the append-only guard is removed
by someone with database rights)."""

from __future__ import annotations

import sqlalchemy as sa

from diariekit.events import append_event, verify_chain
from diariekit.registry.engine import connect, open_engine, write_transaction
from diariekit.registry.migrate import upgrade
from diariekit.registry.schema import event


def _drop_guard(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER event_append_only_update")
        conn.exec_driver_sql("DROP TRIGGER event_append_only_delete")
    else:
        conn.exec_driver_sql("DROP TRIGGER event_append_only_row ON event")


def test_chain_spans_connections_and_detects_tampering(registry_url: str) -> None:
    engine = open_engine(registry_url)
    upgrade(engine)
    # Interleave two connections: a remembered chain head must never outlive its
    # transaction, or the second connection's events would be skipped over.
    with connect(engine) as a, connect(engine) as b:
        for i in range(3):
            with a.begin():
                append_event(a, kind="test", short_text=f"a{i}", actor="t")
            with b.begin():
                append_event(b, kind="test", short_text=f"b{i}", actor="t")
    with connect(engine) as conn:
        report = verify_chain(conn)
        assert report.ok and report.checked == 6
    with write_transaction(engine) as conn:
        _drop_guard(conn)
        conn.execute(sa.update(event).where(event.c.short_text == "a1")
                     .values(short_text="ändrad"))
    with connect(engine) as conn:
        codes = [f.code for f in verify_chain(conn).findings]
        assert codes == ["audit.event-altered"]
    with write_transaction(engine) as conn:
        conn.execute(sa.delete(event).where(event.c.short_text == "b1"))
    with connect(engine) as conn:
        codes = [f.code for f in verify_chain(conn).findings]
        assert "audit.chain-broken" in codes
    if engine.dialect.name == "sqlite":
        with write_transaction(engine) as conn:
            conn.execute(sa.delete(event).where(event.c.short_text == "b2"))
        with connect(engine) as conn:
            codes = [f.code for f in verify_chain(conn).findings]
            assert "audit.tail-deleted" in codes
