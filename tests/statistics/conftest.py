"""An API client on a migrated database, with one user per role, and cases written
straight into the database (statistics need many)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Case, CaseStatus, OutcomeCode, Person, ReferralSource, Role
from tests.tokens import token


@pytest.fixture
def client(container: Services) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def headers(container: Services) -> dict[str, dict[str, str]]:
    return {
        "manager": token(container, "maya", Role.manager),
        "officer": token(container, "olive", Role.officer),
        "admin": token(container, "adam", Role.admin),
        "no token": {},
    }


AddCases = Callable[..., list[int]]


@pytest.fixture
def add_cases(container: Services) -> AddCases:
    """``add_cases(n, referred=..., source=..., born=..., closed_on=..., outcome_code=...)``: n
    people with one case each; answers the people's ids."""
    numbers = itertools.count(1)

    def add(
        count: int,
        *,
        referred: dt.date,
        source: ReferralSource = ReferralSource.parent_carer,
        born: dt.date = dt.date(2012, 3, 4),
        closed_on: dt.date | None = None,
        outcome_code: OutcomeCode | None = None,
    ) -> list[int]:
        people = []
        with transaction(container.new_session) as session:
            for _ in range(count):
                number = next(numbers)
                person = Person(full_name=f"Child {number}", date_of_birth=born)
                session.add(person)
                session.flush()
                assert person.id is not None
                case = Case(
                    reference=f"SEN-S-{number:05d}",
                    person_id=person.id,
                    referral_date=referred,
                    referral_source=source,
                    status=CaseStatus.closed if closed_on else CaseStatus.open,
                    closed_on=closed_on,
                    outcome="Resolved." if closed_on else None,
                    outcome_code=outcome_code,
                )
                session.add(case)
                people.append(person.id)
        return people

    return add
