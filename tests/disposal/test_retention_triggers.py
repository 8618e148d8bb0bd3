"""Every retention trigger (utgångspunkt för gallringsfristen), table-driven, on a real registry.

One record type per trigger in a small test plan; one case per row of the table, with the
event the rule counts from recorded (or not) the way a user records it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from diariekit.cases import close_case
from diariekit.clock import today
from diariekit.config import Config
from diariekit.organisations import organisation_id
from diariekit.plans.loading import load_plan
from diariekit.plans.retention import Period, Rounding, Unit, add_period
from diariekit.plans.store import import_plan
from diariekit.registration.intake import read_intake
from diariekit.registration.register import register_rows
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import case_, document, new_id, transfer, transfer_item
from diariekit.registry.session import open_registry
from diariekit.retention_dates import compute_due_dates, recompute_due_dates, record_trigger

PLAN = """\
diariekit_plan: 1
plan:
  title: Testplan för utgångspunkter
  organisation: Kommunstyrelsen
  version: "1"
  status: adopted
  adoption_ref: KS 2023/0001 § 1
  adoption_date: "2023-12-01"
  valid_from: "2024-01-01"
  legal_model: plan_is_decision
classes:
  - code: "9"
    title: Test
  - code: "9.1"
    title: Utgångspunkter
    record_types:
{types}
"""

TYPES = {
    "t-doc": "Gallras 1 år",
    "t-doc6": "Gallras 6 mån efter upprättande",
    "t-reg": "Gallras 3 mån efter registrering",
    "t-closed": "Gallras 2 år efter ärendets avslut",
    "t-last": "Gallras 5 år efter sista anteckning",
    "t-transfer": "Gallras efter leverans",
    "t-scan": "Gallras efter skanning",
    "t-employ": "Gallras 2 år efter avslutad anställning",
    "t-death": "Gallras 10 år efter personens död",
    "t-final": "Gallras 1 år efter laga kraft",
    "t-audit": "Gallras 1 år efter beviljad ansvarsfrihet",
    "t-custom": "Gallras 2 år efter avslutad praktik",
    "t-keep": "Bevaras",
    "t-inakt": "Vid inaktualitet",
    "t-capped": "Gallras vid inaktualitet, dock senast 2 år efter registrering",
    "t-cond": "Gallras om kopia finns",
}

D = date.fromisoformat


def _accepted(when: date) -> dict[str, object]:
    return {"transfer": ("accepted", when)}


# case key, record type, closed on, setup, expected due (None: never by itself)
CASES: list[tuple[str, str, date | None, dict[str, object], date | str | None]] = [
    ("doc", "t-doc", None, {}, D("2026-01-01")),
    ("doc6", "t-doc6", None, {}, D("2024-09-15")),
    ("reg", "t-reg", None, {}, "registered+3m"),
    ("closed", "t-closed", D("2024-06-01"), {}, D("2027-01-01")),
    ("open", "t-closed", None, {}, None),
    ("last", "t-last", D("2024-09-01"), {"second_doc": D("2024-08-20")}, D("2030-01-01")),
    ("last-open", "t-last", None, {}, None),
    ("transfer", "t-transfer", D("2024-06-01"), _accepted(D("2025-02-10")), D("2025-02-10")),
    ("transfer-built", "t-transfer", D("2024-06-01"), {"transfer": ("built", None)}, None),
    ("scan", "t-scan", None, {"trigger": ("scan_verified", D("2024-04-01"))}, D("2024-04-01")),
    ("scan-none", "t-scan", None, {}, None),
    ("employ", "t-employ", None, {"case_trigger": ("employment_end", D("2024-12-31"))},
     D("2027-01-01")),
    ("death", "t-death", None, {"trigger": ("death", D("2024-05-05"))}, D("2035-01-01")),
    ("final", "t-final", None, {"trigger": ("decision_final", D("2024-07-01"))},
     D("2026-01-01")),
    ("audit", "t-audit", None, {"trigger": ("audit_discharged", D("2025-04-20"))},
     D("2027-01-01")),
    ("custom", "t-custom", D("2024-06-01"), {}, None),
    ("keep", "t-keep", D("2024-06-01"), {}, None),
    ("inakt", "t-inakt", D("2024-06-01"), {}, None),
    ("capped", "t-capped", D("2024-06-01"), {}, None),
    ("cond", "t-cond", D("2024-06-01"), {}, None),
]


def _register(config: Config, tmp_path: Path) -> None:
    types = "\n".join(f"      - id: {k}\n        name: Typ {k}\n        retention: {v}"
                      for k, v in TYPES.items())
    plan_path = tmp_path / "triggers.yaml"
    plan_path.write_text(PLAN.format(types=types), encoding="utf-8")
    loaded = load_plan(plan_path)
    assert loaded.plan is not None, loaded
    import_plan(config, loaded.plan, org_id="ks", actor="test")
    head = "Externt id;Serie;Ärendenyckel;Ärendemening;Klass;Handlingstyp;Riktning;Datum;" \
           "Avsändare/Mottagare;Beskrivning\n"
    lines = []
    for key, rt, _closed, setup, _ in CASES:
        lines.append(f"{key};KS;{key};Ärende {key};9.1;{rt};Inkommande;2024-03-15;A;B")
        if "second_doc" in setup:
            lines.append(f"{key}-2;KS;{key};;9.1;{rt};Inkommande;{setup['second_doc']};A;B")
    csv_path = tmp_path / "in.csv"
    csv_path.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")
    report = register_rows(config, read_intake(csv_path), engine=open_registry(config),
                           source=str(csv_path))
    assert not report.errors, report.errors


def _dnr(n: int) -> str:
    return f"KS {today().year}/{n:04d}"


def _setup(config: Config) -> None:
    engine = open_registry(config)
    for n, (_key, _rt, closed, setup, _) in enumerate(CASES, start=1):
        if closed is not None:
            close_case(config, _dnr(n), on=closed)
        for name in ("trigger", "case_trigger"):
            if name in setup:
                trig, when = setup[name]  # type: ignore[misc]
                ref = _dnr(n) if name == "case_trigger" else _dnr(n) + "-1"
                record_trigger(config, ref, trig, when)
        if "transfer" in setup:
            status, when = setup["transfer"]  # type: ignore[misc]
            with write_transaction(engine) as conn:
                org = organisation_id(conn, "ks")
                case_id = conn.execute(sa.select(case_.c.id).where(
                    case_.c.dnr == _dnr(n))).scalar_one()
                tid = new_id()
                moment = datetime(when.year, when.month, when.day, 12, tzinfo=UTC) \
                    if when else None
                conn.execute(transfer.insert().values(
                    id=tid, organisation_id=org, recipient_id=org,
                    submission_ref=f"test-{tid}", profile="test", status=status,
                    status_changed_at=moment, responsibility_transferred_at=moment))
                conn.execute(transfer_item.insert().values(id=new_id(), transfer_id=tid,
                                                           case_id=case_id))


def test_every_trigger(registry: Config, tmp_path: Path) -> None:
    """The whole table in one registry; a mismatch shows every row that differs."""
    _register(registry, tmp_path)
    _setup(registry)
    with connect(open_registry(registry)) as conn:
        org = organisation_id(conn, "ks")
        dues = {d.ref: d.due for d in compute_due_dates(conn, org, on=today())}
    expected: dict[str, object] = {}
    actual: dict[str, object] = {}
    for n, (key, *_, want) in enumerate(CASES, start=1):
        if want == "registered+3m":
            want = add_period(today(), Period(3, Unit.MONTHS), Rounding.EXACT)
        expected[key] = want
        actual[key] = dues[_dnr(n) + "-1"]
    assert actual == expected
    n_last = [c[0] for c in CASES].index("last") + 1
    assert dues[_dnr(n_last) + "-2"] == D("2030-01-01")  # the same last entry


def test_plan_change_recomputes_with_a_dry_run_first(registry: Config, tmp_path: Path) -> None:
    _register(registry, tmp_path)
    _setup(registry)
    first = recompute_due_dates(registry, org_id="ks")
    assert first.changes and not recompute_due_dates(registry, org_id="ks").changes
    # Version 2 shortens "t-doc" to 6 months from the document date.
    text = (tmp_path / "triggers.yaml").read_text(encoding="utf-8")
    v2 = tmp_path / "triggers-v2.yaml"
    v2.write_text(text.replace('version: "1"', 'version: "2"\n  supersedes: "1"')
                  .replace('valid_from: "2024-01-01"', 'valid_from: "2025-01-01"')
                  .replace("retention: Gallras 1 år\n", "retention: Gallras 6 mån\n"),
                  encoding="utf-8")
    loaded = load_plan(v2)
    assert loaded.plan is not None
    import_plan(registry, loaded.plan, org_id="ks", actor="test")
    dry = recompute_due_dates(registry, org_id="ks", dry_run=True)
    assert [(c.ref, c.stored_due, c.due) for c in dry.changes] == [
        (_dnr(1) + "-1", D("2026-01-01"), D("2024-09-15"))]
    assert recompute_due_dates(registry, org_id="ks", dry_run=True).changes  # nothing written
    assert len(recompute_due_dates(registry, org_id="ks").changes) == 1
    assert not recompute_due_dates(registry, org_id="ks").changes


def test_registration_stores_what_a_recompute_would(registry: Config, tmp_path: Path) -> None:
    """Dates known at registration (document date, registration date) are stored at once;
    the rest come when their trigger does. A recompute right after changes nothing."""
    _register(registry, tmp_path)
    with connect(open_registry(registry)) as conn:
        stored = {r.ref: r.retention_due for r in conn.execute(
            sa.select(document.c.ref, document.c.retention_due))}
    keys = [c[0] for c in CASES]
    assert stored[_dnr(keys.index("doc") + 1) + "-1"] == D("2026-01-01")
    assert stored[_dnr(keys.index("doc6") + 1) + "-1"] == D("2024-09-15")
    assert stored[_dnr(keys.index("reg") + 1) + "-1"] == add_period(
        today(), Period(3, Unit.MONTHS), Rounding.EXACT)
    assert stored[_dnr(keys.index("closed") + 1) + "-1"] is None
    assert recompute_due_dates(registry, org_id="ks", dry_run=True).changed == 0
