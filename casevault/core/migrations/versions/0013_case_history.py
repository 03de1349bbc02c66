"""case history: every closing of a case is kept, with who reopened it and why

case_closure holds one row per close (closed_on, outcome, who, when) and, once the
case is reopened, who reopened it, when and why. Cases already closed get their one
closing copied in, so their history starts complete; who closed them is not known.

Revision ID: 0013
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", casevault.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reopened_at", casevault.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_by", sa.Integer(), nullable=True),
        sa.Column("reopen_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_case_closure_case_id"), "case_closure", ["case_id"], unique=False)
    # Closed, archived and restoring cases have had one closing; keep it in the history.
    op.execute(
        "INSERT INTO case_closure (case_id, closed_on, outcome, closed_at)"
        " SELECT id, closed_on, COALESCE(outcome, ''), updated_at FROM case_file"
        " WHERE closed_on IS NOT NULL AND status <> 'destroyed'"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_closure_case_id"), table_name="case_closure")
    op.drop_table("case_closure")
