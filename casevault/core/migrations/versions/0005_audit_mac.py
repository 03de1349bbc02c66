"""audit MAC: the chain's keyed part, and the tallies of unauthenticated requests

audit_head learns from which row on the chain is an HMAC (mac_from) and under which
key (mac_key_id, a fingerprint). Existing rows are left exactly as they are: they keep
verifying as plain SHA-256, and the chain turns keyed at the next row written. A new,
empty log is keyed from its first row, so it never has an unkeyed part.

auth_failure_tally counts unauthenticated requests per client address and minute;
auth_lockout holds the addresses refused for a while after repeated bad tokens.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 20:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mac_key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    # An empty log has nothing unkeyed to carry over: keyed from row 1 on.
    op.execute("UPDATE audit_head SET mac_from = 1 WHERE last_id = 0")
    op.create_table('auth_failure_tally',
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('minute', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('audited', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('address', 'minute')
    )
    with op.batch_alter_table('auth_failure_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_failure_tally_audited'), ['audited'], unique=False)
    op.create_table('auth_lockout',
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('until', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('address')
    )


def downgrade() -> None:
    op.drop_table('auth_lockout')
    with op.batch_alter_table('auth_failure_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_failure_tally_audited'))
    op.drop_table('auth_failure_tally')
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('mac_key_id')
        batch_op.drop_column('mac_from')
