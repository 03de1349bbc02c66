"""Opening a case for someone already known: by the id of someone the caller already sees,
or by the name and date of birth the referral gives, which recognises a re-referral."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Case, Person
from tests.people import CONSENT

REFERRAL = {"referral_date": "2026-10-01", "referral_source": "young_person"}


def _count(container: Services, table: type) -> int:
    with transaction(container.new_session) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _by_name(client: TestClient, headers: dict, name: str, born: str = "2012-03-04") -> dict:
    body = {"person": {"full_name": name, "date_of_birth": born, "consent": CONSENT}, **REFERRAL}
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_someone_new_is_recorded_with_their_first_case(client: TestClient, container: Services, callers) -> None:
    body = {
        "person": {
            "full_name": "Amelia Smith",
            "date_of_birth": "2012-03-04",
            "contact_details": "01234",
            "consent": CONSENT,
        }
    }
    response = client.post("/api/v1/cases", json={**body, **REFERRAL}, headers=callers["officer"].headers)

    assert response.status_code == 201, response.text
    case = response.json()
    assert (case["person_name"], case["assigned_officer"], case["re_referral"]) == ("Amelia Smith", "olive", False)
    person = client.get(f"/api/v1/people/{case['person_id']}", headers=callers["officer"].headers).json()
    assert (person["date_of_birth"], person["contact_details"]) == ("2012-03-04", "01234")


def test_a_re_referral_by_name_and_date_of_birth_finds_the_same_person(
    client: TestClient, container: Services, callers
) -> None:
    olive, oscar, manager = (callers[role].headers for role in ("officer", "other_officer", "manager"))
    first = _by_name(client, oscar, "Zoë  Smith")

    again = _by_name(client, olive, "SMITH zoe")

    assert again["person_id"] == first["person_id"]
    assert (again["re_referral"], first["re_referral"]) == (True, False)
    assert _count(container, Person) == 1
    flagged = client.get("/api/v1/cases", params={"re_referral": "true"}, headers=manager).json()["items"]
    assert [case["id"] for case in flagged] == [again["id"]]
    opened = client.get("/api/v1/audit", params={"action": "case.open"}, headers=manager).json()["events"]
    assert [event["details"]["re_referral"] for event in opened] == [False, True]


def test_another_date_of_birth_is_another_person(client: TestClient, container: Services, callers) -> None:
    olive = callers["officer"].headers
    first = _by_name(client, olive, "Amelia Smith", born="2012-03-04")
    second = _by_name(client, olive, "Amelia Smith", born="2012-03-05")
    assert first["person_id"] != second["person_id"]
    assert second["re_referral"] is False


def test_someone_recorded_without_a_case_is_found_and_not_a_re_referral(
    client: TestClient, container: Services, callers, person
) -> None:
    case = _by_name(client, callers["other_officer"].headers, "jamie EXAMPLE")
    assert (case["person_id"], case["re_referral"]) == (person["id"], False)


def test_whoever_records_a_person_opens_their_first_case_by_id(client: TestClient, callers, person) -> None:
    response = client.post(
        "/api/v1/cases", json={"person_id": person["id"], **REFERRAL}, headers=callers["officer"].headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["re_referral"] is False


def test_managers_open_a_case_for_anyone_by_id(client: TestClient, callers, case) -> None:
    body = {"person_id": case["person_id"], **REFERRAL}
    response = client.post("/api/v1/cases", json=body, headers=callers["manager"].headers)
    assert response.status_code == 201, response.text
    assert (response.json()["re_referral"], response.json()["assigned_officer"]) == (True, None)


def test_another_officers_person_id_is_404_as_missing_and_leaks_nothing(
    client: TestClient, container: Services, callers, case
) -> None:
    oscar = callers["other_officer"].headers
    cases_before = _count(container, Case)

    theirs = client.post("/api/v1/cases", json={"person_id": case["person_id"], **REFERRAL}, headers=oscar)
    missing = client.post("/api/v1/cases", json={"person_id": 999999, **REFERRAL}, headers=oscar)

    assert (theirs.status_code, missing.status_code) == (404, 404)
    same = str(case["person_id"]), "N"
    assert theirs.json()["detail"].replace(*same) == missing.json()["detail"].replace("999999", "N")
    assert "Jamie" not in theirs.text and "2012" not in theirs.text
    assert _count(container, Case) == cases_before
    assert client.get(f"/api/v1/people/{case['person_id']}", headers=oscar).status_code == 404


def test_a_person_recorded_by_another_officer_is_not_hers_by_id(client: TestClient, callers, person) -> None:
    body = {"person_id": person["id"], **REFERRAL}
    assert client.post("/api/v1/cases", json=body, headers=callers["other_officer"].headers).status_code == 404


@pytest.mark.parametrize(
    "who",
    [
        {},
        {"person_id": 1, "person": {"full_name": "Amelia Smith", "date_of_birth": "2012-03-04", "consent": CONSENT}},
    ],
)
def test_a_case_names_its_person_exactly_one_way(client: TestClient, container: Services, callers, who) -> None:
    response = client.post("/api/v1/cases", json={**who, **REFERRAL}, headers=callers["manager"].headers)
    assert response.status_code == 422
    assert "person_id or person" in response.json()["detail"]
    assert _count(container, Case) == 0


def test_a_referral_naming_someone_too_old_records_no_one(client: TestClient, container: Services, callers) -> None:
    body = {"person": {"full_name": "Old Example", "date_of_birth": "1990-01-01", "consent": CONSENT}, **REFERRAL}
    response = client.post("/api/v1/cases", json=body, headers=callers["officer"].headers)
    assert response.status_code == 422
    assert _count(container, Person) == 0
