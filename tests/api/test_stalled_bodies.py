"""Request bodies that stop arriving, and clients that leave mid-upload, against a real
server (uvicorn on a loopback port) driven by a raw socket: headers and part of a
body, then nothing (408, no scratch file left), or a closed connection (one INFO
line, no traceback, no scratch file left)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.settings import Settings
from tests.e2e.servers import free_port

BOUNDARY = "casevault-test-boundary"
PART_HEADERS = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="file"; filename="letter.pdf"\r\n'
    "Content-Type: application/pdf\r\n\r\n"
).encode()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"body_timeout_seconds": 1.0})


@pytest.fixture
def server(container: Services) -> Iterator[tuple[str, int]]:
    address = ("127.0.0.1", free_port())
    config = uvicorn.Config(
        create_app(container), host=address[0], port=address[1], log_config=None, access_log=False, lifespan="off"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    _wait_for(lambda: running.started, "the server to start")
    yield address
    running.should_exit = True
    thread.join(timeout=30)


def _wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds}s for {what}")
        time.sleep(0.05)


def _request_head(path: str, *, token: str, content_type: str, length: int, request_id: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: casevault\r\nAuthorization: {token}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nX-Request-ID: {request_id}\r\n\r\n"
    ).encode()


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def _scratch(settings: Settings) -> list[Path]:
    directory = settings.data_dir / "tmp"
    return sorted(directory.rglob("*")) if directory.exists() else []


def test_an_upload_whose_body_stalls_is_answered_408_and_leaves_no_scratch_file(
    server, settings: Settings, callers, case
) -> None:
    head = _request_head(
        f"/api/v1/cases/{case['id']}/documents",
        token=callers["officer"].headers["Authorization"],
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        length=1_000_000,
        request_id="stalled-upload-1",
    )
    with socket.create_connection(server, timeout=60) as sock:
        sock.sendall(head + PART_HEADERS + b"%PDF-1.4\n" + b"0" * 20_000)  # then nothing more
        status, headers, body = _read_response(sock)
    assert status == 408, body
    assert headers["content-type"] == "application/problem+json"
    assert "stopped arriving" in json.loads(body)["detail"]
    assert _scratch(settings) == []


def test_a_json_body_that_stalls_is_answered_408(server, callers) -> None:
    head = _request_head(
        "/api/v1/people",
        token=callers["officer"].headers["Authorization"],
        content_type="application/json",
        length=200,
        request_id="stalled-json-1",
    )
    with socket.create_connection(server, timeout=60) as sock:
        sock.sendall(head + b'{"full_name": "Sam')
        status, headers, body = _read_response(sock)
    assert status == 408, body
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"


def test_a_client_leaving_mid_upload_is_one_info_line_and_leaves_no_scratch_file(
    server, settings: Settings, callers, case, logged
) -> None:
    head = _request_head(
        f"/api/v1/cases/{case['id']}/documents",
        token=callers["officer"].headers["Authorization"],
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        length=1_000_000,
        request_id="client-left-0001",
    )
    with socket.create_connection(server, timeout=60) as sock:
        sock.sendall(head + PART_HEADERS + b"%PDF-1.4\n" + b"0" * 20_000)
        _wait_for(lambda: _scratch(settings), "the upload's scratch file")  # the body is being received
    # closed: the client went away

    def lines_of_the_request() -> list[dict]:
        return [line for line in logged().lines if line.get("request_id") == "client-left-0001"]

    _wait_for(lines_of_the_request, "the request's access line")
    lines = lines_of_the_request()
    assert len(lines) == 1, lines
    assert lines[0]["level"] == "INFO" and lines[0]["http"]["status"] == 499, lines[0]
    assert "disconnected" in lines[0]["message"] and "exception" not in lines[0]
    output = logged()
    assert "Traceback" not in output.text
    assert not [line for line in output.lines if line["level"] in ("ERROR", "CRITICAL")]
    assert _scratch(settings) == []
    with urllib.request.urlopen(f"http://{server[0]}:{server[1]}/metrics", timeout=30) as answer:
        exposition = answer.read().decode()
    upload_route = 'route="/api/v1/cases/{case_id}/documents"'
    counted = [
        line
        for line in exposition.splitlines()
        if line.startswith("casevault_http_requests_total") and upload_route in line
    ]
    assert counted and all('status="499"' in line for line in counted), (
        counted
    )  # counted as the client leaving, not a 500
