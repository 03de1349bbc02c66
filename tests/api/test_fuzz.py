"""Every operation of the published API, driven by schemathesis with generated valid
and invalid input (wrong types, out-of-range numbers, missing and extra fields), as a
manager, as an officer and with no token: nothing answers 5xx.

Each operation's valid and invalid input comes from schemathesis's strategies for
it, in-process through the ASGI app. Deterministic (derandomized, no example
database), so every run sends the same requests. Every integer and date in a
path or a query is also sent at and past its ends (0, 2^31, 2^63, 2^64,
0001-01-01, 9999-12-31, ...); test_bounds.py does the same for the fields of
JSON bodies. Rerun alone with
``pytest tests/api/test_fuzz.py tests/api/test_bounds.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis
import schemathesis
from fastapi import FastAPI
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi

EXAMPLES_PER_OPERATION = 8
BOUNDARY_INTEGERS = [0, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64]
BOUNDARY_DATES = ["0001-01-01", "1899-12-31", "1900-01-01", "2199-12-31", "2200-01-01", "9999-12-31"]


def test_no_generated_input_gets_a_server_error(app: FastAPI, seeded: dict[str, dict[str, str]]) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers=seeded["manager"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18  # every published operation, not a schema that failed to load
    published = app.openapi()["paths"]
    with asgi.get_client(app) as client:
        for operation in operations:
            parameters = published[operation.path][operation.method.lower()].get("parameters", [])
            _fuzz(operation, boundaries=list(_boundary_cases(operation, parameters)), client=client, callers=seeded)


def _boundary_cases(operation: schemathesis.APIOperation, parameters: list[dict]) -> Iterator[schemathesis.Case]:
    """Each integer and date in the path and the query at and past its ends, the rest valid."""
    path = {p["name"]: 1 for p in parameters if p["in"] == "path"}
    query = {p["name"]: "letter" for p in parameters if p["in"] == "query" and p.get("required")}
    for parameter in parameters:
        options = parameter["schema"].get("anyOf", [parameter["schema"]])
        if any(option.get("type") == "integer" for option in options):
            values: list[int | str] = list(BOUNDARY_INTEGERS)
        elif any(option.get("format") == "date" for option in options):
            values = list(BOUNDARY_DATES)
        else:
            continue
        for value in values:
            if parameter["in"] == "path":
                yield operation.Case(path_parameters={**path, parameter["name"]: value}, query=dict(query))
            elif parameter["in"] == "query":
                yield operation.Case(path_parameters=dict(path), query={**query, parameter["name"]: value})


def _fuzz(
    operation: schemathesis.APIOperation,
    *,
    boundaries: list[schemathesis.Case],
    client: object,
    callers: dict[str, dict[str, str]],
) -> None:
    valid_and_invalid = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,  # the same requests on every run
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=valid_and_invalid)
    def no_server_error(case: schemathesis.Case) -> None:
        for who, token in callers.items():
            response = case.call(headers=token, session=client)  # a token replaces a generated Authorization
            if operation.path == "/readyz" and response.status_code == 503:
                continue  # "not ready": a dependency was slow to answer on a busy machine, not the input
            assert response.status_code < 500, (
                f"{who}: {case.method} {case.formatted_path} query={case.query} body={case.body!r}"
                f" -> {response.status_code} {response.text[:300]}"
            )
            if response.status_code >= 400 and case.method != "HEAD":
                assert response.headers["content-type"] == ["application/problem+json"], response.text[:300]

    for case in boundaries:
        no_server_error = hypothesis.example(case=case)(no_server_error)
    no_server_error()
