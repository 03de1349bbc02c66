"""retention work: claims, destruction jobs, destruction approvals

The sweep claims each item in retention_claim (a lease, so a dead worker's item is
taken over), journals a destruction in destruction_job until its certificate is
written, and keeps managers' approvals when destruction needs one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:51:19.263243
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('destruction_job',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('schedule_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('authorised_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('started_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('objects', sa.Integer(), nullable=False),
    sa.Column('object_versions', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('person_id'),
    sa.UniqueConstraint('subject')
    )
    op.create_table('retention_claim',
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('claimed_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('item')
    )
    op.create_table('destruction_approval',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=False),
    sa.Column('approved_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('person_id')
    )


def downgrade() -> None:
    op.drop_table('destruction_approval')
    op.drop_table('retention_claim')
    op.drop_table('destruction_job')
