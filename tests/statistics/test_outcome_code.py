"""Closing a case takes an outcome code from the fixed list; cases closed before codes
existed get ``not_recorded`` when the database is upgraded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from casevault.core.migrate import alembic_config, upgrade
from casevault.core.types import UTCDateTime
from tests.local_servers import fresh_postgres_database
from tests.people import consented

CLOSE = {"closed_on": "2026-11-01", "outcome": "Plan agreed with the school."}


@pytest.fixture
def case(client: TestClient, headers) -> dict:
    person = consented({"full_name": "Jamie Example", "date_of_birth": "2012-03-04"})
    made = client.post("/api/v1/people", json=person, headers=headers["officer"])
    assert made.status_code == 201, made.text
    body = {"person_id": made.json()["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    opened = client.post("/api/v1/cases", json=body, headers=headers["officer"])
    assert opened.status_code == 201, opened.text
    return opened.json()


def test_a_case_closes_with_an_outcome_code_and_reopening_clears_it(client: TestClient, headers, case) -> None:
    path = f"/api/v1/cases/{case['id']}"
    closed = client.post(f"{path}/close", json={**CLOSE, "outcome_code": "ehcp_issued"}, headers=headers["officer"])
    assert closed.status_code == 200, closed.text
    assert (closed.json()["outcome_code"], closed.json()["outcome"]) == ("ehcp_issued", CLOSE["outcome"])
    reopened = client.post(f"{path}/reopen", json={"reason": "Asked again."}, headers=headers["officer"])
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["outcome_code"] is None
    again = client.post(f"{path}/close", json={**CLOSE, "outcome_code": "tribunal"}, headers=headers["manager"])
    assert again.json()["outcome_code"] == "tribunal"


@pytest.mark.parametrize(
    ("code", "says"),
    [(None, "outcome_code"), ("not_recorded", "advice_given"), ("fine", "outcome_code")],
)
def test_a_close_without_a_code_from_the_list_is_refused_saying_which(
    client: TestClient, headers, case, code: str | None, says: str
) -> None:
    body = CLOSE if code is None else {**CLOSE, "outcome_code": code}
    refused = client.post(f"/api/v1/cases/{case['id']}/close", json=body, headers=headers["officer"])
    assert refused.status_code == 422, refused.text
    assert says in refused.text
    assert client.get(f"/api/v1/cases/{case['id']}", headers=headers["officer"]).json()["status"] == "open"


# --- the migration ---------------------------------------------------------------------------

BEFORE = "0014"
AT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
PERSON = sa.table(
    "person", sa.column("id"), sa.column("full_name"), sa.column("date_of_birth"), sa.column("pseudonym"),
    sa.column("created_at", UTCDateTime()),
)  # fmt: skip
CASE = sa.table(
    "case_file", sa.column("id"), sa.column("reference"), sa.column("person_id"), sa.column("referral_date"),
    sa.column("referral_source"), sa.column("status"), sa.column("closed_on"), sa.column("outcome"),
    sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime()),
)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casevault.db'}"
        return
    with fresh_postgres_database("casevault_outcome_migration") as url:
        yield url


def _case(case_id: int, status: str, closed_on: dt.date | None) -> dict[str, object]:
    return {
        "id": case_id,
        "reference": f"SEN-2026-{case_id:05d}",
        "person_id": 1,
        "referral_date": dt.date(2026, 1, 5),
        "referral_source": "parent_carer",
        "status": status,
        "closed_on": closed_on,
        "outcome": "Resolved." if closed_on else None,
        "created_at": AT,
        "updated_at": AT,
    }


def test_cases_closed_before_codes_get_not_recorded(empty_database: str) -> None:
    upgrade(empty_database, BEFORE)
    engine = sa.create_engine(empty_database)
    try:
        person = {
            "id": 1,
            "full_name": "Robin Example",
            "date_of_birth": dt.date(2012, 3, 4),
            "pseudonym": "p_" + "ab" * 12,
        }
        with engine.begin() as connection:
            connection.execute(sa.insert(PERSON), {**person, "created_at": AT})
            connection.execute(
                sa.insert(CASE),
                [
                    _case(1, "open", None),
                    _case(2, "closed", dt.date(2026, 6, 1)),
                    _case(3, "archived", dt.date(2026, 2, 1)),
                    _case(4, "restoring", dt.date(2026, 3, 1)),
                ],
            )
        upgrade(empty_database)
        with engine.connect() as connection:
            codes = connection.execute(sa.text("SELECT id, outcome_code FROM case_file ORDER BY id")).all()
        assert [tuple(row) for row in codes] == [
            (1, None),
            (2, "not_recorded"),
            (3, "not_recorded"),
            (4, "not_recorded"),
        ]

        command.downgrade(alembic_config(empty_database), BEFORE)
        inspector = sa.inspect(engine)
        assert "outcome_code" not in {column["name"] for column in inspector.get_columns("case_file")}
        assert not {"policy_version", "policy_notice", "policy_notification", "destroyed_case_tally"} & set(
            inspector.get_table_names()
        )
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM case_file")).scalar_one() == 4
    finally:
        engine.dispose()
