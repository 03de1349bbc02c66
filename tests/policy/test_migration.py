"""Upgrading to the consent register keeps every consent and case recorded before it;
a downgrade removes only what it added."""

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

BEFORE = "0014"
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
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
CONSENT = sa.table(
    "consent", sa.column("id"), sa.column("person_id"), sa.column("scope"), sa.column("given_on", sa.Date())
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casevault.db'}"
        return
    with fresh_postgres_database("casevault_consent_migration") as url:
        yield url


def test_consents_and_cases_recorded_before_are_kept(empty_database: str) -> None:
    upgrade(empty_database, BEFORE)
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            person = {"id": 1, "full_name": "Robin Example", "date_of_birth": dt.date(2012, 3, 4)}
            connection.execute(sa.insert(PERSON), {**person, "pseudonym": "p_" + "ab" * 12, "created_at": AT})
            case = {"id": 1, "reference": "SEN-2026-00001", "person_id": 1, "referral_date": dt.date(2026, 1, 5)}
            connection.execute(
                sa.insert(CASE),
                {**case, "referral_source": "professional", "status": "open", "created_at": AT, "updated_at": AT},
            )
            consent = {"id": 1, "person_id": 1, "scope": "keep_contact_details", "given_on": dt.date(2026, 1, 5)}
            connection.execute(sa.insert(CONSENT), consent)

        upgrade(empty_database)
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT scope, given_on, given_by, withdrawn_on FROM consent")).all()
            declined = connection.execute(sa.text("SELECT referral_declined FROM case_file")).scalar_one()
        assert [tuple(row) for row in kept] in (
            [("keep_contact_details", dt.date(2026, 1, 5), None, None)],
            [("keep_contact_details", "2026-01-05", None, None)],  # SQLite answers a plain query's date as text
        )
        assert not declined

        command.downgrade(alembic_config(empty_database), BEFORE)
        tables = sa.inspect(engine).get_table_names()
        assert "access_refusal" not in tables and "disclosure" not in tables
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT scope FROM consent")).scalars().all() == ["keep_contact_details"]
    finally:
        engine.dispose()
