"""Single sign-on to the web pages by OpenID Connect (the authorization code flow), when
``CASEVAULT_OIDC_ISSUER`` is set.

``/sign-in/sso`` sends the browser to the provider with a random ``state`` and ``nonce``,
kept in a short-lived HttpOnly, SameSite=Lax cookie of ours (no session middleware): the
callback takes them only from that cookie, so a state the browser was not given, or one
used before (the cookie is cleared), is refused. The callback exchanges the code, checks
the ID token (signature by a key of the provider's JWKS, iss, aud, exp, nonce), and signs
in the casevault user named by the username claim, with the same server-side session as a
password sign-in. Users are never created here: an unknown name, a revoked user, or a role
claim that is not the user's stored role is refused (an admin changes the role), and every
refusal counts towards the address's lockout like a wrong password.
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import APIRouter, Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import Session, select
from starlette.responses import RedirectResponse, Response

from casevault.app.services import Services
from casevault.core import audit, web_sessions
from casevault.core.auth_failures import note_failure, wait_before_trying
from casevault.core.db import transaction
from casevault.core.models import Role, User
from casevault.core.settings import Settings
from casevault.web import guard, pages

SSO_COOKIE = "casevault_sso"  # "<state>.<nonce>" between /sign-in/sso and its callback
SSO_SECONDS = 600
PROVIDER_TIMEOUT = 10.0
SIGNING_ALGORITHMS = ["RS256", "PS256", "ES256"]  # never "none" nor a shared-secret HS256
LEEWAY_SECONDS = 60  # clocks of casevault and the provider may differ a little

# What the sign-in page says for each refusal; the audit log keeps only the code.
WHY_REFUSED = {
    "unknown_user": "Your organisation's account has no casevault user; ask an admin to add you",
    "revoked": "Your casevault user is no longer active; ask an admin",
    "role_mismatch": "Your organisation gives you a different role from your casevault user's; ask an admin",
}
DID_NOT_WORK = "Signing in with your organisation's account did not work; try again"

router = APIRouter(include_in_schema=False)
_discovered: dict[str, dict[str, Any]] = {}  # issuer -> its discovery document, fetched once


class Refused(Exception):
    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user


@dataclass(frozen=True)
class Claims:
    username: str
    role: str


@router.get("/sign-in/sso")
def start_sso(request: Request) -> Response:
    settings = guard.services_of(request).settings
    if not settings.sso_enabled:
        return pages.not_found(request)
    try:
        endpoint = discovery(settings)["authorization_endpoint"]
    except (httpx.HTTPError, KeyError, ValueError):
        return _refused_page(request, "provider_unavailable", status_code=502)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with _client(request, settings) as client:
        url, _ = client.create_authorization_url(endpoint, state=state, nonce=nonce)
    response = RedirectResponse(url, status_code=303)
    guard.set_cookie(request, response, SSO_COOKIE, f"{state}.{nonce}", max_age=SSO_SECONDS)
    return response


@router.get("/sign-in/sso/callback", name="sso_callback")
def finish_sso(request: Request) -> Response:
    services = guard.services_of(request)
    if not services.settings.sso_enabled:
        return pages.not_found(request)
    address = pages.client_address(request)
    with transaction(services.new_session) as session:
        wait = wait_before_trying(session, address=address, clock=services.clock, limits=services.failure_limits)
    if wait is not None:
        return _too_many(request, wait)
    try:
        claims = _checked_claims(request, services.settings)  # the provider's answers, outside any transaction
    except Refused as refusal:
        return _refuse(request, services, refusal)
    with transaction(services.new_session) as session:
        try:
            user = _user_for(session, claims)
        except Refused as refusal:
            problem = refusal  # audited in a transaction of its own, which nothing else can roll back
        else:
            return _sign_in(request, services, session, user)
    return _refuse(request, services, problem)


# --- the provider ---------------------------------------------------------------------


def discovery(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document, fetched once per process."""
    issuer = str(settings.oidc_issuer).rstrip("/")
    if issuer not in _discovered:
        answer = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=PROVIDER_TIMEOUT)
        answer.raise_for_status()
        document = answer.json()
        if document.get("issuer", "").rstrip("/") != issuer:  # OpenID Connect Discovery 1.0, section 4.3
            raise ValueError("the discovery document names another issuer")
        _discovered[issuer] = document
    return _discovered[issuer]


def _client(request: Request, settings: Settings) -> OAuth2Client:
    return OAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scope="openid profile",
        redirect_uri=str(request.url_for("sso_callback")),
        timeout=PROVIDER_TIMEOUT,
    )


def _checked_claims(request: Request, settings: Settings) -> Claims:
    """The username and role of a valid answer from the provider, or ``Refused``."""
    state, _, nonce = request.cookies.get(SSO_COOKIE, "").partition(".")
    sent_state = request.query_params.get("state", "")
    if not (state and nonce and hmac.compare_digest(state.encode(), sent_state.encode())):
        raise Refused("state_mismatch")
    code = request.query_params.get("code")
    if not code or "error" in request.query_params:
        raise Refused("provider_refused")
    try:
        document = discovery(settings)
        with _client(request, settings) as client:
            token = client.fetch_token(document["token_endpoint"], code=code, state=state)
            keys = client.get(document["jwks_uri"])
            keys.raise_for_status()
    except AuthlibBaseError:  # the provider answered the code with an error
        raise Refused("provider_refused") from None
    except (httpx.HTTPError, KeyError, ValueError, JoseError):
        raise Refused("provider_unavailable") from None
    return _claims_of(token.get("id_token"), keys.json(), settings, nonce=nonce)


def _claims_of(id_token: object, key_set: Any, settings: Settings, *, nonce: str) -> Claims:
    if not isinstance(id_token, str):
        raise Refused("id_token_invalid")
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": str(settings.oidc_issuer).rstrip("/")},
        aud={"essential": True, "value": str(settings.oidc_client_id)},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        claims = jwt.decode(id_token, KeySet.import_key_set(key_set), algorithms=SIGNING_ALGORITHMS).claims
        registry.validate(claims)
    except (JoseError, ValueError, TypeError):
        raise Refused("id_token_invalid") from None
    username, role = claims.get(settings.oidc_username_claim), claims.get(settings.oidc_role_claim)
    if not isinstance(username, str) or not username or not isinstance(role, str):
        raise Refused("claims_missing")
    return Claims(username=username, role=role)


# --- casevault's side -----------------------------------------------------------------


def _user_for(session: Session, claims: Claims) -> User:
    user = session.exec(select(User).where(User.username == claims.username)).first()
    if user is None:
        raise Refused("unknown_user")
    if user.revoked_at is not None:
        raise Refused("revoked", user)
    if claims.role not in {role.value for role in Role} or Role(claims.role) != user.role:
        raise Refused("role_mismatch", user)  # refused, never changed here: an admin decides a role
    return user


def _sign_in(request: Request, services: Services, session: Session, user: User) -> Response:
    """As the password sign-in does: a new session id, the browser's earlier session ended."""
    if previous := request.cookies.get(guard.SESSION_COOKIE):
        web_sessions.end(session, session_id=previous)
    session_id, _ = web_sessions.start(session, user=user, clock=services.clock)
    web_sessions.remove_ended(session, idle=guard.idle_limit(services), clock=services.clock)
    audit.record(
        session, clock=services.clock, actor=audit.actor_of(user), action="web.sign_in", details={"method": "sso"}
    )
    response = RedirectResponse(pages.home_of(user), status_code=303)
    guard.set_cookie(request, response, guard.SESSION_COOKIE, session_id)
    response.delete_cookie(SSO_COOKIE, path="/")
    return response


def _refuse(request: Request, services: Services, refusal: Refused) -> Response:
    """Audit the refusal (the user's id when we know one, never a name) and count it."""
    address = pages.client_address(request)
    with transaction(services.new_session) as session:
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(refusal.user) if refusal.user else "anonymous",
            action="web.sign_in",
            outcome="refused",
            details={"method": "sso", "reason": refusal.reason},
        )
        wait = note_failure(session, address=address, clock=services.clock, limits=services.failure_limits)
    if wait is not None:
        return _too_many(request, wait)
    status_code = 403 if refusal.reason in WHY_REFUSED else 400
    return _refused_page(request, refusal.reason, status_code=status_code)


def _too_many(request: Request, wait: int) -> Response:
    minutes = math.ceil(wait / 60)
    message = f"Too many failed sign-ins from this network; try again in {minutes} minute{'s' * (minutes > 1)}"
    return _page_saying(request, message, status_code=429)


def _refused_page(request: Request, reason: str, *, status_code: int) -> Response:
    return _page_saying(request, WHY_REFUSED.get(reason, DID_NOT_WORK), status_code=status_code)


def _page_saying(request: Request, message: str, *, status_code: int) -> Response:
    response = pages._sign_in_form(request, errors={"sso": message}, status_code=status_code)
    response.delete_cookie(SSO_COOKIE, path="/")  # a state is used once
    return response
