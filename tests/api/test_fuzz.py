"""Every operation of the published API, driven by schemathesis with generated and
boundary input (ids past 64 bits, dates at the calendar's ends, wrong types, missing
and extra fields), as a manager, as an officer and with no token: nothing answers 5xx.

Each operation's valid and invalid input comes from schemathesis's strategies for
it, in-process through the ASGI app. Deterministic (derandomized, no example
database), so every run sends the same requests. Boundary values at every id
and date are sent on purpose by test_bounds.py. Rerun alone with
``pytest tests/api/test_fuzz.py tests/api/test_bounds.py``.
"""

from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python import asgi
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.archive.provision import init_storage
from casevault.core.db import transaction
from casevault.core.models import Document, ProvidedBy
from casevault.core.settings import Settings
from casevault.wiring import Container
from tests.api.conftest import Caller

EXAMPLES_PER_OPERATION = 10


@pytest.fixture
def settings(settings: Settings) -> Settings:
    init_storage(settings)  # keys and the object store: the retention routes read them
    return settings


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
def seeded(app: FastAPI, container: Container, callers: dict[str, Caller]) -> dict[str, dict[str, str]]:
    """Rows with id 1 (a person, a case, a note, a document, a hold), so generated ids
    reach real rows as well as missing ones; then the three ways of calling."""
    officer, manager = callers["officer"].headers, callers["manager"].headers
    with TestClient(app) as client:
        person = client.post("/api/v1/people", json={"full_name": "Sam Example", "date_of_birth": "2012-03-04"}, headers=officer)
        body = {"person_id": person.json()["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
        case = client.post("/api/v1/cases", json=body, headers=officer).json()
        note = {"kind": "progress_summary", "text": "Met the family.", "date": "2026-10-01"}
        assert client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=officer).status_code == 201
        hold = {"case_id": case["id"], "kind": "safeguarding", "reason": "Concern raised."}
        assert client.post("/api/v1/holds", json=hold, headers=manager).status_code == 201
    with transaction(container.new_session) as session:
        session.add(
            Document(
                case_id=case["id"], original_filename="letter.pdf", content_type="application/pdf", size=10,
                sha256="0" * 64, correspondence_date=dt.date(2026, 9, 2), provided_by=ProvidedBy.school,
            )
        )
    return {"manager": manager, "officer": officer, "no token": {}}


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
            assert response.status_code < 500, (
                f"{who}: {case.method} {case.formatted_path} query={case.query} body={case.body!r}"
                f" -> {response.status_code} {response.text[:300]}"
            )
            if response.status_code >= 400 and case.method != "HEAD":
                assert response.headers["content-type"] == ["application/problem+json"], response.text[:300]

    no_server_error()
