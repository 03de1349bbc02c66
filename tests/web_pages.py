"""Helpers for the web pages' tests: users with passwords, and signing in as a browser does."""

from __future__ import annotations

import datetime as dt
import functools
import re

import httpx
from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core import web_sessions
from casevault.core.consent import Given
from casevault.core.db import transaction
from casevault.core.models import Case, ConsentGiver, ConsentMethod, ConsentScope, ReferralSource, Role, User
from tests.tokens import new_user

PASSWORD = "a long enough passphrase"
ORIGIN = {"Origin": "http://testserver"}  # what a browser sends with a form of TestClient's site


@functools.cache
def _password_hash() -> str:
    return web_sessions.hash_password(PASSWORD)  # once: argon2id is slow by design


def user_with_password(services: Services, username: str, role: Role) -> User:
    user, _ = new_user(services, username, role)
    with transaction(services.new_session) as session:
        user.password_hash = _password_hash()
        session.add(user)
    return user


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in page as a browser that is not signed in, and send its form;
    returns the answer, not followed."""
    client.cookies.clear()
    token = form_token(client.get("/").text)
    form = {"username": username, "password": password, "csrf_token": token}
    return client.post("/sign-in", data=form, headers=ORIGIN, follow_redirects=False)


def open_case(services: Services, officer: User, full_name: str) -> Case:
    """As an officer opens one for herself, through the use cases the API calls."""
    with transaction(services.new_session) as session:
        person = services.cases.add_person(
            session,
            full_name=full_name,
            date_of_birth=dt.date(2012, 3, 4),
            contact_details=None,
            consent_given=Given(
                scopes=(ConsentScope.record_personal_details,),
                given_by=ConsentGiver.young_person,
                method=ConsentMethod.verbal,
            ),
            user=officer,
        )
        return services.cases.open(
            session,
            person_id=person.id,
            referral_date=dt.date(2026, 9, 1),
            referral_source=ReferralSource.parent_carer,
            officer=officer,
            user=officer,
        )
