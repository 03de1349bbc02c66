"""An officer probing another officer's ids learns nothing: on every route that takes an
id, another officer's case, person, document, note, consent, disclosure, subject access
request (its clock stops and redactions too) answers exactly as an id that does not exist
(status and words, the number aside)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, Person, ProvidedBy
from tests.api_bodies import VALID_BODIES
from tests.sar_requests import add_pdf_document

MISSING = 999_999
WITH_BODY = ("post", "put", "patch", "delete")
KINDS = (
    "case_id",
    "person_id",
    "document_id",
    "note_id",
    "consent_id",
    "disclosure_id",
    "request_id",
    "stop_id",
    "redaction_id",
    "page",
)


def _shape(answer) -> tuple[int, str]:
    body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
    detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
    return answer.status_code, re.sub(r"\d+", "N", detail)


def test_another_officers_ids_answer_as_missing_ones_on_every_route(
    client: TestClient, container: Services, callers, case, tmp_path: Path
) -> None:
    init_storage(container.settings)  # the keys: a subject access request places a hold
    officer, other = callers["officer"].headers, callers["other_officer"].headers
    note = client.post(
        f"/api/v1/cases/{case['id']}/notes",
        json={"kind": "progress_summary", "text": "Met the family.", "date": "2026-10-01"},
        headers=officer,
    ).json()
    with transaction(container.new_session) as session:
        document = Document(
            case_id=case["id"],
            original_filename="letter.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            correspondence_date=dt.date(2026, 9, 2),
            provided_by=ProvidedBy.school,
        )
        session.add(document)
        session.flush()
        document_id = document.id
    manager = callers["manager"].headers
    consents = client.get(f"/api/v1/people/{case['person_id']}/consents", headers=officer).json()["items"]
    disclosure = client.post(
        f"/api/v1/cases/{case['id']}/disclosures",
        json={
            "recipient_kind": "school",
            "recipient": "Hillside Academy",
            "documents": [document_id],
            "basis": "risk_of_harm",
            "reason": "A risk to the child.",
        },
        headers=officer,
    ).json()
    request = client.post(
        "/api/v1/subject-access",
        json={
            "person_id": case["person_id"],
            "requester_kind": "parent_carer",
            "requester_name": "Pat Example",
            "received_on": "2026-11-20",
        },
        headers=officer,
    ).json()
    stopped = client.post(
        f"/api/v1/subject-access/{request['id']}/clock-stops",
        json={"reason": "identity", "stopped_on": "2026-11-21"},
        headers=manager,
    ).json()
    with container.new_session() as session:
        subject = session.get(Person, case["person_id"]).pseudonym  # type: ignore[union-attr]  # it exists
    letter = add_pdf_document(container, tmp_path, case_id=case["id"], subject=subject, pages=[("Thistlewood",)])
    redaction = client.post(
        f"/api/v1/subject-access/{request['id']}/redactions",
        json={"document_id": letter, "term": "Thistlewood", "category": "third_party", "legal_basis": "A name."},
        headers=manager,
    ).json()
    real = {
        "case_id": case["id"],
        "person_id": case["person_id"],
        "document_id": document_id,
        "note_id": note["id"],
        "consent_id": consents[0]["id"],
        "disclosure_id": disclosure["id"],
        "request_id": request["id"],
        "stop_id": stopped["stops"][0]["id"],
        "redaction_id": redaction["id"],
        "page": 1,
    }
    assert client.get(f"/api/v1/documents/{document_id}", headers=officer).status_code == 200  # they are real
    assert client.get(f"/api/v1/subject-access/{request['id']}", headers=officer).status_code == 200

    probed = []
    for path, operations in create_app(container).openapi()["paths"].items():
        names = re.findall(r"\{(\w+)\}", path)
        if not names or not set(names) <= set(KINDS):
            continue
        for method in operations:
            answers = []
            for ids in (real, dict.fromkeys(KINDS, MISSING)):
                url = path.format(**{name: ids[name] for name in names})
                body = VALID_BODIES.get((method.upper(), path), {}) if method in WITH_BODY else None
                answers.append(_shape(client.request(method.upper(), url, json=body, headers=other)))
            assert answers[0] == answers[1], (method.upper(), path, answers)
            probed.append((method, path, answers[0][0]))
    # With a valid body each, the changes reach the access check too, not only the reads.
    refused_as_missing = {(method, path) for method, path, status in probed if status == 404}
    assert (
        len(probed) >= 45
        and {
            ("get", "/api/v1/cases/{case_id}"),
            ("post", "/api/v1/cases/{case_id}/close"),
            ("patch", "/api/v1/notes/{note_id}"),
            ("post", "/api/v1/documents/{document_id}/move"),
            ("patch", "/api/v1/people/{person_id}"),
            ("get", "/api/v1/subject-access/{request_id}"),
            ("post", "/api/v1/consents/{consent_id}/withdraw"),
            ("post", "/api/v1/cases/{case_id}/disclosures"),
            ("get", "/api/v1/people/{person_id}/consents"),
            ("put", "/api/v1/people/{person_id}/access-refusal"),
            ("post", "/api/v1/people/{person_id}/notices"),
        }
        <= refused_as_missing
    )
