"""A redaction on a document with no pages (a row written with none, as an earlier version
could leave) says so, instead of "page must be between 1 and 0"."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Person
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
