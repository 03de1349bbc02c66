"""A redaction on a document with no pages (a row written with none, as an earlier version
could leave) says so, instead of "page must be between 1 and 0"; one on a document whose
reading failed says it could not be read and what to do, instead of being marked blind
(the bundle then refused it) or previewed as "not ready yet"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, DocumentStatus, Person, ProvidedBy
from tests.api.conftest import Caller
from tests.api.test_redactions import open_request
from tests.sar_requests import add_pdf_document


def test_a_region_on_a_document_with_no_pages_says_it_has_none(
    client: TestClient, container: Services, callers: dict[str, Caller], person: dict, case: dict, tmp_path: Path
) -> None:
    init_storage(container.settings)
    with container.new_session() as session:
        subject = session.get(Person, person["id"]).pseudonym  # type: ignore[union-attr]  # just recorded
    document_id = add_pdf_document(container, tmp_path, case_id=case["id"], subject=subject, pages=[])
    request_id = open_request(container, person["id"], callers["manager"].user_id)
    region = {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.1}
    body = {"document_id": document_id, "page": 1, "region": region, "category": "third_party", "legal_basis": "s"}
    answer = client.post(
        f"/api/v1/subject-access/{request_id}/redactions", json=body, headers=callers["manager"].headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == (
        f"document {document_id} has no pages to mark a region on: withhold it if it must not be released"
    )
    assert answer.json()["field"] == "page"


def test_a_document_whose_reading_failed_is_not_marked_nor_previewed(
    client: TestClient, container: Services, callers: dict[str, Caller], person: dict, case: dict
) -> None:
    init_storage(container.settings)
    with transaction(container.new_session) as session:
        failed = Document(
            case_id=case["id"],
            original_filename="scan.png",
            content_type="image/png",
            size=10,
            sha256="1" * 64,
            correspondence_date=dt.date(2026, 9, 2),
            provided_by=ProvidedBy.school,
            status=DocumentStatus.failed,
            failure_reason="Page 1: The OCR engine stopped (exit code 1) while recognising text.",
            page_count=1,
        )
        session.add(failed)
        session.flush()
        document_id = failed.id
    request_id = open_request(container, person["id"], callers["manager"].user_id)
    maya = callers["manager"].headers
    said = (
        f"document {document_id} could not be read (its OCR failed): queue it for OCR again or scan it again"
        " before marking it, or withhold it"
    )
    region = {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.1}
    for body in ({"page": 1, "region": region}, {"term": "Fairweather"}):
        body |= {"document_id": document_id, "category": "third_party", "legal_basis": "s"}
        answer = client.post(f"/api/v1/subject-access/{request_id}/redactions", json=body, headers=maya)
        assert answer.status_code == 409, answer.text
        assert answer.json()["detail"] == said
    preview = client.get(f"/api/v1/documents/{document_id}/pages/1/preview?request_id={request_id}", headers=maya)
    assert preview.status_code == 409 and preview.json()["detail"] == said
    assert client.get(f"/api/v1/subject-access/{request_id}/redactions", headers=maya).json()["items"] == []
