"""subject access requests: the request and its clock, each item's decision, the redaction
log and the bundle; the certificate counts what a destruction removed of them

Revision ID: 0017
Revises: 0016
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types
from casevault.core.migrations.sqlite_rebuild import rebuilt


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


REQUESTER_KIND = _enum("young_person", "parent_carer", "representative", name="requesterkind")
SAR_STATUS = _enum("open", "paused", "completed", name="sarstatus")
CLOCK_STOP_REASON = _enum("identity", "clarification", name="clockstopreason")
ITEM_DECISION = _enum("disclosed", "partly_disclosed", "withheld", name="itemdecision")
REDACTION_CATEGORY = _enum(
    "third_party", "young_person_request", "serious_harm", "other_exemption", name="redactioncategory"
)
BUNDLE_STATUS = _enum("building", "built", "failed", "approved", "delivered", "destroyed", name="bundlestatus")
WHEN = casevault.core.types.UTCDateTime(timezone=True)


def _string(length: int | None = None) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _part_of(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "subject_access_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", _string(32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("requester_kind", REQUESTER_KIND, nullable=False),
        sa.Column("requester_name", _string(200), nullable=False),
        sa.Column("authority", _string(2000), nullable=True),
        sa.Column("maturity_recorded", sa.Boolean(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", SAR_STATUS, nullable=False),
        sa.Column("extension_months", sa.Integer(), nullable=False),
        sa.Column("extension_reason", _string(2000), nullable=True),
        sa.Column("extension_told_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("hold_release_on", sa.Date(), nullable=True),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", WHEN, nullable=False),
        _part_of("person_id", "person.id"),
        sa.ForeignKeyConstraint(["opened_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_subject_access_request_person_id"), "subject_access_request", ["person_id"])
    op.create_table(
        "sar_clock_stop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reason", CLOCK_STOP_REASON, nullable=False),
        sa.Column("stopped_on", sa.Date(), nullable=False),
        sa.Column("resumed_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        _part_of("request_id", "subject_access_request.id"),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sar_clock_stop_request_id"), "sar_clock_stop", ["request_id"])
    op.create_table(
        "sar_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("decision", ITEM_DECISION, nullable=False),
        sa.Column("reason", _string(1000), nullable=False),
        _part_of("request_id", "subject_access_request.id"),
        _part_of("document_id", "document.id"),
        _part_of("note_id", "case_note.id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sar_item_request_id"), "sar_item", ["request_id"])
    op.create_table(
        "sar_redaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("left", sa.Float(), nullable=True),
        sa.Column("top", sa.Float(), nullable=True),
        sa.Column("width", sa.Float(), nullable=True),
        sa.Column("height", sa.Float(), nullable=True),
        sa.Column("term", _string(200), nullable=True),
        sa.Column("category", REDACTION_CATEGORY, nullable=False),
        sa.Column("legal_basis", _string(500), nullable=False),
        sa.Column("redacted_by", sa.Integer(), nullable=False),
        sa.Column("redacted_at", WHEN, nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", WHEN, nullable=True),
        _part_of("request_id", "subject_access_request.id"),
        _part_of("document_id", "document.id"),
        sa.ForeignKeyConstraint(["redacted_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["reviewed_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sar_redaction_request_id"), "sar_redaction", ["request_id"])
    op.create_index(op.f("ix_sar_redaction_document_id"), "sar_redaction", ["document_id"])
    op.create_table(
        "sar_bundle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", BUNDLE_STATUS, nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("problem", _string(1000), nullable=True),
        sa.Column("pdf_key", _string(64), nullable=True),
        sa.Column("csv_key", _string(64), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("built_at", WHEN, nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", WHEN, nullable=True),
        sa.Column("delivered_method", _string(32), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("destroy_on", sa.Date(), nullable=True),
        _part_of("request_id", "subject_access_request.id"),
        sa.ForeignKeyConstraint(["requested_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["approved_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pdf_key"),
        sa.UniqueConstraint("csv_key"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_sar_bundle_request_id"), "sar_bundle", ["request_id"])
    for table in ("destruction_certificate", "destruction_job"):
        op.add_column(table, sa.Column("subject_access_requests", sa.Integer(), nullable=False, server_default="0"))
        op.add_column(table, sa.Column("sar_bundles", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    for table in ("destruction_job", "destruction_certificate"):
        with rebuilt(table) as batch:
            batch.drop_column("sar_bundles")
            batch.drop_column("subject_access_requests")
    for table in ("sar_bundle", "sar_redaction", "sar_clock_stop", "sar_item", "subject_access_request"):
        op.drop_table(table)
