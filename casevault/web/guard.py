"""Who is signed in, and whether a form may change anything.

A signed-in browser carries the session cookie (``casevault.core.web_sessions`` keeps the
session). Every form carries a CSRF token: the session's own, or, on the sign-in form
before there is a session, the value of a short-lived cookie set with the form (a
login CSRF must not sign a victim in as the attacker). A state change is refused unless
the token matches and the ``Origin`` header names this site: pages are served with
``Referrer-Policy: same-origin``, so browsers send it on our own forms.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import unicodedata
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from casevault.app.services import Services
from casevault.core import web_sessions
from casevault.core.db import transaction
from casevault.core.web_sessions import SignedIn

SESSION_COOKIE = "casevault_session"
SIGN_IN_COOKIE = "casevault_sign_in"  # the sign-in form's CSRF token
SIGN_IN_FORM_SECONDS = 3600


class SignInRequired(Exception):
    """Answered with a redirect to the sign-in page."""


class FormRefused(Exception):
    """A state change without a matching CSRF token or from another origin: answered 403."""


class UnstorableText(Exception):
    """A form field holding a control character: answered 422 with an error summary naming it."""

    def __init__(self, field: str, codes: str) -> None:
        super().__init__(field)
        self.field = field
        self.codes = codes


# Line breaks and tabs are text; every other control character (NUL above all, which
# PostgreSQL cannot store) and half a surrogate pair (which no database can encode) is not.
TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")


def unstorable_characters(text: str) -> str:
    """The control characters and lone surrogates in ``text``, as "U+0000, U+D800"; "" if none."""
    refused = sorted(
        {
            char
            for char in text
            if char not in TEXT_CONTROLS_ALLOWED
            and (unicodedata.category(char) == "Cc" or "\ud800" <= char <= "\udfff")
        }
    )
    return ", ".join(f"U+{ord(char):04X}" for char in refused)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")  # what a page's form may be sent as


def is_upload(path: str) -> bool:
    """The upload form's address (/cases/{id}/documents): its body is streamed and capped by its
    own route, not by the body limit, and not read here."""
    parts = path.split("/")
    return len(parts) == 4 and parts[1] == "cases" and parts[3] == "documents"


async def plain_form(request: Request) -> None:
    """A router dependency of the pages: a form field or query parameter (or its name) holding
    a control character is refused before any page reads it, whatever the page, however the
    form is encoded. The document upload form is streamed by its own route and not read here."""
    _refuse_unstorable(request.query_params.multi_items())
    if request.method != "POST" or is_upload(request.url.path):
        return
    if request.headers.get("content-type", "").split(";")[0].strip().lower() not in FORM_TYPES:
        return
    form = await request.form()  # cached: the page's own reading gets the same form
    _refuse_unstorable(form.multi_items())


def _refuse_unstorable(items: list[tuple[str, Any]]) -> None:
    for key, value in items:
        for text in (key, value):
            if isinstance(text, str) and (codes := unstorable_characters(text)):
                named = key[:100] if text is value and not unstorable_characters(key) else "a field's name"
                raise UnstorableText(named, codes)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def idle_limit(services: Services) -> dt.timedelta:
    return dt.timedelta(minutes=services.settings.session_idle_minutes)


def current(request: Request) -> SignedIn | None:
    """The signed-in user of this request, or None; each request counts as activity."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    services = services_of(request)
    with transaction(services.new_session) as session:
        return web_sessions.resume(session, session_id=session_id, idle=idle_limit(services), clock=services.clock)


def signed_in(request: Request) -> SignedIn:
    found = current(request)
    if found is None:
        raise SignInRequired
    return found


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def from_this_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is not None and origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


def check_form(request: Request, *, expected: str | None, sent: str | None) -> None:
    """Refuse the state change unless the form's token is the expected one and the
    request comes from a page of this site."""
    matches = expected is not None and sent is not None and hmac.compare_digest(expected.encode(), sent.encode())
    if not (matches and from_this_site(request)):
        raise FormRefused


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(32)
