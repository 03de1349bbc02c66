"""The consent register through the API, and the rules that follow from it: no person without
permission to record them, contact details only with consent to keep them (withdrawal erases
them at once), no upload once storing electronically is withdrawn or while a third party's
referral awaits the family's permission."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.models import AuditEvent, Person
from tests.ingest.scans import pdf_with_text_pages

API = "/api/v1"
CONTACT = "07700 900461"
BY_HER = {"given_by": "young_person", "how": "verbal"}
BY_MOTHER = {"given_by": "parent_carer", "parent_name": "Pat Example", "relationship": "mother", "how": "written"}


def _person(client: TestClient, headers: dict, **extra: object) -> dict:
    body = {"full_name": "Jamie Example", "date_of_birth": "2012-03-04", **extra}
    response = client.post(f"{API}/people", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _case(client: TestClient, headers: dict, person_id: int, source: str = "parent_carer") -> dict:
    body = {"person_id": person_id, "referral_date": "2026-09-01", "referral_source": source}
    response = client.post(f"{API}/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _consent(client: TestClient, headers: dict, person_id: int, *scopes: str, by: dict = BY_MOTHER) -> list[dict]:
    response = client.post(f"{API}/people/{person_id}/consents", json={"scopes": list(scopes), **by}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["items"]


def _upload(client: TestClient, headers: dict, case_id: int, tmp_path: Path):
    letter = pdf_with_text_pages(tmp_path / "letter.pdf", [("Annual review",)])
    with letter.open("rb") as body:
        return client.post(
            f"{API}/cases/{case_id}/documents",
            files={"file": ("letter.pdf", body, "application/pdf")},
            data={"correspondence_date": "2026-10-02", "provided_by": "school"},
            headers=headers,
        )


def _people(container: Services) -> list[Person]:
    with container.new_session() as session:
        return list(session.exec(select(Person)).all())


def test_a_person_is_recorded_only_with_permission_to_record_them(client: TestClient, container, headers) -> None:
    olive = headers["olive"]
    refused = client.post(
        f"{API}/people", json={"full_name": "Jamie Example", "date_of_birth": "2012-03-04"}, headers=olive
    )
    referral = {"person": {"full_name": "Jamie Example", "date_of_birth": "2012-03-04"}, "referral_date": "2026-09-01"}
    by_referral = client.post(f"{API}/cases", json={**referral, "referral_source": "parent_carer"}, headers=olive)
    for response in (refused, by_referral):
        assert response.status_code == 422, response.text
        assert "record_personal_details" in response.json()["detail"] and response.json()["field"] == "consent"
    assert _people(container) == []

    person = _person(client, olive, consent=BY_HER)
    listed = client.get(f"{API}/people/{person['id']}/consents", headers=olive).json()["items"]
    assert [(c["scope"], c["given_by"], c["how"], c["recorded_by"], c["standing"]) for c in listed] == [
        ("record_personal_details", "young_person", "verbal", "olive", True)
    ]


def test_contact_details_are_kept_only_with_consent_to_keep_them(client: TestClient, container, headers) -> None:
    olive = headers["olive"]
    without = client.post(
        f"{API}/people",
        json={
            "full_name": "Jamie Example",
            "date_of_birth": "2012-03-04",
            "contact_details": CONTACT,
            "consent": BY_HER,
        },
        headers=olive,
    )
    assert without.status_code == 422 and "keep_contact_details" in without.json()["detail"]
    assert _people(container) == []

    person = _person(client, olive, consent=BY_HER)
    patch = client.patch(f"{API}/people/{person['id']}", json={"contact_details": CONTACT}, headers=olive)
    assert patch.status_code == 422 and "record the consent first" in patch.json()["detail"]
    _consent(client, olive, person["id"], "keep_contact_details")
    patch = client.patch(f"{API}/people/{person['id']}", json={"contact_details": CONTACT}, headers=olive)
    assert patch.status_code == 200 and patch.json()["contact_details"] == CONTACT


def test_withdrawing_consent_to_keep_contact_details_erases_them_at_once(
    client: TestClient, container: Services, headers
) -> None:
    olive = headers["olive"]
    scopes = ["record_personal_details", "keep_contact_details"]
    person = _person(client, olive, contact_details=CONTACT, consent={**BY_MOTHER, "scopes": scopes})
    kept = next(
        c
        for c in client.get(f"{API}/people/{person['id']}/consents", headers=olive).json()["items"]
        if c["scope"] == "keep_contact_details"
    )

    withdrawn = client.post(f"{API}/consents/{kept['id']}/withdraw", json={"how": "email"}, headers=olive)

    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_on"] == "2026-11-24" and withdrawn.json()["withdrawn_by"] == "olive"
    assert client.get(f"{API}/people/{person['id']}", headers=olive).json()["contact_details"] is None
    if container.settings.database_url.startswith("sqlite"):
        files = [path for path in container.settings.data_dir.rglob("*") if path.is_file()]
        assert not [path for path in files if CONTACT.encode() in path.read_bytes()]
    again = client.post(f"{API}/consents/{kept['id']}/withdraw", json={"how": "email"}, headers=olive)
    assert again.status_code == 409


def test_the_register_is_for_the_officer_of_the_person_and_managers(client: TestClient, headers) -> None:
    person = _person(client, headers["olive"], consent=BY_HER)
    path = f"{API}/people/{person['id']}/consents"
    body = {"scopes": ["contact_professionals"], **BY_MOTHER}
    assert client.post(path, json=body, headers=headers["olive"]).status_code == 201
    assert client.post(path, json=body, headers=headers["maya"]).status_code == 201
    assert client.post(path, json=body, headers=headers["oscar"]).status_code == 404
    assert client.post(path, json=body, headers=headers["adam"]).status_code == 403
    assert client.post(path, json=body).status_code == 401
    assert client.get(path, headers=headers["oscar"]).status_code == 404
    assert client.get(path, headers=headers["adam"]).status_code == 403
    assert len(client.get(path, headers=headers["maya"]).json()["items"]) == 3
    consent_id = client.get(path, headers=headers["olive"]).json()["items"][-1]["id"]
    withdraw = f"{API}/consents/{consent_id}/withdraw"
    assert client.post(withdraw, json={"how": "verbal"}, headers=headers["oscar"]).status_code == 404
    assert client.post(withdraw, json={"how": "verbal"}, headers=headers["adam"]).status_code == 403
    assert (
        client.post(f"{API}/consents/999/withdraw", json={"how": "verbal"}, headers=headers["maya"]).status_code == 404
    )


def test_a_consent_says_who_gave_it_and_its_evidence_is_a_document_of_that_person(client: TestClient, headers) -> None:
    olive = headers["olive"]
    person = _person(client, olive, consent=BY_HER)
    path = f"{API}/people/{person['id']}/consents"
    nameless = client.post(
        path, json={"scopes": ["contact_professionals"], "given_by": "parent_carer", "how": "verbal"}, headers=olive
    )
    assert nameless.status_code == 422 and "parent_name" in nameless.json()["detail"]
    no_such = client.post(
        path, json={"scopes": ["contact_professionals"], **BY_HER, "evidence_document_id": 5}, headers=olive
    )
    assert no_such.status_code == 422 and "evidence_document_id" in no_such.json()["detail"]


def test_the_audit_log_names_ids_and_scopes_only(client: TestClient, container: Services, headers) -> None:
    person = _person(client, headers["olive"], consent=BY_MOTHER)
    _consent(client, headers["olive"], person["id"], "share_with_parent")
    with container.new_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "consent.record")).all()
    assert len(events) == 2
    assert all("Pat" not in event.details and "mother" not in event.details for event in events)


def test_withdrawing_consent_to_store_electronically_refuses_uploads_and_lists_the_person_for_managers(
    client: TestClient, headers, storage, tmp_path: Path
) -> None:
    olive = headers["olive"]
    scopes = ["record_personal_details", "store_electronically"]
    person = _person(client, olive, consent={**BY_MOTHER, "scopes": scopes})
    case = _case(client, olive, person["id"])
    stored = next(
        c
        for c in client.get(f"{API}/people/{person['id']}/consents", headers=olive).json()["items"]
        if c["scope"] == "store_electronically"
    )
    assert (
        client.post(f"{API}/consents/{stored['id']}/withdraw", json={"how": "verbal"}, headers=olive).status_code == 200
    )

    refused = _upload(client, olive, case["id"], tmp_path)

    assert refused.status_code == 409 and "withdrew consent to store" in refused.json()["detail"]
    listed = client.get(f"{API}/consents/storage-withdrawn", headers=headers["maya"])
    assert [item["person_id"] for item in listed.json()["items"]] == [person["id"]]
    assert client.get(f"{API}/consents/storage-withdrawn", headers=olive).status_code == 403


def test_a_third_partys_referral_awaits_the_familys_permission_before_any_upload(
    client: TestClient, headers, storage, tmp_path: Path
) -> None:
    olive = headers["olive"]
    person = _person(client, olive, consent=BY_MOTHER)
    case = _case(client, olive, person["id"], source="professional")

    refused = _upload(client, olive, case["id"], tmp_path)
    waiting = client.get(f"{API}/me/todo", headers=olive).json()["awaiting_permission"]

    assert refused.status_code == 409 and "third_party_referral" in refused.json()["detail"]
    assert [item["case_id"] for item in waiting["items"]] == [case["id"]] and waiting["total"] == 1
    _consent(client, olive, person["id"], "third_party_referral")
    assert client.get(f"{API}/me/todo", headers=olive).json()["awaiting_permission"]["total"] == 0
    assert _upload(client, olive, case["id"], tmp_path).status_code == 202


@pytest.mark.parametrize("born, due", [("2014-11-24", 12), ("2010-11-24", 16), ("2014-11-25", None)])
def test_the_young_persons_own_consent_is_on_the_to_do_at_12_and_16(
    client: TestClient, headers, storage, born, due
) -> None:
    olive = headers["olive"]
    response = client.post(
        f"{API}/people", json={"full_name": "Jamie Example", "date_of_birth": born, "consent": BY_MOTHER}, headers=olive
    )
    _case(client, olive, response.json()["id"])
    reviews = client.get(f"{API}/me/todo", headers=olive).json()["consent_reviews"]["items"]
    assert [item["age"] for item in reviews] == ([due] if due else [])
    assert client.get(f"{API}/me/todo", headers=headers["oscar"]).json()["consent_reviews"]["items"] == []


def test_a_manager_declines_a_referral_that_awaits_permission(client: TestClient, headers, storage) -> None:
    olive = headers["olive"]
    person = _person(client, olive, consent=BY_MOTHER)
    case = _case(client, olive, person["id"], source="other")
    path = f"{API}/cases/{case['id']}/decline-referral"
    assert client.post(path, headers=olive).status_code == 403
    assert client.post(path, headers=headers["adam"]).status_code == 403

    declined = client.post(path, headers=headers["maya"])

    assert declined.status_code == 200, declined.text
    assert declined.json()["case_id"] == case["id"] and declined.json()["certificate_id"] >= 1
    assert declined.json()["destroyed"]["people"] == 1 and declined.json()["destroyed"]["cases"] == 1
    assert client.get(f"{API}/me/todo", headers=olive).json()["awaiting_permission"]["total"] == 0
    assert client.post(path, headers=headers["maya"]).status_code == 404  # gone
    other = _person(client, olive, consent=BY_MOTHER)
    with_permission = _case(client, olive, other["id"], source="parent_carer")
    refused = client.post(f"{API}/cases/{with_permission['id']}/decline-referral", headers=headers["maya"])
    assert refused.status_code == 409
