"""Input that makes sense: names that read as they are stored, dates in the real world
written as YYYY-MM-DD, and ids of any size answered with a 4xx, never a 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Case, CaseNote, Person
from tests.people import CONSENT


def _count(container: Services, table: type) -> int:
    with transaction(container.new_session) as session:
        return session.exec(select(func.count()).select_from(table)).one()


@pytest.mark.parametrize(
    "name, code",
    [
        ("Amelia\u202eSmith", "U+202E"),  # right-to-left override
        ("Amelia\u2066Smith", "U+2066"),  # left-to-right isolate
        ("Amelia\u200fSmith", "U+200F"),  # right-to-left mark
        ("Amelia\u061cSmith", "U+061C"),  # Arabic letter mark
        ("Amelia\nSmith", "U+000A"),
        ("Amelia\x00Smith", "U+0000"),
        ("Ame\u200blia Smith", "U+200B"),  # zero-width space: reads as Amelia Smith, never found as her
        ("Amelia\ufeffSmith", "U+FEFF"),
    ],
)
def test_a_name_with_control_or_direction_characters_is_refused_naming_them(
    client: TestClient, container: Services, callers, name: str, code: str
) -> None:
    officer = callers["officer"].headers
    person = {"full_name": name, "date_of_birth": "2012-03-04", "consent": CONSENT}
    referral = {"person": person, "referral_date": "2026-09-01", "referral_source": "other"}

    for path, body in (("/api/v1/people", person), ("/api/v1/cases", referral)):
        response = client.post(path, json=body, headers=officer)
        assert response.status_code == 422, path
        assert code in response.json()["detail"] and "full_name" in response.json()["detail"]
    assert _count(container, Person) == 0
    found = client.get("/api/v1/people", params={"name": name}, headers=officer)
    assert found.status_code == 422 and code in found.json()["detail"]


def test_names_in_any_script_are_welcome(client: TestClient, callers) -> None:
    for name in ("Zoë Ó Briain", "محمد علي", "李小龙", "Anna-Lena Müller", "محمد\u200cرضا"):  # a ZWNJ spells Persian
        body = {"full_name": name, "date_of_birth": "2012-03-04", "consent": CONSENT}
        response = client.post("/api/v1/people", json=body, headers=callers["officer"].headers)
        assert response.status_code == 201, name
        assert response.json()["full_name"] == name


@pytest.mark.parametrize("written, iso", [("10/12/2001", "2001-12-10"), ("1/2/2012", "2012-02-01")])
def test_a_date_written_day_month_year_is_refused_saying_its_iso_form(
    client: TestClient, callers, written: str, iso: str
) -> None:
    body = {"full_name": "Amelia Smith", "date_of_birth": written, "consent": CONSENT}
    response = client.post("/api/v1/people", json=body, headers=callers["officer"].headers)
    assert response.status_code == 422
    assert f"write {iso}" in response.json()["detail"]

    found = client.get("/api/v1/people", params={"date_of_birth": written}, headers=callers["manager"].headers)
    assert found.status_code == 422
    assert f"write {iso}" in found.json()["detail"]


@pytest.mark.parametrize(
    "path, body, field",
    [
        (
            "/api/v1/people",
            {"full_name": "Amelia Smith", "date_of_birth": "1899-12-31", "consent": CONSENT},
            "date_of_birth",
        ),
        (
            "/api/v1/cases",
            {"person_id": 1, "referral_date": "2199-01-01", "referral_source": "other"},
            "referral_date",
        ),
    ],
)
def test_dates_outside_the_real_world_are_refused(
    client: TestClient, container: Services, callers, path: str, body: dict, field: str
) -> None:
    response = client.post(path, json=body, headers=callers["manager"].headers)
    assert response.status_code == 422
    assert field in response.json()["detail"] and "a year from today" in response.json()["detail"]
    assert (_count(container, Person), _count(container, Case)) == (0, 0)


@pytest.mark.parametrize("day", ["1899-12-31", "2199-01-01"])
def test_notes_and_closing_lie_in_the_real_world(client: TestClient, container: Services, callers, case, day) -> None:
    officer = callers["officer"].headers
    note = {"kind": "progress_summary", "text": "Met.", "date": day}
    assert client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=officer).status_code == 422
    closing = {"closed_on": day, "outcome": "Done.", "outcome_code": "advice_given"}
    assert client.post(f"/api/v1/cases/{case['id']}/close", json=closing, headers=officer).status_code == 422
    assert _count(container, CaseNote) == 0


def test_a_note_is_not_dated_before_the_person_was_born(client: TestClient, container: Services, callers, case) -> None:
    note = {"kind": "personal_details", "text": "Born.", "date": "2012-03-03"}  # Jamie was born on 2012-03-04
    response = client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=callers["officer"].headers)
    assert response.status_code == 422
    assert response.json()["field"] == "date" and "date of birth" in response.json()["detail"]
    assert _count(container, CaseNote) == 0


@pytest.mark.parametrize("big", [2**31, 2**63, 2**70])
def test_ids_of_any_size_are_a_4xx(client: TestClient, callers, big: int) -> None:
    manager = callers["manager"].headers
    body = {"person_id": big, "referral_date": "2026-09-01", "referral_source": "other"}
    assert client.post("/api/v1/cases", json=body, headers=manager).status_code == 422
    assert client.get("/api/v1/cases", params={"person_id": big}, headers=manager).status_code == 422
    assert client.get(f"/api/v1/people/{big}/cases", headers=manager).status_code == 422
    assert client.get(f"/api/v1/cases/{big}/documents", headers=manager).status_code == 422
    hold = {"case_id": big, "kind": "legal", "reason": "Claim."}
    assert client.post("/api/v1/holds", json=hold, headers=manager).status_code == 422


@pytest.mark.parametrize("cursor", ["not a cursor", "WyIyMDI2LTEzLTAxIiwxXQ"])  # the second: ["2026-13-01",1]
def test_a_cursor_no_list_gave_out_is_a_400(client: TestClient, callers, case, cursor: str) -> None:
    headers = callers["officer"].headers
    for path in ("/api/v1/cases", f"/api/v1/cases/{case['id']}/notes", f"/api/v1/cases/{case['id']}/documents"):
        assert client.get(path, params={"cursor": cursor}, headers=headers).status_code == 400, path


def test_the_longest_note_in_any_script_fits_in_a_request(client: TestClient, callers, case) -> None:
    """20,000 characters of Greek sent as JSON with \\u escapes: about 120 KB of body."""
    text = "Συνάντηση με την οικογένεια. " * 690  # 20,010 characters: one past the limit first
    body = {"kind": "progress_summary", "text": text[:20_000], "date": "2026-10-01"}
    path = f"/api/v1/cases/{case['id']}/notes"
    headers = {**callers["officer"].headers, "Content-Type": "application/json"}
    assert len(json.dumps(body).encode()) > 100_000  # escaped, as most clients send it
    written = client.post(path, content=json.dumps(body), headers=headers)
    assert written.status_code == 201, written.text[:200]
    assert written.json()["text"] == text[:20_000]
    too_long = client.post(path, content=json.dumps(body | {"text": text}), headers=headers)
    assert too_long.status_code == 422  # the field's own limit, not the body's
