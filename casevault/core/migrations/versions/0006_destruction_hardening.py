"""destruction hardening: destroyed keys stay destroyed, counts survive a crash,
a failed restore says why

destroyed_key remembers the pseudonyms whose data key was shredded, so no key is
made for them again; destruction_object counts each object of a destruction
before it is deleted; case_file.restore_problem tells managers why a restore
stopped. Byte counts become 64-bit (a person's documents can pass 2 GiB).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('destroyed_key',
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('destroyed_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('subject')
    )
    op.create_table('destruction_object',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('object_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('versions', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'object_key')
    )
    with op.batch_alter_table('case_file') as batch:
        batch.add_column(sa.Column('restore_problem', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':  # SQLite's INTEGER is 64-bit already
        for table in ('destruction_job', 'destruction_certificate'):
            op.alter_column(table, 'bytes', type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in ('destruction_job', 'destruction_certificate'):
            op.alter_column(table, 'bytes', type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
    with op.batch_alter_table('case_file') as batch:
        batch.drop_column('restore_problem')
    op.drop_table('destruction_object')
    op.drop_table('destroyed_key')
