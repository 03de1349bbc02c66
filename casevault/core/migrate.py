"""Schema migrations (Alembic), shipped inside the package so an installed
casevault can migrate its own database: `casevault init` and the tests call these."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


# Full-text search lives outside the models (see migrations 0002 and 0011).
FULL_TEXT_OBJECTS = ("page_text_fts", "case_note_fts", "tsv", "ix_page_text_tsv", "ix_case_note_tsv")


def managed_by_models(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's include_object: leave the full-text structures out of comparisons."""
    return not (name or "").startswith(FULL_TEXT_OBJECTS)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Passed as an attribute, not an ini option: URLs may hold '%' (configparser).
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def pending_revisions(engine: sa.Engine) -> list[str]:
    """Revisions the database still lacks; empty when it is up to date."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current == set(script.get_heads()):
        return []
    return [rev.revision for rev in script.walk_revisions() if rev.revision not in current]
