"""Subject access requests over the API: the request and its legal clock, its hold (which
stops a destruction due meanwhile and goes a set period after completion), who may receive
what, and who may do which."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Document, Person, ProvidedBy
from tests.people import CONSENT

API = "/api/v1"


def _person_with_case(client: TestClient, headers: dict, *, name: str, born: str) -> dict:
    body = {"full_name": name, "date_of_birth": born, "consent": CONSENT}
    person = client.post(f"{API}/people", json=body, headers=headers)
    assert person.status_code == 201, person.text
    referral = {"person_id": person.json()["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    case = client.post(f"{API}/cases", json=referral, headers=headers)
    assert case.status_code == 201, case.text
    return case.json()


def _open(client: TestClient, headers: dict, person_id: int, **changes: object):
    body = {
        "person_id": person_id,
        "requester_kind": "parent_carer",
        "requester_name": "Pat Requester",
        "received_on": "2026-11-24",
        **changes,
    }
    return client.post(f"{API}/subject-access", json=body, headers=headers)


def _sweep(container: Services, clock: FixedClock, day: dt.date) -> None:
    clock.set(day)
    container.retention.sweep(dry_run=False)


def _person_exists(container: Services, person_id: int) -> bool:
    with container.new_session() as session:
        return session.get(Person, person_id) is not None


def test_the_hold_stops_a_destruction_due_meanwhile_and_goes_a_set_period_after_completion(
    client: TestClient, callers, container: Services, clock: FixedClock
) -> None:
    init_storage(container.settings)
    officer, manager = callers["officer"].headers, callers["manager"].headers
    case = _person_with_case(client, officer, name="Alex Example", born="2001-12-10")  # 25 on 10 December
    close = {"closed_on": "2026-11-20", "outcome": "Advice given.", "outcome_code": "advice_given"}
    assert client.post(f"{API}/cases/{case['id']}/close", json=close, headers=officer).status_code == 200

    opened = _open(client, officer, case["person_id"])

    assert opened.status_code == 201, opened.text
    request = opened.json()
    assert request["reference"].startswith("SAR-") and "Alex" not in request["reference"]
    assert (request["due_on"], request["days_left"], request["status"]) == ("2026-12-24", 30, "open")
    holds = client.get(f"{API}/holds", headers=manager).json()["holds"]
    assert [(h["id"], h["kind"], h["person_id"]) for h in holds] == [
        (request["hold_id"], "subject_access", case["person_id"])
    ]

    _sweep(container, clock, dt.date(2026, 12, 10))  # the 25th birthday: destruction is due
    assert _person_exists(container, case["person_id"])
    due = client.get(f"{API}/retention/due", headers=manager).json()["items"]
    assert [(i["kind"], i["held"]) for i in due] == [("destroy_person", True)]

    done = client.post(
        f"{API}/subject-access/{request['id']}/complete", json={"completed_on": "2026-12-10"}, headers=manager
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["hold_release_on"]) == ("completed", "2027-01-09")  # 30 days

    _sweep(container, clock, dt.date(2027, 1, 8))
    assert _person_exists(container, case["person_id"])
    assert [h["id"] for h in client.get(f"{API}/holds", headers=manager).json()["holds"]] == [request["hold_id"]]

    _sweep(container, clock, dt.date(2027, 1, 9))
    assert not _person_exists(container, case["person_id"])
    with container.new_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action.startswith("sar."))).all()  # type: ignore[attr-defined]
    assert [e.action for e in events] == ["sar.open", "sar.complete", "sar.hold_release"]
    assert not any("Pat" in (e.details or "") or "Requester" in (e.details or "") for e in events)


def test_another_officers_person_answers_404_and_officers_only_open_and_view(client: TestClient, callers) -> None:
    officer, other, manager = callers["officer"].headers, callers["other_officer"].headers, callers["manager"].headers
    case = _person_with_case(client, officer, name="Jamie Example", born="2012-03-04")

    assert _open(client, other, case["person_id"]).status_code == 404
    assert _open(client, officer, 2_000_000).status_code == 404
    assert _open(client, callers["admin"].headers, case["person_id"]).status_code == 403
    request = _open(client, officer, case["person_id"]).json()
    assert client.get(f"{API}/subject-access/{request['id']}", headers=other).status_code == 404
    assert client.get(f"{API}/subject-access/{request['id']}", headers=officer).status_code == 200
    assert client.get(f"{API}/subject-access", headers=other).json()["items"] == []
    stop = {"reason": "identity", "stopped_on": "2026-11-24"}
    assert (
        client.post(f"{API}/subject-access/{request['id']}/clock-stops", json=stop, headers=officer).status_code == 403
    )
    assert (
        client.post(f"{API}/subject-access/{request['id']}/clock-stops", json=stop, headers=manager).status_code == 201
    )


@pytest.mark.parametrize(
    ("received_on", "says"),
    [
        ("2026-11-25", "after today"),
        ("1899-12-31", "1900-01-01"),
        ("24/11/2026", "2026-11-24"),
        ("2012-03-03", "before the young person was born"),  # born 2012-03-04
    ],
)
def test_bad_dates_are_refused_saying_why(client: TestClient, callers, received_on: str, says: str) -> None:
    officer = callers["officer"].headers
    case = _person_with_case(client, officer, name="Jamie Example", born="2012-03-04")
    answer = _open(client, officer, case["person_id"], received_on=received_on)
    assert answer.status_code == 422 and says in answer.text
    assert client.get(f"{API}/holds", headers=callers["manager"].headers).json()["holds"] == []


def test_text_that_cannot_be_stored_is_refused_saying_so(client: TestClient, callers) -> None:
    officer = callers["officer"].headers
    case = _person_with_case(client, officer, name="Jamie Example", born="2012-03-04")
    nul = _open(client, officer, case["person_id"], requester_kind="representative", authority="Signed\x00 form")
    assert nul.status_code == 422 and "remove the control character (U+0000)" in nul.text
    newline = _open(client, officer, case["person_id"], requester_name="Pat\nRequester")
    assert newline.status_code == 422 and "control" in newline.text


def test_the_clock_stops_resumes_and_is_extended(client: TestClient, callers, clock: FixedClock) -> None:
    officer, manager = callers["officer"].headers, callers["manager"].headers
    case = _person_with_case(client, officer, name="Jamie Example", born="2012-03-04")
    request = _open(client, officer, case["person_id"], received_on="2026-11-02").json()
    assert request["due_on"] == "2026-12-02"
    url = f"{API}/subject-access/{request['id']}"

    stopped = client.post(
        f"{url}/clock-stops", json={"reason": "identity", "stopped_on": "2026-11-10"}, headers=manager
    )
    assert stopped.status_code == 201, stopped.text
    assert (stopped.json()["status"], stopped.json()["paused"], stopped.json()["days_left"]) == ("paused", True, 22)
    again = client.post(f"{url}/clock-stops", json={"reason": "identity", "stopped_on": "2026-11-11"}, headers=manager)
    assert again.status_code == 409
    [stop] = stopped.json()["stops"]
    early = client.post(f"{url}/clock-stops/{stop['id']}/resume", json={"resumed_on": "2026-11-09"}, headers=manager)
    assert early.status_code == 422

    resumed = client.post(f"{url}/clock-stops/{stop['id']}/resume", json={"resumed_on": "2026-11-20"}, headers=manager)
    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["due_on"], resumed.json()["days_paused"]) == ("2026-12-14", 10)  # 12 Dec is a Saturday

    late = {"months": 2, "reason": "Many documents from several cases.", "told_on": "2026-12-15"}
    clock.set(dt.date(2026, 12, 15))
    refused = client.post(f"{url}/extension", json=late, headers=manager)
    assert refused.status_code == 409 and "first month" in refused.json()["detail"]
    extended = client.post(f"{url}/extension", json={**late, "told_on": "2026-12-14"}, headers=manager)
    assert extended.status_code == 200, extended.text
    assert extended.json()["due_on"] == "2027-02-12"  # 2 February + 10 days stopped
    assert extended.json()["extension"]["months"] == 2


def _document(container: Services, case_id: int, provided_by: ProvidedBy, sha: str) -> int:
    with transaction(container.new_session) as session:
        document = Document(
            case_id=case_id,
            original_filename="letter.pdf",
            content_type="application/pdf",
            size=10,
            sha256=sha * 64,
            correspondence_date=dt.date(2026, 9, 2),
            provided_by=provided_by,
        )
        session.add(document)
        session.flush()
        assert document.id is not None
        return document.id


def test_a_representative_gets_nothing_until_authority_is_recorded(
    client: TestClient, callers, container: Services
) -> None:
    officer, manager = callers["officer"].headers, callers["manager"].headers
    case = _person_with_case(client, officer, name="Jamie Example", born="2008-03-04")  # 18
    letter = _document(container, case["id"], ProvidedBy.school, "a")
    note = {"kind": "personal_details", "text": "Lives with her aunt.", "date": "2026-10-01"}
    assert client.post(f"{API}/cases/{case['id']}/notes", json=note, headers=officer).status_code == 201
    request = _open(client, officer, case["person_id"], requester_kind="representative").json()
    url = f"{API}/subject-access/{request['id']}"

    marked = client.post(f"{url}/items", headers=manager)
    assert marked.status_code == 200, marked.text
    items = marked.json()["items"]
    assert [(i["document_id"], i["decision"]) for i in items] == [(letter, "withheld"), (None, "withheld")]
    assert "authority" in items[0]["reason"]

    patched = client.patch(url, json={"authority": "Signed form of authority, 20 November."}, headers=manager)
    assert patched.status_code == 200 and patched.json()["authority"].startswith("Signed")
    again = client.post(f"{url}/items", headers=manager).json()["items"]
    assert [(i["document_id"], i["decision"]) for i in again] == [(letter, "disclosed"), (None, "disclosed")]
    assert client.get(url, headers=officer).json()["items"] == again


def test_the_list_and_the_todo_show_requests_by_days_left(client: TestClient, callers, container: Services) -> None:
    init_storage(container.settings)  # the to-do reads the due list
    officer, manager = callers["officer"].headers, callers["manager"].headers
    case = _person_with_case(client, officer, name="Jamie Example", born="2012-03-04")
    later = _open(client, officer, case["person_id"], received_on="2026-11-20").json()  # due 21 Dec (20th a Sunday)
    sooner = _open(client, officer, case["person_id"], received_on="2026-10-30").json()  # due 30 Nov: 6 days
    urgent = _open(client, officer, case["person_id"], received_on="2026-10-26").json()  # due 26 Nov: 2 days

    first = client.get(f"{API}/subject-access", params={"limit": 2}, headers=officer).json()
    rest = client.get(f"{API}/subject-access", params={"cursor": first["next_cursor"]}, headers=officer).json()
    listed = first["items"] + rest["items"]
    assert [(i["id"], i["days_left"], i["warning"]) for i in listed] == [
        (urgent["id"], 2, "urgent"),
        (sooner["id"], 6, "due soon"),
        (later["id"], 27, None),
    ]
    assert rest["next_cursor"] is None
    done = client.post(
        f"{API}/subject-access/{urgent['id']}/complete", json={"completed_on": "2026-11-24"}, headers=manager
    )
    assert done.status_code == 200
    assert [
        i["id"]
        for i in client.get(f"{API}/subject-access", params={"status": "completed"}, headers=officer).json()["items"]
    ] == [urgent["id"]]

    todo = client.get(f"{API}/me/todo", headers=officer).json()["subject_access"]
    assert todo["total"] == 2
    assert [(i["reference"], i["days_left"], i["warning"]) for i in todo["items"]] == [
        (sooner["reference"], 6, "due soon"),
        (later["reference"], 27, None),
    ]
    assert client.get(f"{API}/me/todo", headers=callers["other_officer"].headers).json()["subject_access"]["total"] == 0
