"""The policy's people rules end to end: a school refers a 13-year-old."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from casevault.app.services import Services
from tests.ingest.scans import pdf_with_text_pages

API = "/api/v1"
PHONE = "07700 900982"
C = "[c]"  # a count of 1 to 7, suppressed
SOURCES = ("young_person", "parent_carer", "professional", "other")
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

    # Withdrawing consent to keep contact details erases them at once (the grep finds them before).
    sqlite = container.engine.dialect.name == "sqlite"
    if sqlite:
        assert _holding(container, PHONE)
    consents = client.get(f"{API}/people/{person_id}/consents", headers=olive).json()["items"]
    kept = next(row for row in consents if row["scope"] == "keep_contact_details")
    assert client.post(f"{API}/consents/{kept['id']}/withdraw", json={"how": "email"}, headers=olive).status_code == 200
    assert client.get(f"{API}/people/{person_id}", headers=olive).json()["contact_details"] is None
    if sqlite:
        assert _holding(container, PHONE) == []

    # The statistics count her case under the school's referral and her age at it (13: 12-15),
    # one case, so shown as [c]. Alone in its quarter the whole row is [c]; with eight referrals
    # by parents of younger children beside her (shown rounded, 10), her cells stand apart.
    maya = headers["maya"]
    assert _quarter(client, maya, "referral-source") == dict.fromkeys(SOURCES, C)
    for number in range(8):
        child = {"full_name": f"Child {number}", "date_of_birth": "2016-01-15", "consent": {**MOTHER, "scopes": scopes}}
        by_parent = {"person": child, "referral_date": "2026-08-03", "referral_source": "parent_carer"}
        assert client.post(f"{API}/cases", json=by_parent, headers=olive).status_code == 201
    sources = _quarter(client, maya, "referral-source")
    assert sources == {"young_person": 0, "parent_carer": 10, "professional": C, "other": 0}
    bands = _quarter(client, maya, "age-band")
    assert bands == {"0-4": 0, "5-11": 10, "12-15": C, "16-17": 0, "18-25": 0, "unknown": 0}


def _quarter(client: TestClient, headers: dict, table: str) -> dict:
    """The counts of the quarter of her referral (July to September 2026), as released."""
    answer = client.get(f"{API}/statistics/{table}", params={"from": "2026-07-01", "to": "2026-09-30"}, headers=headers)
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["rows"]
    assert row["period"] == "2026-Q3"
    return row["counts"]


def _holding(container: Services, told: str) -> list[str]:
    """Files of the data directory and of the SQLite database (with its write-ahead log) holding ``told``."""
    database = Path(container.engine.url.database or "")
    files = [*container.settings.data_dir.rglob("*"), *(database.with_name(database.name + s) for s in ("", "-wal"))]
    return sorted(path.name for path in files if path.is_file() and told.encode() in path.read_bytes())
