"""Organisations (arkivbildare) and their diarium series (diarieserier) in the registry.

The config is where organisations and series are declared; :func:`sync_organisations`
brings the registry in line (adds what is new, updates names and formats) and records
each change as an event. It never deletes: a series removed from the config stays in
the registry, because numbers were allocated in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.clock import today
from diariekit.config import Config, OrganisationConfig, SeriesConfig
from diariekit.errors import ConfigError
from diariekit.events import append_event
from diariekit.registry.schema import new_id, organisation, series


@dataclass(frozen=True)
class SyncResult:
    """What :func:`sync_organisations` changed."""

    added_organisations: tuple[str, ...] = ()
    added_series: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added_organisations or self.added_series or self.updated)


def organisation_id(conn: Connection, code: str) -> str:
    """The registry id of the organisation with config key ``code``."""
    found = conn.execute(sa.select(organisation.c.id).where(organisation.c.code == code)
                         ).scalar_one_or_none()
    if found is None:
        raise ConfigError(f"organisation '{code}' is not in the registry yet: "
                          "run `diariekit init` or any command that opens the registry")
    return str(found)


def _org_values(org: OrganisationConfig) -> dict[str, Any]:
    return {"name": org.name, "kind": org.kind, "orgnr": org.org_number,
            "archive_creator_id": org.archive_creator_id}


def _series_values(s: SeriesConfig) -> dict[str, Any]:
    return {"title": s.title, "dnr_template": s.dnr_format,
            "doc_suffix_template": s.doc_suffix, "reset": s.reset}


def organisations_in_sync(conn: Connection, config: Config) -> bool:
    """True when the registry already holds the configured organisations and series as
    they are (a read: commands that change nothing need no write lock for this)."""
    for org in config.organisations:
        row = conn.execute(sa.select(organisation).where(organisation.c.code == org.id)).first()
        if row is None or any(getattr(row, k) != v for k, v in _org_values(org).items()):
            return False
        for s in org.series:
            srow = conn.execute(sa.select(series).where(
                series.c.organisation_id == row.id, series.c.code == s.code)).first()
            if srow is None or any(getattr(srow, k) != v
                                   for k, v in _series_values(s).items()):
                return False
    return True


def sync_organisations(conn: Connection, config: Config, actor: str | None = None) -> SyncResult:
    """Insert or update the configured organisations and series (in the caller's write
    transaction), writing an event for each change."""
    added_orgs: list[str] = []
    added_series: list[str] = []
    updated: list[str] = []
    for org in config.organisations:
        row = conn.execute(sa.select(organisation).where(organisation.c.code == org.id)).first()
        values = _org_values(org)
        if row is None:
            org_id = new_id()
            conn.execute(organisation.insert().values(id=org_id, code=org.id, **values))
            append_event(conn, kind="organisation_added", actor=actor, organisation_id=org_id,
                         short_text=f"Organisation {org.name} registrerad", payload=values)
            added_orgs.append(org.id)
        else:
            org_id = row.id
            if any(getattr(row, k) != v for k, v in values.items()):
                conn.execute(organisation.update().where(organisation.c.id == org_id)
                             .values(**values))
                append_event(conn, kind="organisation_changed", actor=actor,
                             organisation_id=org_id, short_text=f"Organisation {org.name} ändrad",
                             payload=values)
                updated.append(org.id)
        for s in org.series:
            srow = conn.execute(sa.select(series).where(
                series.c.organisation_id == org_id, series.c.code == s.code)).first()
            svalues = _series_values(s)
            if srow is None:
                conn.execute(series.insert().values(
                    id=new_id(), organisation_id=org_id, code=s.code, kind="case",
                    active_from=today(), **svalues))
                append_event(conn, kind="series_added", actor=actor, organisation_id=org_id,
                             short_text=f"Diarieserie {s.code} inrättad", payload=svalues)
                added_series.append(f"{org.id}/{s.code}")
            elif any(getattr(srow, k) != v for k, v in svalues.items()):
                conn.execute(series.update().where(series.c.id == srow.id).values(**svalues))
                append_event(conn, kind="series_changed", actor=actor, organisation_id=org_id,
                             short_text=f"Diarieserie {s.code} ändrad", payload=svalues)
                updated.append(f"{org.id}/{s.code}")
    return SyncResult(tuple(added_orgs), tuple(added_series), tuple(updated))
