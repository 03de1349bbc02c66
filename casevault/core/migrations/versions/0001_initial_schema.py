"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 15:24:20.035424
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import casevault.core.types

GENESIS_HASH = "0" * 64  # the audit chain's first prev_hash

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('subject_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('details', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('data_key',
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kek_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', casevault.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('subject')
    )
    op.create_table('destruction_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('destroyed_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('schedule_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('objects', sa.Integer(), nullable=False),
    sa.Column('object_versions', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('authorised_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject')
    )
    op.create_table('person',
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('contact_details', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('pseudonym')
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_date_of_birth'), ['date_of_birth'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sa.Enum('officer', 'manager', 'admin', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', casevault.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    sa.UniqueConstraint('username')
    )
    op.create_table('case_file',
    sa.Column('referral_date', sa.Date(), nullable=False),
    sa.Column('referral_source', sa.Enum('young_person', 'parent_carer', 'professional', 'other', name='referralsource', native_enum=False, length=32), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', 'archived', 'restoring', 'destroyed', name='casestatus', native_enum=False, length=32), nullable=False),
    sa.Column('assigned_officer_id', sa.Integer(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('last_correspondence', sa.Date(), nullable=True),
    sa.Column('archive_until', sa.Date(), nullable=True),
    sa.Column('created_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_officer_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_assigned_officer_id'), ['assigned_officer_id'], unique=False)
        batch_op.create_index('ix_case_person_status', ['person_id', 'status'], unique=False)
        batch_op.create_index('ix_case_status_archive_until', ['status', 'archive_until'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('record_personal_details', 'store_electronically', 'keep_contact_details', 'contact_professionals', 'third_party_referral', name='consentscope', native_enum=False, length=32), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_person_id'), ['person_id'], unique=False)

    op.create_table('case_note',
    sa.Column('kind', sa.Enum('personal_details', 'progress_summary', 'agreed_action', 'final_outcome', name='notekind', native_enum=False, length=32), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_case_id'), ['case_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('original_filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('correspondence_date', sa.Date(), nullable=False),
    sa.Column('provided_by', sa.Enum('young_person', 'parent_carer', 'school', 'professional', 'officer', name='providedby', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('queued', 'processing', 'ready', 'failed', name='documentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('failure_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('tier', sa.Enum('active', 'archive', name='tier', native_enum=False, length=32), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'sha256', name='uq_document_case_sha256')
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_status'), ['status'], unique=False)

    op.create_table('hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('safeguarding', 'legal', 'subject_access', 'complaint', name='holdkind', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('placed_by', sa.Integer(), nullable=True),
    sa.Column('placed_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', casevault.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['placed_by'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['released_by'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hold_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hold_person_id'), ['person_id'], unique=False)

    op.create_table('page_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'page', name='uq_page_text_page')
    )
    with op.batch_alter_table('page_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_text_document_id'), ['document_id'], unique=False)

    op.create_table('stored_object',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.Enum('original', 'searchable', name='variant', native_enum=False, length=32), nullable=False),
    sa.Column('object_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('tier', sa.Enum('active', 'archive', name='tier', native_enum=False, length=32), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_size', sa.Integer(), nullable=False),
    sa.Column('created_at', casevault.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'variant', name='uq_stored_object_variant'),
    sa.UniqueConstraint('object_key')
    )
    with op.batch_alter_table('stored_object', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_object_document_id'), ['document_id'], unique=False)
    op.bulk_insert(
        sa.table("audit_head", sa.column("id"), sa.column("last_id"), sa.column("last_hash")),
        [{"id": 1, "last_id": 0, "last_hash": GENESIS_HASH}],
    )


def downgrade() -> None:
    with op.batch_alter_table('stored_object', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_object_document_id'))

    op.drop_table('stored_object')
    with op.batch_alter_table('page_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_text_document_id'))

    op.drop_table('page_text')
    with op.batch_alter_table('hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hold_person_id'))
        batch_op.drop_index(batch_op.f('ix_hold_case_id'))

    op.drop_table('hold')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_status'))
        batch_op.drop_index(batch_op.f('ix_document_case_id'))

    op.drop_table('document')
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_note_case_id'))

    op.drop_table('case_note')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_person_id'))

    op.drop_table('consent')
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index('ix_case_status_archive_until')
        batch_op.drop_index('ix_case_person_status')
        batch_op.drop_index(batch_op.f('ix_case_file_assigned_officer_id'))

    op.drop_table('case_file')
    op.drop_table('user_account')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_date_of_birth'))

    op.drop_table('person')
    op.drop_table('destruction_certificate')
    op.drop_table('data_key')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
