"""Upgrading to one lease table keeps every lease held at the time: the beat's and the
lifecycle items' claims, with their holders and expiry, and a downgrade puts them back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from casevault.core.migrate import alembic_config, upgrade
from casevault.core.types import UTCDateTime
from tests.local_servers import fresh_postgres_database

BEFORE = "0004"  # the last revision with scheduler_lease and retention_claim
AT = dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(minutes=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casevault.db'}"
        return
    with fresh_postgres_database("casevault_migration") as url:
        yield url


def _table(name: str, *columns: str) -> sa.TableClause:
    """Enough of a table to write and read it with the models' time type, as casevault does."""
    key, holder, since, until = columns
    return sa.table(
        name, sa.column(key), sa.column(holder), sa.column(since, UTCDateTime()), sa.column(until, UTCDateTime())
    )


SCHEDULER_LEASE = _table("scheduler_lease", "name", "holder", "acquired_at", "expires_at")
RETENTION_CLAIM = _table("retention_claim", "item", "holder", "claimed_at", "lease_until")
LEASE = _table("lease", "name", "holder", "acquired_at", "expires_at")


def _rows(engine: sa.Engine, table: sa.TableClause) -> set[tuple[object, ...]]:
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(sa.select(table))}


def test_leases_held_during_the_upgrade_are_still_held_after_it(empty_database: str) -> None:
    upgrade(empty_database, BEFORE)
    engine = sa.create_engine(empty_database)
    try:
        beat = {"name": "beat", "holder": "host-a:4242", "acquired_at": AT, "expires_at": LATER}
        claims = [
            {"item": "archive:case:12", "holder": "0f" * 16, "claimed_at": AT, "lease_until": LATER},
            {"item": "destroy:person:5", "holder": "1e" * 16, "claimed_at": AT, "lease_until": LATER},
        ]
        with engine.begin() as connection:
            connection.execute(sa.insert(SCHEDULER_LEASE), beat)
            connection.execute(sa.insert(RETENTION_CLAIM), claims)

        upgrade(empty_database)
        tables = set(sa.inspect(engine).get_table_names())
        assert "lease" in tables and not {"scheduler_lease", "retention_claim"} & tables
        assert _rows(engine, LEASE) == {
            ("beat", "host-a:4242", AT, LATER),
            ("archive:case:12", "0f" * 16, AT, LATER),
            ("destroy:person:5", "1e" * 16, AT, LATER),
        }

        command.downgrade(alembic_config(empty_database), BEFORE)
        assert _rows(engine, SCHEDULER_LEASE) == {("beat", "host-a:4242", AT, LATER)}
        assert _rows(engine, RETENTION_CLAIM) == {
            ("archive:case:12", "0f" * 16, AT, LATER),
            ("destroy:person:5", "1e" * 16, AT, LATER),
        }
    finally:
        engine.dispose()
