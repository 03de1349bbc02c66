"""Upgrading to ids that are never reused keeps every row, with its id, keeps the
full-text index of the pages working, and hands out no id the audit log already names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel

import casevault.core.models  # noqa: F401  # the tables, for SQLModel.metadata
from casevault.core.migrate import alembic_config, upgrade
from tests.local_servers import fresh_postgres_database

BEFORE = "0007"
NOW = "2026-11-29 20:00:00+00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casevault.db'}"
        return
    with fresh_postgres_database("casevault_migration") as url:
        yield url


def _fill(connection: sa.Connection) -> None:
    run = connection.execute
    run(
        sa.text(
            "INSERT INTO person (id, full_name, date_of_birth, pseudonym, created_at) VALUES "
            "(3, 'A', '2012-01-01', 'p_a', :t), (5, 'B', '2013-01-01', 'p_b', :t)"
        ),
        {"t": NOW},
    )
    run(
        sa.text(
            "INSERT INTO case_file (id, reference, person_id, status, referral_date, referral_source, created_at,"
            " updated_at) VALUES (4, 'SEN-2026-00004', 5, 'open', '2026-01-01', 'other', :t, :t)"
        ),
        {"t": NOW},
    )
    run(
        sa.text(
            "INSERT INTO document (id, case_id, original_filename, content_type, size, sha256, correspondence_date,"
            " provided_by, status, tier, created_at, updated_at) VALUES (6, 4, 'a.pdf', 'application/pdf', 1, 's',"
            " '2026-01-01', 'school', 'ready', 'active', :t, :t)"
        ),
        {"t": NOW},
    )
    run(sa.text("INSERT INTO page_text (id, document_id, page, text) VALUES (7, 6, 1, 'the tribunal letters')"))
    # Person 9 was destroyed before the upgrade: only the audit log remembers the id.
    run(
        sa.text(
            "INSERT INTO audit_event (at, actor, action, subject_type, subject_id, outcome, details, prev_hash,"
            " hash) VALUES (:t, 'system', 'retention.destroy', 'person', '9', 'ok', '{}', :z, :h)"
        ),
        {"t": NOW, "z": "0" * 64, "h": "1" * 64},
    )


def _kept(connection: sa.Connection) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in connection.execute(
            sa.text(
                "SELECT p.id, p.full_name, c.id, c.reference, d.id, d.original_filename, t.id, t.text"
                " FROM page_text t JOIN document d ON d.id = t.document_id JOIN case_file c ON c.id = d.case_id"
                " JOIN person p ON p.id = c.person_id"
            )
        )
    ]


def _pages_matching(connection: sa.Connection, word: str) -> list[int]:
    if connection.dialect.name == "sqlite":
        query = "SELECT rowid FROM page_text_fts WHERE page_text_fts MATCH :w"
    else:
        query = "SELECT id FROM page_text WHERE tsv @@ plainto_tsquery('english', :w)"
    return [row[0] for row in connection.execute(sa.text(query), {"w": word})]


def test_the_upgrade_keeps_every_row_and_the_full_text_index(empty_database: str) -> None:
    upgrade(empty_database, BEFORE)
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            _fill(connection)
            before = _kept(connection)

        upgrade(empty_database, "head")  # through every later migration, which may rebuild tables

        with engine.begin() as connection:
            assert _kept(connection) == before == [(5, "B", 4, "SEN-2026-00004", 6, "a.pdf", 7, "the tribunal letters")]
            assert _pages_matching(connection, "letter") == [7]
            new_person = connection.execute(
                sa.text(
                    "INSERT INTO person (full_name, date_of_birth, pseudonym, created_at)"
                    " VALUES ('C', '2014-01-01', 'p_c', :t) RETURNING id"
                ),
                {"t": NOW},
            ).scalar_one()
            assert new_person > 9  # past the id the audit log names
            if connection.dialect.name == "sqlite":
                connection.execute(sa.text("UPDATE page_text SET text = 'annual review' WHERE id = 7"))
                assert _pages_matching(connection, "review") == [7] and _pages_matching(connection, "letter") == []
    finally:
        engine.dispose()


def test_the_downgrade_keeps_every_row(empty_database: str) -> None:
    upgrade(empty_database, BEFORE)
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            _fill(connection)
            before = _kept(connection)
        upgrade(empty_database, "0008")
        command.downgrade(alembic_config(empty_database), BEFORE)
        with engine.begin() as connection:
            assert _kept(connection) == before
            assert _pages_matching(connection, "tribunal") == [7]
    finally:
        engine.dispose()


def test_every_table_whose_ids_are_named_elsewhere_keeps_autoincrement_at_head(tmp_path: Path) -> None:
    """A later migration that rebuilds one of these tables on SQLite must keep it (see
    casevault/core/migrations/sqlite_rebuild.py), or a destroyed child's ids come back."""
    url = f"sqlite:///{tmp_path / 'casevault.db'}"
    upgrade(url, "head")
    wanted = {name for name, table in SQLModel.metadata.tables.items() if table.kwargs.get("sqlite_autoincrement")}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
    finally:
        engine.dispose()
    assert {"person", "case_file", "document", "audit_event"} <= wanted
    assert sorted(name for name, sql in rows if name in wanted and "AUTOINCREMENT" not in sql) == []
