"""Plan versions in the registry, on SQLite and PostgreSQL: import, idempotence,
supersession, activity, loading back, and the events written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from diariekit.config import OrganisationConfig, SeriesConfig, load_config
from diariekit.errors import InvalidInputError
from diariekit.events import verify_chain
from diariekit.organisations import organisation_id
from diariekit.plans.diff import diff_plans
from diariekit.plans.loading import load_plan
from diariekit.plans.store import active_version_ids, import_plan, list_versions, load_plan_ref
from diariekit.registry.engine import connect, open_engine
from diariekit.registry.schema import event, plan_version, record_type
from diariekit.setup import init_registry

ORG = OrganisationConfig("tn", "Testnämnden", "nämnd", "212000-9999", None, None,
                         (SeriesConfig("TN"),))


def _config(tmp_path: Path, url: str):  # type: ignore[no-untyped-def]
    result = init_registry(tmp_path / "reg", (ORG,), registry_url=url)
    return load_config(result.config_path)


def test_import_is_idempotent_and_loads_back(registry_url: str, tmp_path: Path,
                                             small_plan: Path) -> None:
    config = _config(tmp_path, registry_url)
    plan = load_plan(small_plan).plan
    assert plan is not None
    first = import_plan(config, plan, actor="test")
    again = import_plan(config, plan, actor="test")
    assert first.created and not again.created
    assert again.plan_version_id == first.plan_version_id
    engine = open_engine(config.registry_url)
    with connect(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(plan_version)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(record_type)).scalar() == 3
        kinds = [r.kind for r in conn.execute(sa.select(event.c.kind).order_by(event.c.seq))]
        assert kinds.count("plan_imported") == 1
        assert verify_chain(conn).ok
    back = load_plan_ref(config, "2026-1")
    assert diff_plans(plan, back).empty
    assert [r.key for r in back.record_types] == ["tn-1", "tn-2", "tn-3"]


def _import_variant(config, small_plan: Path, name: str,  # type: ignore[no-untyped-def]
                    *replacements: tuple[str, str]):
    """Import the small plan as written, or with ``replacements`` applied, as file ``name``."""
    text = small_plan.read_text(encoding="utf-8")
    for old, new in replacements:
        text = text.replace(old, new)
    path = small_plan.parent / name
    path.write_text(text, encoding="utf-8")
    loaded = load_plan(path).plan
    assert loaded is not None
    return import_plan(config, loaded)


NEXT_YEAR = (('version: "2026-1"', 'version: "2027-1"\n  supersedes: "2026-1"'),
             ('valid_from: "2026-01-01"', 'valid_from: "2027-01-01"'))


def test_new_version_supersedes_and_becomes_active(registry_url: str, tmp_path: Path,
                                                   small_plan: Path, monkeypatch:
                                                   pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIARIEKIT_TODAY", "2027-03-01")
    config = _config(tmp_path, registry_url)
    _import_variant(config, small_plan, "plan.yaml")
    result = _import_variant(config, small_plan, "plan-2027.yaml", *NEXT_YEAR,
                             ("Gallras 2 år efter ärendets avslut", "Bevaras"))
    assert result.superseded == "2026-1" and result.active_now
    rows = {r.version: r for r in list_versions(config)}
    assert rows["2026-1"].status == "superseded" and rows["2026-1"].valid_to == "2026-12-31"
    assert rows["2027-1"].active and not rows["2026-1"].active
    active = load_plan_ref(config, "active")
    assert active.meta.version == "2027-1"
    d = diff_plans(load_plan_ref(config, "2026-1"), active)
    assert [c.retention.direction for c in d.retention_changes if c.retention] == ["now_kept"]


def test_a_version_adopted_for_next_year_leaves_this_years_in_force(
        registry_url: str, tmp_path: Path, small_plan: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing in June a version valid from 1 January marks the old one superseded with
    valid_to 31 December, and the old one stays the plan in force until then (it was
    left with no plan in force: registration and retention dates failed until January)."""
    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-06-01")
    config = _config(tmp_path, registry_url)
    _import_variant(config, small_plan, "plan.yaml")
    result = _import_variant(config, small_plan, "plan-2027.yaml", *NEXT_YEAR)
    assert result.superseded == "2026-1" and not result.active_now
    rows = {r.version: r for r in list_versions(config)}
    assert rows["2026-1"].status == "superseded" and rows["2026-1"].active
    assert not rows["2027-1"].active
    assert load_plan_ref(config, "active").meta.version == "2026-1"
    for day, version in (("2026-12-31", "2026-1"), ("2027-01-01", "2027-1")):
        engine = open_engine(config.registry_url)
        try:
            with connect(engine) as conn:
                oid = organisation_id(conn, "tn")
                (vid,) = active_version_ids(conn, oid, date.fromisoformat(day))
                got = conn.execute(sa.select(plan_version.c.version)
                                   .where(plan_version.c.id == vid)).scalar_one()
        finally:
            engine.dispose()
        assert got == version, day
        assert [r.version for r in list_versions(config, on=date.fromisoformat(day))
                if r.active] == [version]


def test_a_superseded_draft_never_comes_into_force(registry_url: str, tmp_path: Path,
                                                   small_plan: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A later version naming a draft as the one it supersedes leaves the draft a draft:
    the adopted version stays in force (the draft once took over, as "superseded")."""
    monkeypatch.setenv("DIARIEKIT_TODAY", "2026-06-01")
    config = _config(tmp_path, registry_url)
    _import_variant(config, small_plan, "plan.yaml")
    _import_variant(config, small_plan, "utkast.yaml",
                    ('version: "2026-1"', 'version: "2026-utkast"\n  status: draft'),
                    ('valid_from: "2026-01-01"', 'valid_from: "2026-02-01"'))
    _import_variant(config, small_plan, "plan-2027.yaml",
                    ('version: "2026-1"', 'version: "2027-1"\n  supersedes: "2026-utkast"'),
                    NEXT_YEAR[1])
    rows = {r.version: r for r in list_versions(config)}
    assert rows["2026-utkast"].status == "draft" and not rows["2026-utkast"].active
    assert rows["2026-1"].active
    assert load_plan_ref(config, "active").meta.version == "2026-1"


def test_same_version_with_other_content_is_refused(registry_url: str, tmp_path: Path,
                                                    small_plan: Path) -> None:
    config = _config(tmp_path, registry_url)
    plan = load_plan(small_plan).plan
    assert plan is not None
    import_plan(config, plan)
    changed = tmp_path / "changed.yaml"
    changed.write_text(small_plan.read_text(encoding="utf-8").replace("Kallelser", "Kallelse"),
                       encoding="utf-8")
    other = load_plan(changed).plan
    assert other is not None
    with pytest.raises(InvalidInputError, match="already in the registry with other content"):
        import_plan(config, other)
    engine = open_engine(config.registry_url)
    with connect(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(plan_version)).scalar() == 1
