"""PDF safety through the API: a page too large to OCR is refused at upload with
nothing stored, a document that can never be processed fails saying so, and the
searchable download carries no active content while the original stays exact."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.models import Document, DocumentStatus, StoredObject
from casevault.core.settings import Settings
from casevault.ingest.options import UploadLimits
from tests.ingest.hostile import arm, leftovers, pdf_with_pages
from tests.ingest.scans import WORDS, extracted_text, pdf_from_image, text_strip, words_in
from tests.ingest.uploads import run_ocr, upload


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Services]:
    """The API's container, on a store with its key file made, as `casevault storage init` does."""
    init_storage(settings)
    built = Services(settings, clock=clock)
    yield built
    built.close()


def rows(container: Services, model: type) -> int:
    with container.new_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def stored_files(container: Services) -> list[Path]:
    root = Path(container.settings.storage_url.removeprefix("file://"))
    return [path for path in root.rglob("*") if path.is_file()]


def test_a_page_too_large_to_ocr_is_refused_at_upload_and_nothing_is_stored(
    client: TestClient, container: Services, callers, case, tmp_path: Path
) -> None:
    plan = pdf_with_pages(tmp_path / "plan.pdf", [(3000, 3000)])
    response = upload(client, callers["officer"].headers, case["id"], plan)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("Page 1 is 3,000 x 3,000 pt, which is 156 Mpx at 300 dpi")
    assert "the limit is 100 Mpx" in response.json()["detail"]
    assert (rows(container, Document), rows(container, StoredObject)) == (0, 0)
    assert stored_files(container) == []


def test_a_document_that_can_never_be_processed_fails_saying_so_not_retry(
    client: TestClient, container: Services, callers, case, tmp_path: Path
) -> None:
    scan = pdf_from_image(text_strip(), tmp_path / "scan.pdf")  # 4 x 1.3 inches: 0.48 Mpx at 300 dpi
    document = upload(client, callers["officer"].headers, case["id"], scan).json()
    # The limit was lowered after the upload: the OCR task checks again, and no retry can help.
    assert run_ocr(container, document["id"], UploadLimits(max_image_pixels=400_000)) == DocumentStatus.failed
    failed = client.get(f"/api/v1/documents/{document['id']}", headers=callers["officer"].headers).json()
    assert failed["status"] == "failed"
    assert failed["failure_reason"].startswith("Page 1 is 288 x 96 pt, which is 0.5 Mpx at 300 dpi")
    assert "never" in failed["failure_reason"] and "retry" not in failed["failure_reason"]


def test_the_searchable_download_has_no_active_content_and_the_original_is_exact(
    client: TestClient, container: Services, callers, case, tmp_path: Path
) -> None:
    armed = arm(pdf_from_image(text_strip(), tmp_path / "armed.pdf"))
    assert {"open action", "additional actions", "embedded file"} <= set(leftovers(armed))
    headers = callers["officer"].headers
    document = upload(client, headers, case["id"], armed).json()
    assert run_ocr(container, document["id"]) == DocumentStatus.ready

    searchable = client.get(f"/api/v1/documents/{document['id']}/file?variant=searchable", headers=headers)
    assert searchable.status_code == 200
    (tmp_path / "searchable.pdf").write_bytes(searchable.content)
    assert leftovers(tmp_path / "searchable.pdf") == []
    with pikepdf.open(io.BytesIO(searchable.content)) as pdf:
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.pages[0].obj and len(pdf.attachments) == 0
    assert {w.lower() for w in WORDS} <= words_in(extracted_text(tmp_path / "searchable.pdf")[0])

    original = client.get(f"/api/v1/documents/{document['id']}/file", headers=headers)
    assert original.content == armed.read_bytes()
    for response in (original, searchable):
        assert response.headers["content-disposition"].startswith("attachment;")
