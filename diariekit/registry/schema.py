"""The registry's tables (diarium, planer, gallring, leverans) as SQLAlchemy Core.

This module is the schema as code (domain.md §4). It is changed only together with a new
Alembic migration in ``diariekit/registry/migrations/versions``; a test compares this metadata
with a migrated database on SQLite and PostgreSQL so the two cannot drift apart.

Conventions:

* Ids are uuid4 text (``String(36)``, :func:`new_id`). Natural keys are unique constraints.
  Order comes from ``event.seq``, never from ids.
* Legal dates (registration, closing, retention and delivery dates) are ``Date`` in
  Europe/Stockholm time. System timestamps are :class:`UtcDateTime`: timezone-aware UTC on
  both backends (naive datetimes are refused).
* Enumerated values that domain.md defines as closed sets carry a named CHECK constraint;
  open vocabularies (event kinds, document types, plan kinds) are plain text.
* Nothing is ever deleted from the register: voided entries (makulerade) and disposed ones
  (gallrade) stay as rows with a status. Only draft plan contents cascade on delete.
* ``event`` is append-only: migration 0001 installs triggers that refuse UPDATE and DELETE.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

__all__ = [
    "CASE_STATUSES",
    "DOCUMENT_STATUSES",
    "GENESIS_HASH",
    "UtcDateTime",
    "case_",
    "case_link",
    "disposal_batch",
    "disposal_item",
    "document",
    "event",
    "file",
    "hold",
    "metadata",
    "new_id",
    "organisation",
    "plan",
    "plan_class",
    "plan_version",
    "record_type",
    "secrecy_marking",
    "series",
    "series_counter",
    "transfer",
    "transfer_item",
    "transfer_package",
    "utc_now",
]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: ``prev_hash`` of the first event in the chain.
GENESIS_HASH = "0" * 64


def new_id() -> str:
    """A new opaque id (uuid4 as text)."""
    return str(uuid.uuid4())


def utc_now() -> datetime:
    """The current system time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A system timestamp: stored as UTC, always returned timezone-aware in UTC.

    SQLite keeps no offset and PostgreSQL returns the session's zone; this type makes both
    give the same aware UTC value back. Naive datetimes are refused, since their zone is a
    guess.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for a UTC timestamp")
        utc = value.astimezone(UTC)
        # SQLite stores text; keep it offset-free so values sort and compare as text.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json() -> sa.JSON:
    # none_as_null: Python None is SQL NULL, not the JSON literal 'null'.
    return sa.JSON(none_as_null=True)


def _id(**kwargs: Any) -> sa.Column[str]:
    return sa.Column("id", sa.String(36), primary_key=True, default=new_id, **kwargs)


def _fk(
    name: str,
    target: str,
    *,
    nullable: bool,
    ondelete: str | None = None,
    index: bool = True,
) -> sa.Column[str]:
    return sa.Column(
        name,
        sa.String(36),
        sa.ForeignKey(target, ondelete=ondelete),
        nullable=nullable,
        index=index,
    )


def _one_of(column: str, values: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name or column)


def _created_at() -> sa.Column[datetime]:
    return sa.Column("created_at", UtcDateTime(), nullable=False, default=utc_now)


ORGANISATION_KINDS = (
    "kommun",
    "region",
    "nämnd",
    "statlig_myndighet",
    "kommunalförbund",
    "kommunalt_bolag",
)
SERIES_KINDS = ("case", "document")
SERIES_RESETS = ("yearly", "never")
PLAN_STATUSES = ("draft", "adopted", "superseded", "repealed")
LEGAL_MODELS = ("plan_is_decision", "refers_to_authority_decision", "state_ra_fs")
CASE_STATUSES = ("open", "dormant", "closed", "written_off", "forwarded", "voided")
CASE_DISPOSITIONS = ("active", "held", "disposed", "transferred")
CLOSING_KINDS = ("beslut", "avskrivning", "överlämnad", "makulerad")
INITIATIVES = ("eget", "externt")
DIRECTIONS = ("incoming", "outgoing", "internal")
DOCUMENT_STATUSES = ("registered", "voided", "disposed", "transferred")
FILE_VARIANTS = ("original", "preservation", "public", "display")
MARKING_TARGETS = ("case_title", "document", "file", "counterpart", "description")
HOLD_SCOPES = ("document", "case", "class", "record_type", "series", "query")
HOLD_REASONS = (
    "access_request",
    "appeal",
    "audit",
    "supervision",
    "litigation",
    "research",
    "legal_freeze",
    "other",
)
CASE_LINK_KINDS = ("remiss", "uppdrag", "vidarebefordran")
DISPOSAL_STATUSES = ("draft", "proposed", "approved", "executing", "completed", "aborted")
DISPOSAL_METHODS = ("secure_delete", "shredding", "incineration", "crypto_erase")
DISPOSAL_OBJECT_KINDS = ("case", "document", "file")
HOLD_CHECKS = ("clear", "held")
DISPOSAL_OUTCOMES = ("destroyed", "skipped_hold", "skipped_changed", "failed")
TRANSFER_STATUSES = ("built", "validated", "sent", "received", "accepted", "rejected")


organisation = sa.Table(
    "organisation",
    metadata,
    _id(),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("orgnr", sa.String(11), nullable=True, index=True),
    sa.Column("archive_creator_id", sa.String(64), nullable=True),
    sa.Column("municipality_code", sa.String(4), nullable=True),
    _fk("parent_id", "organisation.id", nullable=True),
    _fk("archives_authority_id", "organisation.id", nullable=True),
    _created_at(),
    _one_of("kind", ORGANISATION_KINDS),
    comment="myndighet / arkivbildare",
)
"""An authority and record creator (myndighet / arkivbildare).

``code`` is the short key used by ``--org`` and the config. ``orgnr`` (``^\\d{6}-\\d{4}$``) is
not unique: the nämnder of a kommun share the kommun's number.
"""

series = sa.Table(
    "series",
    metadata,
    _id(),
    _fk("organisation_id", "organisation.id", nullable=False, index=False),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("title", sa.Text(), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False, server_default="case"),
    sa.Column("dnr_template", sa.String(128), nullable=False),
    sa.Column("doc_suffix_template", sa.String(64), nullable=False, server_default="-{seq}"),
    sa.Column("reset", sa.String(16), nullable=False, server_default="yearly"),
    sa.Column("active_from", sa.Date(), nullable=False),
    sa.Column("active_to", sa.Date(), nullable=True),
    _created_at(),
    sa.UniqueConstraint("organisation_id", "code"),
    _one_of("kind", SERIES_KINDS),
    _one_of("reset", SERIES_RESETS),
    comment="diarieserie",
)
"""A registration series (diarieserie), e.g. "KS", "SN".

``kind`` is ``case`` for ärende series and ``document`` for löpnummer series of loose
documents. ``dnr_template`` is data, e.g. ``"{series} {year}/{number:04d}"``.
"""

series_counter = sa.Table(
    "series_counter",
    metadata,
    sa.Column(
        "series_id",
        sa.String(36),
        sa.ForeignKey("series.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("last_number", sa.Integer(), nullable=False, server_default="0"),
    comment="löpnummerräknare",
)
"""The running-number counter (löpnummer) of a series per registration year.

Gapless: read and bump ``last_number`` in the same write transaction as the insert it numbers
(``write_transaction``: BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL). Series with
``reset = 'never'`` use ``year = 0``.
"""

plan = sa.Table(
    "plan",
    metadata,
    _id(),
    _fk("organisation_id", "organisation.id", nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False, server_default="dokumenthanteringsplan"),
    _created_at(),
    comment="dokumenthanteringsplan / informationshanteringsplan",
)
"""A document-management plan (dokumenthanteringsplan / informationshanteringsplan).

``kind``: dokumenthanteringsplan, informationshanteringsplan, arkiveringsplan, gallringsplan.
"""

plan_version = sa.Table(
    "plan_version",
    metadata,
    _id(),
    _fk("plan_id", "plan.id", nullable=False, index=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False, server_default="dokumenthanteringsplan"),
    sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
    sa.Column("adopted_by", sa.Text(), nullable=True),
    sa.Column("adoption_ref", sa.String(128), nullable=True),
    sa.Column("adoption_date", sa.Date(), nullable=True),
    sa.Column("valid_from", sa.Date(), nullable=True),
    sa.Column("valid_to", sa.Date(), nullable=True),
    sa.Column("legal_model", sa.String(32), nullable=False, server_default="plan_is_decision"),
    _fk("supersedes_id", "plan_version.id", nullable=True),
    sa.Column("scheme", sa.String(64), nullable=True),
    sa.Column("source_file", sa.Text(), nullable=True),
    sa.Column("source_sha256", sa.String(64), nullable=True, index=True),
    sa.Column("source_encoding", sa.String(32), nullable=True),
    sa.Column("source_dialect", sa.String(64), nullable=True),
    sa.Column("source_format", sa.String(16), nullable=True),
    sa.Column("source_sheet", sa.String(128), nullable=True),
    sa.Column("meta", _json(), nullable=True),
    sa.Column("imported_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("imported_by", sa.String(128), nullable=True),
    sa.UniqueConstraint("plan_id", "version"),
    _one_of("status", PLAN_STATUSES),
    _one_of("legal_model", LEGAL_MODELS),
    comment="planversion",
)
"""One version of a plan (planversion), as adopted (antagen) or drafted.

``adoption_ref`` is the decision ("SN 2024/15 § 12"); ``legal_model`` says whether the plan is
the gallringsbeslut itself (domain.md §1.1). ``source_*`` describe the imported file; import is
idempotent on ``source_sha256``. ``meta`` keeps the rest of the plan's preface.
"""

plan_class = sa.Table(
    "plan_class",
    metadata,
    _id(),
    _fk("plan_version_id", "plan_version.id", nullable=False, ondelete="CASCADE", index=False),
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("level", sa.String(32), nullable=True),
    sa.Column("parent_code", sa.String(64), nullable=True),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("line", sa.Integer(), nullable=True),
    sa.UniqueConstraint("plan_version_id", "code"),
    comment="klass / process",
)
"""A class of the plan's classification scheme (klass / process), e.g. "2.3.2".

``code`` is NULL for a CSV section that names a process without a code. ``level``: area,
process_group, process, activity. ``line`` is the physical line in the source file.
"""

record_type = sa.Table(
    "record_type",
    metadata,
    _id(),
    _fk("plan_version_id", "plan_version.id", nullable=False, ondelete="CASCADE", index=False),
    sa.Column("row_ref", sa.String(255), nullable=False),
    sa.Column("class_code", sa.String(64), nullable=True),
    sa.Column("process", sa.Text(), nullable=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("registration", sa.String(32), nullable=True),
    sa.Column("registration_raw", sa.Text(), nullable=True),
    sa.Column("medium", sa.Text(), nullable=True),
    sa.Column("formats", _json(), nullable=True),
    sa.Column("original_copy", sa.String(32), nullable=True),
    sa.Column("storage", sa.Text(), nullable=True),
    sa.Column("sort_order", sa.Text(), nullable=True),
    sa.Column("secrecy_raw", sa.Text(), nullable=True),
    sa.Column("secrecy", _json(), nullable=True),
    sa.Column("retention_raw", sa.Text(), nullable=True),
    sa.Column("retention", _json(), nullable=True),
    sa.Column("legal_basis", sa.Text(), nullable=True),
    sa.Column("delivery_raw", sa.Text(), nullable=True),
    sa.Column("delivery", _json(), nullable=True),
    sa.Column("responsible", sa.Text(), nullable=True),
    sa.Column("personal_data", sa.Boolean(), nullable=True),
    sa.Column("notes", sa.Text(), nullable=True),
    sa.Column("extra", _json(), nullable=True),
    sa.Column("source_line", sa.Integer(), nullable=True),
    sa.Column("parse_warnings", _json(), nullable=True),
    sa.UniqueConstraint("plan_version_id", "row_ref"),
    sa.Index(None, "plan_version_id", "class_code"),
    comment="handlingstyp",
)
"""A record type (handlingstyp): one row of a plan version with its rules.

``row_ref`` is the row's stable key (the YAML ``id``, or in CSV the row id column or the
normalised (class or section, name) pair); ``plan diff`` matches on it. Each ``*_raw`` column
keeps the source text beside the parsed JSON. ``extra`` keeps unmapped columns.
"""

case_ = sa.Table(
    "case_",
    metadata,
    _id(),
    _fk("organisation_id", "organisation.id", nullable=False, index=False),
    sa.Column("dnr", sa.String(64), nullable=False),
    sa.Column("raw_ref", sa.Text(), nullable=True),
    _fk("series_id", "series.id", nullable=False, index=False),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("title_protected", sa.Text(), nullable=True),
    sa.Column("class_code", sa.String(64), nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),
    sa.Column("disposition", sa.String(16), nullable=False, server_default="active"),
    sa.Column("opened_at", sa.Date(), nullable=False),
    sa.Column("closed_at", sa.Date(), nullable=True),
    sa.Column("closing_kind", sa.String(16), nullable=True),
    sa.Column("initiative", sa.String(16), nullable=True),
    sa.Column("officer", sa.String(128), nullable=True),
    sa.Column("unit", sa.String(128), nullable=True),
    _fk("main_case_id", "case_.id", nullable=True),
    sa.Column("last_document_seq", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("voided_reason", sa.Text(), nullable=True),
    sa.Column("voided_by", sa.String(128), nullable=True),
    sa.Column("voided_at", UtcDateTime(), nullable=True),
    sa.Column("attributes", _json(), nullable=True),
    sa.Column("registered_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("registered_by", sa.String(128), nullable=True),
    sa.Column("person_ref", sa.String(64), nullable=True),
    sa.UniqueConstraint("organisation_id", "dnr"),
    sa.UniqueConstraint("series_id", "year", "number"),
    sa.Index(None, "organisation_id", "status"),
    _one_of("status", CASE_STATUSES),
    _one_of("disposition", CASE_DISPOSITIONS),
    _one_of("closing_kind", CLOSING_KINDS),
    _one_of("initiative", INITIATIVES),
    comment="ärende",
)
"""A case (ärende), numbered by its series and registration year (diarienummer).

``dnr`` is the canonical rendering, unique per organisation; ``raw_ref`` keeps an imported
reference as written. ``opened_at`` / ``closed_at`` are legal dates (``closed_at`` starts most
retention clocks). ``last_document_seq`` is the gapless counter of the case's documents.
``attributes`` keeps imported fields that have no column. ``person_ref`` is the personnummer
of the person the case concerns (protected; never in a public extract).
"""

document = sa.Table(
    "document",
    metadata,
    _id(),
    _fk("organisation_id", "organisation.id", nullable=False, index=False),
    _fk("case_id", "case_.id", nullable=True, index=False),
    sa.Column("seq", sa.Integer(), nullable=True),
    _fk("series_id", "series.id", nullable=True, index=False),
    sa.Column("year", sa.Integer(), nullable=True),
    sa.Column("number", sa.Integer(), nullable=True),
    sa.Column("ref", sa.String(80), nullable=False),
    sa.Column("raw_ref", sa.Text(), nullable=True),
    sa.Column("direction", sa.String(16), nullable=True),
    _fk("record_type_id", "record_type.id", nullable=True),
    sa.Column("document_type", sa.String(128), nullable=True),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("description_protected", sa.Text(), nullable=True),
    sa.Column("counterpart", sa.Text(), nullable=True),
    sa.Column("counterpart_protected", sa.Text(), nullable=True),
    sa.Column("date_received", sa.Date(), nullable=True),
    sa.Column("date_drawn_up", sa.Date(), nullable=True),
    sa.Column("date_dispatched", sa.Date(), nullable=True),
    sa.Column("registered_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("registered_by", sa.String(128), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="registered"),
    sa.Column("retention_due", sa.Date(), nullable=True, index=True),
    sa.Column("delivery_due", sa.Date(), nullable=True, index=True),
    sa.Column("due_basis", _json(), nullable=True),
    sa.Column("voided_reason", sa.Text(), nullable=True),
    sa.Column("voided_by", sa.String(128), nullable=True),
    sa.Column("voided_at", UtcDateTime(), nullable=True),
    sa.Column("attributes", _json(), nullable=True),
    sa.Column("external_id", sa.String(255), nullable=True),
    sa.Column("intake_hash", sa.String(64), nullable=True),
    sa.UniqueConstraint("organisation_id", "ref"),
    sa.UniqueConstraint("organisation_id", "external_id"),
    sa.UniqueConstraint("case_id", "seq"),
    sa.UniqueConstraint("series_id", "year", "number"),
    _one_of("direction", DIRECTIONS),
    _one_of("status", DOCUMENT_STATUSES),
    sa.CheckConstraint("case_id IS NULL OR seq IS NOT NULL", name="case_seq"),
    sa.Index(None, "organisation_id", "intake_hash"),
    comment="handling",
)
"""A registered document (handling), in a case (``case_id``, ``seq``) or loose.

``ref`` is the canonical reference ("SN 2026/0042-1"), unique per organisation. Loose documents
(``case_id`` NULL) take ``series_id`` + ``year`` + ``number`` from a löpnummer series.
``record_type_id`` NULL means unclassified, which means bevaras. Items 3 and 4 of the register
(OSL 5:2) have a public and a protected form. ``due_basis`` records which plan row and rule
version computed ``retention_due`` / ``delivery_due``. ``external_id`` (unique per
organisation) and ``intake_hash`` make bulk registration idempotent: the same row again is
skipped, the same id with other content is refused.
"""

file = sa.Table(
    "file",
    metadata,
    _id(),
    _fk("document_id", "document.id", nullable=False),
    sa.Column("filename", sa.Text(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("store_path", sa.Text(), nullable=False),
    sa.Column("mime", sa.String(255), nullable=True),
    sa.Column("pronom_puid", sa.String(32), nullable=True),
    sa.Column("identifier_tool", sa.String(64), nullable=True),
    sa.Column("identifier_version", sa.String(64), nullable=True),
    sa.Column("identification_basis", sa.Text(), nullable=True),
    sa.Column("pdf_checks", _json(), nullable=True),
    sa.Column("variant", sa.String(16), nullable=False, server_default="original"),
    _fk("derived_from_id", "file.id", nullable=True),
    _created_at(),
    _one_of("variant", FILE_VARIANTS),
    comment="fil",
)
"""A file of a document (fil), kept in the content-addressed store under its SHA-256.

``mime`` and ``pronom_puid`` are detected, never taken from the sender, with the identifying
tool and version. ``variant`` follows svkau value list 17; a ``public`` (redacted) variant
points at its original through ``derived_from_id``. Several rows may share one stored blob.
"""

secrecy_marking = sa.Table(
    "secrecy_marking",
    metadata,
    _id(),
    sa.Column("target", sa.String(16), nullable=False),
    sa.Column("target_id", sa.String(36), nullable=False),
    sa.Column("provision", sa.String(64), nullable=False),
    sa.Column("provision_known", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("marked_on", sa.Date(), nullable=False),
    _fk("marking_authority_id", "organisation.id", nullable=False),
    sa.Column("marked_by", sa.String(128), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("max_until", sa.Date(), nullable=True),
    _created_at(),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_by", sa.String(128), nullable=True),
    sa.Column("revoked_reason", sa.Text(), nullable=True),
    sa.Index(None, "target", "target_id"),
    _one_of("target", MARKING_TARGETS),
    comment="sekretessmarkering",
)
"""A secrecy marking (sekretessmarkering, OSL 5:5): a warning, never a decision.

``target`` names what is marked (``case_title`` → a case id; ``document``, ``counterpart``,
``description`` → a document id; ``file`` → a file id). ``provision`` is normalised
("OSL 26:1"); ``provision_known`` is false for provisions not in the shipped table. Markings
are append-only in meaning: revoked, never removed.
"""

hold = sa.Table(
    "hold",
    metadata,
    _id(),
    _fk("organisation_id", "organisation.id", nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("scope_ref", sa.Text(), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("reference", sa.String(128), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("placed_by", sa.String(128), nullable=False),
    sa.Column("placed_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("released_by", sa.String(128), nullable=True),
    sa.Column("released_at", UtcDateTime(), nullable=True),
    sa.Index(None, "scope", "scope_ref"),
    _one_of("scope", HOLD_SCOPES),
    _one_of("reason", HOLD_REASONS),
    comment="gallringsstopp / spärr",
)
"""A disposal freeze (gallringsstopp / spärr), e.g. for a pending access request.

``scope_ref`` is the id of the held document, case, record type or series, or the query text.
``reference`` is the dnr that placed it. An unreleased hold blocks disposal, including local
deletion after delivery.
"""

case_link = sa.Table(
    "case_link",
    metadata,
    _id(),
    sa.Column("kind", sa.String(16), nullable=False),
    _fk("from_case_id", "case_.id", nullable=False),
    _fk("to_case_id", "case_.id", nullable=True),
    sa.Column("to_party", sa.Text(), nullable=True),
    sa.Column("sent_at", sa.Date(), nullable=True),
    sa.Column("due_at", sa.Date(), nullable=True),
    sa.Column("answered_at", sa.Date(), nullable=True),
    _fk("answer_doc_id", "document.id", nullable=True, index=False),
    sa.Column("keeps_followup", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("note", sa.Text(), nullable=True),
    _created_at(),
    _one_of("kind", CASE_LINK_KINDS),
    sa.CheckConstraint("to_case_id IS NOT NULL OR to_party IS NOT NULL", name="target"),
    comment="remiss / uppdrag / vidarebefordran",
)
"""A link between cases (remiss, uppdrag, vidarebefordran), domain.md §2.4.

Goes to another case here (``to_case_id``) or to an outside party (``to_party``). The dates
are legal dates; ``keeps_followup`` is "med behållet uppföljningsansvar".
"""

event = sa.Table(
    "event",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("id", sa.String(36), nullable=False, unique=True, default=new_id),
    sa.Column("at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("event_date", sa.Date(), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False, index=True),
    _fk("organisation_id", "organisation.id", nullable=True),
    _fk("case_id", "case_.id", nullable=True),
    _fk("main_case_id", "case_.id", nullable=True),
    _fk("document_id", "document.id", nullable=True),
    sa.Column("short_text", sa.Text(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Column("link", sa.Text(), nullable=True),
    sa.Column("person_ref", sa.String(64), nullable=True),
    sa.Column("payload", _json(), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sqlite_autoincrement=True,
    comment="diariehändelse / ärendehändelse (append-only)",
)
"""A registry event (diariehändelse / ärendehändelse): append-only, hash-chained.

``seq`` gives the order (monotonic, never reused; it may skip after a rollback on
PostgreSQL). ``at`` is system time, ``event_date`` the legal date. ``short_text`` is public;
``detail`` and ``person_ref`` may be protected. ``hash`` is SHA-256 over the event's canonical
JSON including ``prev_hash`` (:data:`GENESIS_HASH` for the first). Triggers refuse UPDATE and
DELETE.
"""

disposal_batch = sa.Table(
    "disposal_batch",
    metadata,
    _id(),
    _fk("organisation_id", "organisation.id", nullable=False),
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("criteria", _json(), nullable=True),
    sa.Column("plan_version_ids", _json(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
    sa.Column("created_by", sa.String(128), nullable=False),
    _created_at(),
    sa.Column("approved_by", sa.String(128), nullable=True),
    sa.Column("approved_at", UtcDateTime(), nullable=True),
    sa.Column("approval_ref", sa.String(128), nullable=True),
    sa.Column("method", sa.String(16), nullable=True),
    sa.Column("executed_by", sa.String(128), nullable=True),
    sa.Column("executed_at", UtcDateTime(), nullable=True),
    sa.Column("completed_at", UtcDateTime(), nullable=True),
    _fk("log_document_id", "document.id", nullable=True, index=False),
    sa.Column("deviations", sa.Text(), nullable=True),
    _one_of("status", DISPOSAL_STATUSES),
    _one_of("method", DISPOSAL_METHODS),
    comment="gallringsomgång",
)
"""A disposal run (gallringsomgång): proposed, approved, executed, logged.

``log_document_id`` is the gallringsprotokoll, itself registered as a document and kept.
"""

disposal_item = sa.Table(
    "disposal_item",
    metadata,
    _id(),
    _fk("batch_id", "disposal_batch.id", nullable=False, ondelete="CASCADE", index=False),
    sa.Column("object_kind", sa.String(16), nullable=False),
    sa.Column("object_id", sa.String(36), nullable=False),
    sa.Column("ref", sa.String(80), nullable=False),
    _fk("record_type_id", "record_type.id", nullable=True),
    _fk("plan_version_id", "plan_version.id", nullable=True, index=False),
    sa.Column("retention_raw", sa.Text(), nullable=True),
    sa.Column("retention", _json(), nullable=True),
    sa.Column("due", sa.Date(), nullable=True),
    sa.Column("hold_check", sa.String(16), nullable=True),
    sa.Column("hold_ids", _json(), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=True),
    sa.Column("outcome_at", UtcDateTime(), nullable=True),
    sa.Column("file_count", sa.Integer(), nullable=True),
    sa.Column("byte_count", sa.BigInteger(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.UniqueConstraint("batch_id", "object_kind", "object_id"),
    sa.Index(None, "object_kind", "object_id"),
    _one_of("object_kind", DISPOSAL_OBJECT_KINDS),
    _one_of("hold_check", HOLD_CHECKS),
    _one_of("outcome", DISPOSAL_OUTCOMES),
    comment="gallringspost",
)
"""One case, document or file in a disposal run (gallringspost).

Keeps the rule as applied (``retention_raw``, ``retention``, ``plan_version_id`` of the rule
in force) and the result of the hold check, so the log can be written from these rows alone.
"""

transfer = sa.Table(
    "transfer",
    metadata,
    _id(),
    _fk("organisation_id", "organisation.id", nullable=False),
    _fk("recipient_id", "organisation.id", nullable=False, index=False),
    sa.Column("submission_ref", sa.String(128), nullable=False, unique=True),
    sa.Column("scope", _json(), nullable=True),
    sa.Column("profile", sa.String(128), nullable=False),
    sa.Column("built_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.Column("built_by", sa.String(128), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="built"),
    sa.Column("receipt_ref", sa.String(128), nullable=True),
    sa.Column("status_changed_at", UtcDateTime(), nullable=True),
    sa.Column("responsibility_transferred_at", UtcDateTime(), nullable=True),
    _one_of("status", TRANSFER_STATUSES),
    comment="leverans",
)
"""A delivery to an archive (leverans) of one or more SIPs.

A large transfer is split into several packages (``transfer_package``), each complete on its
own, sharing ``submission_ref``. ``receipt_ref`` is the leveranskvittens; local copies may be
destroyed only once ``status = 'accepted'``.
"""

transfer_package = sa.Table(
    "transfer_package",
    metadata,
    _id(),
    _fk("transfer_id", "transfer.id", nullable=False, ondelete="CASCADE", index=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("package_id", sa.String(128), nullable=False, unique=True),
    sa.Column("filename", sa.Text(), nullable=True),
    sa.Column("sip_sha256", sa.String(64), nullable=True),
    sa.Column("size", sa.BigInteger(), nullable=True),
    sa.Column("built_at", UtcDateTime(), nullable=False, default=utc_now),
    sa.UniqueConstraint("transfer_id", "seq"),
    comment="överföringspaket",
)
"""One SIP of a transfer (överföringspaket): ``package_id`` is its OBJID.

``transfer accept PACKAGE_ID`` finds the transfer through this table.
"""

transfer_item = sa.Table(
    "transfer_item",
    metadata,
    _id(),
    _fk("transfer_id", "transfer.id", nullable=False, ondelete="CASCADE", index=False),
    _fk("package_id", "transfer_package.id", nullable=True, index=False),
    _fk("case_id", "case_.id", nullable=True),
    _fk("document_id", "document.id", nullable=True),
    sa.CheckConstraint("case_id IS NOT NULL OR document_id IS NOT NULL", name="target"),
    comment="leveranspost",
)
"""A case or document included in a transfer (leveranspost), and its package."""
