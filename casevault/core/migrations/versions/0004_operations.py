"""operations: the beat scheduler's lease and schedule, and service-wide counters

Two beat processes may run (one per machine, or two started together): only the
holder of scheduler_lease sends periodic tasks, and scheduled_run keeps when each
was last sent so a beat that takes over carries on. metric_total holds counters
that workers add to in the transaction of the work they count.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:05:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('acquired_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('scheduled_run',
    sa.Column('entry', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('last_run_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('total_run_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('entry')
    )
    op.create_table('metric_total',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name', 'label')
    )


def downgrade() -> None:
    op.drop_table('metric_total')
    op.drop_table('scheduled_run')
    op.drop_table('scheduler_lease')
