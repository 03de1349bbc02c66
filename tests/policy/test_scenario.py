"""The policy's people rules end to end: a school refers a 13-year-old."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from casevault.app.services import Services
from tests.ingest.scans import pdf_with_text_pages

API = "/api/v1"
PHONE = "07700 900982"
MOTHER = {"given_by": "parent_carer", "parent_name": "Pat Example", "relationship": "mother", "how": "verbal"}


def _upload(client: TestClient, headers: dict, case_id: int, path: Path, provided_by: str):
    with path.open("rb") as body:
        return client.post(
            f"{API}/cases/{case_id}/documents",
            files={"file": (path.name, body, "application/pdf")},
            data={"correspondence_date": "2026-10-02", "provided_by": provided_by},
            headers=headers,
        )


def test_a_school_refers_a_13_year_old(
    client: TestClient, container: Services, headers, storage, tmp_path: Path
) -> None:
    olive = headers["olive"]
    scopes = ["record_personal_details", "store_electronically", "keep_contact_details"]
    person = {"full_name": "Ellie Example", "date_of_birth": "2013-06-01", "contact_details": PHONE}
    referral = {"person": {**person, "consent": {**MOTHER, "scopes": scopes}}, "referral_date": "2026-09-01"}
    case = client.post(f"{API}/cases", json={**referral, "referral_source": "professional"}, headers=olive).json()
    person_id = case["person_id"]
    letter = pdf_with_text_pages(tmp_path / "her-letter.pdf", [("What I want my plan to say",)])

    # Nothing can be uploaded until the family's permission for the referral is recorded.
    assert _upload(client, olive, case["id"], letter, "young_person").status_code == 409
    permission = {"scopes": ["third_party_referral"], **MOTHER}
    assert client.post(f"{API}/people/{person_id}/consents", json=permission, headers=olive).status_code == 201
    uploaded = _upload(client, olive, case["id"], letter, "young_person")
    assert uploaded.status_code == 202, uploaded.text

    # She refuses access by her parents: her letter is not disclosed to her mother.
    refusal = {"refused": ["parent_carer"], "method": "verbal"}
    assert client.put(f"{API}/people/{person_id}/access-refusal", json=refusal, headers=olive).status_code == 200
    to_mother = {"recipient_kind": "parent_carer", "recipient": "Pat Example", "basis": "consent"}
    documents = {"documents": [uploaded.json()["id"]]}
    refused = client.post(f"{API}/cases/{case['id']}/disclosures", json={**to_mother, **documents}, headers=olive)
    assert refused.status_code == 409 and "refused" in refused.json()["detail"]

    # With consent to contact professionals, a disclosure to the school is recorded.
    professionals = {"scopes": ["contact_professionals"], **MOTHER}
    assert client.post(f"{API}/people/{person_id}/consents", json=professionals, headers=olive).status_code == 201
    to_school = {"recipient_kind": "school", "recipient": "Head teacher", "basis": "consent", **documents}
    recorded = client.post(f"{API}/cases/{case['id']}/disclosures", json=to_school, headers=olive)
    assert recorded.status_code == 201 and recorded.json()["disclosed"] == documents["documents"]

    # Withdrawing consent to keep contact details erases them at once.
    consents = client.get(f"{API}/people/{person_id}/consents", headers=olive).json()["items"]
    kept = next(row for row in consents if row["scope"] == "keep_contact_details")
    assert client.post(f"{API}/consents/{kept['id']}/withdraw", json={"how": "email"}, headers=olive).status_code == 200
    assert client.get(f"{API}/people/{person_id}", headers=olive).json()["contact_details"] is None
    if container.settings.database_url.startswith("sqlite"):
        files = [path for path in container.settings.data_dir.rglob("*") if path.is_file()]
        assert [path for path in files if PHONE.encode() in path.read_bytes()] == []
