"""one lease table: the beat lease and the retention claims become rows of `lease`

Both were the same thing, a named lease with a holder and an expiry, kept in two
tables with two sets of code. The rows move across as they stand, so a beat or a
lifecycle item held during the upgrade is still held by the same holder after it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 20:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('acquired_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    # Beat lease names ("beat") and item keys ("archive:case:12") never collide.
    op.execute(
        "INSERT INTO lease (name, holder, acquired_at, expires_at)"
        " SELECT name, holder, acquired_at, expires_at FROM scheduler_lease"
    )
    op.execute(
        "INSERT INTO lease (name, holder, acquired_at, expires_at)"
        " SELECT item, holder, claimed_at, lease_until FROM retention_claim"
    )
    op.drop_table('retention_claim')
    op.drop_table('scheduler_lease')


def downgrade() -> None:
    op.create_table('scheduler_lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('acquired_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('retention_claim',
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('claimed_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('item')
    )
    op.execute(
        "INSERT INTO scheduler_lease (name, holder, acquired_at, expires_at)"
        " SELECT name, holder, acquired_at, expires_at FROM lease WHERE name = 'beat'"
    )
    # The lifecycle items' claims; leases the old schema had no table for (a document's
    # OCR) are left out: after a downgrade nothing reads them.
    op.execute(
        "INSERT INTO retention_claim (item, holder, claimed_at, lease_until)"
        " SELECT name, holder, acquired_at, expires_at FROM lease"
        " WHERE (name LIKE 'archive:%' OR name LIKE 'restore:%' OR name LIKE 'destroy:%' OR name LIKE 'expire:%')"
        " AND LENGTH(holder) <= 32"
    )
    op.drop_table('lease')
