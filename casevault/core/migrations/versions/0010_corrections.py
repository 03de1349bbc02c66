"""corrections: a note's earlier texts, a misfiled document's moves, removed documents' records

Three new tables, nothing existing changes. Each row names its note, document or case
with ON DELETE CASCADE, so a destruction's deletes take these rows (and the reasons
in them) along.

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-29 23:41:43
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_disposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('objects', sa.Integer(), nullable=False),
    sa.Column('object_versions', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('disposed_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disposed_by', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['disposed_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id')
    )
    with op.batch_alter_table('document_disposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_disposal_case_id'), ['case_id'], unique=False)

    op.create_table('case_note_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('written_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('written_by', sa.Integer(), nullable=True),
    sa.Column('replaced_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('replaced_by', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['case_note.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['written_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('note_id', 'version', name='uq_case_note_version')
    )
    op.create_table('document_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('from_case_id', sa.Integer(), nullable=False),
    sa.Column('to_case_id', sa.Integer(), nullable=False),
    sa.Column('reencrypted', sa.Boolean(), nullable=False),
    sa.Column('moved_by', sa.Integer(), nullable=False),
    sa.Column('moved_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_case_id'], ['case_file.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moved_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['to_case_id'], ['case_file.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_move_document_id'), ['document_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('document_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_move_document_id'))

    op.drop_table('document_move')
    op.drop_table('case_note_version')
    with op.batch_alter_table('document_disposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_disposal_case_id'))

    op.drop_table('document_disposal')
