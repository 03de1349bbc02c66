"""consent register: who gave a consent, how, on which notice and basis, and its withdrawal;
the young person's refusals of access; the disclosure register

Consents recorded before keep their rows; the new columns are empty for them.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import casevault.core.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

METHOD = ("verbal", "written", "email", "online")
BASIS = ("consent", "public_task", "legitimate_interests", "legal_obligation", "vital_interests")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when() -> casevault.core.types.UTCDateTime:
    return casevault.core.types.UTCDateTime(timezone=True)


CONSENT_COLUMNS = (
    ("given_by", lambda: _enum("consentgiver", ("young_person", "parent_carer"))),
    ("parent_name", lambda: _string(200)),
    ("relationship", lambda: _string(100)),
    ("method", lambda: _enum("consentmethod", METHOD)),
    ("evidence_document_id", sa.Integer),
    ("notice_version", lambda: _string(32)),
    ("lawful_basis", lambda: _enum("lawfulbasis", BASIS)),
    ("recorded_at", _when),
    ("review_on", sa.Date),
    ("withdrawn_method", lambda: _enum("consentmethod", METHOD)),
    ("withdrawn_at", _when),
    ("withdrawn_by", sa.Integer),
)


def upgrade() -> None:
    # Plain nullable columns (no foreign keys): ALTER TABLE ADD COLUMN on both databases, so
    # SQLite's table is not rebuilt and keeps its AUTOINCREMENT.
    for name, column_type in CONSENT_COLUMNS:
        op.add_column("consent", sa.Column(name, column_type(), nullable=True))
    op.add_column(
        "case_file",
        sa.Column("referral_declined", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "access_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("refused", _string(200), nullable=False),
        sa.Column("method", _enum("consentmethod", METHOD), nullable=False),
        sa.Column("note", _string(2000), nullable=True),
        sa.Column("age_at_time", sa.Integer(), nullable=False),
        sa.Column("maturity_recorded", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", _when(), nullable=False),
        sa.Column("withdrawn_at", _when(), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_method", _enum("consentmethod", METHOD), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_access_refusal_person_id"), "access_refusal", ["person_id"], unique=False)
    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("recipient_kind", _string(32), nullable=False),
        sa.Column("recipient", _string(200), nullable=False),
        sa.Column("basis", _string(32), nullable=False),
        sa.Column("reason", _string(2000), nullable=True),
        sa.Column("documents", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("withheld", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", _when(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", _when(), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["approved_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_disclosure_case_id"), "disclosure", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_disclosure_case_id"), table_name="disclosure")
    op.drop_table("disclosure")
    op.drop_index(op.f("ix_access_refusal_person_id"), table_name="access_refusal")
    op.drop_table("access_refusal")
    op.drop_column("case_file", "referral_declined")
    for name, _type in reversed(CONSENT_COLUMNS):
        op.drop_column("consent", name)  # SQLite 3.35+ drops a column in place
