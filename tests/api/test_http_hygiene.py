"""What every answer carries for a browser, what an unexpected error answers, and
the API's schema and docs page: behind a token, loading nothing from outside."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.settings import Settings

EVERY_ANSWER = {"x-content-type-options": "nosniff", "cache-control": "no-store", "referrer-policy": "no-referrer"}
HTML_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _carries_every_header(response) -> None:
    for name, value in EVERY_ANSWER.items():
        assert response.headers.get(name) == value, (name, response.status_code, dict(response.headers))


def test_json_answers_and_errors_carry_the_headers(client: TestClient, callers, case) -> None:
    officer = callers["officer"].headers
    answers = {
        "json": client.get(f"/api/v1/cases/{case['id']}", headers=officer),
        "no token": client.get("/api/v1/cases"),
        "not found": client.get("/api/v1/cases/999999", headers=officer),
        "invalid": client.post("/api/v1/people", json={"full_name": ""}, headers=officer),
        "no route": client.get("/api/v1/nothing-here"),
        "too large": client.post("/api/v1/people", content=b"x" * 1_000_000, headers=officer),
        "probe": client.get("/healthz"),
    }
    assert [answer.status_code for answer in answers.values()] == [200, 401, 404, 422, 404, 413, 200]
    for answer in answers.values():
        _carries_every_header(answer)
        assert "content-security-policy" not in answer.headers or answer.headers["content-type"].startswith("text/html")


def test_the_docs_page_carries_a_policy_without_inline_script(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    _carries_every_header(page)
    assert page.headers["content-security-policy"] == HTML_POLICY
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "an inline script would be blocked by the policy"
    assert " style=" not in page.text and "<style" not in page.text


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href", "action", "data-openapi-url") and value]


def test_the_docs_page_loads_only_files_served_by_casevault(client: TestClient) -> None:
    parser = _References()
    parser.feed(client.get("/api/v1/docs").text)
    assert len(parser.urls) >= 4  # the icon, two stylesheets, two scripts, the schema
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not on this service"
    for url in parser.urls:
        if url != "/api/v1/openapi.json":
            served = client.get(url)
            assert served.status_code == 200 and served.content, url
            _carries_every_header(served)
    script = client.get("/api/v1/docs/assets/docs.js").text
    assert "validatorUrl: null" in script  # Swagger UI would otherwise send the schema to an outside validator
    assert not re.findall(r"https?://", client.get("/api/v1/docs").text)


def test_only_the_listed_assets_are_served(client: TestClient) -> None:
    assert client.get("/api/v1/docs/assets/index.html").status_code == 404
    assert client.get("/api/v1/docs/assets/..%2F..%2Fdocs.py").status_code == 404


def test_the_schema_needs_a_token(client: TestClient, callers) -> None:
    refused = client.get("/api/v1/openapi.json")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    for role in ("officer", "manager", "admin"):
        answer = client.get("/api/v1/openapi.json", headers=callers[role].headers)
        assert answer.status_code == 200 and "/api/v1/cases" in answer.json()["paths"], role


def test_a_setting_opens_the_schema(settings: Settings, clock) -> None:
    opened = Services(settings.model_copy(update={"public_api_docs": True}), clock=clock)
    try:
        with TestClient(create_app(opened)) as client:
            assert client.get("/api/v1/openapi.json").status_code == 200
            assert 'data-public-schema="true"' in client.get("/api/v1/docs").text
    finally:
        opened.close()


@pytest.fixture
def failing_client(container: Services) -> TestClient:
    app = create_app(container)

    def fails() -> None:
        raise RuntimeError("secret detail of a bug")

    app.add_api_route("/api/v1/fails", fails)
    return TestClient(app)


def test_an_unexpected_error_answers_problem_json_and_logs_one_line(failing_client: TestClient, logged) -> None:
    answer = failing_client.get("/api/v1/fails", headers={"X-Request-ID": "unexpected-error-1"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    _carries_every_header(answer)
    problem = answer.json()
    assert problem["status"] == 500 and "unexpected-error-1" in problem["detail"]
    assert "secret detail" not in answer.text and "Traceback" not in answer.text
    lines = [line for line in logged().lines if line.get("request_id") == "unexpected-error-1"]
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1 and "RuntimeError: secret detail of a bug" in errors[0]["exception"]
    assert [line["http"]["status"] for line in lines if "http" in line] == [500]
