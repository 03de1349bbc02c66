"""GET /statistics/{table}: managers get fixed tables with small numbers suppressed, as
JSON or CSV, each release audited; destroyed people's cases are still counted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, DestroyedCaseTally, OutcomeCode, ReferralSource
from casevault.core.statistics import By, age_band
from casevault.retention.destroy import delete_personal_rows
from casevault.retention.statistics import Table, count_cases
from tests.statistics.conftest import AddCases

C = "[c]"
URL = "/api/v1/statistics"
YEAR_2026 = {"from": "2026-01-01", "to": "2026-12-31"}


def _get(client: TestClient, headers: dict, table: str, **query: str):
    return client.get(f"{URL}/{table}", params=query, headers=headers)


def _row(answer: dict, period: str) -> dict:
    return next(row for row in answer["rows"] if row["period"] == period)


def test_cases_by_referral_source_and_quarter_with_small_numbers_suppressed(
    client: TestClient, headers, add_cases: AddCases
) -> None:
    add_cases(9, referred=dt.date(2026, 1, 10), source=ReferralSource.parent_carer)
    add_cases(3, referred=dt.date(2026, 3, 31), source=ReferralSource.professional)
    add_cases(13, referred=dt.date(2026, 5, 1), source=ReferralSource.young_person)  # Q2's only source
    add_cases(20, referred=dt.date(2025, 12, 31), source=ReferralSource.other)  # before the range

    answer = _get(client, headers["manager"], "referral-source", **YEAR_2026)
    assert answer.status_code == 200, answer.text
    table = answer.json()
    assert (table["from"], table["to"], table["by"]) == ("2026-01-01", "2026-12-31", "quarter")
    assert table["columns"] == ["young_person", "parent_carer", "professional", "other"]
    assert [row["period"] for row in table["rows"]] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    first = _row(table, "2026-Q1")
    assert first["counts"] == {"young_person": 0, "parent_carer": 10, "professional": C, "other": 0}
    assert first["total"] == 10  # 12 cases
    assert first["percentages"] == dict.fromkeys(table["columns"])  # 12 is under 20
    second = _row(table, "2026-Q2")
    assert second["counts"] == dict.fromkeys(table["columns"], C) and second["total"] == C
    assert _row(table, "2026-Q3")["counts"] == dict.fromkeys(table["columns"], 0)
    total = table["total"]
    assert total["counts"] == {"young_person": 15, "parent_carer": 10, "professional": C, "other": 0}
    assert total["total"] == 25  # 25 cases
    assert total["percentages"] == {"young_person": 52, "parent_carer": 36, "professional": C, "other": 0}


def test_a_year_table_and_dates_widened_to_whole_periods(client: TestClient, headers, add_cases: AddCases) -> None:
    add_cases(8, referred=dt.date(2025, 2, 1), source=ReferralSource.parent_carer)
    add_cases(8, referred=dt.date(2025, 11, 30), source=ReferralSource.professional)
    add_cases(8, referred=dt.date(2026, 1, 1), source=ReferralSource.professional)

    table = _get(client, headers["manager"], "referral-source", by="year", **{"from": "2025-06-01", "to": "2025-06-02"})
    assert table.status_code == 200, table.text
    answer = table.json()
    assert (answer["from"], answer["to"]) == ("2025-01-01", "2025-12-31")
    assert [row["period"] for row in answer["rows"]] == ["2025"]
    assert answer["rows"][0]["counts"] == {"young_person": 0, "parent_carer": 10, "professional": 10, "other": 0}
    assert answer["rows"][0]["total"] == 15  # 16


def test_cases_by_coded_outcome_in_the_quarter_they_closed(client: TestClient, headers, add_cases: AddCases) -> None:
    referred = dt.date(2025, 6, 1)
    add_cases(10, referred=referred, closed_on=dt.date(2026, 4, 2), outcome_code=OutcomeCode.ehcp_issued)
    add_cases(8, referred=referred, closed_on=dt.date(2026, 6, 30), outcome_code=OutcomeCode.tribunal)
    add_cases(4, referred=referred, closed_on=dt.date(2026, 5, 1), outcome_code=OutcomeCode.not_recorded)
    add_cases(30, referred=dt.date(2026, 4, 1))  # open: not in the outcome table

    table = _get(client, headers["manager"], "outcome", **{"from": "2026-04-01", "to": "2026-06-30"})
    assert table.status_code == 200, table.text
    answer = table.json()
    assert answer["counted_by"] == "closing date"
    assert "not_recorded" in answer["columns"] and "advice_given" in answer["columns"]
    row = _row(answer, "2026-Q2")
    assert {code: count for code, count in row["counts"].items() if count != 0} == {
        "ehcp_issued": 10,
        "tribunal": 10,
        "not_recorded": C,
    }
    assert row["total"] == 20  # 22
    assert row["percentages"]["ehcp_issued"] == 45 and row["percentages"]["tribunal"] == 36


def test_cases_by_age_band_at_referral(client: TestClient, headers, add_cases: AddCases) -> None:
    referred = dt.date(2026, 2, 10)
    add_cases(9, referred=referred, born=dt.date(2014, 2, 10))  # 12 that day
    add_cases(9, referred=referred, born=dt.date(2014, 2, 11))  # 11 until the next day
    table = _get(client, headers["manager"], "age-band", **YEAR_2026)
    assert table.status_code == 200, table.text
    assert table.json()["columns"] == ["0-4", "5-11", "12-15", "16-17", "18-25", "unknown"]
    row = _row(table.json(), "2026-Q1")
    assert row["counts"] == {"0-4": 0, "5-11": 10, "12-15": 10, "16-17": 0, "18-25": 0, "unknown": 0}


@pytest.mark.parametrize(
    ("born", "band"),
    [
        ("2021-09-02", "0-4"),  # 4 the day before the fifth birthday
        ("2021-09-01", "5-11"),
        ("2014-09-02", "5-11"),
        ("2014-09-01", "12-15"),
        ("2010-09-02", "12-15"),
        ("2010-09-01", "16-17"),
        ("2008-09-02", "16-17"),
        ("2008-09-01", "18-25"),
        ("2002-09-02", "18-25"),
    ],
)
def test_the_database_bands_ages_exactly_as_the_rule_says(
    container: Services, add_cases: AddCases, born: str, band: str
) -> None:
    add_cases(1, referred=dt.date(2026, 9, 1), born=dt.date.fromisoformat(born))
    with container.new_session() as session:
        counted = count_cases(
            session, table=Table.age_band, start=dt.date(2026, 9, 1), end=dt.date(2026, 9, 1), by=By.quarter
        )
    assert counted.counts == {("2026-Q3", band): 1}


def test_born_on_29_february_is_a_year_older_on_1_march(container: Services, add_cases: AddCases) -> None:
    add_cases(1, referred=dt.date(2026, 2, 28), born=dt.date(2008, 2, 29))  # 17 still
    add_cases(1, referred=dt.date(2026, 3, 1), born=dt.date(2008, 2, 29))  # 18
    with container.new_session() as session:
        counted = count_cases(
            session, table=Table.age_band, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), by=By.year
        )
    assert counted.counts == {("2026", "16-17"): 1, ("2026", "18-25"): 1}


def test_referred_on_29_february(container: Services, add_cases: AddCases) -> None:
    add_cases(1, referred=dt.date(2024, 2, 29), born=dt.date(2006, 3, 1))  # 18 the next day
    add_cases(1, referred=dt.date(2024, 2, 29), born=dt.date(2006, 2, 28))  # 18 the day before
    with container.new_session() as session:
        counted = count_cases(
            session, table=Table.age_band, start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), by=By.year
        )
    assert counted.counts == {("2024", "16-17"): 1, ("2024", "18-25"): 1}
    assert (
        age_band(dt.date(2006, 3, 1), dt.date(2024, 2, 29)),
        age_band(dt.date(2006, 2, 28), dt.date(2024, 2, 29)),
    ) == (
        "16-17",
        "18-25",
    )


def test_csv_carries_the_same_released_numbers(client: TestClient, headers, add_cases: AddCases) -> None:
    add_cases(9, referred=dt.date(2026, 1, 10), source=ReferralSource.parent_carer)
    add_cases(2, referred=dt.date(2026, 1, 10), source=ReferralSource.other)
    answer = _get(
        client, headers["manager"], "referral-source", format="csv", **{"from": "2026-01-01", "to": "2026-03-31"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(answer.text)))
    assert lines[0] == [
        "period",
        "young_person",
        "parent_carer",
        "professional",
        "other",
        "total",
        "young_person %",
        "parent_carer %",
        "professional %",
        "other %",
    ]
    assert lines[1] == ["2026-Q1", "0", "10", "0", "[c]", "10", "", "", "", ""]
    assert lines[2][0] == "total"


def test_every_release_is_audited_with_no_personal_data(
    client: TestClient, container: Services, headers, add_cases: AddCases
) -> None:
    add_cases(8, referred=dt.date(2026, 1, 10))
    assert _get(client, headers["manager"], "age-band", **YEAR_2026).status_code == 200
    assert _get(client, headers["manager"], "outcome", format="csv", by="year", **YEAR_2026).status_code == 200
    with container.new_session() as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "statistics.release")).all()
    assert [(row.subject_id, json.loads(row.details)) for row in rows] == [
        ("age-band", {"by": "quarter", "start": "2026-01-01", "end": "2026-12-31", "format": "json"}),
        ("outcome", {"by": "year", "start": "2026-01-01", "end": "2026-12-31", "format": "csv"}),
    ]


@pytest.mark.parametrize(("caller", "status"), [("officer", 403), ("admin", 403), ("no token", 401)])
def test_only_managers_read_statistics(client: TestClient, headers, caller: str, status: int) -> None:
    assert _get(client, headers[caller], "referral-source", **YEAR_2026).status_code == status


@pytest.mark.parametrize(
    ("table", "query", "says"),
    [
        ("referral-source", {"from": "2026-05-01", "to": "2026-04-01"}, "before"),
        ("postcode", YEAR_2026, "referral-source"),
        ("outcome", {**YEAR_2026, "by": "month"}, "quarter"),
        ("outcome", {**YEAR_2026, "format": "xml"}, "csv"),
        ("outcome", {"from": "2026-01-01"}, "to"),
        ("outcome", {**YEAR_2026, "where": "1=1"}, "unknown query parameter"),
    ],
)
def test_bad_questions_are_422_or_400_saying_what_to_ask(
    client: TestClient, headers, table: str, query: dict, says: str
) -> None:
    answer = client.get(f"{URL}/{table}", params=query, headers=headers["manager"])
    assert answer.status_code in (400, 422), answer.text
    assert says in answer.text


def test_a_destroyed_persons_cases_are_still_counted_and_name_no_one(
    client: TestClient, container: Services, headers, add_cases: AddCases
) -> None:
    closed = dt.date(2026, 2, 1)
    kept = add_cases(8, referred=dt.date(2026, 1, 5), source=ReferralSource.professional)
    destroyed = add_cases(
        5, referred=dt.date(2026, 1, 5), closed_on=closed, outcome_code=OutcomeCode.withdrawn, born=dt.date(2009, 1, 1)
    )
    before = {
        name: _get(client, headers["manager"], name, **YEAR_2026).json()
        for name in ("referral-source", "outcome", "age-band")
    }
    with transaction(container.new_session) as session:
        for person_id in destroyed:
            delete_personal_rows(session, person_id=person_id)
    after = {
        name: _get(client, headers["manager"], name, **YEAR_2026).json()
        for name in ("referral-source", "outcome", "age-band")
    }
    assert after == before
    assert _row(after["referral-source"], "2026-Q1")["counts"]["parent_carer"] == C  # the five, suppressed
    with container.new_session() as session:
        tallies = session.exec(select(DestroyedCaseTally).order_by(col(DestroyedCaseTally.id))).all()
    assert len(tallies) == 5 and len(kept) == 8
    assert {
        (
            t.referral_source,
            t.age_band,
            t.referral_year,
            t.referral_quarter,
            t.outcome_code,
            t.closed_year,
            t.closed_quarter,
        )
        for t in tallies
    } == {(ReferralSource.parent_carer, "16-17", 2026, 1, OutcomeCode.withdrawn, 2026, 1)}
    columns = set(DestroyedCaseTally.model_fields)
    assert not columns & {"person_id", "case_id", "pseudonym", "reference", "date_of_birth"}
