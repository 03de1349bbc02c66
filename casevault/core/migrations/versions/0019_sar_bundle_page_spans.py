"""subject access bundles: where each item lies in the built PDF, so the index can be shown
without decrypting it (ids and page numbers only)

Revision ID: 0019
Revises: 0018
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

from casevault.core.migrations.sqlite_rebuild import rebuilt


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sar_bundle", sa.Column("page_spans", sqlmodel.sql.sqltypes.AutoString(length=100000), nullable=True))


def downgrade() -> None:
    with rebuilt("sar_bundle") as batch:
        batch.drop_column("page_spans")
