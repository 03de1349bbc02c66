"""Search over pages and case notes: what each role finds, what a hit names, paging, and
the same hits on SQLite and PostgreSQL for references, numbers, dates, stems and phrases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, DocumentStatus, PageText, ProvidedBy
from tests.people import CONSENT

SEARCH = "/api/v1/search"


@dataclass(frozen=True)
class Corpus:
    case_id: int
    reference: str
    person_id: int
    document_id: int
    pages: dict[str, int]  # name -> page_text id
    note_id: int
    other_case_id: int
    other_document_id: int


def _document(container: Services, case_id: int, filename: str, texts: list[str]) -> tuple[int, list[int]]:
    """A ready document with one page per text, as OCR leaves it."""
    with transaction(container.new_session) as session:
        document = Document(
            case_id=case_id,
            original_filename=filename,
            content_type="application/pdf",
            size=10,
            sha256=f"{case_id:032x}{len(filename):032x}",
            correspondence_date=dt.date(2026, 10, 1),
            provided_by=ProvidedBy.school,
            status=DocumentStatus.ready,
            page_count=len(texts),
        )
        session.add(document)
        session.flush()
        pages = [PageText(document_id=document.id, page=number, text=text) for number, text in enumerate(texts, 1)]
        session.add_all(pages)
        session.flush()
        return document.id, [page.id for page in pages]  # type: ignore[return-value,misc]


def _case(client: TestClient, headers: dict[str, str], full_name: str, assigned: str | None = None) -> dict:
    person = client.post(
        "/api/v1/people",
        json={"full_name": full_name, "date_of_birth": "2012-03-04", "consent": CONSENT},
        headers=headers,
    )
    body = {"person_id": person.json()["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    if assigned:
        body["assigned_officer"] = assigned
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _note(client: TestClient, headers: dict[str, str], case_id: int, text: str) -> int:
    note = {"kind": "progress_summary", "text": text, "date": "2026-10-02"}
    response = client.post(f"/api/v1/cases/{case_id}/notes", json=note, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def corpus(client: TestClient, container: Services, callers, case: dict) -> Corpus:
    officer = callers["officer"].headers
    document_id, (review, plan, transport) = _document(
        container,
        case["id"],
        "annual-review.pdf",
        [
            "Annual review meeting for SEN-48213 held on 12/05/2024 at the school.",
            "The plan EHCP-2024-001 names speech therapy twice weekly.",
            "Transport to school is by taxi.",
        ],
    )
    note_id = _note(client, officer, case["id"], "Phoned the school about the meetings; tribunal date set.")
    other = _case(client, callers["other_officer"].headers, "Alex Other")
    other_document_id, _ = _document(
        container, other["id"], "other.pdf", ["Letter about SEN-48213 transport and the tribunal."]
    )
    return Corpus(
        case["id"],
        case["reference"],
        case["person_id"],
        document_id,
        {"review": review, "plan": plan, "transport": transport},
        note_id,
        other["id"],
        other_document_id,
    )


def _search(client: TestClient, headers: dict[str, str], q: str, **params: object) -> dict:
    response = client.get(SEARCH, params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _found(client: TestClient, headers: dict[str, str], q: str) -> set[tuple[str, int, int | None]]:
    """(kind, document or note id, page) of every hit."""
    items = _search(client, headers, q, limit=100)["items"]
    return {(i["kind"], i["document_id"] or i["note_id"], i["page"]) for i in items}


def test_references_numbers_dates_stems_and_phrases_are_found_alike_on_both_databases(
    client: TestClient, callers, corpus: Corpus
) -> None:
    officer = callers["officer"].headers
    review = ("page", corpus.document_id, 1)
    plan = ("page", corpus.document_id, 2)
    note = ("note", corpus.note_id, None)
    expected = {
        "SEN-48213": {review},
        "48213": {review},
        "sen 48213": {review},
        "EHCP-2024-001": {plan},
        "2024-001": {plan},
        "12/05/2024": {review},
        "meetings": {review, note},  # stemmed: "meeting" on the page, "meetings" in the note
        '"speech therapy"': {plan},
        '"therapy speech"': set(),
        "tribunal": {note},  # the other officer's page is not hers
        "school taxi": {("page", corpus.document_id, 3)},
    }
    assert {q: _found(client, officer, q) for q in expected} == expected
    manager = callers["manager"].headers
    assert _found(client, manager, "48213") == {review, ("page", corpus.other_document_id, 1)}
    assert _found(client, manager, "tribunal") == {note, ("page", corpus.other_document_id, 1)}


def test_a_hit_names_the_case_document_person_page_and_note(client: TestClient, callers, corpus: Corpus) -> None:
    officer = callers["officer"].headers
    [page] = _search(client, officer, "EHCP-2024-001")["items"]
    assert page == {
        "kind": "page",
        "case_id": corpus.case_id,
        "case_reference": corpus.reference,
        "person_id": corpus.person_id,
        "person_name": "Jamie Example",
        "document_id": corpus.document_id,
        "filename": "annual-review.pdf",
        "page": 2,
        "note_id": None,
        "snippet": page["snippet"],
    }
    assert "«speech»" in _search(client, officer, "speech")["items"][0]["snippet"]
    [note] = _search(client, officer, "phoned")["items"]
    assert (note["kind"], note["note_id"], note["document_id"], note["page"]) == ("note", corpus.note_id, None, None)
    assert note["case_reference"] == corpus.reference and note["person_name"] == "Jamie Example"
    assert "«Phoned»" in note["snippet"]


def test_results_come_a_page_at_a_time_each_hit_once(client: TestClient, container: Services, callers, case) -> None:
    officer = callers["officer"].headers
    _document(container, case["id"], "many.pdf", [f"Tribunal bundle part {n}." for n in range(1, 24)])
    for n in range(3):
        _note(client, officer, case["id"], f"Tribunal call {n}.")
    seen: list[tuple[str, int | None, int | None]] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        answer = _search(client, officer, "tribunal", **params)
        seen += [(i["kind"], i["page"], i["note_id"]) for i in answer["items"]]
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 26 == len(set(seen))
    assert sum(kind == "note" for kind, _page, _note_id in seen) == 3
    first = _search(client, officer, "tribunal", limit=10)
    assert _search(client, officer, "tribunal", limit=10) == first  # the same order every time
    refused = client.get(SEARCH, params={"q": "bundle", "cursor": first["next_cursor"]}, headers=officer)
    assert refused.status_code == 400 and "another search" in refused.json()["detail"]
    assert client.get(SEARCH, params={"q": "tribunal", "cursor": "bm90IG91cnM"}, headers=officer).status_code == 400


def test_an_officer_reads_the_earlier_cases_of_the_people_whose_open_case_she_has(
    client: TestClient, container: Services, callers
) -> None:
    olive, oscar = callers["officer"], callers["other_officer"]
    manager = callers["manager"].headers
    earlier = _case(client, manager, "Robin Example", assigned=oscar.username)
    _document(container, earlier["id"], "old.pdf", ["The earlier placement letter."])
    _note(client, manager, earlier["id"], "Earlier placement agreed.")
    closed = client.post(
        f"/api/v1/cases/{earlier['id']}/close",
        json={"closed_on": "2026-10-05", "outcome": "Placed.", "outcome_code": "advice_given"},
        headers=manager,
    )
    assert closed.status_code == 200, closed.text
    assert _found(client, olive.headers, "placement") == set()  # nothing of Robin's is hers yet

    body = {"person_id": earlier["person_id"], "referral_date": "2026-11-01", "referral_source": "parent_carer"}
    body["assigned_officer"] = olive.username
    now = client.post("/api/v1/cases", json=body, headers=manager)
    assert now.status_code == 201, now.text

    assert {kind for kind, _id, _page in _found(client, olive.headers, "placement")} == {"page", "note"}
    assert len(_search(client, olive.headers, "placement", case_id=earlier["id"])["items"]) == 2
    assert len(_found(client, oscar.headers, "placement")) == 2  # still assigned to him
    assert _found(client, manager, "placement") == _found(client, olive.headers, "placement")


def test_who_may_search(client: TestClient, callers, corpus: Corpus) -> None:
    assert _search(client, callers["officer"].headers, "tribunal")["items"]
    assert _search(client, callers["manager"].headers, "tribunal", case_id=corpus.other_case_id)["items"]
    other = callers["other_officer"].headers
    assert {i["case_id"] for i in _search(client, other, "tribunal")["items"]} == {corpus.other_case_id}
    hidden = client.get(SEARCH, params={"q": "tribunal", "case_id": corpus.case_id}, headers=other)
    missing = client.get(SEARCH, params={"q": "tribunal", "case_id": 999_999}, headers=other)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == f"no case with id {corpus.case_id}"
    assert client.get(SEARCH, params={"q": "tribunal"}, headers=callers["admin"].headers).status_code == 403
    assert client.get(SEARCH, params={"q": "tribunal"}).status_code == 401


def test_bad_queries_are_400_and_none_reaches_the_index_as_syntax(client: TestClient, callers, corpus: Corpus) -> None:
    officer = callers["officer"].headers
    for bad in ('"unclosed', "   ", "x" * 300, "** !!", "_ -- //"):
        assert client.get(SEARCH, params={"q": bad}, headers=officer).status_code == 400, bad
    for syntax in ("tribunal OR NEAR(x", "tribunal NOT date", "text:tribunal", "trib*", "^tribunal", "tribunal AND"):
        assert client.get(SEARCH, params={"q": syntax}, headers=officer).status_code == 200, syntax
    assert client.get(SEARCH, params={"q": "tribunal", "limit": 101}, headers=officer).status_code == 422
