"""certificate method room: a certificate's method also says until when backups may hold copies

The method text (what was erased, how, and where copies may remain) outgrew 500
characters on PostgreSQL. The column widens to 1000; every certificate is kept as it is.

Revision ID: 0014
Revises: 0007
Create Date: 2026-11-30 00:00:00
"""
from alembic import op
import sqlmodel

from casevault.core.migrations.sqlite_rebuild import rebuilt


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with rebuilt('destruction_certificate') as batch:
        batch.alter_column(
            'method',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=500),
            type_=sqlmodel.sql.sqltypes.AutoString(length=1000),
            existing_nullable=False,
        )


def downgrade() -> None:
    with rebuilt('destruction_certificate') as batch:
        batch.alter_column(
            'method',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=1000),
            type_=sqlmodel.sql.sqltypes.AutoString(length=500),
            existing_nullable=False,
        )
