"""anonymous contact: a person may have no name and no date of birth (`person.anonymous`)

A person recorded anonymously, or whose permission to record personal details was
withdrawn, keeps no name (`full_name`, `name_key` empty) and no contact details; an
anonymous contact recorded so has no date of birth either (the schedule's rule
`destroy-undated-after-archive` decides when they go).

Revision ID: 0018
Revises: 0017
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel

from casevault.core.migrations.sqlite_rebuild import rebuilt


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with rebuilt("person") as batch:
        batch.alter_column("full_name", existing_type=sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        batch.alter_column("date_of_birth", existing_type=sa.Date(), nullable=True)
        batch.add_column(sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # Anonymous people cannot be put back into a schema that needs a name and a date of
    # birth: refuse rather than invent either.
    count = op.get_bind().execute(
        sa.text("SELECT count(*) FROM person WHERE full_name IS NULL OR date_of_birth IS NULL")
    )
    if count.scalar_one():
        raise RuntimeError("people without a name or date of birth are recorded: 0018 cannot be downgraded")
    with rebuilt("person") as batch:
        batch.drop_column("anonymous")
        batch.alter_column("date_of_birth", existing_type=sa.Date(), nullable=False)
        batch.alter_column("full_name", existing_type=sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False)
