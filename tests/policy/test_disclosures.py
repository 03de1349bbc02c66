"""The young person's say (refusing access to their records) and the disclosure register:
what leaves a case, to whom, on which basis, each document disclosed or withheld."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Document, Hold, ProvidedBy

API = "/api/v1"
BY_MOTHER = {"given_by": "parent_carer", "parent_name": "Pat Example", "relationship": "mother", "how": "written"}


def _case_of(client: TestClient, headers: dict, born: str) -> dict:
    body = {"full_name": "Jamie Example", "date_of_birth": born, "consent": BY_MOTHER}
    person = client.post(f"{API}/people", json=body, headers=headers).json()
    referral = {"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    response = client.post(f"{API}/cases", json=referral, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _document(container: Services, case_id: int, provided_by: ProvidedBy) -> int:
    with transaction(container.new_session) as session:
        document = Document(
            case_id=case_id,
            original_filename="letter.pdf",
            content_type="application/pdf",
            size=10,
            sha256=provided_by.value.ljust(64, "0")[:64],
            correspondence_date=dt.date(2026, 9, 2),
            provided_by=provided_by,
        )
        session.add(document)
        session.flush()
        assert document.id is not None
        return document.id


def _refuse(client: TestClient, headers: dict, person_id: int, refused: list[str], **extra: object):
    body = {"refused": refused, "method": "verbal", "note": "Said so in the meeting.", **extra}
    return client.put(f"{API}/people/{person_id}/access-refusal", json=body, headers=headers)


def test_a_young_person_of_12_or_over_refuses_access_by_her_parents(
    client: TestClient, container: Services, headers
) -> None:
    olive = headers["olive"]
    case = _case_of(client, olive, "2013-05-01")  # 13

    refused = _refuse(client, olive, case["person_id"], ["parent_carer"])

    assert refused.status_code == 200, refused.text
    assert refused.json()["refused"] == ["parent_carer"] and refused.json()["age_at_time"] == 13
    assert client.get(f"{API}/people/{case['person_id']}/access-refusal", headers=headers["maya"]).json()[
        "refused"
    ] == ["parent_carer"]
    assert _refuse(client, headers["oscar"], case["person_id"], ["parent_carer"]).status_code == 404
    assert _refuse(client, headers["adam"], case["person_id"], ["parent_carer"]).status_code == 403
    withdrawn = _refuse(client, olive, case["person_id"], [])
    assert withdrawn.status_code == 200 and withdrawn.json()["refused"] == []
    with container.new_session() as session:
        details = [
            e.details for e in session.exec(select(AuditEvent).where(AuditEvent.action.startswith("access_refusal")))
        ]  # type: ignore[attr-defined]
    assert len(details) == 3 and not any("meeting" in detail for detail in details)


def test_under_12_a_refusal_needs_maturity_and_capacity_recorded(client: TestClient, headers) -> None:
    olive = headers["olive"]
    case = _case_of(client, olive, "2016-01-01")  # 10
    refused = _refuse(client, olive, case["person_id"], ["parent_carer"])
    assert refused.status_code == 422 and "maturity" in refused.json()["detail"]
    assert _refuse(client, olive, case["person_id"], ["parent_carer"], maturity_recorded=True).status_code == 200


def test_a_disclosure_to_a_parent_of_her_own_letter_is_refused_while_she_refuses_them(
    client: TestClient, container: Services, headers
) -> None:
    olive = headers["olive"]
    case = _case_of(client, olive, "2013-05-01")
    letter = _document(container, case["id"], ProvidedBy.young_person)
    report = _document(container, case["id"], ProvidedBy.school)
    body = {
        "recipient_kind": "parent_carer",
        "recipient": "Pat Example",
        "documents": [letter, report],
        "basis": "consent",
    }

    withheld = client.post(f"{API}/cases/{case['id']}/disclosures", json=body, headers=olive)
    assert withheld.status_code == 201, withheld.text
    assert withheld.json()["disclosed"] == [report] and withheld.json()["withheld"] == [letter]

    _refuse(client, olive, case["person_id"], ["parent_carer"])
    refused = client.post(f"{API}/cases/{case['id']}/disclosures", json=body, headers=olive)
    assert refused.status_code == 409 and "refused access" in refused.json()["detail"]


def test_a_disclosure_to_the_school_needs_consent_to_contact_professionals(
    client: TestClient, container: Services, headers
) -> None:
    olive = headers["olive"]
    case = _case_of(client, olive, "2013-05-01")
    report = _document(container, case["id"], ProvidedBy.school)
    body = {"recipient_kind": "school", "recipient": "Head teacher", "documents": [report], "basis": "consent"}
    path = f"{API}/cases/{case['id']}/disclosures"

    missing = client.post(path, json=body, headers=olive)
    assert missing.status_code == 409 and "contact_professionals" in missing.json()["detail"]
    consent = {"scopes": ["contact_professionals"], **BY_MOTHER}
    assert client.post(f"{API}/people/{case['person_id']}/consents", json=consent, headers=olive).status_code == 201
    recorded = client.post(path, json=body, headers=olive)
    assert recorded.status_code == 201 and recorded.json()["status"] == "recorded"
    assert client.post(path, json=body, headers=headers["oscar"]).status_code == 404
    assert client.post(path, json=body, headers=headers["adam"]).status_code == 403
    listed = client.get(f"{API}/disclosures", headers=headers["maya"])
    assert [item["id"] for item in listed.json()["items"]] == [recorded.json()["id"]]
    assert client.get(f"{API}/disclosures", headers=olive).status_code == 403


def test_a_disclosure_for_risk_of_harm_needs_a_reason_places_a_hold_and_a_second_persons_approval(
    client: TestClient, container: Services, headers
) -> None:
    maya = headers["maya"]
    case = _case_of(client, headers["olive"], "2013-05-01")
    body = {"recipient_kind": "council", "recipient": "Children's services", "basis": "risk_of_harm"}
    path = f"{API}/cases/{case['id']}/disclosures"

    assert client.post(path, json=body, headers=maya).status_code == 422
    made = client.post(path, json={**body, "reason": "Disclosed harm at home."}, headers=maya)
    assert made.status_code == 201 and made.json()["status"] == "awaiting_approval"
    with container.new_session() as session:
        hold = session.get(Hold, made.json()["hold_id"])
    assert hold is not None and hold.kind == "safeguarding" and hold.case_id == case["id"]
    approve = f"{API}/disclosures/{made.json()['id']}/approve"
    assert client.post(approve, headers=maya).status_code == 403  # not the one who made it
    assert client.post(approve, headers=headers["olive"]).status_code == 403  # officers do not approve
    approved = client.post(approve, headers=headers["mike"])
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert client.post(approve, headers=headers["mike"]).status_code == 409
