"""Alembic environment: runs online against the URL handed in by casevault.core.migrate."""

from alembic import context
from sqlmodel import SQLModel

from casevault.core import models  # noqa: F401  (registers the tables on the metadata)
from casevault.core.db import make_engine
from casevault.core.migrate import managed_by_models

database_url = context.config.attributes["database_url"]
engine = make_engine(database_url)
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            include_object=managed_by_models,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
finally:
    engine.dispose()
