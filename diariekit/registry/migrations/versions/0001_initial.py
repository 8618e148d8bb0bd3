"""Initial registry schema: every table of the data model, and the append-only event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Frozen history: written out in full (generated once from ``schema.py``, then kept as is), so
it must never import ``schema.py``. System timestamps are ``DateTime(timezone=True)`` here;
``schema.UtcDateTime`` only adds Python-side conversion on top of that column type.

The ``event`` table is append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) with an integrity error whose message contains "append-only".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables in creation order (dependencies first).
TABLES = (
    "organisation",
    "hold",
    "plan",
    "secrecy_marking",
    "series",
    "transfer",
    "case_",
    "plan_version",
    "series_counter",
    "transfer_package",
    "plan_class",
    "record_type",
    "document",
    "case_link",
    "disposal_batch",
    "event",
    "file",
    "transfer_item",
    "disposal_item",
)

_SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER event_append_only_update BEFORE UPDATE ON event
    BEGIN
        SELECT RAISE(ABORT, 'event is append-only: UPDATE refused');
    END
    """,
    """
    CREATE TRIGGER event_append_only_delete BEFORE DELETE ON event
    BEGIN
        SELECT RAISE(ABORT, 'event is append-only: DELETE refused');
    END
    """,
)

_POSTGRESQL_TRIGGERS = (
    """
    CREATE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'event is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER event_append_only_row BEFORE UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION event_append_only()
    """,
    """
    CREATE TRIGGER event_append_only_truncate BEFORE TRUNCATE ON event
    FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()
    """,
)


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name)


def upgrade() -> None:
    _create_tables()
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in _POSTGRESQL_TRIGGERS:
            op.execute(statement)
    else:
        raise NotImplementedError(f"no append-only guard for the {dialect} backend")


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    for table in reversed(TABLES):
        op.drop_table(table)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION event_append_only()")


def _create_tables() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("orgnr", sa.String(length=11), nullable=True),
        sa.Column("archive_creator_id", sa.String(length=64), nullable=True),
        sa.Column("municipality_code", sa.String(length=4), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("archives_authority_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _one_of(
            "kind",
            (
                "kommun",
                "region",
                "nämnd",
                "statlig_myndighet",
                "kommunalförbund",
                "kommunalt_bolag",
            ),
            "ck_organisation_kind",
        ),
        sa.ForeignKeyConstraint(
            ["archives_authority_id"],
            ["organisation.id"],
            name="fk_organisation_archives_authority_id_organisation",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organisation.id"], name="fk_organisation_parent_id_organisation"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_organisation"),
        sa.UniqueConstraint("code", name="uq_organisation_code"),
        comment="myndighet / arkivbildare",
    )
    op.create_index(
        "ix_organisation_archives_authority_id",
        "organisation",
        ["archives_authority_id"],
        unique=False,
    )
    op.create_index("ix_organisation_orgnr", "organisation", ["orgnr"], unique=False)
    op.create_index("ix_organisation_parent_id", "organisation", ["parent_id"], unique=False)
    op.create_table(
        "hold",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_ref", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("placed_by", sa.String(length=128), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        _one_of(
            "reason",
            (
                "access_request",
                "appeal",
                "audit",
                "supervision",
                "litigation",
                "research",
                "legal_freeze",
                "other",
            ),
            "ck_hold_reason",
        ),
        _one_of(
            "scope",
            ("document", "case", "class", "record_type", "series", "query"),
            "ck_hold_scope",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name="fk_hold_organisation_id_organisation"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_hold"),
        comment="gallringsstopp / spärr",
    )
    op.create_index("ix_hold_organisation_id", "hold", ["organisation_id"], unique=False)
    op.create_index("ix_hold_scope_scope_ref", "hold", ["scope", "scope_ref"], unique=False)
    op.create_table(
        "plan",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "kind", sa.String(length=64), server_default="dokumenthanteringsplan", nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name="fk_plan_organisation_id_organisation"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_plan"),
        comment="dokumenthanteringsplan / informationshanteringsplan",
    )
    op.create_index("ix_plan_organisation_id", "plan", ["organisation_id"], unique=False)
    op.create_table(
        "secrecy_marking",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("provision", sa.String(length=64), nullable=False),
        sa.Column("provision_known", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("marked_on", sa.Date(), nullable=False),
        sa.Column("marking_authority_id", sa.String(length=36), nullable=False),
        sa.Column("marked_by", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("max_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=128), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        _one_of(
            "target",
            ("case_title", "document", "file", "counterpart", "description"),
            "ck_secrecy_marking_target",
        ),
        sa.ForeignKeyConstraint(
            ["marking_authority_id"],
            ["organisation.id"],
            name="fk_secrecy_marking_marking_authority_id_organisation",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_secrecy_marking"),
        comment="sekretessmarkering",
    )
    op.create_index(
        "ix_secrecy_marking_marking_authority_id",
        "secrecy_marking",
        ["marking_authority_id"],
        unique=False,
    )
    op.create_index(
        "ix_secrecy_marking_target_target_id",
        "secrecy_marking",
        ["target", "target_id"],
        unique=False,
    )
    op.create_table(
        "series",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=16), server_default="case", nullable=False),
        sa.Column("dnr_template", sa.String(length=128), nullable=False),
        sa.Column(
            "doc_suffix_template", sa.String(length=64), server_default="-{seq}", nullable=False
        ),
        sa.Column("reset", sa.String(length=16), server_default="yearly", nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _one_of(
            "kind",
            ("case", "document"),
            "ck_series_kind",
        ),
        _one_of(
            "reset",
            ("yearly", "never"),
            "ck_series_reset",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name="fk_series_organisation_id_organisation"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
        sa.UniqueConstraint("organisation_id", "code", name="uq_series_organisation_id_code"),
        comment="diarieserie",
    )
    op.create_table(
        "transfer",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("recipient_id", sa.String(length=36), nullable=False),
        sa.Column("submission_ref", sa.String(length=128), nullable=False),
        sa.Column("scope", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("profile", sa.String(length=128), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="built", nullable=False),
        sa.Column("receipt_ref", sa.String(length=128), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responsibility_transferred_at", sa.DateTime(timezone=True), nullable=True),
        _one_of(
            "status",
            ("built", "validated", "sent", "received", "accepted", "rejected"),
            "ck_transfer_status",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name="fk_transfer_organisation_id_organisation",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["organisation.id"], name="fk_transfer_recipient_id_organisation"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfer"),
        sa.UniqueConstraint("submission_ref", name="uq_transfer_submission_ref"),
        comment="leverans",
    )
    op.create_index("ix_transfer_organisation_id", "transfer", ["organisation_id"], unique=False)
    op.create_table(
        "case_",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("dnr", sa.String(length=64), nullable=False),
        sa.Column("raw_ref", sa.Text(), nullable=True),
        sa.Column("series_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_protected", sa.Text(), nullable=True),
        sa.Column("class_code", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("disposition", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("opened_at", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.Date(), nullable=True),
        sa.Column("closing_kind", sa.String(length=16), nullable=True),
        sa.Column("initiative", sa.String(length=16), nullable=True),
        sa.Column("officer", sa.String(length=128), nullable=True),
        sa.Column("unit", sa.String(length=128), nullable=True),
        sa.Column("main_case_id", sa.String(length=36), nullable=True),
        sa.Column("last_document_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("voided_reason", sa.Text(), nullable=True),
        sa.Column("voided_by", sa.String(length=128), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attributes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=128), nullable=True),
        sa.Column("person_ref", sa.String(length=64), nullable=True),
        _one_of(
            "closing_kind",
            ("beslut", "avskrivning", "överlämnad", "makulerad"),
            "ck_case__closing_kind",
        ),
        _one_of(
            "disposition",
            ("active", "held", "disposed", "transferred"),
            "ck_case__disposition",
        ),
        _one_of(
            "initiative",
            ("eget", "externt"),
            "ck_case__initiative",
        ),
        _one_of(
            "status",
            ("open", "dormant", "closed", "written_off", "forwarded", "voided"),
            "ck_case__status",
        ),
        sa.ForeignKeyConstraint(["main_case_id"], ["case_.id"], name="fk_case__main_case_id_case_"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name="fk_case__organisation_id_organisation"
        ),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_case__series_id_series"),
        sa.PrimaryKeyConstraint("id", name="pk_case_"),
        sa.UniqueConstraint("organisation_id", "dnr", name="uq_case__organisation_id_dnr"),
        sa.UniqueConstraint("series_id", "year", "number", name="uq_case__series_id_year_number"),
        comment="ärende",
    )
    op.create_index("ix_case__class_code", "case_", ["class_code"], unique=False)
    op.create_index("ix_case__main_case_id", "case_", ["main_case_id"], unique=False)
    op.create_index(
        "ix_case__organisation_id_status", "case_", ["organisation_id", "status"], unique=False
    )
    op.create_table(
        "plan_version",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "kind", sa.String(length=64), server_default="dokumenthanteringsplan", nullable=False
        ),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("adopted_by", sa.Text(), nullable=True),
        sa.Column("adoption_ref", sa.String(length=128), nullable=True),
        sa.Column("adoption_date", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "legal_model", sa.String(length=32), server_default="plan_is_decision", nullable=False
        ),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.Column("scheme", sa.String(length=64), nullable=True),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("source_encoding", sa.String(length=32), nullable=True),
        sa.Column("source_dialect", sa.String(length=64), nullable=True),
        sa.Column("source_format", sa.String(length=16), nullable=True),
        sa.Column("source_sheet", sa.String(length=128), nullable=True),
        sa.Column("meta", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=128), nullable=True),
        _one_of(
            "legal_model",
            ("plan_is_decision", "refers_to_authority_decision", "state_ra_fs"),
            "ck_plan_version_legal_model",
        ),
        _one_of(
            "status",
            ("draft", "adopted", "superseded", "repealed"),
            "ck_plan_version_status",
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name="fk_plan_version_plan_id_plan"),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["plan_version.id"],
            name="fk_plan_version_supersedes_id_plan_version",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_plan_version"),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_version_plan_id_version"),
        comment="planversion",
    )
    op.create_index(
        "ix_plan_version_source_sha256", "plan_version", ["source_sha256"], unique=False
    )
    op.create_index(
        "ix_plan_version_supersedes_id", "plan_version", ["supersedes_id"], unique=False
    )
    op.create_table(
        "series_counter",
        sa.Column("series_id", sa.String(length=36), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
            name="fk_series_counter_series_id_series",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "year", name="pk_series_counter"),
        comment="löpnummerräknare",
    )
    op.create_table(
        "transfer_package",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.String(length=128), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("sip_sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfer.id"],
            name="fk_transfer_package_transfer_id_transfer",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_package"),
        sa.UniqueConstraint("package_id", name="uq_transfer_package_package_id"),
        sa.UniqueConstraint("transfer_id", "seq", name="uq_transfer_package_transfer_id_seq"),
        comment="överföringspaket",
    )
    op.create_table(
        "plan_class",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_version_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=True),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name="fk_plan_class_plan_version_id_plan_version",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_plan_class"),
        sa.UniqueConstraint("plan_version_id", "code", name="uq_plan_class_plan_version_id_code"),
        comment="klass / process",
    )
    op.create_table(
        "record_type",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_version_id", sa.String(length=36), nullable=False),
        sa.Column("row_ref", sa.String(length=255), nullable=False),
        sa.Column("class_code", sa.String(length=64), nullable=True),
        sa.Column("process", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("registration", sa.String(length=32), nullable=True),
        sa.Column("registration_raw", sa.Text(), nullable=True),
        sa.Column("medium", sa.Text(), nullable=True),
        sa.Column("formats", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("original_copy", sa.String(length=32), nullable=True),
        sa.Column("storage", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Text(), nullable=True),
        sa.Column("secrecy_raw", sa.Text(), nullable=True),
        sa.Column("secrecy", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("retention_raw", sa.Text(), nullable=True),
        sa.Column("retention", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("delivery_raw", sa.Text(), nullable=True),
        sa.Column("delivery", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("responsible", sa.Text(), nullable=True),
        sa.Column("personal_data", sa.Boolean(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("extra", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("parse_warnings", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name="fk_record_type_plan_version_id_plan_version",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_record_type"),
        sa.UniqueConstraint(
            "plan_version_id", "row_ref", name="uq_record_type_plan_version_id_row_ref"
        ),
        comment="handlingstyp",
    )
    op.create_index(
        "ix_record_type_plan_version_id_class_code",
        "record_type",
        ["plan_version_id", "class_code"],
        unique=False,
    )
    op.create_table(
        "document",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.String(length=36), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("raw_ref", sa.Text(), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=True),
        sa.Column("record_type_id", sa.String(length=36), nullable=True),
        sa.Column("document_type", sa.String(length=128), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_protected", sa.Text(), nullable=True),
        sa.Column("counterpart", sa.Text(), nullable=True),
        sa.Column("counterpart_protected", sa.Text(), nullable=True),
        sa.Column("date_received", sa.Date(), nullable=True),
        sa.Column("date_drawn_up", sa.Date(), nullable=True),
        sa.Column("date_dispatched", sa.Date(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="registered", nullable=False),
        sa.Column("retention_due", sa.Date(), nullable=True),
        sa.Column("delivery_due", sa.Date(), nullable=True),
        sa.Column("due_basis", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("voided_reason", sa.Text(), nullable=True),
        sa.Column("voided_by", sa.String(length=128), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attributes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("intake_hash", sa.String(length=64), nullable=True),
        _one_of(
            "direction",
            ("incoming", "outgoing", "internal"),
            "ck_document_direction",
        ),
        _one_of(
            "status",
            ("registered", "voided", "disposed", "transferred"),
            "ck_document_status",
        ),
        sa.CheckConstraint("case_id IS NULL OR seq IS NOT NULL", name="ck_document_case_seq"),
        sa.ForeignKeyConstraint(["case_id"], ["case_.id"], name="fk_document_case_id_case_"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name="fk_document_organisation_id_organisation",
        ),
        sa.ForeignKeyConstraint(
            ["record_type_id"], ["record_type.id"], name="fk_document_record_type_id_record_type"
        ),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_document_series_id_series"),
        sa.PrimaryKeyConstraint("id", name="pk_document"),
        sa.UniqueConstraint("case_id", "seq", name="uq_document_case_id_seq"),
        sa.UniqueConstraint("organisation_id", "ref", name="uq_document_organisation_id_ref"),
        sa.UniqueConstraint(
            "organisation_id",
            "external_id",
            name="uq_document_organisation_id_external_id",
        ),
        sa.UniqueConstraint(
            "series_id", "year", "number", name="uq_document_series_id_year_number"
        ),
        comment="handling",
    )
    op.create_index("ix_document_delivery_due", "document", ["delivery_due"], unique=False)
    op.create_index(
        "ix_document_organisation_id_intake_hash",
        "document",
        ["organisation_id", "intake_hash"],
        unique=False,
    )
    op.create_index("ix_document_record_type_id", "document", ["record_type_id"], unique=False)
    op.create_index("ix_document_retention_due", "document", ["retention_due"], unique=False)
    op.create_table(
        "case_link",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_case_id", sa.String(length=36), nullable=False),
        sa.Column("to_case_id", sa.String(length=36), nullable=True),
        sa.Column("to_party", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.Date(), nullable=True),
        sa.Column("due_at", sa.Date(), nullable=True),
        sa.Column("answered_at", sa.Date(), nullable=True),
        sa.Column("answer_doc_id", sa.String(length=36), nullable=True),
        sa.Column("keeps_followup", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _one_of(
            "kind",
            ("remiss", "uppdrag", "vidarebefordran"),
            "ck_case_link_kind",
        ),
        sa.CheckConstraint(
            "to_case_id IS NOT NULL OR to_party IS NOT NULL", name="ck_case_link_target"
        ),
        sa.ForeignKeyConstraint(
            ["answer_doc_id"], ["document.id"], name="fk_case_link_answer_doc_id_document"
        ),
        sa.ForeignKeyConstraint(
            ["from_case_id"], ["case_.id"], name="fk_case_link_from_case_id_case_"
        ),
        sa.ForeignKeyConstraint(["to_case_id"], ["case_.id"], name="fk_case_link_to_case_id_case_"),
        sa.PrimaryKeyConstraint("id", name="pk_case_link"),
        comment="remiss / uppdrag / vidarebefordran",
    )
    op.create_index("ix_case_link_from_case_id", "case_link", ["from_case_id"], unique=False)
    op.create_index("ix_case_link_to_case_id", "case_link", ["to_case_id"], unique=False)
    op.create_table(
        "disposal_batch",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("criteria", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("plan_version_ids", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_ref", sa.String(length=128), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("executed_by", sa.String(length=128), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("log_document_id", sa.String(length=36), nullable=True),
        sa.Column("deviations", sa.Text(), nullable=True),
        _one_of(
            "method",
            ("secure_delete", "shredding", "incineration", "crypto_erase"),
            "ck_disposal_batch_method",
        ),
        _one_of(
            "status",
            ("draft", "proposed", "approved", "executing", "completed", "aborted"),
            "ck_disposal_batch_status",
        ),
        sa.ForeignKeyConstraint(
            ["log_document_id"], ["document.id"], name="fk_disposal_batch_log_document_id_document"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name="fk_disposal_batch_organisation_id_organisation",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_disposal_batch"),
        comment="gallringsomgång",
    )
    op.create_index(
        "ix_disposal_batch_organisation_id", "disposal_batch", ["organisation_id"], unique=False
    )
    op.create_table(
        "event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("main_case_id", sa.String(length=36), nullable=True),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.Column("short_text", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("person_ref", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_.id"], name="fk_event_case_id_case_"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name="fk_event_document_id_document"
        ),
        sa.ForeignKeyConstraint(["main_case_id"], ["case_.id"], name="fk_event_main_case_id_case_"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name="fk_event_organisation_id_organisation"
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_event"),
        sa.UniqueConstraint("hash", name="uq_event_hash"),
        sa.UniqueConstraint("id", name="uq_event_id"),
        comment="diariehändelse / ärendehändelse (append-only)",
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_case_id", "event", ["case_id"], unique=False)
    op.create_index("ix_event_document_id", "event", ["document_id"], unique=False)
    op.create_index("ix_event_kind", "event", ["kind"], unique=False)
    op.create_index("ix_event_main_case_id", "event", ["main_case_id"], unique=False)
    op.create_index("ix_event_organisation_id", "event", ["organisation_id"], unique=False)
    op.create_table(
        "file",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("store_path", sa.Text(), nullable=False),
        sa.Column("mime", sa.String(length=255), nullable=True),
        sa.Column("pronom_puid", sa.String(length=32), nullable=True),
        sa.Column("identifier_tool", sa.String(length=64), nullable=True),
        sa.Column("identifier_version", sa.String(length=64), nullable=True),
        sa.Column("identification_basis", sa.Text(), nullable=True),
        sa.Column("pdf_checks", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("variant", sa.String(length=16), server_default="original", nullable=False),
        sa.Column("derived_from_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _one_of(
            "variant",
            ("original", "preservation", "public", "display"),
            "ck_file_variant",
        ),
        sa.ForeignKeyConstraint(
            ["derived_from_id"], ["file.id"], name="fk_file_derived_from_id_file"
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name="fk_file_document_id_document"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_file"),
        comment="fil",
    )
    op.create_index("ix_file_derived_from_id", "file", ["derived_from_id"], unique=False)
    op.create_index("ix_file_document_id", "file", ["document_id"], unique=False)
    op.create_index("ix_file_sha256", "file", ["sha256"], unique=False)
    op.create_table(
        "transfer_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("transfer_id", sa.String(length=36), nullable=False),
        sa.Column("package_id", sa.String(length=36), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("document_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint(
            "case_id IS NOT NULL OR document_id IS NOT NULL", name="ck_transfer_item_target"
        ),
        sa.ForeignKeyConstraint(["case_id"], ["case_.id"], name="fk_transfer_item_case_id_case_"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name="fk_transfer_item_document_id_document"
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["transfer_package.id"],
            name="fk_transfer_item_package_id_transfer_package",
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfer.id"],
            name="fk_transfer_item_transfer_id_transfer",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transfer_item"),
        comment="leveranspost",
    )
    op.create_index("ix_transfer_item_case_id", "transfer_item", ["case_id"], unique=False)
    op.create_index("ix_transfer_item_document_id", "transfer_item", ["document_id"], unique=False)
    op.create_table(
        "disposal_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("object_kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("record_type_id", sa.String(length=36), nullable=True),
        sa.Column("plan_version_id", sa.String(length=36), nullable=True),
        sa.Column("retention_raw", sa.Text(), nullable=True),
        sa.Column("retention", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("hold_check", sa.String(length=16), nullable=True),
        sa.Column("hold_ids", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_count", sa.Integer(), nullable=True),
        sa.Column("byte_count", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _one_of(
            "hold_check",
            ("clear", "held"),
            "ck_disposal_item_hold_check",
        ),
        _one_of(
            "object_kind",
            ("case", "document", "file"),
            "ck_disposal_item_object_kind",
        ),
        _one_of(
            "outcome",
            ("destroyed", "skipped_hold", "skipped_changed", "failed"),
            "ck_disposal_item_outcome",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["disposal_batch.id"],
            name="fk_disposal_item_batch_id_disposal_batch",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name="fk_disposal_item_plan_version_id_plan_version",
        ),
        sa.ForeignKeyConstraint(
            ["record_type_id"],
            ["record_type.id"],
            name="fk_disposal_item_record_type_id_record_type",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_disposal_item"),
        sa.UniqueConstraint(
            "batch_id",
            "object_kind",
            "object_id",
            name="uq_disposal_item_batch_id_object_kind_object_id",
        ),
        comment="gallringspost",
    )
    op.create_index(
        "ix_disposal_item_object_kind_object_id",
        "disposal_item",
        ["object_kind", "object_id"],
        unique=False,
    )
    op.create_index(
        "ix_disposal_item_record_type_id", "disposal_item", ["record_type_id"], unique=False
    )
