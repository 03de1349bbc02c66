"""An API client on a migrated database, one user per role, and people with cases."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.models import Role
from tests.people import consented
from tests.tokens import token


@pytest.fixture
def client(container: Services) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def headers(container: Services) -> dict[str, dict[str, str]]:
    return {
        "olive": token(container, "olive", Role.officer),
        "oscar": token(container, "oscar", Role.officer),
        "maya": token(container, "maya", Role.manager),
        "adam": token(container, "adam", Role.admin),
        "no token": {},
    }


Referral = Callable[[str, str], dict]


@pytest.fixture
def refer(client: TestClient, headers) -> Referral:
    """``refer(name, officer)``: a new person referred by their parent, the case the officer's."""

    def open_case(full_name: str, officer: str) -> dict:
        person = consented({"full_name": full_name, "date_of_birth": "2012-03-04"})
        body = {"person": person, "referral_date": "2026-09-01", "referral_source": "parent_carer"}
        opened = client.post("/api/v1/cases", json=body, headers=headers[officer])
        assert opened.status_code == 201, opened.text
        return opened.json()

    return open_case
