"""Every request gets an id a caller can quote, and one access line that names no one."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

SEARCH_WORDS = "Jamie dyslexia assessment"


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "casevault.access"]


def test_search_words_never_reach_the_log_but_the_request_id_does(client: TestClient, callers, case, logged) -> None:
    response = client.get(
        "/api/v1/search",
        params={"q": SEARCH_WORDS, "case_id": case["id"]},
        headers={**callers["officer"].headers, "X-Request-ID": "officer-req-0001"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-ID"] == "officer-req-0001"
    output = logged()
    for word in SEARCH_WORDS.split():
        assert word not in output.text, f"the search word {word!r} was logged"
    [access] = [line for line in access_lines(output.lines) if line["request_id"] == "officer-req-0001"]
    assert access["http"]["route"] == "/api/v1/search" and access["http"]["status"] == 200
    assert access["http"]["method"] == "GET" and access["http"]["duration_ms"] >= 0


def test_the_access_line_names_the_route_template_not_the_path(client: TestClient, callers, case, logged) -> None:
    client.get(f"/api/v1/cases/{case['id']}", headers=callers["officer"].headers)
    client.get("/api/v1/no-such-page/Jamie-Example", headers=callers["officer"].headers)
    routes = [(line["http"]["route"], line["http"]["status"]) for line in access_lines(logged().lines)]
    assert routes[-2:] == [("/api/v1/cases/{case_id}", 200), ("unmatched", 404)]
    assert "Jamie" not in logged().text


def test_refused_and_failed_requests_are_logged_with_their_id_too(client: TestClient, logged) -> None:
    response = client.get("/api/v1/cases", headers={"X-Request-ID": "anonymous-0001"})
    assert response.status_code == 401 and response.headers["X-Request-ID"] == "anonymous-0001"
    [access] = access_lines(logged().lines)
    assert (access["request_id"], access["http"]["status"]) == ("anonymous-0001", 401)


@pytest.mark.parametrize(
    "given", ["short", "x" * 65, "has space inside", 'forged\\n{"level":"ERROR"}', "ünïcode-value"]
)
def test_an_unsafe_request_id_is_replaced_by_a_fresh_one(client: TestClient, given: str, logged) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given.encode("utf-8")})
    issued = response.headers["X-Request-ID"]
    assert issued != given and re.fullmatch(r"[0-9a-f]{32}", issued)
    [access] = access_lines(logged().lines)
    assert access["request_id"] == issued


def test_without_a_request_id_each_request_gets_its_own(client: TestClient) -> None:
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)
