"""The upload form as an attacker or a broken client sends it: a body that is not
multipart, or a part header too long or malformed, gets the case page with an error
summary saying to use the upload form, never a 500; nothing is kept."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Case
from tests.web_officer import error_summary
from tests.web_pages import ORIGIN, form_token, sign_in

BOUNDARY = "casevault-test-boundary"


def _part(headers: bytes, value: bytes) -> bytes:
    return b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n\r\n" + value + b"\r\n"


def _file(filename: bytes) -> bytes:
    disposition = b'Content-Disposition: form-data; name="files"; filename="' + filename + b'"'
    return _part(disposition + b"\r\nContent-Type: application/pdf", b"%PDF-1.4\n%%EOF\n")


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(None, id="no boundary in the body"),
        pytest.param(_file(b"x" * 5000 + b".pdf"), id="a part header over 4 KiB"),
        pytest.param(_file(b'a"\r\nX-Injected: yes\r\n.pdf'), id="a line break in a filename"),
    ],
)
def test_a_malformed_upload_form_is_refused_on_the_case_page(
    client: TestClient, container: Services, users, cases: dict[str, Case], files: bytes | None
) -> None:
    init_storage(container.settings)
    case_id = cases["officer"].id
    sign_in(client, "olive")
    token = form_token(client.get(f"/cases/{case_id}").text)
    token_part = _part(b'Content-Disposition: form-data; name="csrf_token"', token.encode())
    body = b"garbage" if files is None else token_part + files + b"--" + BOUNDARY.encode() + b"--\r\n"
    answer = client.post(
        f"/cases/{case_id}/documents",
        content=body,
        headers={**ORIGIN, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        follow_redirects=False,
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert error_summary(answer.text) == ["Send the files with the upload form (the form sent could not be read)"]
    assert list((container.settings.data_dir / "tmp").iterdir()) == []
