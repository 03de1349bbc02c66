"""The redaction overview says why a document offers no page to mark: none ready yet,
none at all, or its reading failed; never "Not ready yet" for a document that is done."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import (
    Case,
    Document,
    DocumentStatus,
    Person,
    ProvidedBy,
)
from tests.sar_requests import add_pdf_document, open_request
from tests.web_officer import main_text
from tests.web_pages import sign_in


def test_the_overview_says_why_a_document_has_no_page_to_mark(
    client: TestClient, container: Services, users, cases: dict[str, Case], tmp_path: Path
) -> None:
    init_storage(container.settings)
    case = cases["officer"]
    with container.new_session() as session:
        subject = session.get(Person, case.person_id).pseudonym  # type: ignore[union-attr]  # a case's person
    add_pdf_document(container, tmp_path, case_id=case.id, subject=subject, pages=[], name="empty.pdf")  # type: ignore[arg-type]
    with transaction(container.new_session) as session:
        for name, status in (("failed.png", DocumentStatus.failed), ("queued.png", DocumentStatus.queued)):
            session.add(
                Document(
                    case_id=case.id,  # type: ignore[arg-type]  # a stored case
                    original_filename=name,
                    content_type="image/png",
                    size=10,
                    sha256=name.ljust(64, "0"),
                    correspondence_date=dt.date(2026, 9, 2),
                    provided_by=ProvidedBy.school,
                    status=status,
                    page_count=1,
                )
            )
    request_id = open_request(container, person_id=case.person_id, opened_by=users["manager"].id)
    sign_in(client, "maya")
    shown = main_text(client.get(f"/manager/subject-access/{request_id}/redact").text)
    assert "empty.pdf No pages" in shown
    assert "failed.png Could not be read: no page to mark" in shown
    assert "queued.png Not ready yet" in shown
