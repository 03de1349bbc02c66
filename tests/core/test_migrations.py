"""Migrations build the whole schema from empty, and match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from casevault.core import models  # noqa: F401
from casevault.core.migrate import managed_by_models, pending_revisions, upgrade


def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": managed_by_models})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    assert pending_revisions(engine) == []


def test_full_text_index_exists(engine: sa.Engine) -> None:
    names = set(sa.inspect(engine).get_table_names())
    if engine.dialect.name == "sqlite":
        assert "page_text_fts" in names
    else:
        columns = {column["name"] for column in sa.inspect(engine).get_columns("page_text")}
        assert "tsv" in columns


def test_migrating_again_changes_nothing(database_url: str, engine: sa.Engine) -> None:
    before = sorted(sa.inspect(engine).get_table_names())
    upgrade(database_url)
    assert sorted(sa.inspect(sa.create_engine(database_url)).get_table_names()) == before
