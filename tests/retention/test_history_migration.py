"""Upgrading to the case history keeps every case's one closing: closed, archived and
restoring cases start their history with it; open ones have none; a downgrade drops it."""

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

BEFORE = "0007"  # the revision the case history follows
AT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)

PERSON = sa.table(
    "person",
    sa.column("id"),
    sa.column("full_name"),
    sa.column("date_of_birth"),
    sa.column("pseudonym"),
    sa.column("created_at", UTCDateTime()),
)
CASE = sa.table(
    "case_file",
    sa.column("id"),
    sa.column("reference"),
    sa.column("person_id"),
    sa.column("referral_date"),
    sa.column("referral_source"),
    sa.column("status"),
    sa.column("closed_on"),
    sa.column("outcome"),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
CLOSURE = sa.table(
    "case_closure",
    sa.column("case_id"),
    sa.column("closed_on", sa.Date()),
    sa.column("outcome"),
    sa.column("closed_by"),
    sa.column("closed_at", UTCDateTime()),
    sa.column("reopened_at", UTCDateTime()),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casevault.db'}"
        return
    with fresh_postgres_database("casevault_history_migration") as url:
        yield url


def _case(case_id: int, status: str, closed_on: dt.date | None, outcome: str | None) -> dict[str, object]:
    return {
        "id": case_id,
        "reference": f"SEN-2026-{case_id:05d}",
        "person_id": 1,
        "referral_date": dt.date(2026, 1, 5),
        "referral_source": "parent_carer",
        "status": status,
        "closed_on": closed_on,
        "outcome": outcome,
        "created_at": AT,
        "updated_at": AT,
    }


def test_each_closed_case_keeps_its_closing_in_the_history(empty_database: str) -> None:
    upgrade(empty_database, BEFORE)
    engine = sa.create_engine(empty_database)
    try:
        person = {
            "id": 1,
            "full_name": "Robin Example",
            "date_of_birth": dt.date(2012, 3, 4),
            "pseudonym": "p_" + "ab" * 12,
            "created_at": AT,
        }
        cases = [
            _case(1, "open", None, None),
            _case(2, "closed", dt.date(2026, 6, 1), "Plan agreed."),
            _case(3, "archived", dt.date(2026, 2, 1), "Resolved."),
            _case(4, "restoring", dt.date(2026, 3, 1), None),
        ]
        with engine.begin() as connection:
            connection.execute(sa.insert(PERSON), person)
            connection.execute(sa.insert(CASE), cases)

        upgrade(empty_database)
        with engine.connect() as connection:
            rows = connection.execute(sa.select(CLOSURE).order_by(CLOSURE.c.case_id)).all()
        assert [tuple(row) for row in rows] == [
            (2, dt.date(2026, 6, 1), "Plan agreed.", None, AT, None),
            (3, dt.date(2026, 2, 1), "Resolved.", None, AT, None),
            (4, dt.date(2026, 3, 1), "", None, AT, None),
        ]

        command.downgrade(alembic_config(empty_database), BEFORE)
        assert "case_closure" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
