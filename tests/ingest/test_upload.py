"""Uploads through the API: a scan becomes searchable by its words; bad files get
their clear error with nothing stored; the stored bytes are never readable."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, DocumentStatus, Role, StoredObject
from casevault.core.users import create_user
from tests.ingest.scans import WORDS, save, text_strip
from tests.ingest.uploads import BAD_FILES, count, run_ocr, stored_bytes, upload
from tests.tokens import token

TODAY = dt.date(2026, 11, 24)


def test_a_scan_becomes_searchable_and_nothing_readable_is_stored(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path
) -> None:
    scan = save(text_strip(), tmp_path / "review.png")
    accepted = upload(backend_client, officer, case_id, scan)
    assert accepted.status_code == 202, accepted.text
    document = accepted.json()
    assert (document["status"], document["pages"], document["content_type"]) == ("queued", 1, "image/png")

    assert run_ocr(backend_container, document["id"]) == DocumentStatus.ready
    assert backend_client.get(f"/api/v1/documents/{document['id']}", headers=officer).json()["status"] == "ready"
    assert list((backend_container.settings.data_dir / "tmp").rglob("*")) == []  # upload and OCR scratch both gone

    hits = backend_client.get("/api/v1/search", params={"q": "speech therapies"}, headers=officer).json()[
        "items"
    ]  # stemmed
    assert [(h["document_id"], h["page"]) for h in hits] == [(document["id"], 1)]
    assert "«Speech»" in hits[0]["snippet"]
    assert backend_client.get("/api/v1/search", params={"q": '"therapy twice weekly"'}, headers=officer).json()["items"]
    assert not backend_client.get("/api/v1/search", params={"q": '"weekly twice therapy"'}, headers=officer).json()[
        "items"
    ]

    original = backend_client.get(f"/api/v1/documents/{document['id']}/file", headers=officer)
    assert original.content == scan.read_bytes()
    assert original.headers["content-type"] == "image/png"
    searchable = backend_client.get(f"/api/v1/documents/{document['id']}/file?variant=searchable", headers=officer)
    assert searchable.content.startswith(b"%PDF")
    with pikepdf.open(io.BytesIO(searchable.content)) as pdf:
        assert len(pdf.pages) == 1

    blobs = stored_bytes(backend_container)
    assert len(blobs) >= 2
    for blob in blobs:
        assert b"%PDF" not in blob and b"PNG" not in blob
        for word in WORDS:
            assert word.encode() not in blob


def test_the_same_file_twice_is_one_document(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path
) -> None:
    scan = save(text_strip(), tmp_path / "letter.jpg", quality=90)
    first = upload(backend_client, officer, case_id, scan)
    again = upload(backend_client, officer, case_id, scan, name="letter (1).jpg")
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    assert count(backend_container, Document) == 1
    assert count(backend_container, StoredObject) == 1


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_get_a_clear_error_and_nothing_is_stored(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path, name: str
) -> None:
    make, status, words = BAD_FILES[name]
    response = upload(backend_client, officer, case_id, make(tmp_path))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words.lower() in response.json()["detail"].lower()
    assert count(backend_container, Document) == 0
    assert stored_bytes(backend_container) == []
    assert list((backend_container.settings.data_dir / "tmp").iterdir()) == []  # no plaintext left behind


def test_a_jpeg_named_pdf_is_taken_as_the_jpeg_it_is(
    backend_client: TestClient, officer, case_id, tmp_path: Path
) -> None:
    scan = save(text_strip(), tmp_path / "scan.jpg", quality=90)
    response = upload(backend_client, officer, case_id, scan, name="scan.pdf")
    assert response.status_code == 202
    assert response.json()["content_type"] == "image/jpeg"


def test_upload_form_mistakes_say_what_to_fix(backend_client: TestClient, officer, case_id, tmp_path: Path) -> None:
    scan = save(text_strip(), tmp_path / "scan.png")
    assert "YYYY-MM-DD" in upload(backend_client, officer, case_id, scan, date="02/10/2026").json()["detail"]
    assert "future" in upload(backend_client, officer, case_id, scan, date="2027-01-01").json()["detail"]
    assert "one of" in upload(backend_client, officer, case_id, scan, provided_by="neighbour").json()["detail"]
    no_file = backend_client.post(
        f"/api/v1/cases/{case_id}/documents",
        data={"correspondence_date": "2026-10-02", "provided_by": "school"},
        headers=officer,
    )
    assert no_file.status_code == 422


def test_an_upload_over_the_cap_is_413_and_leaves_nothing(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path
) -> None:
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * (backend_container.settings.max_upload_bytes + 1))
    response = upload(backend_client, officer, case_id, big)
    assert response.status_code == 413
    assert "CASEVAULT_MAX_UPLOAD_MB" in response.json()["detail"]
    assert count(backend_container, Document) == 0
    assert list((backend_container.settings.data_dir / "tmp").iterdir()) == []


def test_search_refuses_malformed_queries_and_hides_other_officers_cases(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path
) -> None:
    document = upload(backend_client, officer, case_id, save(text_strip(), tmp_path / "scan.png")).json()
    run_ocr(backend_container, document["id"])
    for bad in ('"unclosed', "   ", "x" * 300, "** !!"):
        response = backend_client.get("/api/v1/search", params={"q": bad}, headers=officer)
        assert response.status_code == 400, bad
    assert backend_client.get("/api/v1/search", params={"q": "provision OR NEAR(x"}, headers=officer).status_code == 200
    with transaction(backend_container.new_session) as session:
        _, token = create_user(session, username="oscar", role=Role.officer, clock=backend_container.clock)
    other = {"Authorization": f"Bearer {token}"}
    assert backend_client.get("/api/v1/search", params={"q": "provision"}, headers=other).json()["items"] == []
    assert (
        backend_client.get("/api/v1/search", params={"q": "provision", "case_id": case_id}, headers=other).status_code
        == 404
    )


def test_who_may_upload_and_download(
    backend_client: TestClient, backend_container: Services, officer, case_id, tmp_path: Path
) -> None:
    tokens = {
        name: token(backend_container, name, role)
        for name, role in (("oscar", Role.officer), ("maya", Role.manager), ("adam", Role.admin))
    }
    scan = save(text_strip(), tmp_path / "scan.png")
    assert upload(backend_client, tokens["oscar"], case_id, scan).status_code == 404
    assert upload(backend_client, tokens["adam"], case_id, scan).status_code == 403
    assert upload(backend_client, {}, case_id, scan).status_code == 401
    document = upload(backend_client, tokens["maya"], case_id, scan).json()
    assert count(backend_container, Document) == 1

    path = f"/api/v1/documents/{document['id']}/file"
    assert backend_client.get(path, headers=officer).status_code == 200
    assert backend_client.get(path, headers=tokens["maya"]).status_code == 200
    assert backend_client.get(path, headers=tokens["oscar"]).status_code == 404
    assert backend_client.get(path, headers=tokens["adam"]).status_code == 403
    not_yet = backend_client.get(f"{path}?variant=searchable", headers=officer)
    assert not_yet.status_code == 409 and "once it is ready" in not_yet.json()["detail"]
