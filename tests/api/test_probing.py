"""An officer probing another officer's ids learns nothing: on every route that takes an
id, another officer's case, person, document or note answers exactly as an id that does
not exist (status and words, the number aside)."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, ProvidedBy
from tests.api_bodies import VALID_BODIES

MISSING = 999_999
WITH_BODY = ("post", "put", "patch", "delete")
KINDS = ("case_id", "person_id", "document_id", "note_id")


def _shape(answer) -> tuple[int, str]:
    body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
    detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
    return answer.status_code, re.sub(r"\d+", "N", detail)


def test_another_officers_ids_answer_as_missing_ones_on_every_route(
    client: TestClient, container: Services, callers, case
) -> None:
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
    real = {"case_id": case["id"], "person_id": case["person_id"], "document_id": document_id, "note_id": note["id"]}
    assert client.get(f"/api/v1/documents/{document_id}", headers=officer).status_code == 200  # they are real

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
        len(probed) >= 25
        and {
            ("get", "/api/v1/cases/{case_id}"),
            ("post", "/api/v1/cases/{case_id}/close"),
            ("patch", "/api/v1/notes/{note_id}"),
            ("post", "/api/v1/documents/{document_id}/move"),
            ("patch", "/api/v1/people/{person_id}"),
        }
        <= refused_as_missing
    )
