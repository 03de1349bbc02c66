"""find people: a normalised name key, who recorded a person, re-referral flag on cases

`person.name_key` is the name as finding it needs (casefolded, accents stripped, spaces
collapsed, words sorted), backfilled here for everyone already recorded; the model keeps
it current from then on. `person.recorded_by` lets the officer who recorded someone open
their first case. `case_file.re_referral` marks a case opened for someone already known.

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-29 23:50:00
"""
import unicodedata

from alembic import op
import sqlalchemy as sa
import sqlmodel

from casevault.core.migrations.sqlite_rebuild import rebuilt


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _name_key(full_name: str) -> str:
    # A copy of casevault.core.models.name_key as it stood: a migration must not change
    # when the code does.
    decomposed = unicodedata.normalize("NFKD", full_name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return " ".join(sorted(plain.split()))


def upgrade() -> None:
    with rebuilt('person') as batch:
        batch.add_column(sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch.add_column(sa.Column('recorded_by', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_person_recorded_by_user_account', 'user_account', ['recorded_by'], ['id'])
    with rebuilt('case_file') as batch:
        batch.add_column(sa.Column('re_referral', sa.Boolean(), nullable=False, server_default=sa.false()))
    connection = op.get_bind()
    people = sa.table('person', sa.column('id', sa.Integer()), sa.column('full_name'), sa.column('name_key'))
    for person_id, full_name in connection.execute(sa.select(people.c.id, people.c.full_name)).all():
        connection.execute(
            people.update().where(people.c.id == person_id).values(name_key=_name_key(full_name))
        )


def downgrade() -> None:
    with rebuilt('case_file') as batch:
        batch.drop_column('re_referral')
    with rebuilt('person') as batch:
        batch.drop_constraint('fk_person_recorded_by_user_account', type_='foreignkey')
        batch.drop_column('recorded_by')
        batch.drop_column('name_key')
