"""An officer's to-do: destructions coming in the next 30 days of people on her cases,
documents whose OCR failed, standing holds; a manager's covers every case."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, DocumentStatus, ProvidedBy
from tests.people import CONSENT


@pytest.fixture
def work(client: TestClient, callers, container: Services) -> dict[str, dict]:
    """Olive's young person turns 25 on 10 December, with a failed scan and a hold;
    Oscar's turns 25 on 1 December; a third, on Olive's case list, not for years."""
    init_storage(container.settings)
    made = {}
    for key, officer, name, born in (
        ("olives", "officer", "Alex Example", "2001-12-10"),
        ("oscars", "other_officer", "Billie Example", "2001-12-01"),
        ("young", "officer", "Casey Example", "2012-03-04"),
    ):
        headers = callers[officer].headers
        person = client.post(
            "/api/v1/people", json={"full_name": name, "date_of_birth": born, "consent": CONSENT}, headers=headers
        ).json()
        body = {"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
        made[key] = client.post("/api/v1/cases", json=body, headers=headers).json()
    with transaction(container.new_session) as session:
        document = Document(
            case_id=made["olives"]["id"],
            original_filename="scan.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            correspondence_date=dt.date(2026, 9, 2),
            provided_by=ProvidedBy.school,
            status=DocumentStatus.failed,
            failure_reason="the scan could not be read",
        )
        session.add(document)
    hold = {"case_id": made["olives"]["id"], "kind": "safeguarding", "reason": "Concern raised."}
    assert client.post("/api/v1/holds", json=hold, headers=callers["manager"].headers).status_code == 201
    return made


def _todo(client: TestClient, headers: dict) -> dict:
    answer = client.get("/api/v1/me/todo", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_officer_sees_what_needs_her_on_her_cases_only(client: TestClient, callers, work) -> None:
    todo = _todo(client, callers["officer"].headers)
    assert (todo["as_of"], todo["until"]) == ("2026-11-24", "2026-12-24")
    mine = work["olives"]
    assert todo["destructions"]["total"] == 1
    [destruction] = todo["destructions"]["items"]
    assert (destruction["full_name"], destruction["due_on"], destruction["case_references"]) == (
        "Alex Example",
        "2026-12-10",
        [mine["reference"]],
    )
    assert (destruction["held"], destruction["awaiting"]) == (True, "open case")
    [failed] = todo["failed_documents"]["items"]
    assert (failed["case_reference"], failed["full_name"], failed["failure_reason"]) == (
        mine["reference"],
        "Alex Example",
        "the scan could not be read",
    )
    [hold] = todo["holds"]["items"]
    assert (hold["kind"], hold["case_id"], hold["case_references"], hold["full_name"]) == (
        "safeguarding",
        mine["id"],
        [mine["reference"]],
        "Alex Example",
    )
    assert "reason" not in hold  # the hold's reason is the manager's

    others = _todo(client, callers["other_officer"].headers)
    assert [d["full_name"] for d in others["destructions"]["items"]] == ["Billie Example"]
    assert others["failed_documents"] == {"total": 0, "items": []}
    assert others["holds"] == {"total": 0, "items": []}


def test_a_manager_sees_every_case(client: TestClient, callers, work) -> None:
    todo = _todo(client, callers["manager"].headers)
    assert [(d["full_name"], d["due_on"]) for d in todo["destructions"]["items"]] == [
        ("Billie Example", "2026-12-01"),
        ("Alex Example", "2026-12-10"),
    ]
    assert (todo["failed_documents"]["total"], todo["holds"]["total"]) == (1, 1)


@pytest.mark.parametrize(("caller", "status"), [("admin", 403), ("no token", 401)])
def test_admins_and_strangers_have_no_todo(client: TestClient, callers, work, caller: str, status: int) -> None:
    headers = callers[caller].headers if caller in callers else {}
    assert client.get("/api/v1/me/todo", headers=headers).status_code == status


def test_a_long_section_holds_its_first_50_and_counts_them_all(
    client: TestClient, callers, work, container: Services
) -> None:
    with transaction(container.new_session) as session:
        for index in range(55):
            session.add(
                Document(
                    case_id=work["young"]["id"],
                    original_filename=f"scan-{index}.pdf",
                    content_type="application/pdf",
                    size=10,
                    sha256=f"{index:064d}",
                    correspondence_date=dt.date(2026, 9, 2),
                    provided_by=ProvidedBy.school,
                    status=DocumentStatus.failed,
                )
            )
    failed = _todo(client, callers["officer"].headers)["failed_documents"]
    assert (failed["total"], len(failed["items"])) == (56, 50)
    assert _todo(client, callers["other_officer"].headers)["failed_documents"]["total"] == 0
