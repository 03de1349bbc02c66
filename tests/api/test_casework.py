"""People, cases and notes through the API, and every bad input of issue 2 §8."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import Case, CaseNote, CaseStatus, Person
from tests.people import CONSENT


def test_a_case_is_opened_noted_and_closed(client: TestClient, callers, person) -> None:
    officer = callers["officer"].headers
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "young_person"},
        headers=officer,
    ).json()
    assert case["reference"] == f"SEN-2026-{case['id']:05d}"
    assert (case["status"], case["assigned_officer"]) == ("open", "olive")

    for day, kind in (("2026-10-05", "agreed_action"), ("2026-09-20", "progress_summary")):
        note = client.post(
            f"/api/v1/cases/{case['id']}/notes",
            json={"kind": kind, "text": "Call school.", "date": day},
            headers=officer,
        )
        assert note.status_code == 201, note.text
    notes = client.get(f"/api/v1/cases/{case['id']}/notes", headers=officer).json()["items"]
    assert [n["date"] for n in notes] == ["2026-09-20", "2026-10-05"]

    closed = client.post(
        f"/api/v1/cases/{case['id']}/close",
        json={"closed_on": "2026-11-01", "outcome": "Plan agreed.", "outcome_code": "advice_given"},
        headers=officer,
    )
    assert closed.status_code == 200
    body = closed.json()
    assert (body["status"], body["closed_on"], body["last_correspondence"]) == ("closed", "2026-11-01", "2026-10-05")


def test_managers_assign_cases_and_officers_cannot(client: TestClient, callers, person) -> None:
    body = {
        "person_id": person["id"],
        "referral_date": "2026-09-01",
        "referral_source": "professional",
        "assigned_officer": "oscar",
    }
    by_manager = client.post("/api/v1/cases", json=body, headers=callers["manager"].headers)
    assert by_manager.json()["assigned_officer"] == "oscar"
    by_officer = client.post("/api/v1/cases", json=body, headers=callers["officer"].headers)
    assert by_officer.status_code == 403
    assert "ask a manager" in by_officer.json()["detail"]


def _count(container: Services, model: type) -> int:
    with container.new_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


BAD_PEOPLE = {
    "malformed date": ({"full_name": "A B", "date_of_birth": "04/03/2012", "consent": CONSENT}, 422, "date_of_birth"),
    "impossible date": ({"full_name": "A B", "date_of_birth": "2011-02-29", "consent": CONSENT}, 422, "date_of_birth"),
    "born in the future": ({"full_name": "A B", "date_of_birth": "2027-01-01", "consent": CONSENT}, 422, "future"),
    "already 25": ({"full_name": "A B", "date_of_birth": "2001-11-24", "consent": CONSENT}, 422, "25 or older"),
    "blank name": ({"full_name": "", "date_of_birth": "2012-01-01", "consent": CONSENT}, 422, "full_name"),
    "unknown field": ({"full_name": "A B", "date_of_birth": "2012-01-01", "nhs": "x", "consent": CONSENT}, 422, "nhs"),
    "not json": ("{not json", 422, "JSON"),
}


@pytest.mark.parametrize("name", sorted(BAD_PEOPLE))
def test_bad_people_are_refused_and_nothing_is_written(
    client: TestClient, container: Services, callers, name: str
) -> None:
    body, status, words = BAD_PEOPLE[name]
    kwargs = (
        {"content": body, "headers": {**callers["officer"].headers, "Content-Type": "application/json"}}
        if isinstance(body, str)
        else {"json": body, "headers": callers["officer"].headers}
    )
    response = client.post("/api/v1/people", **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words.lower() in response.text.lower()
    assert _count(container, Person) == 0


BAD_CASES = {
    "unknown person": (
        {"person_id": 999, "referral_date": "2026-09-01", "referral_source": "other"},
        404,
        "no person with id 999",
    ),
    "unknown source": ({"referral_date": "2026-09-01", "referral_source": "neighbour"}, 422, "referral_source"),
    "referral in the future": ({"referral_date": "2026-12-25", "referral_source": "other"}, 422, "future"),
    "referral before birth": ({"referral_date": "2011-01-01", "referral_source": "other"}, 422, "before"),
    "impossible date": ({"referral_date": "2026-09-31", "referral_source": "other"}, 422, "referral_date"),
    "unknown officer": (
        {"referral_date": "2026-09-01", "referral_source": "other", "assigned_officer": "nobody"},
        422,
        "nobody",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_cases_are_refused_and_nothing_is_written(
    client: TestClient, container: Services, callers, person, name: str
) -> None:
    body, status, words = BAD_CASES[name]
    response = client.post(
        "/api/v1/cases", json={"person_id": person["id"], **body}, headers=callers["manager"].headers
    )
    assert response.status_code == status, response.text
    assert words.lower() in response.text.lower()
    assert _count(container, Case) == 0


def test_a_referral_at_25_or_older_is_refused(
    client: TestClient, container: Services, clock: FixedClock, callers
) -> None:
    person = client.post(
        "/api/v1/people",
        json={"full_name": "A B", "date_of_birth": "2001-12-20", "consent": CONSENT},
        headers=callers["officer"].headers,
    ).json()
    clock.set(dt.date(2027, 1, 5))
    response = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "referral_date": "2027-01-05", "referral_source": "young_person"},
        headers=callers["officer"].headers,
    )
    assert response.status_code == 422
    assert "25 or older" in response.json()["detail"]
    assert _count(container, Case) == 0


def test_unknown_ids_are_404(client: TestClient, callers) -> None:
    headers = callers["manager"].headers
    for path in ("/api/v1/people/999", "/api/v1/cases/999", "/api/v1/cases/999/notes", "/api/v1/documents/999"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert "999" in response.json()["detail"]
    assert client.get("/api/v1/cases/not-a-number", headers=headers).status_code == 422


def test_closing_a_closed_case_is_a_conflict(client: TestClient, callers, case) -> None:
    close = {"closed_on": "2026-11-01", "outcome": "Done.", "outcome_code": "advice_given"}
    assert (
        client.post(f"/api/v1/cases/{case['id']}/close", json=close, headers=callers["officer"].headers).status_code
        == 200
    )
    again = client.post(f"/api/v1/cases/{case['id']}/close", json=close, headers=callers["officer"].headers)
    assert again.status_code == 409
    assert "only an open case" in again.json()["detail"]


def test_closing_before_the_referral_is_refused(client: TestClient, callers, case) -> None:
    response = client.post(
        f"/api/v1/cases/{case['id']}/close",
        json={"closed_on": "2026-08-01", "outcome": "x", "outcome_code": "advice_given"},
        headers=callers["officer"].headers,
    )
    assert response.status_code == 422


def test_notes_on_a_destroyed_case_are_refused(client: TestClient, container: Services, callers, case) -> None:
    with transaction(container.new_session) as session:
        row = session.get(Case, case["id"])
        row.status = CaseStatus.destroyed
        session.add(row)
    note = {"kind": "progress_summary", "text": "Late letter.", "date": "2026-10-01"}
    response = client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=callers["manager"].headers)
    assert response.status_code == 409
    assert "destroyed" in response.json()["detail"]
    assert _count(container, CaseNote) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "gossip", "text": "x", "date": "2026-10-01"}, "kind"),
        ({"kind": "agreed_action", "text": "x", "date": "2026-13-01"}, "date"),
        ({"kind": "agreed_action", "text": "x", "date": "2027-01-01"}, "future"),
        ({"kind": "agreed_action", "text": "   ", "date": "2026-10-01"}, "blank"),
    ],
)
def test_bad_notes_are_refused(client: TestClient, container: Services, callers, case, body, field) -> None:
    response = client.post(f"/api/v1/cases/{case['id']}/notes", json=body, headers=callers["officer"].headers)
    assert response.status_code == 422
    assert field in response.text
    assert _count(container, CaseNote) == 0


def test_oversized_bodies_are_413_before_anything_is_read(client: TestClient, container: Services, callers) -> None:
    too_long = "x" * (container.settings.max_request_body_kb * 1024 + 1)
    huge = {"full_name": "A B", "date_of_birth": "2012-01-01", "contact_details": too_long, "consent": CONSENT}
    response = client.post("/api/v1/people", json=huge, headers=callers["officer"].headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert _count(container, Person) == 0


def test_oversized_chunked_bodies_are_413(client: TestClient, container: Services, callers) -> None:
    def chunks():
        yield b'{"full_name": "A B", "date_of_birth": "2012-01-01", "contact_details": "'
        for _ in range(container.settings.max_request_body_kb + 1):
            yield b"x" * 1024
        yield b'"}'

    headers = {**callers["officer"].headers, "Content-Type": "application/json"}
    response = client.post("/api/v1/people", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert _count(container, Person) == 0


def test_every_change_and_read_is_audited_with_ids_only(client: TestClient, callers, person, case) -> None:
    client.get(f"/api/v1/people/{person['id']}", headers=callers["officer"].headers)
    events = client.get("/api/v1/audit", headers=callers["admin"].headers).json()["events"]
    actions = [e["action"] for e in events]
    consents = ["consent.record"] * len(CONSENT["scopes"])  # one per scope given with the person
    assert actions[-6:] == ["person.create", *consents, "case.open", "person.read"]
    assert "Jamie" not in str(events) and "2012-03-04" not in str(events) and "Pat" not in str(events)
