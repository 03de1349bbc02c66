"""Boundary values at every id and date the API takes, read from its own schema so a
new parameter or field is covered without editing this file: ids past 32 and 64 bits and
dates at the calendar's ends answer 422 in problem+json saying what is accepted, and
the largest id is looked up like any other: never 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api_bodies import VALID_BODIES

LARGEST_ID = 2**31 - 1  # every id column is INTEGER: 32 bits on PostgreSQL
TOO_LARGE_IDS = [2**31, 2**63, 2**64, 10**30]
OUT_OF_RANGE_DATES = ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"]
# Dates in a person's life end a year from today; other dates (as_of) at 2199-12-31.
DATE_RANGE = re.compile(r"dates must be between 1900-01-01 and (2199-12-31|\d{4}-\d\d-\d\d \(a year from today\))")
REQUIRED_QUERY = {"q": "letter"}


@dataclass(frozen=True)
class Probe:
    method: str
    template: str
    where: str  # path, query or body
    name: str
    value: int | str | list[int]


def probes(schema: dict) -> Iterator[Probe]:
    for template, item in schema["paths"].items():
        for method, operation in item.items():
            method = method.upper()
            for parameter in operation.get("parameters", []):
                kind = _kind(parameter["name"], parameter["schema"], in_path=parameter["in"] == "path")
                if kind and parameter["in"] in ("path", "query"):
                    for value in _values(kind):
                        yield Probe(method, template, parameter["in"], parameter["name"], value)
            if "requestBody" in operation and "application/json" in operation["requestBody"]["content"]:
                assert (method, template) in VALID_BODIES, f"add a valid body for {method} {template}"
                body_schema = _resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
                for name, field in body_schema["properties"].items():
                    kind = _kind(name, field)
                    if kind:
                        for value in _values(kind):
                            yield Probe(method, template, "body", name, value)


def _kind(name: str, field: dict, *, in_path: bool = False) -> str | None:
    """``id`` for an id or an offset (every integer of a path: a page number too), ``ids``
    for a list of ids (a disclosure's documents), ``date`` for a date; through ``anyOf``
    (optional fields)."""
    for option in field.get("anyOf", [field]):
        if option.get("type") == "integer" and (name.endswith("_id") or name == "offset" or in_path):
            return "id"
        if option.get("type") == "array" and option.get("items", {}).get("type") == "integer":
            return "ids"
        if option.get("format") == "date":
            return "date"
    return None


def _values(kind: str) -> list[int | str | list[int]]:
    if kind == "ids":
        return [[value] for value in (*TOO_LARGE_IDS, LARGEST_ID)]
    return [*TOO_LARGE_IDS, LARGEST_ID] if kind == "id" else list(OUT_OF_RANGE_DATES)


def _resolve(schema: dict, reference: dict) -> dict:
    name = reference["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def _send(client: TestClient, probe: Probe, headers: dict[str, str]):
    path = probe.template
    if probe.where == "path":
        path = path.replace(f"{{{probe.name}}}", str(probe.value))
    path = re.sub(r"\{[^}]+\}", "1", path)
    query = dict(REQUIRED_QUERY) if probe.template.endswith("/search") else {}
    if probe.where == "query":
        query[probe.name] = str(probe.value)
    body = None
    if (probe.method, probe.template) in VALID_BODIES:
        body = dict(VALID_BODIES[(probe.method, probe.template)])
        if probe.where == "body":
            body[probe.name] = probe.value
    return client.request(probe.method, path, params=query, json=body, headers=headers)


def test_every_id_and_date_at_its_bounds_answers_404_or_422(app: FastAPI, seeded: dict[str, dict[str, str]]) -> None:
    schema = app.openapi()
    sent = list(probes(schema))
    names = {(probe.where, probe.name) for probe in sent}
    assert {
        ("path", "case_id"),
        ("query", "as_of"),
        ("body", "person_id"),
        ("body", "date_of_birth"),
        ("path", "request_id"),
        ("path", "page"),
        ("query", "request_id"),
        ("body", "documents"),
        ("body", "delivered_on"),
        ("body", "received_on"),
        ("query", "from"),
    } <= names
    failures = []
    with TestClient(app) as client:
        for probe in sent:
            response = _send(client, probe, seeded["manager"])
            if probe.value in (LARGEST_ID, [LARGEST_ID]):  # a valid id: found or not, never an error of ours
                if response.status_code >= 500:
                    failures.append(f"{probe} -> {response.status_code} {response.text[:200]}")
                continue
            problem_json = response.headers["content-type"] == "application/problem+json"
            says_range = bool(DATE_RANGE.search(response.text)) if probe.value in OUT_OF_RANGE_DATES else True
            if response.status_code != 422 or not problem_json or not says_range:
                failures.append(f"{probe} -> {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)


def test_an_upload_dated_outside_the_range_is_refused_saying_the_range(
    app: FastAPI, seeded: dict[str, dict[str, str]]
) -> None:
    fields = {"correspondence_date": "9999-12-31", "provided_by": "school"}
    files = {"file": ("letter.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    with TestClient(app) as client:
        response = client.post("/api/v1/cases/1/documents", data=fields, files=files, headers=seeded["officer"])
    assert response.status_code == 422, response.text
    assert DATE_RANGE.search(response.json()["detail"])


def test_a_consent_to_review_before_it_was_given_is_refused_and_nothing_is_written(
    client: TestClient, callers: dict, person: dict
) -> None:
    officer = callers["officer"].headers
    url = f"/api/v1/people/{person['id']}/consents"
    before = client.get(url, headers=officer).json()["items"]
    given = {"scopes": ["contact_professionals"], "given_by": "young_person", "how": "written"}
    given["given_on"] = "2026-10-01"
    for review_on in ("2026-09-30", "2026-10-01"):
        refused = client.post(url, json={**given, "review_on": review_on}, headers=officer)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["field"] == "review_on" and "must be after given_on 2026-10-01" in problem["detail"]
    assert client.get(url, headers=officer).json()["items"] == before
    taken = client.post(url, json={**given, "review_on": "2026-10-02"}, headers=officer)
    assert taken.status_code == 201, taken.text
