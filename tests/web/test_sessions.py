"""Signing in and out of the web pages, and what a session allows, without a browser."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.cli.users import user as user_command
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Case, User, WebSession
from casevault.core.users import revoke_user
from tests.web_pages import ORIGIN, PASSWORD, form_token, sign_in


def signed_in_as(client: TestClient, username: str) -> str:
    """Sign in; returns the CSRF token of the signed-in pages' forms."""
    answer = sign_in(client, username)
    assert answer.status_code == 303, answer.text
    return form_token(client.get(answer.headers["location"]).text)


def test_the_sign_in_page_asks_for_username_and_password(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<label class="govuk-label" for="username">' in page.text and ">\n    Username\n" in page.text
    assert 'for="password"' in page.text and "Password" in page.text
    assert "Sign in" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script: every script is a file of ours


def test_an_officer_signs_in_and_sees_only_her_cases(client: TestClient, users, cases: dict[str, Case]) -> None:
    answer = sign_in(client, "olive")
    assert answer.status_code == 303 and answer.headers["location"] == "/cases"
    cookie = answer.headers["set-cookie"]
    assert "casevault_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP here; over HTTPS the cookie is Secure
    page = client.get("/cases")
    assert "My cases" in page.text
    assert cases["officer"].reference in page.text
    assert cases["other_officer"].reference not in page.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/cases"


def test_a_manager_sees_every_case(client: TestClient, users, cases: dict[str, Case]) -> None:
    signed_in_as(client, "maya")
    page = client.get("/cases").text
    assert cases["officer"].reference in page and cases["other_officer"].reference in page
    assert "Sam Example" in client.get(f"/cases/{cases['other_officer'].id}").text


def test_a_case_of_someone_else_answers_as_a_missing_one(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    signed_in_as(client, "olive")
    own = client.get(f"/cases/{cases['officer'].id}")
    assert own.status_code == 200 and "Jamie Example" in own.text
    others = client.get(f"/cases/{cases['other_officer'].id}")
    missing = client.get("/cases/999999")
    assert others.status_code == missing.status_code == 404
    assert others.text == missing.text
    assert "Sam Example" not in others.text and cases["other_officer"].reference not in others.text
    with container.new_session() as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "request.refused")).all()
    assert [event.actor for event in refused] == [f"user:{users['officer'].id}"]


@pytest.mark.parametrize("path", ["/cases/abc", "/cases/0", "/cases/99999999999", "/cases?page=0", "/nowhere"])
def test_nonsense_addresses_get_the_not_found_page(client: TestClient, users, path: str) -> None:
    signed_in_as(client, "olive")
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Page not found" in answer.text


def test_the_api_still_answers_problems(client: TestClient) -> None:
    answer = client.get("/api/v1/nowhere")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_admin_signs_in_to_a_home_without_casework(client: TestClient, users, cases: dict[str, Case]) -> None:
    answer = sign_in(client, "adam")
    assert answer.headers["location"] == "/admin"
    assert "do not see casework" in client.get("/admin").text
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/admin"
    assert client.get(f"/cases/{cases['officer'].id}").status_code == 404


def test_officers_have_no_admin_home(client: TestClient, users) -> None:
    signed_in_as(client, "olive")
    assert client.get("/admin").status_code == 404


def test_a_wrong_password_is_refused_with_an_error_summary(client: TestClient, users) -> None:
    answer = sign_in(client, "olive", "not the password")
    assert answer.status_code == 400
    assert "govuk-error-summary" in answer.text and "Enter a correct username and password" in answer.text
    assert answer.text.count("<title>Error: ") == 1
    assert "casevault_session" not in answer.headers.get("set-cookie", "")
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"


def test_the_sign_in_address_opened_again_shows_the_form(client: TestClient) -> None:
    assert client.get("/sign-in", follow_redirects=False).headers["location"] == "/"


def test_empty_fields_are_named(client: TestClient) -> None:
    token = form_token(client.get("/").text)
    answer = client.post("/sign-in", data={"csrf_token": token}, headers=ORIGIN)
    assert answer.status_code == 400
    assert 'href="#username"' in answer.text and "Enter your username" in answer.text
    assert 'href="#password"' in answer.text and "Enter your password" in answer.text


def test_signed_out_pages_redirect_to_sign_in(client: TestClient, cases: dict[str, Case]) -> None:
    for path in ["/cases", f"/cases/{cases['officer'].id}", "/admin"]:
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_sign_out_ends_the_session(client: TestClient, container: Services, users, cases) -> None:
    token = signed_in_as(client, "olive")
    cookie = client.cookies["casevault_session"]
    answer = client.post("/sign-out", data={"csrf_token": token}, headers=ORIGIN, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    client.cookies.set("casevault_session", cookie)  # a copy of the old cookie opens nothing
    assert client.get(f"/cases/{cases['officer'].id}", follow_redirects=False).headers["location"] == "/"
    with container.new_session() as session:
        assert session.exec(select(WebSession)).all() == []


def test_each_sign_in_gets_a_new_session_id(client: TestClient, users) -> None:
    client.cookies.set("casevault_session", "planted-by-someone-else")  # session fixation
    signed_in_as(client, "olive")
    first = client.cookies["casevault_session"]
    assert first != "planted-by-someone-else"
    client.cookies.clear()
    signed_in_as(client, "olive")
    assert client.cookies["casevault_session"] != first


def test_signing_in_again_ends_the_browsers_earlier_session(client: TestClient, container: Services, users) -> None:
    signed_in_as(client, "olive")
    olives = client.cookies["casevault_session"]
    client.cookies.delete("casevault_session")
    form = {"username": "maya", "password": PASSWORD, "csrf_token": form_token(client.get("/").text)}
    client.cookies.set("casevault_session", olives)  # the browser still holds olive's cookie
    assert client.post("/sign-in", data=form, headers=ORIGIN, follow_redirects=False).status_code == 303
    client.cookies.set("casevault_session", olives)
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"  # olive's session is over
    with container.new_session() as session:
        assert len(session.exec(select(WebSession)).all()) == 1  # maya's


def test_the_database_keeps_only_a_hash_of_the_session_id(client: TestClient, container: Services, users) -> None:
    signed_in_as(client, "olive")
    with container.new_session() as session:
        stored = session.exec(select(WebSession)).one()
    assert stored.id_hash != client.cookies["casevault_session"]


def test_sign_out_without_the_csrf_token_is_refused(client: TestClient, users) -> None:
    signed_in_as(client, "olive")
    for token in ["", "a-guess"]:
        answer = client.post("/sign-out", data={"csrf_token": token}, headers=ORIGIN)
        assert answer.status_code == 403 and "Nothing was changed" in answer.text
    assert client.get("/cases").status_code == 200  # still signed in


def test_a_form_from_another_site_is_refused(client: TestClient, users) -> None:
    token = signed_in_as(client, "olive")
    for headers in [{"Origin": "https://evil.example"}, {"Origin": "null"}, {}]:
        answer = client.post("/sign-out", data={"csrf_token": token}, headers=headers)
        assert answer.status_code == 403
    assert client.get("/cases").status_code == 200


def test_a_sign_in_form_without_its_token_is_refused(client: TestClient, users) -> None:
    client.get("/")
    form = {"username": "olive", "password": PASSWORD, "csrf_token": "made-up"}
    assert client.post("/sign-in", data=form, headers=ORIGIN).status_code == 403
    form["csrf_token"] = form_token(client.get("/").text)
    assert client.post("/sign-in", data=form, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"


def test_a_session_ends_after_30_idle_minutes(client: TestClient, clock: FixedClock, users) -> None:
    signed_in_as(client, "olive")
    clock.advance(dt.timedelta(minutes=29))
    assert client.get("/cases").status_code == 200  # each request keeps it alive
    clock.advance(dt.timedelta(minutes=29))
    assert client.get("/cases").status_code == 200
    clock.advance(dt.timedelta(minutes=31))
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"


def test_a_session_ends_after_12_hours_however_busy(client: TestClient, clock: FixedClock, users) -> None:
    signed_in_as(client, "olive")
    for _ in range(28):  # 11 h 40 min of steady use
        clock.advance(dt.timedelta(minutes=25))
        assert client.get("/cases").status_code == 200
    clock.advance(dt.timedelta(minutes=25))
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"


def test_a_revoked_user_cannot_sign_in_and_is_signed_out(client: TestClient, container: Services, users) -> None:
    signed_in_as(client, "olive")
    with transaction(container.new_session) as session:
        revoke_user(session, username="olive", clock=container.clock)
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"
    assert sign_in(client, "olive").status_code == 400


def test_repeated_failures_slow_down_then_lock_out_even_the_right_password(
    client: TestClient, clock: FixedClock, users
) -> None:
    # Here 3 failures a minute slow an address down, and 5 within 10 minutes lock it out.
    for _ in range(3):
        assert sign_in(client, "olive", "guess number one").status_code == 400
    slowed = sign_in(client, "olive")
    assert slowed.status_code == 429 and "Too many failed sign-ins" in slowed.text
    clock.advance(dt.timedelta(minutes=1))
    assert sign_in(client, "olive", "guess number two").status_code == 400
    assert sign_in(client, "olive", "guess number three").status_code == 429  # the fifth: locked out
    clock.advance(dt.timedelta(minutes=5))
    assert sign_in(client, "olive").status_code == 429  # still locked out, the right password too
    clock.advance(dt.timedelta(minutes=15))
    assert sign_in(client, "olive").status_code == 303


def test_the_password_command_sets_a_password_that_signs_in(client: TestClient, container: Services, users) -> None:
    result = CliRunner().invoke(user_command, ["password", "maya"], input="a brand new passphrase\n", obj=container)
    assert result.exit_code == 0, result.output
    assert sign_in(client, "maya", "a brand new passphrase").status_code == 303
    assert sign_in(client, "maya", PASSWORD).status_code == 400
    with container.new_session() as session:
        maya = session.exec(select(User).where(User.username == "maya")).one()
        assert maya.password_hash is not None and maya.password_hash.startswith("$argon2id$")
        assert "a brand new" not in maya.password_hash
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.password_set")).all()


def test_a_short_password_is_refused(container: Services, users) -> None:
    result = CliRunner().invoke(user_command, ["password", "maya"], input="short\n", obj=container)
    assert result.exit_code != 0
    assert "12 to 256 characters" in str(result.exception)


def test_a_new_password_ends_the_users_sessions(client: TestClient, container: Services, users) -> None:
    signed_in_as(client, "olive")
    CliRunner().invoke(user_command, ["password", "olive"], input="another fine passphrase\n", obj=container)
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"


def test_over_https_the_session_cookie_is_secure(container: Services, users) -> None:
    with TestClient(create_app(container), base_url="https://testserver") as client:
        token = form_token(client.get("/").text)
        form = {"username": "olive", "password": PASSWORD, "csrf_token": token}
        answer = client.post("/sign-in", data=form, headers={"Origin": "https://testserver"}, follow_redirects=False)
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]
