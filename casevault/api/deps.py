"""Request-scoped dependencies: the transaction, the caller, the audit trail.

Every endpoint but the probes (/healthz, /readyz, /metrics) declares the roles it allows with ``allow(...)``;
a test walks the app's routes to hold us to that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from casevault.api.refusals import refuse_unauthenticated
from casevault.app.services import Services
from casevault.core import audit
from casevault.core.db import transaction
from casevault.core.errors import Forbidden, Unauthenticated
from casevault.core.models import Role, User
from casevault.core.users import authenticate


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _session(request: Request) -> Iterator[Session]:
    # scope="function": the commit happens before the response is sent, so a
    # client never sees 201 for a change that failed to commit.
    with transaction(get_services(request).new_session) as session:
        yield session


SessionDep = Annotated[Session, Depends(_session, scope="function")]
ServicesDep = Annotated[Services, Depends(get_services)]


def allow(*roles: Role) -> Callable[..., User]:
    """A dependency that admits a valid bearer token holding one of ``roles``."""
    names = ", ".join(sorted(role.value for role in roles))

    def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> User:
        try:
            user = _authenticated(request, authorization)
        except Unauthenticated as refusal:
            raise refuse_unauthenticated(request, refusal) from None
        request.state.actor = audit.actor_of(user)  # a plain string: survives the rollback of a refused request
        if user.role not in roles:
            raise Forbidden(f"this needs the role {names}; you are {user.role.value}")
        return user

    caller.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]  # read back by the test that every route declares its roles
    return caller


def _authenticated(request: Request, authorization: str | None) -> User:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send 'Authorization: Bearer <token>'; ask an admin for a token")
    # A session of its own, closed at once: routes that stream a large body
    # must not hold a transaction (on SQLite, the write lock) while they read.
    with get_services(request).new_session() as session:
        return authenticate(session, token=token.strip())


Officer = Annotated[User, Depends(allow(Role.officer, Role.manager))]
Manager = Annotated[User, Depends(allow(Role.manager))]
Auditor = Annotated[User, Depends(allow(Role.manager, Role.admin))]


def record(
    session: Session,
    services: Services,
    user: User,
    action: str,
    *,
    subject_type: str | None = None,
    subject_id: int | str | None = None,
    **details: int | str | bool | None,
) -> None:
    audit.record(
        session,
        clock=services.clock,
        actor=audit.actor_of(user),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
    )
