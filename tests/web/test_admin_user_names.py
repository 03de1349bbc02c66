"""A username longer than the rule allows is refused on the Users page saying the rule,
never cut to its first 64 characters and added as a user nobody typed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.models import User
from tests.web_officer import error_summary, send_form
from tests.web_pages import sign_in


def test_a_username_over_64_characters_is_refused_not_cut(client: TestClient, container: Services, users) -> None:
    sign_in(client, "adam")
    answer = send_form(client, "/admin/users/new", "/admin/users/new", {"username": "a" * 100, "role": "officer"})
    assert answer.status_code == 400, answer.text[:300]
    assert "usernames are 2-64 characters" in error_summary(answer.text)[0]
    with container.new_session() as session:
        assert session.exec(select(User).where(User.username == "a" * 64)).first() is None
