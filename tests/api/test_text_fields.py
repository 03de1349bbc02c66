"""A control character in any text a client sends (a NUL above all, which PostgreSQL cannot
store) answers 422 problem+json naming the field and saying to remove it, on every route
that takes a body, in the query and in a field's name, and nothing is written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import Caller
from tests.api_bodies import VALID_BODIES

REFUSED = ["\x00", "\ud800", "\x1b"]  # NUL, half a surrogate pair, ESC


def _text_fields(body: Any, where: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(body, str):
        yield where
    elif isinstance(body, list):
        for index, item in enumerate(body):
            yield from _text_fields(item, (*where, index))
    elif isinstance(body, dict):
        for key, item in body.items():
            yield from _text_fields(item, (*where, key))


def _with(body: Any, where: tuple[str | int, ...], text: str) -> Any:
    if not where:
        return text
    copy = list(body) if isinstance(body, list) else dict(body)
    copy[where[0]] = _with(body[where[0]], where[1:], text)  # type: ignore[index]
    return copy


def _cases() -> Iterator[tuple[str, str, tuple[str | int, ...]]]:
    for (method, template), body in VALID_BODIES.items():
        for where in _text_fields(body):
            yield method, template, where


CASES = list(_cases())


def test_every_body_has_text_to_try() -> None:
    assert len(CASES) >= 30, "the valid bodies hold the routes' text fields"


def _assert_refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert field in [error["field"] for error in problem["errors"]], problem
    assert "remove the control character" in problem["detail"], problem


@pytest.mark.parametrize("control", REFUSED, ids=["nul", "surrogate", "escape"])
def test_a_control_character_in_any_text_field_is_refused_naming_it(
    app: FastAPI, seeded: dict[str, dict[str, str]], control: str
) -> None:
    with TestClient(app) as client:
        for method, template, where in CASES:
            path = re.sub(r"\{[a-z_]+\}", "1", template)
            body = _with(VALID_BODIES[(method, template)], where, f"Text{control}here")
            sent = json.dumps(body)  # ASCII: "\ud800" travels escaped, as a client would send it
            headers = {**seeded["manager"], "content-type": "application/json"}
            response = client.request(method, path, content=sent, headers=headers)
            field = ".".join(str(part) for part in ("body", *where))
            _assert_refused(response, field)


def test_a_nul_in_a_hold_reason_writes_nothing(client: TestClient, callers: dict[str, Caller], case: dict) -> None:
    manager = callers["manager"].headers
    body = {"case_id": case["id"], "kind": "safeguarding", "reason": "Concern\u0000 raised."}
    _assert_refused(client.post("/api/v1/holds", json=body, headers=manager), "body.reason")
    listed = client.get(f"/api/v1/cases/{case['id']}", headers=manager)
    assert listed.status_code == 200
    body["reason"] = "Concern raised."
    assert client.post("/api/v1/holds", json=body, headers=manager).status_code == 201  # the same, plain: taken


def test_a_nul_in_a_field_name_or_the_query_is_refused(client: TestClient, callers: dict[str, Caller]) -> None:
    officer = callers["officer"].headers
    response = client.post("/api/v1/holds", json={"reason\u0000": "x"}, headers=callers["manager"].headers)
    _assert_refused(response, "body.(a field's name)")
    _assert_refused(client.get("/api/v1/search", params={"q": "Sam\u0000"}, headers=officer), "query.q")
    _assert_refused(client.get("/api/v1/subject-access", params={"cursor": "\x00"}, headers=officer), "query.cursor")


def test_line_breaks_and_tabs_are_text(client: TestClient, callers: dict[str, Caller], case: dict) -> None:
    note = {"kind": "progress_summary", "text": "Met.\n\tThey asked for help.\r\n", "date": "2026-10-01"}
    response = client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=callers["officer"].headers)
    assert response.status_code == 201, response.text


def test_a_nul_in_a_body_sent_as_another_json_type_is_refused(client: TestClient, callers: dict[str, Caller]) -> None:
    """FastAPI reads any application/...+json body as JSON: the check reads it too."""
    for content_type in ("application/merge-patch+json", "Application/JSON; charset=utf-8"):
        headers = {**callers["manager"].headers, "content-type": content_type}
        sent = json.dumps({"person_id": 1, "kind": "safeguarding", "reason": "Concern\u0000"})
        _assert_refused(client.post("/api/v1/holds", content=sent, headers=headers), "body.reason")


@pytest.mark.parametrize("body", [b'{"reason": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000], ids=["latin", "deep"])
def test_a_body_that_cannot_be_read_says_what_to_send(
    client: TestClient, callers: dict[str, Caller], body: bytes
) -> None:
    headers = {**callers["manager"].headers, "content-type": "application/json"}
    answer = client.post("/api/v1/holds", content=body, headers=headers)
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert "send JSON in UTF-8" in answer.json()["detail"]
