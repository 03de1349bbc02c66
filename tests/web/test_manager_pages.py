"""The managers' pages: each for each role, every form's CSRF check, and what each form does."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Case, CaseStatus, Hold, User
from tests.web_pages import ORIGIN, form_token, open_case, sign_in

USERNAMES = {"officer": "olive", "manager": "maya", "admin": "adam"}
MANAGER_PAGES = [
    "/manager",
    "/manager/cases?show=re-referrals",
    "/manager/cases?show=unassigned",
    "/manager/cases?show=archived",
    "/manager/due",
    "/manager/due?within_days=366",
    "/manager/holds",
    "/manager/holds/new",
    "/manager/handover",
    "/manager/certificates",
]


@pytest.fixture
def case_pages(cases: dict[str, Case]) -> list[str]:
    olive = cases["officer"].id
    return [f"/manager/cases/{olive}/assign", f"/manager/cases/{olive}/restore"]


@pytest.fixture
def storage(container: Services) -> None:
    init_storage(container.settings)  # the due list reads the lifecycle's parts


@pytest.mark.parametrize("role", ["manager", "officer", "admin", "anonymous"])
def test_each_manager_page_for_each_role(
    client: TestClient, users, storage, case_pages: list[str], role: str
) -> None:
    if role != "anonymous":
        assert sign_in(client, USERNAMES[role]).status_code == 303
    missing = client.get("/manager/no-such-page").text if role != "anonymous" else ""
    for path in MANAGER_PAGES + case_pages:
        answer = client.get(path, follow_redirects=False)
        if role == "manager":
            assert answer.status_code == 200, (path, answer.text[:2000])
        elif role == "anonymous":
            assert (answer.status_code, answer.headers["location"]) == (303, "/"), path
        else:  # exactly the page a missing address gets
            assert answer.status_code == 404, path
            assert _main(answer.text) == _main(missing), path


@pytest.mark.parametrize("role", ["manager", "admin", "officer"])
def test_the_audit_log_is_for_managers_and_admins(client: TestClient, users, role: str) -> None:
    sign_in(client, USERNAMES[role])
    answer = client.get("/audit")
    assert answer.status_code == (404 if role == "officer" else 200)
    if role != "officer":
        assert "web.sign_in" in answer.text


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return found.group(0)
