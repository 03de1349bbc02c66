"""notices and statistics: policy notice versions, who was given them and who must be
told; a coded outcome on every closing; an anonymous tally of destroyed cases

Cases already closed (a closing date: closed, archived, restoring) get the outcome code
``not_recorded``: their outcome was written before codes existed. Open cases have none.

Revision ID: 0016
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types
from casevault.core.migrations.sqlite_rebuild import rebuilt


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OUTCOME_CODE = sa.Enum(
    "advice_given",
    "resolved_informally",
    "ehcp_issued",
    "tribunal",
    "referred_on",
    "no_longer_needed",
    "withdrawn",
    "other",
    "not_recorded",
    name="outcomecode",
    native_enum=False,
    length=32,
)
REFERRAL_SOURCE = sa.Enum(
    "young_person", "parent_carer", "professional", "other", name="referralsource", native_enum=False, length=32
)
NOTICE_METHOD = sa.Enum("verbal", "written", "email", "online", name="noticemethod", native_enum=False, length=32)


def upgrade() -> None:
    op.add_column("case_file", sa.Column("outcome_code", OUTCOME_CODE, nullable=True))
    op.execute("UPDATE case_file SET outcome_code = 'not_recorded' WHERE closed_on IS NOT NULL")
    op.create_table(
        "destroyed_case_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_source", REFERRAL_SOURCE, nullable=False),
        sa.Column("age_band", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("referral_year", sa.Integer(), nullable=False),
        sa.Column("referral_quarter", sa.Integer(), nullable=False),
        sa.Column("outcome_code", OUTCOME_CODE, nullable=True),
        sa.Column("closed_year", sa.Integer(), nullable=True),
        sa.Column("closed_quarter", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "policy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("published_at", casevault.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "policy_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("how", NOTICE_METHOD, nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", casevault.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["version"], ["policy_version.version"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_policy_notice_person_id"), "policy_notice", ["person_id"], unique=False)
    op.create_table(
        "policy_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("listed_at", casevault.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("told_at", casevault.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["policy_notice.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version"], ["policy_version.version"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version", "person_id", name="uq_policy_notification_person"),
    )
    op.create_index(op.f("ix_policy_notification_person_id"), "policy_notification", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_policy_notification_person_id"), table_name="policy_notification")
    op.drop_table("policy_notification")
    op.drop_index(op.f("ix_policy_notice_person_id"), table_name="policy_notice")
    op.drop_table("policy_notice")
    op.drop_table("policy_version")
    op.drop_table("destroyed_case_tally")
    with rebuilt("case_file") as batch:
        batch.drop_column("outcome_code")
