"""Users and their bearer tokens, the one way tests make them."""

from __future__ import annotations

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Role, User
from casevault.core.users import create_user


def bearer(token: str) -> dict[str, str]:
    """The header an API client sends."""
    return {"Authorization": f"Bearer {token}"}


def new_user(services: Services, username: str, role: Role) -> tuple[User, dict[str, str]]:
    """A user, as `casevault user add` makes one, and the header carrying their token."""
    with transaction(services.new_session) as session:
        user, secret = create_user(session, username=username, role=role, clock=services.clock)
    return user, bearer(secret)


def token(services: Services, username: str, role: Role) -> dict[str, str]:
    """Only the header, for tests that need no more of the user."""
    return new_user(services, username, role)[1]
