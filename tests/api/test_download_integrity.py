"""A stored copy that fails its integrity check is never sent as if it were whole.

Damage in the first chunk answers an error before any byte of the document; damage
further on cuts the transfer short on a real server. Both raise an integrity alert
in the log and in the metrics every API process shows."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.archive.envelope import HEADER_BYTES, NONCE_BYTES
from casevault.core.clock import FixedClock
from casevault.core.models import StoredObject
from casevault.core.settings import Settings
from tests.e2e.servers import free_port

CHUNK = 4096
ALERT = 'casevault_integrity_alerts_total{operation="download"}'


@pytest.fixture
def container(settings: Settings, clock: FixedClock) -> Iterator[Services]:
    """Objects in 4 KiB chunks, so a small upload spans many."""
    settings = settings.model_copy(update={"chunk_size_kb": CHUNK // 1024})
    init_storage(settings)
    built = Services(settings, clock=clock)
    yield built
    built.close()


def uploaded(client: TestClient, headers: dict[str, str], case_id: int, path: Path) -> int:
    with path.open("rb") as body:
        response = client.post(
            f"/api/v1/cases/{case_id}/documents",
            files={"file": (path.name, body, "image/png")},
            data={"correspondence_date": "2026-10-02", "provided_by": "school"},
            headers=headers,
        )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def noisy_scan(path: Path) -> Path:
    """A PNG that does not compress: about 90 KB, some 22 chunks."""
    Image.frombytes("L", (300, 300), os.urandom(300 * 300)).save(path)
    return path


def damage(container: Services, document_id: int, offset: int) -> str:
    """Flip one byte of the document's stored original (offset from the end if negative)."""
    with container.new_session() as session:
        key = session.exec(select(StoredObject.object_key).where(StoredObject.document_id == document_id)).one()
    root = Path(container.settings.storage_url.removeprefix("file://"))
    (path,) = [p for p in root.rglob(key) if p.is_file()]
    blob = bytearray(path.read_bytes())
    blob[offset] ^= 0x01
    path.write_bytes(bytes(blob))
    return key


def alerts_counted(client: TestClient) -> float:
    metrics = client.get("/metrics").text
    (line,) = [line for line in metrics.splitlines() if line.startswith(ALERT)]
    return float(line.split()[-1])


def alert_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and "INTEGRITY ALERT" in r.getMessage()
    ]


def test_damage_in_the_first_chunk_answers_an_error_before_any_byte(
    client: TestClient, container: Services, callers, case, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scan = noisy_scan(tmp_path / "scan.png")
    headers = callers["officer"].headers
    document_id = uploaded(client, headers, case["id"], scan)
    assert alerts_counted(client) == 0
    key = damage(container, document_id, HEADER_BYTES + NONCE_BYTES + 10)

    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/v1/documents/{document_id}/file", headers=headers)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "content-disposition" not in response.headers
    problem = response.json()
    assert problem["title"] == "Integrity check failed"
    assert f"stored copy of document {document_id} failed its integrity check" in problem["detail"]
    assert "manager" in problem["detail"]
    assert scan.read_bytes()[:64] not in response.content

    (line,) = alert_lines(caplog)
    assert key in line and f"document {document_id}" in line
    assert alerts_counted(client) == 1


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app behind a real uvicorn server on a free loopback port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_damage_in_a_later_chunk_cuts_the_transfer_short(
    client: TestClient, container: Services, callers, case, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scan = noisy_scan(tmp_path / "scan.png")
    headers = callers["officer"].headers
    document_id = uploaded(client, headers, case["id"], scan)
    key = damage(container, document_id, -1)  # the last chunk's tag

    received = bytearray()
    with caplog.at_level(logging.ERROR), serving(create_app(container)) as base:
        with httpx.Client(base_url=base, headers=headers) as http:
            with http.stream("GET", f"/api/v1/documents/{document_id}/file") as response:
                assert response.status_code == 200
                declared = int(response.headers["content-length"])
                with pytest.raises(httpx.RemoteProtocolError):
                    for piece in response.iter_raw():
                        received += piece
    assert declared == len(scan.read_bytes())
    assert 0 < len(received) < declared, "the client sees a transfer cut short, never a complete file"
    assert scan.read_bytes().startswith(bytes(received))

    (line,) = alert_lines(caplog)
    assert key in line and f"document {document_id}" in line
    assert alerts_counted(client) == 1
