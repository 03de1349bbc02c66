"""An API client on a migrated database, with one user per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Document, ProvidedBy, Role
from tests.people import CONSENT
from tests.tokens import new_user


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
    user, headers = new_user(container, username, role)
    assert user.id is not None
    return Caller(username, user.id, headers)


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
    body = {
        "full_name": "Jamie Example",
        "date_of_birth": "2012-03-04",
        "contact_details": "01234 567890",
        "consent": CONSENT,
    }
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


@pytest.fixture
def app(container: Services) -> FastAPI:
    return create_app(container)


@pytest.fixture
def seeded(app: FastAPI, container: Services, callers: dict[str, Caller]) -> dict[str, dict[str, str]]:
    """Rows with id 1 (a person, a case, a note, a document, a hold), so generated ids
    reach real rows as well as missing ones; then the three ways of calling. For tests
    that send many requests to every operation (test_fuzz.py, test_bounds.py)."""
    init_storage(container.settings)  # keys and the object store: the retention routes read them
    officer, manager = callers["officer"].headers, callers["manager"].headers
    with TestClient(app) as client:
        someone = {"full_name": "Sam Example", "date_of_birth": "2012-03-04", "consent": CONSENT}
        person = client.post("/api/v1/people", json=someone, headers=officer)
        body = {"person_id": person.json()["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
        case = client.post("/api/v1/cases", json=body, headers=officer).json()
        note = {"kind": "progress_summary", "text": "Met the family.", "date": "2026-10-01"}
        assert client.post(f"/api/v1/cases/{case['id']}/notes", json=note, headers=officer).status_code == 201
        hold = {"case_id": case["id"], "kind": "safeguarding", "reason": "Concern raised."}
        assert client.post("/api/v1/holds", json=hold, headers=manager).status_code == 201
    with transaction(container.new_session) as session:
        session.add(
            Document(
                case_id=case["id"],
                original_filename="letter.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                correspondence_date=dt.date(2026, 9, 2),
                provided_by=ProvidedBy.school,
            )
        )
    return {"manager": manager, "officer": officer, "no token": {}}
