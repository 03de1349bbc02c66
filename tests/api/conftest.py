"""An API client on a migrated database, with one user per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.core.db import transaction
from casevault.core.models import Role
from casevault.core.users import create_user
from casevault.app.services import Services


@dataclass(frozen=True)
class Caller:
    username: str
    user_id: int
    headers: dict[str, str]


@pytest.fixture
def client(container: Services) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


def _add(container: Services, username: str, role: Role) -> Caller:
    with transaction(container.new_session) as session:
        user, token = create_user(session, username=username, role=role, clock=container.clock)
    return Caller(username, user.id, {"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]


@pytest.fixture
def callers(container: Services) -> dict[str, Caller]:
    return {
        "officer": _add(container, "olive", Role.officer),
        "other_officer": _add(container, "oscar", Role.officer),
        "manager": _add(container, "maya", Role.manager),
        "admin": _add(container, "adam", Role.admin),
    }


@pytest.fixture
def person(client: TestClient, callers: dict[str, Caller]) -> dict:
    body = {"full_name": "Jamie Example", "date_of_birth": "2012-03-04", "contact_details": "01234 567890"}
    response = client.post("/api/v1/people", json=body, headers=callers["officer"].headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def case(client: TestClient, callers: dict[str, Caller], person: dict) -> dict:
    body = {"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    response = client.post("/api/v1/cases", json=body, headers=callers["officer"].headers)
    assert response.status_code == 201, response.text
    return response.json()


TODAY = dt.date(2026, 11, 24)
