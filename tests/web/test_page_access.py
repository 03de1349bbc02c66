"""Who may open which page: each page for each role, allowed and refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core.models import Case, User
from tests.web_pages import open_case, sign_in

USERNAMES = {"officer": "olive", "other_officer": "oscar", "manager": "maya", "admin": "adam"}
# What each one gets: 200 the page, 404 the not-found page, "/x" a redirect there.
EXPECTED = {
    "my cases": {"officer": 200, "other_officer": 200, "manager": 200, "admin": "/admin", "anonymous": "/"},
    "olive's case": {"officer": 200, "other_officer": 404, "manager": 200, "admin": 404, "anonymous": "/"},
    "admin home": {"officer": 404, "other_officer": 404, "manager": 404, "admin": 200, "anonymous": "/"},
    "accessibility": {"officer": 200, "other_officer": 200, "manager": 200, "admin": 200, "anonymous": 200},
}


@pytest.mark.parametrize("role", sorted(EXPECTED["my cases"]))
def test_each_page_for_each_role(client: TestClient, users, cases: dict[str, Case], role: str) -> None:
    if role != "anonymous":
        assert sign_in(client, USERNAMES[role]).status_code == 303
    paths = {
        "my cases": "/cases",
        "olive's case": f"/cases/{cases['officer'].id}",
        "admin home": "/admin",
        "accessibility": "/accessibility",
    }
    for page, path in paths.items():
        answer = client.get(path, follow_redirects=False)
        expected = EXPECTED[page][role]
        if isinstance(expected, str):
            assert (answer.status_code, answer.headers.get("location")) == (303, expected), (page, role)
        else:
            assert answer.status_code == expected, (page, role)
            assert answer.headers["cache-control"] == "no-store"


def test_my_cases_come_25_to_a_page(client: TestClient, container: Services, users: dict[str, User]) -> None:
    references = [open_case(container, users["officer"], f"Young Person {n}").reference for n in range(26)]
    sign_in(client, "olive")
    first = client.get("/cases").text
    assert all(reference in first for reference in references[:25]) and references[25] not in first
    assert 'href="/cases?page=2"' in first and "page=0" not in first
    second = client.get("/cases?page=2").text
    assert references[25] in second and references[0] not in second
    assert 'href="/cases?page=1"' in second and "page=3" not in second
    assert client.get("/cases?page=3").status_code == 404
