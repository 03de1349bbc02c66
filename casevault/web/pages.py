"""The pages: signing in and out, My cases, a case, the admin home, the accessibility
statement, and the not-found page. Each route reads who is signed in (``guard``),
calls the same casework rules as the API, and renders a template."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from casevault.core import audit, casework, web_sessions
from casevault.core.auth_failures import note_failure, wait_before_trying
from casevault.core.db import transaction
from casevault.core.errors import Unauthenticated
from casevault.core.models import Role, User
from casevault.core.web_sessions import SignedIn
from casevault.web import guard
from casevault.web.guard import SignedInDep

CASES_PER_PAGE = 25
LARGEST_ID = 2_147_483_647
UNKNOWN_ADDRESS = "unknown"

router = APIRouter(include_in_schema=False)


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.web_templates
    return found


def render(request: Request, name: str, signed_in: SignedIn | None, status_code: int = 200, **context: Any) -> Response:
    context.update(signed_in=signed_in, asset_version=request.app.state.web_asset_version)
    response = templates(request).TemplateResponse(request, name, context, status_code=status_code)
    # Our own URLs travel with our own forms (the Origin header the CSRF check reads), never to other sites.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def not_found(request: Request, signed_in: SignedIn | None = None) -> Response:
    return render(request, "not_found.html", signed_in, status_code=404)


def home_of(user: User) -> str:
    return "/admin" if user.role == Role.admin else "/cases"


def client_address(request: Request) -> str:
    return request.client.host[:64] if request.client else UNKNOWN_ADDRESS


# --- signing in and out ---------------------------------------------------------------


@router.get("/")
def sign_in_page(request: Request) -> Response:
    signed_in = guard.current(request)
    if signed_in is not None:
        return RedirectResponse(home_of(signed_in.user), status_code=303)
    return _sign_in_form(request)


def _sign_in_form(
    request: Request, *, username: str = "", errors: dict[str, str] | None = None, status_code: int = 200
) -> Response:
    token = request.cookies.get(guard.SIGN_IN_COOKIE) or guard.new_sign_in_token()  # one for every open tab
    errors = errors or {}
    error_list = [{"text": text, "href": f"#{field}"} for field, text in errors.items()]  # the error summary's links
    response = render(
        request,
        "sign_in.html",
        None,
        status_code=status_code,
        username=username,
        errors=errors,
        error_list=error_list,
        form_token=token,
    )
    guard.set_cookie(request, response, guard.SIGN_IN_COOKIE, token, max_age=guard.SIGN_IN_FORM_SECONDS)
    return response


@router.get("/sign-in")
def sign_in_address(request: Request) -> Response:
    """After a refused sign-in the address bar shows /sign-in: opening it again shows the form."""
    return RedirectResponse("/", status_code=303)


@router.post("/sign-in")
def sign_in(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=request.cookies.get(guard.SIGN_IN_COOKIE), sent=csrf_token)
    username = username.strip()
    errors = {}
    if not username:
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return _sign_in_form(request, username=username, errors=errors, status_code=400)

    services = guard.services_of(request)
    address = client_address(request)
    with transaction(services.new_session) as session:
        wait = wait_before_trying(session, address=address, clock=services.clock, limits=services.failure_limits)
        if wait is None:
            try:
                user = web_sessions.check_password(session, username=username, password=password)
            except Unauthenticated:
                user = None
                wait = note_failure(session, address=address, clock=services.clock, limits=services.failure_limits)
        if wait is not None:
            minutes = math.ceil(wait / 60)
            message = f"Too many failed sign-ins from this network; try again in {minutes} minute{'s' * (minutes > 1)}"
            return _sign_in_form(request, username=username, errors={"username": message}, status_code=429)
        if user is None:
            message = "Enter a correct username and password"
            return _sign_in_form(request, username=username, errors={"username": message}, status_code=400)
        if previous := request.cookies.get(guard.SESSION_COOKIE):
            web_sessions.end(session, session_id=previous)  # whoever this browser was signed in as before
        session_id, _ = web_sessions.start(session, user=user, clock=services.clock)
        web_sessions.remove_ended(session, idle=guard.idle_limit(services), clock=services.clock)
        audit.record(session, clock=services.clock, actor=audit.actor_of(user), action="web.sign_in")
        home = home_of(user)

    response = RedirectResponse(home, status_code=303)
    guard.set_cookie(request, response, guard.SESSION_COOKIE, session_id)  # a new id at every sign-in
    response.delete_cookie(guard.SIGN_IN_COOKIE, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, signed_in: SignedInDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    services = guard.services_of(request)
    with transaction(services.new_session) as session:
        web_sessions.end(session, session_id=request.cookies[guard.SESSION_COOKIE])
        audit.record(session, clock=services.clock, actor=audit.actor_of(signed_in.user), action="web.sign_out")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(guard.SESSION_COOKIE, path="/")
    return response


# --- casework -------------------------------------------------------------------------


@router.get("/cases")
def my_cases(request: Request, signed_in: SignedInDep, page: str = "1") -> Response:
    user = signed_in.user
    if user.role == Role.admin:
        return RedirectResponse("/admin", status_code=303)
    number = int(page) if page.isdigit() and len(page) <= 6 else 0  # isdigit: ASCII and Unicode digits
    if number < 1:
        return not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        offset = (number - 1) * CASES_PER_PAGE
        found = casework.list_cases(
            session, user=user, where=casework.CaseFilter(), after=None, limit=CASES_PER_PAGE, offset=offset
        )
    if number > 1 and not found:
        return not_found(request, signed_in)
    return render(
        request,
        "cases.html",
        signed_in,
        cases=found[:CASES_PER_PAGE],
        page=number,
        has_next=len(found) > CASES_PER_PAGE,
        sees_every_case=user.role == Role.manager,
    )


# A case and the rest of casework: casevault.web.officer_pages.


# --- the rest -------------------------------------------------------------------------


@router.get("/admin")
def admin_home(request: Request, signed_in: SignedInDep) -> Response:
    if signed_in.user.role != Role.admin:
        return not_found(request, signed_in)
    return render(request, "admin.html", signed_in)


@router.get("/accessibility")
def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html", guard.current(request))
