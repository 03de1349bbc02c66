"""Ingest fixtures: an officer and her case on each storage backend, through the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core.models import Role
from tests.people import CONSENT
from tests.tokens import token


@pytest.fixture
def officer(backend_container: Services) -> dict[str, str]:
    return token(backend_container, "olive", Role.officer)


@pytest.fixture
def case_id(backend_client: TestClient, officer: dict[str, str]) -> int:
    person = backend_client.post(
        "/api/v1/people",
        json={"full_name": "Jamie Example", "date_of_birth": "2012-03-04", "consent": CONSENT},
        headers=officer,
    ).json()
    case = backend_client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"},
        headers=officer,
    )
    return case.json()["id"]
