"""Single sign-on by OpenID Connect, against a small provider these tests start on a
loopback port: its discovery document, its key set, an authorize endpoint that sends the
browser straight back with a code for the user the test chose, and a token endpoint
answering an RS256-signed ID token. The browser's part is played by hand: TestClient for
casevault, httpx for the provider."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from selenium.webdriver.common.by import By
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Role, User
from casevault.core.settings import Settings, load_settings
from casevault.core.users import revoke_user
from tests.web_browser import CHROMEDRIVER, CHROMIUM, check_page, chromium, serving, wait_for_heading, wait_until

CLIENT_ID = "casevault-test"


def _rsa_key() -> Any:
    return RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4)})


@dataclass
class Provider:
    """What the provider will say next; each test sets it, the fixture resets it."""

    issuer: str = ""
    key: Any = field(default_factory=_rsa_key)  # published in the JWKS
    signing_key: Any = None  # signs the ID tokens; the published key unless a test forges
    claims: dict[str, Any] = field(default_factory=dict)
    nonce: str | None = None  # a nonce other than the one the request carried
    codes: dict[str, str] = field(default_factory=dict)  # code -> the nonce of its request

    def id_token(self, nonce: str) -> str:
        key = self.signing_key or self.key
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "someone", "iat": now, "exp": now + 300}
        payload.update(nonce=self.nonce or nonce, **self.claims)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, payload, key)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    {
                        "issuer": provider.issuer,
                        "authorization_endpoint": f"{provider.issuer}/authorize",
                        "token_endpoint": f"{provider.issuer}/token",
                        "jwks_uri": f"{provider.issuer}/jwks",
                    }
                )
            elif url.path == "/jwks":
                self._json({"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize":
                code = secrets.token_urlsafe(16)
                provider.codes[code] = query["nonce"]
                back = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': code, 'state': query['state']})}"
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()
            else:
                self.send_error(404)

        def do_POST(self) -> None:
            form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
            nonce = provider.codes.pop(form.get("code", ""), None)
            if self.path != "/token" or nonce is None or "Authorization" not in self.headers:
                self._json({"error": "invalid_grant"}, status=400)
                return
            self._json({"access_token": "x", "token_type": "Bearer", "id_token": provider.id_token(nonce)})

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # the base class's name
            pass

    return Handler


@pytest.fixture(scope="module")
def running_provider() -> Iterator[Provider]:
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def provider(running_provider: Provider) -> Provider:
    running_provider.signing_key = None
    running_provider.nonce = None
    running_provider.claims = {"preferred_username": "olive", "casevault_role": "officer"}
    return running_provider


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str, provider: Provider) -> Settings:
    """SSO on, unless a test asks for ``settings`` with ``False``."""
    sso = {"oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": "s3cret"}
    return load_settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        auth_failures_per_minute=3,
        auth_lockout_failures=5,
        **(sso if getattr(request, "param", True) else {}),
    )


def sso_sign_in(client: TestClient) -> httpx.Response:
    """As a browser: to the provider and back; returns casevault's answer to the callback."""
    client.cookies.clear()
    to_provider = client.get("/sign-in/sso", follow_redirects=False)
    assert to_provider.status_code == 303, to_provider.text
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    return client.get(back.headers["location"], follow_redirects=False)


def sign_ins(services: Services) -> list[AuditEvent]:
    with services.new_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == "web.sign_in")).all())


def test_the_sign_in_page_offers_the_organisations_account(client: TestClient) -> None:
    page = client.get("/")
    assert 'href="/sign-in/sso"' in page.text and "Sign in with your organisation's account" in page.text


def test_an_officer_signs_in_with_her_organisations_account(
    client: TestClient, container: Services, users: dict[str, User]
) -> None:
    answer = sso_sign_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/cases"
    assert "casevault_session=" in answer.headers["set-cookie"]
    assert "My cases" in client.get("/cases").text
    [event] = sign_ins(container)
    assert event.actor == f"user:{users['officer'].id}" and event.outcome == "ok"
    assert json.loads(event.details or "{}") == {"method": "sso"}


def test_a_manager_keeps_his_role(client: TestClient, provider: Provider, users: dict[str, User]) -> None:
    provider.claims = {"preferred_username": "maya", "casevault_role": "manager"}
    assert sso_sign_in(client).headers["location"] == "/cases"
    assert "/manager" in client.get("/cases").text


def test_an_admin_lands_on_the_admin_home(client: TestClient, provider: Provider, users: dict[str, User]) -> None:
    provider.claims = {"preferred_username": "adam", "casevault_role": "admin"}
    assert sso_sign_in(client).headers["location"] == "/admin"
    assert client.get("/admin").status_code == 200
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/admin"  # no casework


def refused_as(answer: httpx.Response, services: Services, reason: str, actor: str = "anonymous") -> None:
    assert answer.status_code in (400, 403), answer.text
    assert "casevault_session=" not in answer.headers.get("set-cookie", "")
    [event] = sign_ins(services)
    details = json.loads(event.details or "{}")
    assert (event.actor, event.outcome, details) == (actor, "refused", {"method": "sso", "reason": reason})


def test_an_unknown_username_is_sent_to_an_admin(
    client: TestClient, container: Services, provider: Provider, users: dict[str, User]
) -> None:
    provider.claims = {"preferred_username": "stranger", "casevault_role": "officer"}
    answer = sso_sign_in(client)
    assert "ask an admin to add you" in answer.text
    refused_as(answer, container, "unknown_user")
    assert "stranger" not in str(sign_ins(container)[0].details)
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/"


def test_a_revoked_user_is_refused(client: TestClient, container: Services, users: dict[str, User]) -> None:
    with transaction(container.new_session) as session:
        revoke_user(session, username="olive", clock=container.clock)
    refused_as(sso_sign_in(client), container, "revoked", actor=f"user:{users['officer'].id}")


@pytest.mark.parametrize("claimed", ["manager", "admin", "superuser"])
def test_a_role_other_than_the_users_is_refused(
    client: TestClient, container: Services, provider: Provider, users: dict[str, User], claimed: str
) -> None:
    provider.claims = {"preferred_username": "olive", "casevault_role": claimed}
    answer = sso_sign_in(client)
    assert "different role" in answer.text
    refused_as(answer, container, "role_mismatch", actor=f"user:{users['officer'].id}")
    with container.new_session() as session:
        assert session.get(User, users["officer"].id).role == Role.officer  # type: ignore[union-attr]


def test_an_id_token_signed_by_another_key_is_refused(
    client: TestClient, container: Services, provider: Provider, users: dict[str, User]
) -> None:
    provider.signing_key = _rsa_key()
    refused_as(sso_sign_in(client), container, "id_token_invalid")


def test_a_nonce_other_than_ours_is_refused(
    client: TestClient, container: Services, provider: Provider, users: dict[str, User]
) -> None:
    provider.nonce = "not-the-one-we-sent"
    refused_as(sso_sign_in(client), container, "id_token_invalid")


def test_a_state_is_used_once_and_only_by_its_browser(
    client: TestClient, container: Services, users: dict[str, User]
) -> None:
    client.cookies.clear()
    to_provider = client.get("/sign-in/sso", follow_redirects=False)
    callback = httpx.get(to_provider.headers["location"], follow_redirects=False).headers["location"]
    assert client.get(callback, follow_redirects=False).status_code == 303
    replayed = client.get(callback, follow_redirects=False)  # the state's cookie is gone
    client.cookies.clear()
    other_browser = client.get(callback, follow_redirects=False)
    assert replayed.status_code == other_browser.status_code == 400
    reasons = [json.loads(event.details or "{}").get("reason") for event in sign_ins(container)]
    assert reasons == [None, "state_mismatch", "state_mismatch"]


def test_failed_attempts_lock_the_address_out(client: TestClient, provider: Provider, users: dict[str, User]) -> None:
    provider.claims = {"preferred_username": "olive", "casevault_role": "admin"}
    answers = [sso_sign_in(client).status_code for _ in range(5)]
    assert answers[-1] == 429
    provider.claims = {"preferred_username": "olive", "casevault_role": "officer"}
    locked = sso_sign_in(client)
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text


def test_a_code_the_provider_refuses_is_refused(
    client: TestClient, container: Services, provider: Provider, users: dict[str, User]
) -> None:
    client.cookies.clear()
    to_provider = client.get("/sign-in/sso", follow_redirects=False)
    callback = httpx.get(to_provider.headers["location"], follow_redirects=False).headers["location"]
    provider.codes.clear()  # as if the code had expired at the provider
    answer = client.get(callback, follow_redirects=False)
    assert "did not work; try again" in answer.text
    refused_as(answer, container, "provider_refused")


def test_a_provider_sending_an_error_back_is_refused(
    client: TestClient, container: Services, users: dict[str, User]
) -> None:
    client.cookies.clear()
    to_provider = client.get("/sign-in/sso", follow_redirects=False)
    state = dict(httpx.URL(to_provider.headers["location"]).params)["state"]
    answer = client.get(f"/sign-in/sso/callback?error=access_denied&state={state}", follow_redirects=False)
    refused_as(answer, container, "provider_refused")


@pytest.mark.parametrize("settings", [False], indirect=True)
def test_without_sso_there_is_no_button_and_no_route(client: TestClient) -> None:
    assert "/sign-in/sso" not in client.get("/").text
    for path in ("/sign-in/sso", "/sign-in/sso/callback?code=x&state=y"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 404 and "Page not found" in answer.text


def test_an_issuer_needs_a_client(tmp_path: Path) -> None:
    from casevault.core.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="CASEVAULT_OIDC_CLIENT_ID"):
        load_settings(data_dir=tmp_path, oidc_issuer="https://id.example.org")
    with pytest.raises(ConfigurationError, match="CASEVAULT_OIDC_CLIENT_SECRET"):
        load_settings(data_dir=tmp_path, oidc_issuer="https://id.example.org", oidc_client_id="casevault")
    with pytest.raises(ConfigurationError, match="CASEVAULT_OIDC_ISSUER must be an https:// URL"):
        load_settings(
            data_dir=tmp_path, oidc_issuer="http://id.example.org", oidc_client_id="c", oidc_client_secret="s"
        )


@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None, reason="needs Debian's chromium and chromium-driver")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.slow
def test_in_a_browser_the_button_signs_in_and_a_refusal_says_why(
    container: Services, provider: Provider, users: dict[str, User]
) -> None:
    with serving(container) as server, chromium() as browser:
        browser.get(f"{server}/")
        wait_for_heading(browser, "Sign in")
        check_page(browser)  # the sign-in page with its single sign-on button
        provider.claims = {"preferred_username": "stranger", "casevault_role": "officer"}
        browser.find_element(By.LINK_TEXT, "Sign in with your organisation's account").click()
        wait_until(browser, lambda page: page.find_elements(By.CLASS_NAME, "govuk-error-summary"))
        summary = browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
        assert "ask an admin to add you" in summary
        check_page(browser)  # with its error summary

        provider.claims = {"preferred_username": "olive", "casevault_role": "officer"}
        browser.find_element(By.LINK_TEXT, "Sign in with your organisation's account").click()
        wait_for_heading(browser, "My cases")
