"""A multipart upload as an attacker or a broken client sends it: malformed bodies and
part headers are a 422 saying what to send, never a 500; a field sent twice is refused
rather than one of its values guessed at. Nothing is kept of a refused upload."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Document
from tests.ingest.scans import pdf_with_text_pages

BOUNDARY = "casevault-test-boundary"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _part(headers: bytes, value: bytes) -> bytes:
    return b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n\r\n" + value + b"\r\n"


def _field(name: str, value: str) -> bytes:
    return _part(f'Content-Disposition: form-data; name="{name}"'.encode(), value.encode())


def _file(filename: bytes) -> bytes:
    disposition = b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"'
    return _part(disposition + b"\r\nContent-Type: application/pdf", PDF)


END = b"--" + BOUNDARY.encode() + b"--\r\n"
DATE, FROM = _field("correspondence_date", "2026-10-02"), _field("provided_by", "school")


def _scratch(container: Services) -> list[Path]:
    directory = container.settings.data_dir / "tmp"
    return sorted(directory.rglob("*")) if directory.exists() else []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not multipart at all", id="no boundary in the body"),
        pytest.param(DATE + FROM + _file(b"x" * 5000 + b".pdf") + END, id="a part header over 4 KiB"),
        pytest.param(DATE + FROM + _file(b'a"\r\nX-Injected: yes\r\n.pdf') + END, id="a line break in a filename"),
    ],
)
def test_a_malformed_multipart_upload_is_a_422_saying_what_to_send(
    client: TestClient, container: Services, callers, case, body: bytes
) -> None:
    init_storage(container.settings)
    response = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        content=body,
        headers={**callers["officer"].headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "multipart/form-data" in response.json()["detail"]
    assert _scratch(container) == []


def test_a_form_field_sent_twice_is_refused_naming_it(client: TestClient, container: Services, callers, case) -> None:
    init_storage(container.settings)
    twice = _field("correspondence_date", "2026-10-03")
    response = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        content=DATE + twice + FROM + _file(b"letter.pdf") + END,
        headers={**callers["officer"].headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "correspondence_date"
    assert "twice" in response.json()["detail"]
    with container.new_session() as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 0
    assert _scratch(container) == []


@pytest.mark.parametrize("filename", ["..", "../..", ".", "letters/..", "..\\..", " .. "])
def test_a_filename_that_is_only_a_directory_is_kept_as_upload(
    client: TestClient, container: Services, callers, case, tmp_path: Path, filename: str
) -> None:
    init_storage(container.settings)
    body = pdf_with_text_pages(tmp_path / "letter.pdf", [("Letter from the school",)]).read_bytes()
    officer = callers["officer"].headers
    response = client.post(
        f"/api/v1/cases/{case['id']}/documents",
        files={"file": (filename, body, "application/pdf")},
        data={"correspondence_date": "2026-10-02", "provided_by": "school"},
        headers=officer,
    )
    assert response.status_code == 202, response.text
    assert response.json()["original_filename"] == "upload"
    download = client.get(f"/api/v1/documents/{response.json()['id']}/file", headers=officer)
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''upload"
