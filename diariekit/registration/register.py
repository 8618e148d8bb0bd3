"""Bulk registration (diarieföring i bulk): cases and documents with numbers, classes and files.

One batch is one write transaction: all rows are registered, or none (unless
``partial``, which keeps the good rows and reports the bad). Every row is validated
before anything of it is written; every bad row is reported with its line and field.
Re-running the same input registers nothing twice: a row whose external id (or, without
one, whose content) is already registered is skipped, and the same external id with
other content is refused. Numbers are allocated in the transaction, so a refused batch
leaves no gap. Files are copied into the content-addressed store; objects a refused
batch added are removed again.

Rows are written in chunks (:data:`CHUNK_ROWS`): one ``executemany`` per table, counters
counted in memory under the transaction's lock and written back once per chunk, so memory
stays flat and the cost per row is a small fraction of a statement.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.clock import today
from diariekit.config import Config, OrganisationConfig
from diariekit.errors import ConfigError
from diariekit.events import append_events, current_actor, insert_many
from diariekit.files.acceptance import check_accepted
from diariekit.files.formats import parse_formats_cell
from diariekit.files.identify import identify
from diariekit.files.pdfcheck import check_pdf
from diariekit.files.store import ContentStore, sha256_file
from diariekit.findings import Finding, Severity
from diariekit.markings import DEFAULT_NOTE
from diariekit.osl import load_provisions
from diariekit.plans.retention import DeliveryRule, RetentionRule, parse_delivery
from diariekit.plans.store import active_version_ids
from diariekit.registration.dnr import DnrError, DnrFormat, parse_any
from diariekit.registration.intake import IntakeRow
from diariekit.registration.numbering import Counters
from diariekit.registry.engine import write_transaction
from diariekit.registry.schema import (
    case_,
    document,
    file,
    new_id,
    organisation,
    record_type,
    secrecy_marking,
    series,
)
from diariekit.retention_dates import dates_at_registration
from diariekit.secrecy import SecrecyHint, parse_secrecy_cell

DIRECTIONS: dict[str, str] = {
    "inkommande": "incoming", "inkommen": "incoming", "inkommet": "incoming", "in": "incoming",
    "i": "incoming", "incoming": "incoming",
    "utgående": "outgoing", "utgående handling": "outgoing", "ut": "outgoing", "u": "outgoing",
    "expedierad": "outgoing", "outgoing": "outgoing",
    "upprättad": "internal", "upprättat": "internal", "upprättade": "internal",
    "upp": "internal", "intern": "internal", "internal": "internal",
}
DIRECTION_SV = {"incoming": "Inkommande", "outgoing": "Utgående", "internal": "Upprättad"}


class RowError(Exception):
    """A problem with one row, reported with its line and field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class RowOutcome:
    """What happened to one input row."""

    line: int
    action: str  # "registered", "skipped", "error", "would register"
    ref: str | None = None
    case: str | None = None
    opened_case: bool = False
    external_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "action": self.action, "ref": self.ref, "case": self.case,
                "opened_case": self.opened_case, "external_id": self.external_id}


#: Rows written per chunk: one ``executemany`` per table, counters written back once.
CHUNK_ROWS = 1000
#: Row outcomes kept in the report; beyond it only the counts (and every finding) are kept.
MAX_OUTCOMES = 1000


@dataclass
class RegistrationReport:
    """The outcome of a batch.

    ``outcomes`` holds the first :data:`MAX_OUTCOMES` rows' outcomes only, so that a batch of
    any size keeps flat memory; the counts cover every row, and every error and warning is in
    ``findings``. ``rows_truncated`` tells whether outcomes were left out.
    """

    source: str
    dry_run: bool
    partial: bool
    outcomes: list[RowOutcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    committed: bool = False
    rows: int = 0
    cases_opened: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: RowOutcome) -> None:
        """Count one row's outcome (and keep it, among the first :data:`MAX_OUTCOMES`)."""
        self.rows += 1
        self.counts[outcome.action] = self.counts.get(outcome.action, 0) + 1
        if outcome.opened_case and outcome.action != "error":
            self.cases_opened += 1
        if len(self.outcomes) < MAX_OUTCOMES:
            self.outcomes.append(outcome)

    def count(self, action: str) -> int:
        return self.counts.get(action, 0)

    @property
    def rows_truncated(self) -> bool:
        return self.rows > len(self.outcomes)

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "dry_run": self.dry_run, "partial": self.partial,
            "committed": self.committed,
            "summary": {"rows": self.rows, "registered": self.count("registered"),
                        "would_register": self.count("would register"),
                        "skipped": self.count("skipped"), "errors": self.count("error"),
                        "cases_opened": self.cases_opened},
            "rows": [o.to_dict() for o in self.outcomes],
            "rows_truncated": self.rows_truncated,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class SeriesInfo:
    org: OrganisationConfig
    org_reg_id: str
    series_id: str
    code: str
    fmt: DnrFormat
    reset: str


@dataclass(frozen=True)
class RecordTypeInfo:
    id: str
    row_ref: str
    name: str
    class_code: str | None
    secrecy_raw: str | None
    formats_raw: str | None
    plan_version_id: str
    retention: RetentionRule | None = None
    delivery: DeliveryRule | None = None


@dataclass
class _OrgPlan:
    by_ref: dict[str, RecordTypeInfo]
    by_name: dict[str, list[RecordTypeInfo]]
    classes: set[str]
    version_ids: list[str]


@dataclass(frozen=True)
class ClassificationRule:
    """A rule from diariekit.toml: give a record type when all patterns match."""

    record_type: str
    org: str | None = None
    series: str | None = None
    counterpart: str | None = None
    description: str | None = None
    file: str | None = None
    folder: str | None = None

    def matches(self, row: IntakeRow, org: str, series_code: str) -> bool:
        def like(pattern: str | None, value: str | None) -> bool:
            return pattern is None or (value is not None and fnmatch.fnmatch(
                value.casefold(), pattern.casefold()))

        files = [f for f in (row.get("files") or "").split("|") if f.strip()]
        return (
            (self.org is None or self.org == org)
            and (self.series is None or self.series == series_code)
            and like(self.counterpart, row.get("counterpart"))
            and like(self.description, row.get("description"))
            and (self.file is None or any(like(self.file, PurePosixPath(f).name) for f in files))
            and (self.folder is None or any(like(self.folder, str(PurePosixPath(f).parent))
                                            for f in files))
        )


def resolve_input_file(base: Path, relative: str) -> Path:
    """A file named in the input, which must stay inside the input's folder."""
    rel = relative.strip()
    if not rel:
        raise RowError("empty file name", "files")
    if "\\" in rel:
        raise RowError(f"file path '{rel}' uses backslashes: write it with '/'", "files")
    if PurePosixPath(rel).is_absolute() or rel.startswith("~"):
        raise RowError(f"file path '{rel}' is absolute: give it relative to the input's folder",
                       "files")
    root = base.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        raise RowError(f"file path '{rel}' escapes the input's folder", "files")
    if not target.exists():
        raise RowError(f"file not found: {rel}", "files")
    if not target.is_file():
        raise RowError(f"not a regular file: {rel}", "files")
    return target


class _Batch:
    """State of one registration batch inside its transaction."""

    def __init__(self, config: Config, conn: Connection, *, org_id: str | None, actor: str,
                 store: ContentStore | None, keep_numbers: bool,
                 rules: tuple[ClassificationRule, ...]) -> None:
        self.config = config
        self.conn = conn
        self.actor = actor
        self.store = store
        self.keep_numbers = keep_numbers
        self.rules = rules
        self.today = today()
        self.default_org = config.organisation(org_id) if (
            org_id or config.default_organisation or len(config.organisations) == 1) else None
        self.series: dict[str, SeriesInfo] = {}
        self.plans: dict[str, _OrgPlan] = {}
        # Ärendenyckel → (case id, dnr, series) for the keys of the current chunk; the keys of
        # the whole batch are kept in a temporary table (_CASE_KEYS), so memory stays flat.
        self.case_keys: dict[str, tuple[str, str, SeriesInfo]] = {}
        self.case_key_rows: list[dict[str, str]] = []
        # (organisation, external id) → intake hash of the rows seen in this batch, for the
        # current chunk's ids; the whole batch's are kept in a temporary table (_SEEN_IDS).
        self.external_ids: dict[tuple[str, str], str] = {}
        self.external_id_rows: list[dict[str, str]] = []
        self.known_external: dict[tuple[str, str], Any] = {}
        self.new_objects: list[str] = []
        self.warnings: list[Finding] = []
        self.counters = Counters(conn)
        self._secrecy: dict[str | None, SecrecyHint] = {}
        # Queued for the next flush, in foreign-key order.
        self.case_rows: list[dict[str, Any]] = []
        self.document_rows: list[dict[str, Any]] = []
        self.file_rows: list[dict[str, Any]] = []
        self.secrecy_rows: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        # (organisation, intake hash) → the queued document, until it is written.
        self.queued_hashes: dict[tuple[str, str], _Known] = {}
        self._load_series()
        self.org_reg_ids = sorted({s.org_reg_id for s in self.series.values()})
        for table in (_CASE_KEYS, _SEEN_IDS):
            table.create(conn, checkfirst=True)
            conn.execute(table.delete())

    def close(self) -> None:
        """Drop the temporary tables (before commit; a rollback takes them away too)."""
        for table in (_CASE_KEYS, _SEEN_IDS):
            table.drop(self.conn, checkfirst=True)

    def remember_external_id(self, key: tuple[str, str], intake_hash: str) -> None:
        if key not in self.external_ids:
            self.external_ids[key] = intake_hash
            self.external_id_rows.append({"organisation_id": key[0], "external_id": key[1],
                                          "intake_hash": intake_hash})

    def remember_case_key(self, key: str, case_id: str, dnr: str, s: SeriesInfo) -> None:
        if key not in self.case_keys:
            self.case_keys[key] = (case_id, dnr, s)
            self.case_key_rows.append({"key": key, "case_id": case_id, "dnr": dnr,
                                       "series": f"{s.org.id}/{s.code}"})

    def start_chunk(self, rows: list[IntakeRow]) -> None:
        """Look up the chunk's case keys and external ids, with one ``IN (…)`` per 500."""
        self.external_ids.clear()
        self.known_external.clear()
        self.case_keys.clear()
        keys = sorted({k for r in rows if (k := r.get("case_key"))})
        for i in range(0, len(keys), 500):
            for known in self.conn.execute(_CASE_KEYS.select().where(
                    _CASE_KEYS.c.key.in_(sa.bindparam("keys", expanding=True))),
                    {"keys": keys[i:i + 500]}):
                self.case_keys[known.key] = (known.case_id, known.dnr,
                                             self.series[known.series])
        ids = sorted({e for r in rows if (e := r.get("external_id"))})
        for i in range(0, len(ids), 500):
            for r in self.conn.execute(_BY_EXTERNAL_IDS, {"orgs": self.org_reg_ids,
                                                          "ids": ids[i:i + 500]}):
                self.known_external[(r.organisation_id, r.external_id)] = r
            for seen in self.conn.execute(_SEEN_IDS.select().where(
                    _SEEN_IDS.c.external_id.in_(sa.bindparam("ids", expanding=True))),
                    {"ids": ids[i:i + 500]}):
                self.external_ids[(seen.organisation_id, seen.external_id)] = seen.intake_hash

    def secrecy(self, text: str | None) -> SecrecyHint:
        hint = self._secrecy.get(text)
        if hint is None:
            if len(self._secrecy) >= 10_000:
                self._secrecy.clear()
            hint = self._secrecy[text] = parse_secrecy_cell(text)
        return hint

    def flush(self) -> None:
        """Write what is queued, in foreign-key order, then the changed counters."""
        conn = self.conn
        if self.case_rows:
            for c in self.case_rows:
                c["last_document_seq"] = self.counters.take_document_seq(c["id"])
        for table, queued in ((case_, self.case_rows), (document, self.document_rows),
                              (file, self.file_rows), (secrecy_marking, self.secrecy_rows)):
            insert_many(conn, table, queued)
        append_events(conn, self.events)
        self.counters.write_back()
        insert_many(conn, _CASE_KEYS, self.case_key_rows)
        insert_many(conn, _SEEN_IDS, self.external_id_rows)
        for queue in (self.case_rows, self.document_rows, self.file_rows, self.secrecy_rows,
                      self.events, self.case_key_rows, self.external_id_rows):
            queue.clear()
        self.queued_hashes.clear()

    def _load_series(self) -> None:
        rows = self.conn.execute(
            sa.select(series.c.id, series.c.code, series.c.dnr_template,
                      series.c.doc_suffix_template, series.c.reset,
                      organisation.c.code.label("org"), organisation.c.id.label("org_id"))
            .join(organisation, organisation.c.id == series.c.organisation_id)).all()
        orgs = {o.id: o for o in self.config.organisations}
        for r in rows:
            if r.org not in orgs:
                continue
            try:
                fmt = DnrFormat(r.dnr_template, r.doc_suffix_template)
            except DnrError as exc:
                raise ConfigError(f"series {r.code}: {exc}") from None
            info = SeriesInfo(orgs[r.org], r.org_id, r.id, r.code, fmt, r.reset)
            self.series[f"{r.org}/{r.code}"] = info
            self.series.setdefault(r.code, info)

    def series_for(self, code: str | None) -> SeriesInfo:
        if code is None:
            if self.default_org and len(self.default_org.series) == 1:
                code = self.default_org.series[0].code
            else:
                raise RowError("no series given (Serie)", "series")
        if self.default_org is not None and f"{self.default_org.id}/{code}" in self.series:
            return self.series[f"{self.default_org.id}/{code}"]
        if code in self.series:
            return self.series[code]
        known = ", ".join(sorted({s.code for s in self.series.values()}))
        raise RowError(f"unknown series '{code}' (configured: {known})", "series")

    def plan_for(self, org_reg_id: str) -> _OrgPlan:
        if org_reg_id not in self.plans:
            ids = active_version_ids(self.conn, org_reg_id, self.today)
            by_ref: dict[str, RecordTypeInfo] = {}
            by_name: dict[str, list[RecordTypeInfo]] = {}
            classes: set[str] = set()
            if ids:
                for r in self.conn.execute(sa.select(
                        record_type.c.id, record_type.c.row_ref, record_type.c.name,
                        record_type.c.class_code, record_type.c.secrecy_raw,
                        record_type.c.formats, record_type.c.plan_version_id,
                        record_type.c.retention, record_type.c.delivery_raw)
                        .where(record_type.c.plan_version_id.in_(ids))):
                    info = RecordTypeInfo(
                        r.id, r.row_ref, r.name, r.class_code, r.secrecy_raw,
                        (r.formats or {}).get("raw"), r.plan_version_id,
                        RetentionRule.from_dict(r.retention) if r.retention else None,
                        parse_delivery(r.delivery_raw))
                    by_ref.setdefault(r.row_ref, info)
                    by_name.setdefault(" ".join(r.name.casefold().split()), []).append(info)
                    if r.class_code:
                        classes.add(r.class_code)
            self.plans[org_reg_id] = _OrgPlan(by_ref, by_name, classes, ids)
        return self.plans[org_reg_id]

    def classify(self, row: IntakeRow, s: SeriesInfo, class_code: str | None) -> RecordTypeInfo:
        plan = self.plan_for(s.org_reg_id)
        if not plan.version_ids:
            raise RowError(f"no plan is in force for {s.org.id} on {self.today.isoformat()}: "
                           "import one with `diariekit plan import`", "record_type")
        if class_code is not None and class_code not in plan.classes:
            raise RowError(f"class '{class_code}' is not in the plan in force", "class")
        wanted = row.get("record_type")
        if wanted is None:
            for rule in self.rules:
                if rule.matches(row, s.org.id, s.code):
                    wanted = rule.record_type
                    break
        if wanted is None:
            raise RowError("no record type (Handlingstyp) given and no classification rule "
                           "matches", "record_type")
        found = plan.by_ref.get(wanted)
        if found is None:
            candidates = plan.by_name.get(" ".join(wanted.casefold().split()), [])
            if class_code is not None:
                candidates = [c for c in candidates if c.class_code == class_code] or candidates
            if len(candidates) > 1:
                raise RowError(f"record type '{wanted}' is ambiguous in the plan: give its id "
                               f"({', '.join(c.row_ref for c in candidates)})", "record_type")
            found = candidates[0] if candidates else None
        if found is None:
            raise RowError(f"record type '{wanted}' is not in the plan in force", "record_type")
        if class_code is not None and found.class_code not in (None, class_code):
            raise RowError(f"record type '{found.row_ref}' belongs to class {found.class_code}, "
                           f"not {class_code}", "record_type")
        return found


def _direction(row: IntakeRow, required: bool) -> str | None:
    raw = row.get("direction")
    if raw is None:
        if required:
            raise RowError("no direction (Riktning: Inkommande, Upprättad or Utgående)",
                           "direction")
        return None
    value = DIRECTIONS.get(" ".join(raw.casefold().split()))
    if value is None:
        raise RowError(f"unknown direction '{raw}' (Inkommande, Upprättad or Utgående)",
                       "direction")
    return value


def _date(row: IntakeRow, name: str = "date", required: bool = True) -> date | None:
    raw = row.get(name)
    if raw is None:
        if required:
            raise RowError("no date given", name)
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise RowError(f"'{raw}' is not a date (write YYYY-MM-DD)", name) from None


def _intake_hash(row: IntakeRow, file_hashes: list[str]) -> str:
    keys = ("series", "case", "case_key", "case_title", "class", "record_type", "direction",
            "date", "counterpart", "description", "document_type", "person_ref", "secrecy",
            "officer", "unit", "document")
    get = row.values.get
    doc: dict[str, object] = {k: get(k) for k in keys}
    doc["files"] = file_hashes
    doc["extra"] = dict(sorted(row.extra.items()))
    return hashlib.sha256(_CANONICAL.encode(doc).encode("utf-8")).hexdigest()


# The intake hash's JSON (stored: it must never change). One encoder for every row.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class _Known(NamedTuple):
    """A document already registered (or queued in this batch), as idempotence needs it."""

    ref: str
    intake_hash: str | None
    case_id: str | None
    dnr: str | None


# Ärendenyckel → case, for the whole batch, in the transaction's own temporary table.
_CASE_KEYS = sa.Table(
    "diariekit_register_case_keys", sa.MetaData(),
    sa.Column("key", sa.Text(), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("dnr", sa.String(64), nullable=False),
    sa.Column("series", sa.Text(), nullable=False),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
# (organisation, external id) → intake hash of every row of the batch that had one.
_SEEN_IDS = sa.Table(
    "diariekit_register_seen_ids", sa.MetaData(),
    sa.Column("organisation_id", sa.String(36), primary_key=True),
    sa.Column("external_id", sa.String(255), primary_key=True),
    sa.Column("intake_hash", sa.String(64), nullable=False),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")

_DOCUMENT_COLUMNS = (document.c.ref, document.c.intake_hash, document.c.case_id, case_.c.dnr)
_BY_EXTERNAL_IDS = (
    sa.select(document.c.organisation_id, document.c.external_id, *_DOCUMENT_COLUMNS)
    .outerjoin(case_, case_.c.id == document.c.case_id)
    .where(document.c.organisation_id.in_(sa.bindparam("orgs", expanding=True)),
           document.c.external_id.in_(sa.bindparam("ids", expanding=True))))
_BY_INTAKE_HASH = (
    sa.select(*_DOCUMENT_COLUMNS)
    .outerjoin(case_, case_.c.id == document.c.case_id)
    .where(document.c.organisation_id == sa.bindparam("org"),
           document.c.intake_hash == sa.bindparam("hash")))


def register_rows(
    config: Config,
    rows: Iterable[IntakeRow],
    *,
    engine: sa.Engine,
    source: str,
    org_id: str | None = None,
    partial: bool = False,
    dry_run: bool = False,
    keep_numbers: bool = False,
    actor: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> RegistrationReport:
    """Register ``rows`` in one transaction (see the module docstring).

    Rows are read and written in chunks of :data:`CHUNK_ROWS`: each row is validated
    completely (everything that can refuse it) before anything of it is queued, so a
    refused row under ``partial`` leaves nothing behind and takes no number; the chunk's
    queued rows then go in with one ``executemany`` per table.
    """
    report = RegistrationReport(source, dry_run, partial)
    store = None if dry_run else ContentStore(config.storage_path)
    who = actor or current_actor()
    rules = tuple(ClassificationRule(**r) for r in config.classification_rules)
    new_objects: list[str] = []
    try:
        with write_transaction(engine) as conn:
            batch = _Batch(config, conn, org_id=org_id, actor=who, store=store,
                           keep_numbers=keep_numbers, rules=rules)
            new_objects = batch.new_objects
            failed = False
            index = 0
            source_rows = iter(rows)
            while chunk := list(islice(source_rows, CHUNK_ROWS)):
                batch.start_chunk(chunk)
                for row in chunk:
                    index += 1
                    try:
                        outcome = _register_row(batch, row, simulate=dry_run or failed)
                    except RowError as exc:
                        report.findings.append(Finding("register.row", Severity.ERROR,
                                                       exc.message, row.location(exc.field)))
                        report.add(RowOutcome(row.line, "error",
                                              external_id=row.get("external_id")))
                        failed = failed or not partial
                    else:
                        report.add(outcome)
                    if progress is not None:
                        progress(index)
                batch.flush()
            batch.close()
            report.findings.extend(batch.warnings)
            if dry_run or failed:
                raise _Rollback
            report.committed = True
    except _Rollback:
        _remove_objects(store, new_objects)
    except BaseException:
        _remove_objects(store, new_objects)
        raise
    return report


class _Rollback(Exception):
    """Raised inside the transaction to roll a dry run or a refused batch back."""


def _remove_objects(store: ContentStore | None, shas: list[str]) -> None:
    if store is not None:
        for sha in shas:
            store.delete(sha)


@dataclass(frozen=True)
class _ImportedCase:
    """A case to open under its imported number (``--keep-numbers``), decided beforehand."""

    s: SeriesInfo
    dnr: str
    raw_ref: str
    year: int
    number: int
    status: str
    attributes: dict[str, Any] | None


def _register_row(batch: _Batch, row: IntakeRow, simulate: bool) -> RowOutcome:
    """Validate one row completely, then queue its rows (nothing is queued for a bad row)."""
    get = row.values.get  # (row.get, without a method call per field)
    ext = get("external_id")
    direction = _direction(row, required=not batch.keep_numbers)
    when = _date(row, required=not batch.keep_numbers)
    description = get("description") or get("document_type")
    if not description and not batch.keep_numbers:
        raise RowError("no description (Beskrivning)", "description")

    # Files: resolve safely and hash before anything is decided.
    files: list[tuple[Path, str, int]] = []
    for rel in (get("files") or "").split("|"):
        if rel.strip():
            path = resolve_input_file(row.base_dir, rel)
            sha, size = sha256_file(path)
            files.append((path, sha, size))
    intake_hash = _intake_hash(row, [sha for _, sha, _ in files])

    # Which case: an existing one (Ärende), one opened earlier in this batch (Ärendenyckel),
    # or a new one.
    case_ref = get("case")
    key = get("case_key")
    s: SeriesInfo
    case_id: str | None = None
    dnr: str | None = None
    if case_ref and not batch.keep_numbers:
        s, case_id, dnr = _existing_case(batch, case_ref, get("series"))
    elif key and key in batch.case_keys:
        case_id, dnr, s = batch.case_keys[key]
    else:
        s = batch.series_for(get("series"))

    # Idempotence.
    ext_key = (s.org_reg_id, ext) if ext else None
    if batch.keep_numbers and get("document"):
        existing_import = _existing_imported_document(batch, row, s)
        if existing_import is not None:
            if existing_import.intake_hash != intake_hash:
                raise RowError(f"document {existing_import.ref} is already registered with "
                               "other content", "document")
            return RowOutcome(row.line, "skipped", existing_import.ref, existing_import.dnr,
                              external_id=ext)
    existing: Any
    if ext_key is not None:
        seen = batch.external_ids.get(ext_key)
        if seen is not None:
            if seen != intake_hash:
                raise RowError(f"external id '{ext}' appears twice in the input with different "
                               "content", "external_id")
            return RowOutcome(row.line, "skipped", external_id=ext)
        existing = batch.known_external.get(ext_key)
    else:
        existing = batch.queued_hashes.get((s.org_reg_id, intake_hash))
        if existing is None:
            existing = batch.conn.execute(_BY_INTAKE_HASH, {"org": s.org_reg_id,
                                                            "hash": intake_hash}).first()
    if existing is not None:
        if existing.intake_hash != intake_hash:
            raise RowError(f"external id '{ext}' is already registered as {existing.ref} with "
                           "other content", "external_id")
        if ext_key is not None:
            batch.remember_external_id(ext_key, intake_hash)
        if key and existing.case_id:
            batch.remember_case_key(key, existing.case_id, existing.dnr, s)
        return RowOutcome(row.line, "skipped", existing.ref, existing.dnr, external_id=ext)

    class_code = get("class")
    rt = None
    if not batch.keep_numbers or get("record_type") or batch.rules:
        rt = batch.classify(row, s, class_code)
    hint = batch.secrecy(get("secrecy"))
    if hint.problems:
        raise RowError("; ".join(hint.problems), "secrecy")
    provisions = list(hint.provisions)
    if not provisions and rt is not None and rt.secrecy_raw:
        provisions = list(batch.secrecy(rt.secrecy_raw).provisions)
    warnings: list[str] = []

    # Identify files (stored results, never guessed) and check them against the plan.
    identified = []
    for path, sha, size in files:
        ident = identify(path)
        pdf = check_pdf(path) if ident.mime == "application/pdf" else None
        if rt is not None:
            problem = check_accepted(ident, parse_formats_cell(rt.formats_raw))
            if problem:
                warnings.append(f"{path.name}: {problem}")
        if pdf is not None:
            warnings += [f"{path.name}: {p}" for p in pdf.problems()]
        identified.append((path, sha, size, ident, pdf))
    batch.warnings += [Finding("register.file-check", Severity.WARNING, w,
                               row.location("files")) for w in warnings]

    # The rest of the checks, before any number is taken.
    reg_date = batch.today
    imported: _ImportedCase | None = None
    title: str | None = None
    new_case = case_id is None
    if case_id is None:
        if batch.keep_numbers:
            found = _import_case(batch, row, s, when)
            if isinstance(found, _ImportedCase):
                imported = found
            else:
                case_id, dnr = found
        else:
            title = get("case_title")
            if not title:
                raise RowError("a new case needs a title (Ärendemening)", "case_title")
            if class_code is None and rt is not None:
                class_code = rt.class_code
    imported_seq = None
    if batch.keep_numbers and get("document"):
        imported_seq = _imported_document_seq(row, s)

    # Files into the content store; a row refused here takes its new objects back out.
    if batch.store is not None and not simulate:
        added: list[str] = []
        for path, sha, _size, _ident, _pdf in identified:
            was_there = batch.store.exists(sha)
            stored = batch.store.put(path)
            if stored.sha256 != sha:
                _remove_objects(batch.store, added)
                raise RowError(f"{path.name} changed while it was being registered", "files")
            if not was_there:
                added.append(sha)
        batch.new_objects += added

    # Valid: number it and queue it.
    if new_case:
        if imported is not None:
            case_id, dnr = _queue_imported_case(batch, row, imported, class_code, when)
        elif case_id is None:
            year = reg_date.year if s.reset == "yearly" else 0
            number = batch.counters.allocate_number(s.series_id, year)
            dnr = s.fmt.render(series=s.code, year=reg_date.year, number=number,
                               class_code=class_code if "class" in s.fmt.fields else None)
            case_id = new_id()
            batch.counters.new_case(case_id)
            batch.case_rows.append({
                "id": case_id, "organisation_id": s.org_reg_id, "dnr": dnr, "raw_ref": None,
                "series_id": s.series_id, "year": year, "number": number, "title": title,
                "class_code": class_code, "status": "open", "opened_at": when or reg_date,
                "officer": get("officer"), "unit": get("unit"),
                "initiative": "externt" if direction == "incoming" else "eget",
                "registered_by": batch.actor, "person_ref": get("person_ref"),
                "attributes": None})
            batch.events.append({
                "kind": "case_opened", "actor": batch.actor, "organisation_id": s.org_reg_id,
                "case_id": case_id, "short_text": f"Ärende {dnr} öppnat: {title}",
                "person_ref": get("person_ref")})
            if provisions:
                # A case opened by a secret document: its title (ärendemening) may tell
                # what the document holds, so it is marked too and public extracts hide it.
                opened_on = when or reg_date
                batch.secrecy_rows.append({
                    "id": new_id(), "target": "case_title", "target_id": case_id,
                    "provision": str(provisions[0]), "marked_on": opened_on,
                    "provision_known": load_provisions().known(provisions[0], opened_on),
                    "max_until": load_provisions().max_until(provisions[0], opened_on),
                    "marking_authority_id": s.org_reg_id, "marked_by": batch.actor,
                    "note": DEFAULT_NOTE})
        if key:
            batch.remember_case_key(key, case_id or "", dnr or "", s)
    opened = new_case  # (an imported case found already registered counts too, as before)
    assert case_id is not None and dnr is not None

    if imported_seq is not None:
        batch.counters.raise_document_seq_to(case_id, imported_seq)
        seq = imported_seq
    else:
        seq = batch.counters.next_document_seq(case_id)
    ref = s.fmt.render_document(dnr, seq)
    secret = bool(provisions)
    counterpart = get("counterpart")
    public_counterpart = counterpart
    if secret and counterpart:
        public_counterpart = "Enskild" if get("person_ref") else None
    public_description = description or ""
    if secret:
        public_description = (rt.name if rt else get("document_type")) or "Handling"
    due, delivery_due, basis = dates_at_registration(
        rt.retention if rt else None, rt.delivery if rt else None, when or reg_date, reg_date)
    doc_id = new_id()
    batch.document_rows.append({
        "id": doc_id, "organisation_id": s.org_reg_id, "case_id": case_id, "seq": seq,
        "ref": ref, "raw_ref": get("document"), "direction": direction,
        "record_type_id": rt.id if rt else None, "document_type": get("document_type"),
        "description": public_description,
        "description_protected": description if secret else None,
        "counterpart": public_counterpart,
        "counterpart_protected": counterpart if secret else None,
        "date_received": when if direction == "incoming" else None,
        "date_drawn_up": when if direction in ("internal", None) else None,
        "date_dispatched": when if direction == "outgoing" else None,
        "registered_by": batch.actor, "external_id": ext, "intake_hash": intake_hash,
        "retention_due": due, "delivery_due": delivery_due,
        "due_basis": {"plan_version_id": rt.plan_version_id, "row_ref": rt.row_ref, **basis}
        if rt else None,
        "attributes": _attributes(row, keep_all=batch.keep_numbers)})
    for path, sha, size, ident, pdf in identified:
        stored_path = batch.store.path_for(sha) if batch.store else None
        batch.file_rows.append({
            "id": new_id(), "document_id": doc_id, "filename": path.name, "sha256": sha,
            "size": size,
            "store_path": str(stored_path.relative_to(batch.config.storage_path))
            if stored_path else sha,
            "mime": ident.mime, "pronom_puid": ident.puid, "identifier_tool": ident.tool,
            "identifier_version": ident.tool_version, "identification_basis": ident.basis,
            "pdf_checks": pdf.to_dict() if pdf else None})
    osl = load_provisions()
    doc_date = when or reg_date
    for provision in provisions:
        batch.secrecy_rows.append({
            "id": new_id(), "target": "document", "target_id": doc_id,
            "provision": str(provision), "marked_on": doc_date,
            "provision_known": osl.known(provision, doc_date),
            "max_until": osl.max_until(provision, doc_date),
            "marking_authority_id": s.org_reg_id, "marked_by": batch.actor,
            "note": "vid registrering" if hint.provisions else DEFAULT_NOTE})
    batch.events.append({
        "kind": "document_registered", "actor": batch.actor, "organisation_id": s.org_reg_id,
        "case_id": case_id, "document_id": doc_id,
        "event_date": when if batch.keep_numbers and when else None,
        "short_text": f"Handling {ref} registrerad: {public_description}",
        "detail": None if secret else description, "person_ref": get("person_ref"),
        "payload": {"direction": direction, "files": len(identified),
                    "secrecy": [str(p) for p in provisions]}})
    batch.queued_hashes.setdefault((s.org_reg_id, intake_hash),
                                   _Known(ref, intake_hash, case_id, dnr))
    if ext_key is not None:
        batch.remember_external_id(ext_key, intake_hash)
    if simulate:
        return RowOutcome(row.line, "would register", ref, dnr, opened, ext)
    return RowOutcome(row.line, "registered", ref, dnr, opened, ext)


def _attributes(row: IntakeRow, *, keep_all: bool) -> dict[str, Any] | None:
    """What is kept of the row beyond the columns: unmapped fields, and for migrations the
    whole source row, so that nothing of an imported register is lost."""
    out: dict[str, Any] = {}
    if row.extra:
        out["extra"] = dict(row.extra)
    if keep_all:
        out["source"] = dict(row.raw)
    return out or None


def _existing_imported_document(batch: _Batch, row: IntakeRow, s: SeriesInfo) -> Any:
    try:
        parsed = parse_any(row.get("document") or "", {s.code: s.fmt})
    except DnrError as exc:
        raise RowError(str(exc), "document") from None
    if parsed.seq is None:
        return None
    if batch.document_rows:
        batch.flush()  # documents queued earlier in this batch must be found too
    year = parsed.year if s.reset == "yearly" and parsed.year else 0
    return batch.conn.execute(
        sa.select(document.c.ref, document.c.intake_hash, case_.c.dnr)
        .join(case_, case_.c.id == document.c.case_id)
        .where(case_.c.series_id == s.series_id, case_.c.year == year,
               case_.c.number == parsed.number, document.c.seq == parsed.seq)).first()


def _existing_case(batch: _Batch, ref: str, series_code: str | None
                   ) -> tuple[SeriesInfo, str, str]:
    formats = {k: v.fmt for k, v in batch.series.items() if "/" not in k}
    try:
        parsed = parse_any(ref, formats)
    except DnrError as exc:
        raise RowError(str(exc), "case") from None
    s = batch.series_for(parsed.series or series_code)
    dnr = s.fmt.render(series=s.code, year=parsed.year or 0, number=parsed.number)
    if batch.case_rows:
        batch.flush()  # cases queued earlier in this batch must be found too
    found = batch.conn.execute(sa.select(case_.c.id, case_.c.status).where(
        case_.c.organisation_id == s.org_reg_id, case_.c.series_id == s.series_id,
        case_.c.number == parsed.number,
        case_.c.year == (parsed.year if s.reset == "yearly" else 0))).first()
    if found is None:
        raise RowError(f"case {ref} is not registered", "case")
    if found.status == "voided":
        raise RowError(f"case {ref} is voided (makulerat)", "case")
    return s, found.id, dnr


def _import_case(batch: _Batch, row: IntakeRow, s: SeriesInfo, when: date | None
                 ) -> tuple[str, str] | _ImportedCase:
    """The case of a row with its own imported number (migration from another system): the
    one already registered, or the one to open (checked here, queued later)."""
    ref = row.get("case")
    formats = {s.code: s.fmt}
    field = "case"
    if not ref:
        # A document number such as "2023/062312-5" names its case too.
        ref, field = row.get("document"), "document"
    if not ref:
        raise RowError("--keep-numbers needs the case number (Ärende) or the document number "
                       "on every row", "case")
    try:
        parsed = parse_any(ref, formats)
    except DnrError as exc:
        raise RowError(str(exc), field) from None
    ref = s.fmt.render(series=s.code, year=parsed.year or 0, number=parsed.number,
                       class_code=parsed.class_code if "class" in s.fmt.fields else None) \
        if field == "document" else ref
    year = parsed.year if s.reset == "yearly" and parsed.year else 0
    if batch.case_rows:
        batch.flush()  # cases queued earlier in this batch must be found too
    existing = batch.conn.execute(sa.select(case_.c.id, case_.c.dnr).where(
        case_.c.series_id == s.series_id, case_.c.year == year,
        case_.c.number == parsed.number)).first()
    if existing is not None:
        return existing.id, existing.dnr
    dnr = s.fmt.render(series=s.code, year=parsed.year or 0, number=parsed.number,
                       class_code=parsed.class_code if "class" in s.fmt.fields else None)
    status_raw = (row.get("status") or "").casefold()
    status = {"avslutat": "closed", "avslutad": "closed", "pågående": "open",
              "öppet": "open", "öppen": "open", "vilande": "dormant",
              "avskrivet": "written_off", "makulerat": "voided"}.get(status_raw, "open")
    attributes = {"status_raw": row.get("status")} if row.get("status") else {}
    if row.get("subject"):
        attributes["subject"] = row.get("subject")
    return _ImportedCase(s, dnr, ref or "", year, parsed.number, status, attributes or None)


def _queue_imported_case(batch: _Batch, row: IntakeRow, case: _ImportedCase,
                         class_code: str | None, when: date | None) -> tuple[str, str]:
    s = case.s
    case_id = new_id()
    batch.counters.new_case(case_id)
    batch.case_rows.append({
        "id": case_id, "organisation_id": s.org_reg_id, "dnr": case.dnr,
        "raw_ref": case.raw_ref, "series_id": s.series_id, "year": case.year,
        "number": case.number, "title": row.get("case_title") or case.raw_ref,
        "class_code": class_code, "status": case.status, "opened_at": when or batch.today,
        "officer": row.get("officer"), "unit": row.get("unit"), "initiative": None,
        "registered_by": batch.actor, "person_ref": None, "attributes": case.attributes})
    batch.counters.raise_number_to(s.series_id, case.year, case.number)
    batch.events.append({
        "kind": "case_imported", "actor": batch.actor, "organisation_id": s.org_reg_id,
        "case_id": case_id, "event_date": when,
        "short_text": f"Ärende {case.dnr} inläst från tidigare system"})
    return case_id, case.dnr


def _imported_document_seq(row: IntakeRow, s: SeriesInfo) -> int:
    raw = row.get("document") or ""
    try:
        parsed = parse_any(raw, {s.code: s.fmt})
    except DnrError as exc:
        raise RowError(str(exc), "document") from None
    if parsed.seq is None:
        raise RowError(f"document number '{raw}' has no document part (e.g. -1)", "document")
    return parsed.seq


__all__ = ["ClassificationRule", "RegistrationReport", "RowOutcome", "register_rows",
           "resolve_input_file"]
