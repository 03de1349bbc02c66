"""Finding people and cases, and listing a case's documents: each list for each role,
a page at a time, and what another officer may not see answers as what does not exist."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, DocumentStatus, ProvidedBy
from casevault.core.users import revoke_user
from tests.people import CONSENT


def _open(client: TestClient, headers: dict, name: str, born: str = "2012-03-04", **extra: str) -> dict:
    """A case opened for someone named as a referral names them."""
    body = {
        "person": {"full_name": name, "date_of_birth": born, "consent": CONSENT},
        "referral_date": "2026-09-01",
        "referral_source": "parent_carer",
        **extra,
    }
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _walk(client: TestClient, path: str, headers: dict, **params: object) -> list[dict]:
    """Every item of a list, page by page; no page may repeat an item."""
    items: list[dict] = []
    cursor = None
    while True:
        page = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- finding people ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, asked",
    [
        ("Amelia Smith", "SMITH amelia"),
        ("Amelia Smith", "  amelia   smith "),
        ("Zoë Smith", "Zoe"),
        ("Zoe Smith", "ZOË"),
        ("Amelia Smith", "ame smi"),  # every word begins a word of the name
        ("José  García-López", "garcía-lópez jose"),
    ],
)
def test_a_name_is_found_however_it_is_written(client: TestClient, callers, written: str, asked: str) -> None:
    manager = callers["manager"].headers
    case = _open(client, manager, written)

    found = client.get("/api/v1/people", params={"name": asked}, headers=manager)

    assert _ids(found) == [case["person_id"]]


@pytest.mark.parametrize("asked", ["Amelia Jones", "melia", "Amelia Smithson"])
def test_a_name_that_is_not_theirs_finds_no_one(client: TestClient, callers, asked: str) -> None:
    manager = callers["manager"].headers
    _open(client, manager, "Amelia Smith")
    assert _ids(client.get("/api/v1/people", params={"name": asked}, headers=manager)) == []


def test_people_are_found_by_date_of_birth_and_by_both(client: TestClient, callers) -> None:
    manager = callers["manager"].headers
    amelia = _open(client, manager, "Amelia Smith", born="2012-03-04")["person_id"]
    other_amelia = _open(client, manager, "Amelia Smith", born="2013-05-06")["person_id"]
    _open(client, manager, "Ben Jones", born="2012-03-04")

    assert _ids(client.get("/api/v1/people", params={"date_of_birth": "2013-05-06"}, headers=manager)) == [other_amelia]
    both = client.get("/api/v1/people", params={"name": "amelia", "date_of_birth": "2012-03-04"}, headers=manager)
    assert _ids(both) == [amelia]


@pytest.mark.parametrize("params", [{}, {"name": "   "}])
def test_finding_people_needs_a_name_or_a_date_of_birth(client: TestClient, callers, params: dict) -> None:
    response = client.get("/api/v1/people", params=params, headers=callers["manager"].headers)
    assert response.status_code == 400
    assert "name, date_of_birth" in response.json()["detail"]


def test_officers_find_only_the_people_of_their_cases(client: TestClient, callers) -> None:
    olive, oscar, manager = (callers[role].headers for role in ("officer", "other_officer", "manager"))
    hers = _open(client, olive, "Amelia Smith")["person_id"]
    his = _open(client, oscar, "Amelia Stone")["person_id"]
    asked = {"name": "amelia"}

    assert _ids(client.get("/api/v1/people", params=asked, headers=olive)) == [hers]
    assert _ids(client.get("/api/v1/people", params=asked, headers=oscar)) == [his]
    assert _ids(client.get("/api/v1/people", params=asked, headers=manager)) == [hers, his]
    assert client.get("/api/v1/people", params=asked, headers=callers["admin"].headers).status_code == 403
    assert client.get("/api/v1/people", params=asked).status_code == 401


def test_finding_people_walks_every_page_once(client: TestClient, callers) -> None:
    manager = callers["manager"].headers
    made = [_open(client, manager, f"Sam Example{'x' * n}")["person_id"] for n in range(5)]

    found = _walk(client, "/api/v1/people", manager, name="sam", limit=2)

    assert [person["id"] for person in found] == made


def test_a_search_is_audited_without_what_was_asked(client: TestClient, callers) -> None:
    manager = callers["manager"].headers
    _open(client, manager, "Amelia Smith")
    client.get("/api/v1/people", params={"name": "amelia", "date_of_birth": "2012-03-04"}, headers=manager)

    events = client.get("/api/v1/audit", params={"action": "person.search"}, headers=manager).json()["events"]

    assert [event["details"] for event in events] == [{"count": 1}]
    assert "melia" not in str(events) and "2012" not in str(events)


# --- a person's cases -------------------------------------------------------------------------


def test_a_persons_cases_for_each_role(client: TestClient, callers, case) -> None:
    path = f"/api/v1/people/{case['person_id']}/cases"
    assert _ids(client.get(path, headers=callers["officer"].headers)) == [case["id"]]
    assert _ids(client.get(path, headers=callers["manager"].headers)) == [case["id"]]
    assert client.get(path, headers=callers["admin"].headers).status_code == 403
    assert client.get(path).status_code == 401

    other = client.get(path, headers=callers["other_officer"].headers)
    missing = client.get("/api/v1/people/999999/cases", headers=callers["other_officer"].headers)
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.json()["detail"].replace(str(case["person_id"]), "N") == missing.json()["detail"].replace(
        "999999", "N"
    )


def test_an_officer_reads_the_earlier_cases_of_someone_she_supports_now(client: TestClient, callers) -> None:
    olive, oscar = callers["officer"].headers, callers["other_officer"].headers
    earlier = _open(client, oscar, "Amelia Smith")
    client.post(
        f"/api/v1/cases/{earlier['id']}/close",
        json={"closed_on": "2026-10-01", "outcome": "Done.", "outcome_code": "advice_given"},
        headers=oscar,
    )
    now = _open(client, olive, "Amelia Smith")

    path = f"/api/v1/people/{now['person_id']}/cases"
    assert _ids(client.get(path, headers=olive)) == [earlier["id"], now["id"]]
    assert _ids(client.get(path, headers=oscar)) == [earlier["id"]]


# --- listing and filtering cases ---------------------------------------------------------------


def test_cases_are_filtered_by_what_is_asked(client: TestClient, container: Services, callers) -> None:
    manager = callers["manager"].headers
    amelia = _open(client, manager, "Amelia Smith", assigned_officer="olive")
    ben = _open(client, manager, "Ben Jones", assigned_officer="oscar")
    nobody = _open(client, manager, "Cara Brown")
    closed = client.post(
        f"/api/v1/cases/{ben['id']}/close",
        json={"closed_on": "2026-10-01", "outcome": "Done.", "outcome_code": "advice_given"},
        headers=manager,
    )
    assert closed.status_code == 200

    def listed(**params: object) -> list[int]:
        return _ids(client.get("/api/v1/cases", params=params, headers=manager))

    assert listed(person_id=amelia["person_id"]) == [amelia["id"]]
    assert listed(status="closed") == [ben["id"]]
    assert listed(assigned_officer="olive") == [amelia["id"]]
    assert listed(assigned_officer="nobody-of-that-name") == []
    assert listed(reference=ben["reference"].lower()) == [ben["id"]]
    assert listed(assigned_officer="none") == [nobody["id"]]
    with transaction(container.new_session) as session:
        revoke_user(session, username="oscar", clock=container.clock)
    assert listed(assigned_officer="none") == [ben["id"], nobody["id"]]


def test_only_managers_ask_for_cases_nobody_looks_after(client: TestClient, callers, case) -> None:
    response = client.get("/api/v1/cases", params={"assigned_officer": "none"}, headers=callers["officer"].headers)
    assert response.status_code == 403
    assert "managers" in response.json()["detail"]


def test_listing_cases_for_each_role(client: TestClient, callers, case) -> None:
    assert _ids(client.get("/api/v1/cases", headers=callers["officer"].headers)) == [case["id"]]
    assert _ids(client.get("/api/v1/cases", headers=callers["other_officer"].headers)) == []
    assert _ids(client.get("/api/v1/cases", headers=callers["manager"].headers)) == [case["id"]]
    assert client.get("/api/v1/cases", headers=callers["admin"].headers).status_code == 403
    assert client.get("/api/v1/cases").status_code == 401


def test_listing_cases_walks_every_page_once(client: TestClient, callers) -> None:
    olive = callers["officer"].headers
    made = [_open(client, olive, name)["id"] for name in ("Amy A", "Bea B", "Cal C", "Dee D", "Eve E")]
    _open(client, callers["other_officer"].headers, "Fay F")  # not hers: on no page

    assert [case["id"] for case in _walk(client, "/api/v1/cases", olive, limit=2)] == made


@pytest.mark.parametrize("limit", [0, 101])
def test_a_page_is_1_to_100_items(client: TestClient, callers, limit: int) -> None:
    assert client.get("/api/v1/cases", params={"limit": limit}, headers=callers["manager"].headers).status_code == 422


def test_a_case_names_its_person_officer_and_reference(client: TestClient, callers, case) -> None:
    read = client.get(f"/api/v1/cases/{case['id']}", headers=callers["officer"].headers).json()
    assert (read["person_name"], read["assigned_officer"], read["reference"]) == (
        "Jamie Example",
        "olive",
        f"SEN-2026-{case['id']:05d}",
    )
    assert read["person_id"] == case["person_id"]


# --- a case by its reference -----------------------------------------------------------------


def test_a_case_by_reference_for_each_role(client: TestClient, callers, case) -> None:
    path = f"/api/v1/cases/by-reference/{case['reference']}"
    assert client.get(path, headers=callers["officer"].headers).json()["id"] == case["id"]
    assert client.get(path, headers=callers["manager"].headers).json()["id"] == case["id"]
    assert client.get(path.lower(), headers=callers["manager"].headers).json()["id"] == case["id"]
    assert client.get(path, headers=callers["admin"].headers).status_code == 403
    assert client.get(path).status_code == 401

    other = client.get(path, headers=callers["other_officer"].headers)
    missing = client.get("/api/v1/cases/by-reference/SEN-2026-99999", headers=callers["other_officer"].headers)
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.json()["detail"] == missing.json()["detail"]


# --- a case's documents ------------------------------------------------------------------------


def _add_document(container: Services, case_id: int, uploaded_by: int, name: str, **fields: object) -> int:
    with transaction(container.new_session) as session:
        row = Document(
            case_id=case_id,
            original_filename=name,
            content_type="application/pdf",
            size=10,
            sha256=name.ljust(64, "0")[:64],
            correspondence_date=dt.date(2026, 9, 2),
            provided_by=ProvidedBy.school,
            uploaded_by=uploaded_by,
            **fields,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def test_a_cases_documents_say_what_became_of_each(client: TestClient, container: Services, callers, case) -> None:
    olive = callers["officer"]
    ready = _add_document(container, case["id"], olive.user_id, "letter.pdf", status=DocumentStatus.ready, page_count=3)
    failed = _add_document(
        container, case["id"], olive.user_id, "scan.pdf", status=DocumentStatus.failed, failure_reason="no pages"
    )

    listed = client.get(f"/api/v1/cases/{case['id']}/documents", headers=olive.headers).json()["items"]

    assert [(d["id"], d["original_filename"], d["status"], d["pages"]) for d in listed] == [
        (ready, "letter.pdf", "ready", 3),
        (failed, "scan.pdf", "failed", None),
    ]
    assert listed[1]["failure_reason"] == "no pages"
    assert {(d["tier"], d["uploaded_by"], d["uploaded_by_id"], d["provided_by"]) for d in listed} == {
        ("active", "olive", olive.user_id, "school")
    }
    assert listed[0]["correspondence_date"] == "2026-09-02" and listed[0]["created_at"]


def test_a_cases_documents_for_each_role(client: TestClient, container: Services, callers, case) -> None:
    made = [_add_document(container, case["id"], callers["officer"].user_id, f"page{n}.pdf") for n in range(3)]
    path = f"/api/v1/cases/{case['id']}/documents"

    assert [d["id"] for d in _walk(client, path, callers["officer"].headers, limit=2)] == made
    assert [d["id"] for d in _walk(client, path, callers["manager"].headers, limit=2)] == made
    assert client.get(path, headers=callers["admin"].headers).status_code == 403
    assert client.get(path).status_code == 401
    other = client.get(path, headers=callers["other_officer"].headers)
    missing = client.get("/api/v1/cases/999999/documents", headers=callers["other_officer"].headers)
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.json()["detail"].replace(str(case["id"]), "N") == missing.json()["detail"].replace("999999", "N")


# --- notes, a page at a time -------------------------------------------------------------------


def test_notes_walk_every_page_once_in_date_order(client: TestClient, callers, case) -> None:
    olive = callers["officer"].headers
    for day in ("2026-10-03", "2026-10-01", "2026-10-02", "2026-10-01", "2026-10-04"):
        note = {"kind": "progress_summary", "text": "Called.", "date": day}
        assert client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=olive).status_code == 201

    notes = _walk(client, f"/api/v1/cases/{case['id']}/notes", olive, limit=2)

    assert [note["date"] for note in notes] == ["2026-10-01", "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"]
    assert len({note["id"] for note in notes}) == 5
    assert {note["author"] for note in notes} == {"olive"}
