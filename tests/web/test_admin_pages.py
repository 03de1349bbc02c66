"""The admins' pages: users for admins only, casework for none of them, every form's CSRF
check, and an officer an admin adds signing in with the password the admin set."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.models import AuditEvent, Case, Role, User
from tests.tokens import bearer
from tests.web_pages import ORIGIN, PASSWORD, form_token, sign_in

USERNAMES = {"officer": "olive", "manager": "maya", "admin": "adam"}


@pytest.fixture
def user_pages(users: dict[str, User]) -> list[str]:
    olive = users["officer"].id
    return [
        "/admin/users",
        "/admin/users/new",
        f"/admin/users/{olive}/password",
        f"/admin/users/{olive}/revoke",
        f"/admin/users/{olive}/token",
    ]


@pytest.mark.parametrize("role", ["admin", "manager", "officer", "anonymous"])
def test_user_pages_are_for_admins_only(client: TestClient, user_pages: list[str], role: str) -> None:
    if role != "anonymous":
        sign_in(client, USERNAMES[role])
    for path in user_pages:
        answer = client.get(path, follow_redirects=False)
        expected = {"admin": 200, "anonymous": 303}.get(role, 404)
        assert answer.status_code == expected, (path, role)


def test_admins_see_no_casework(client: TestClient, users, cases: dict[str, Case]) -> None:
    sign_in(client, "adam")
    olive = cases["officer"].id
    for path in ["/manager", "/manager/due", f"/manager/cases/{olive}/assign", f"/cases/{olive}",
                 "/manager/certificates", "/manager/holds"]:  # fmt: skip
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 404 and "Jamie Example" not in answer.text, path
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/admin"
    home = client.get("/admin").text
    assert 'href="/admin/users"' in home and 'href="/audit"' in home


def _send(client: TestClient, path: str, form: dict[str, str], *, token: str | None = None):
    sent = {"csrf_token": token if token is not None else form_token(client.get("/admin/users/new").text), **form}
    return client.post(path, data=sent, headers=ORIGIN, follow_redirects=False)


def test_every_admins_form_needs_its_token(client: TestClient, container: Services, users) -> None:
    olive = users["officer"].id
    sign_in(client, "adam")
    forms = {
        "/admin/users/new": {"username": "nina", "role": "officer"},
        f"/admin/users/{olive}/password": {"password": "another long passphrase", "again": "another long passphrase"},
        f"/admin/users/{olive}/revoke": {"confirm": "yes"},
        f"/admin/users/{olive}/token": {"confirm": "yes"},
    }
    for path, form in forms.items():
        assert _send(client, path, form, token="wrong").status_code == 403, path
        sent = {"csrf_token": form_token(client.get("/admin/users/new").text), **form}
        assert client.post(path, data=sent, follow_redirects=False).status_code == 403, path  # no Origin
    with container.new_session() as session:
        assert session.exec(select(User).where(User.username == "nina")).first() is None
        assert session.get(User, olive).revoked_at is None
    assert sign_in(client, "olive").status_code == 303  # her password is unchanged


def test_an_admin_adds_an_officer_sets_her_password_and_she_signs_in(
    client: TestClient, container: Services, users
) -> None:
    sign_in(client, "adam")
    refused = _send(client, "/admin/users/new", {"username": "", "role": ""})
    assert refused.status_code == 400 and 'href="#username"' in refused.text and 'href="#role"' in refused.text
    spaced = _send(client, "/admin/users/new", {"username": "Nina Smith", "role": "officer"})
    assert spaced.status_code == 400 and "lower-case letters" in spaced.text
    taken = _send(client, "/admin/users/new", {"username": "olive", "role": "officer"})
    assert taken.status_code == 400 and "exists already" in taken.text

    added = _send(client, "/admin/users/new", {"username": "nina", "role": "officer"})
    assert added.status_code == 200
    token = re.search(r'<code class="casevault-token" id="token">([^<]+)</code>', added.text).group(1)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200  # the token works, once shown
    assert token not in client.get("/admin/users").text
    with container.new_session() as session:
        nina = session.exec(select(User).where(User.username == "nina")).one()
        assert nina.role == Role.officer

    short = _send(client, f"/admin/users/{nina.id}/password", {"password": "short", "again": "short"})
    assert short.status_code == 400 and "12 to 256 characters" in short.text
    differ = _send(client, f"/admin/users/{nina.id}/password", {"password": PASSWORD, "again": PASSWORD + "!"})
    assert differ.status_code == 400 and 'href="#again"' in differ.text
    assert (
        _send(client, f"/admin/users/{nina.id}/password", {"password": PASSWORD, "again": PASSWORD}).status_code == 303
    )
    with container.new_session() as session:
        actions = session.exec(select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.subject_id == str(nina.id)))
        assert set(actions.all()) >= {("user.create", f"user:{users['admin'].id}"),
                                      ("user.password_set", f"user:{users['admin'].id}")}  # fmt: skip

    assert sign_in(client, "nina").headers["location"] == "/cases"


def test_an_admin_reissues_a_token_and_revokes_a_user(client: TestClient, container: Services, users) -> None:
    olive = users["officer"].id
    sign_in(client, "adam")
    assert _send(client, f"/admin/users/{olive}/token", {}).status_code == 400  # not confirmed
    issued = _send(client, f"/admin/users/{olive}/token", {"confirm": "yes"})
    token = re.search(r'id="token">([^<]+)<', issued.text).group(1)
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 200

    assert _send(client, f"/admin/users/{users['admin'].id}/revoke", {"confirm": "yes"}).status_code == 400  # herself
    assert _send(client, f"/admin/users/{olive}/revoke", {"confirm": "yes"}).status_code == 303
    assert "Revoked" in client.get("/admin/users").text
    assert client.get("/api/v1/cases", headers=bearer(token)).status_code == 401
    assert sign_in(client, "olive").status_code == 400  # no longer signs in


def test_the_first_start_prints_the_first_admins_password_once_and_she_signs_in(
    client: TestClient, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from casevault.cli import cli

    for name, value in {"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url}.items():
        monkeypatch.setenv(f"CASEVAULT_{name}", str(value))
    first = CliRunner().invoke(cli, ["init"])
    assert first.exit_code == 0, first.output
    password = re.search(r"password \(sign in at http://127\.0\.0\.1:8000/\): (\S+)", first.output).group(1)
    assert re.search(r"API token: cv_\S+", first.output)
    again = CliRunner().invoke(cli, ["init"])
    assert again.exit_code == 0 and password not in again.output and "password" not in again.output

    answer = sign_in(client, "admin", password)
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin")
