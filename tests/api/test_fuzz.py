"""Every operation of the published API, driven by schemathesis with generated and
invalid input (wrong types, out-of-range numbers, missing and extra fields), as a manager, as an officer and with no token: nothing answers 5xx.

Each operation's valid and invalid input comes from schemathesis's strategies for
it, in-process through the ASGI app. Deterministic (derandomized, no example
database), so every run sends the same requests. Boundary values at every id
and date are sent on purpose by test_bounds.py. Rerun alone with
``pytest tests/api/test_fuzz.py tests/api/test_bounds.py``.
"""

from __future__ import annotations

import hypothesis
import schemathesis
from fastapi import FastAPI
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi

from tests.api.seeded import app, seeded, settings  # noqa: F401  (fixtures)

EXAMPLES_PER_OPERATION = 10


def test_no_generated_input_gets_a_server_error(app: FastAPI, seeded: dict[str, dict[str, str]]) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers=seeded["manager"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18  # every published operation, not a schema that failed to load
    with asgi.get_client(app) as client:
        for operation in operations:
            _fuzz(operation, client=client, callers=seeded)


def _fuzz(operation: schemathesis.APIOperation, *, client: object, callers: dict[str, dict[str, str]]) -> None:
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

    no_server_error()
