"""Admins' pages: the users (add one, set a password, revoke, a new API token shown once).

They call the functions ``casevault user`` calls (``core.users``, ``core.web_sessions``)
and audit alike, naming the admin as the actor. Anyone but an admin gets the not-found
page. Admins read the audit log on the page managers use (``manager_pages.audit_log``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlmodel import col, select
from starlette.responses import RedirectResponse, Response

from casevault.core import audit, web_sessions
from casevault.core.errors import CasevaultError
from casevault.core.models import Role, User
from casevault.core.users import create_user, replace_token, revoke_user
from casevault.core.web_sessions import SignedIn
from casevault.web import guard, pages
from casevault.web.guard import SignedInDep
from casevault.web.manager_pages import changing, form_page, number_in

router = APIRouter(include_in_schema=False)

ROLE_LABELS = {Role.officer: "Officer", Role.manager: "Manager", Role.admin: "Admin"}


def is_admin(signed_in: SignedIn) -> bool:
    return signed_in.user.role == Role.admin


def _record(session: Any, request: Request, admin: User, action: str, user: User, **details: str) -> None:
    services = guard.services_of(request)
    audit.record(
        session,
        clock=services.clock,
        actor=audit.actor_of(admin),
        action=action,
        subject_type="user",
        subject_id=user.id,
        details=details,
    )


def _user(request: Request, user_id: str, signed_in: SignedIn) -> User | None:
    number = number_in(user_id)
    if not is_admin(signed_in) or number is None:
        return None
    with guard.services_of(request).new_session() as session:
        return session.get(User, number)


@router.get("/admin/users")
def users(request: Request, signed_in: SignedInDep) -> Response:
    if not is_admin(signed_in):
        return pages.not_found(request, signed_in)
    with guard.services_of(request).new_session() as session:
        rows = session.exec(select(User).order_by(col(User.username))).all()
    return pages.render(request, "admin/users.html", signed_in, rows=rows, role_labels=ROLE_LABELS)


@router.get("/admin/users/new")
def add_form(request: Request, signed_in: SignedInDep) -> Response:
    if not is_admin(signed_in):
        return pages.not_found(request, signed_in)
    return form_page(request, "admin/user_new.html", signed_in, form={}, role_labels=ROLE_LABELS)


@router.post("/admin/users/new")
def add(
    request: Request,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    if not is_admin(signed_in):
        return pages.not_found(request, signed_in)
    form = {"username": username.strip()[:64], "role": role}
    errors = {}
    if not form["username"]:
        errors["username"] = "Enter a username"
    if role not in Role.__members__:
        errors["role"] = "Choose the user's role"
    if not errors:
        services = guard.services_of(request)
        try:
            with changing(request) as session:
                # The name as typed: cut to 64 characters it would add a user nobody asked for.
                created, token = create_user(session, username=username.strip(), role=Role(role), clock=services.clock)
                _record(session, request, signed_in.user, "user.create", created, role=role)
                user_id = created.id
        except CasevaultError as problem:
            errors["username"] = problem.detail
    if errors:
        return form_page(request, "admin/user_new.html", signed_in, errors=errors, form=form, role_labels=ROLE_LABELS)
    return _token_page(request, signed_in, username=form["username"], user_id=user_id, token=token, new=True)


def _token_page(
    request: Request, signed_in: SignedIn, *, username: str, user_id: int | None, token: str, new: bool
) -> Response:
    """The API token, shown only on this answer (never stored but as a hash, never kept by the browser)."""
    return pages.render(
        request, "admin/token.html", signed_in, username=username, user_id=user_id, token=token, new=new
    )


@router.get("/admin/users/{user_id}/password")
def password_form(request: Request, user_id: str, signed_in: SignedInDep) -> Response:
    user = _user(request, user_id, signed_in)
    if user is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "admin/password.html", signed_in, user=user)


@router.post("/admin/users/{user_id}/password")
def set_password(
    request: Request,
    user_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    user = _user(request, user_id, signed_in)
    if user is None:
        return pages.not_found(request, signed_in)
    errors = {}
    if not password:
        errors["password"] = "Enter a password"
    elif password != again:
        errors["again"] = "Enter the same password again"
    if not errors:
        try:
            with changing(request) as session:
                changed = web_sessions.set_password(session, username=user.username, password=password)
                _record(session, request, signed_in.user, "user.password_set", changed)
        except CasevaultError as problem:
            errors["password"] = problem.detail.capitalize()
    if errors:
        return form_page(request, "admin/password.html", signed_in, errors=errors, user=user)
    return RedirectResponse(f"/admin/users?done=password&user={user.id}", status_code=303)


@router.get("/admin/users/{user_id}/revoke")
def revoke_form(request: Request, user_id: str, signed_in: SignedInDep) -> Response:
    user = _user(request, user_id, signed_in)
    if user is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "admin/confirm.html", signed_in, user=user, what="revoke")


@router.post("/admin/users/{user_id}/revoke")
def revoke(
    request: Request,
    user_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    user = _user(request, user_id, signed_in)
    if user is None:
        return pages.not_found(request, signed_in)
    error = None
    if user.id == signed_in.user.id:
        error = "You cannot revoke yourself: ask another admin"
    elif confirm != "yes":
        error = f"Confirm that {user.username} may no longer sign in or use the API"
    else:
        services = guard.services_of(request)
        with changing(request) as session:
            revoked = revoke_user(session, username=user.username, clock=services.clock)
            web_sessions.end_sessions_of(session, user_id=revoked.id)  # type: ignore[arg-type]  # ids of stored rows are set
            _record(session, request, signed_in.user, "user.revoke", revoked)
    if error:
        return form_page(request, "admin/confirm.html", signed_in, errors={"confirm": error}, user=user, what="revoke")
    return RedirectResponse(f"/admin/users?done=revoke&user={user.id}", status_code=303)


@router.get("/admin/users/{user_id}/token")
def token_form(request: Request, user_id: str, signed_in: SignedInDep) -> Response:
    user = _user(request, user_id, signed_in)
    if user is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "admin/confirm.html", signed_in, user=user, what="token")


@router.post("/admin/users/{user_id}/token")
def new_token(
    request: Request,
    user_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    user = _user(request, user_id, signed_in)
    if user is None:
        return pages.not_found(request, signed_in)
    error = None
    token = ""
    if confirm != "yes":
        error = f"Confirm that {user.username}'s current token may stop working"
    else:
        try:
            with changing(request) as session:
                changed, token = replace_token(session, username=user.username)
                _record(session, request, signed_in.user, "user.token", changed)
        except CasevaultError as problem:
            error = problem.detail
    if error:
        return form_page(request, "admin/confirm.html", signed_in, errors={"confirm": error}, user=user, what="token")
    return _token_page(request, signed_in, username=user.username, user_id=user.id, token=token, new=False)
