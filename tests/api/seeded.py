"""An app on a database with one row of each kind, for tests that send many requests
to every operation (tests/api/test_fuzz.py, tests/api/test_bounds.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.core.db import transaction
from casevault.core.models import Document, ProvidedBy
from casevault.core.settings import Settings
from casevault.app.services import Services
from tests.api.conftest import Caller


@pytest.fixture
def settings(settings: Settings) -> Settings:
    init_storage(settings)  # keys and the object store: the retention routes read them
    return settings


@pytest.fixture
def app(container: Services) -> FastAPI:
    return create_app(container)


@pytest.fixture
def seeded(app: FastAPI, container: Services, callers: dict[str, Caller]) -> dict[str, dict[str, str]]:
    """Rows with id 1 (a person, a case, a note, a document, a hold), so generated ids
    reach real rows as well as missing ones; then the three ways of calling."""
    officer, manager = callers["officer"].headers, callers["manager"].headers
    with TestClient(app) as client:
        someone = {"full_name": "Sam Example", "date_of_birth": "2012-03-04"}
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
                case_id=case["id"], original_filename="letter.pdf", content_type="application/pdf", size=10,
                sha256="0" * 64, correspondence_date=dt.date(2026, 9, 2), provided_by=ProvidedBy.school,
            )
        )
    return {"manager": manager, "officer": officer, "no token": {}}
