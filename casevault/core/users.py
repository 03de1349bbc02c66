"""Users and their bearer tokens.

Tokens are 256 random bits, shown once and stored only as a SHA-256 hash:
with that much entropy a fast hash is enough, and lookup stays one index probe.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlmodel import Session, select

from casevault.core.clock import Clock
from casevault.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from casevault.core.models import Role, User

TOKEN_PREFIX = "cv_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, *, username: str, role: Role, clock: Clock) -> tuple[User, str]:
    """Add a user; returns the user and its token (the only time it is visible)."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            "usernames are 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="username",
        )
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"user {username!r} exists already; revoke it first or pick another name")
    token = new_token()
    user = User(username=username, role=role, token_hash=hash_token(token), created_at=clock.now())
    session.add(user)
    session.flush()
    return user, token


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def replace_token(session: Session, *, username: str) -> tuple[User, str]:
    """A new token for an active user; the old one stops working with this commit."""
    user = _named(session, username)
    if user.revoked_at is not None:
        raise Conflict(f"user {username!r} is revoked; `casevault user reactivate {username}` gives a new token")
    token = new_token()
    user.token_hash = hash_token(token)
    session.add(user)
    return user, token


def reactivate_user(session: Session, *, username: str) -> tuple[User, str]:
    """Let a revoked user back in, with a new token (the old one never works again)."""
    user = _named(session, username)
    if user.revoked_at is None:
        raise Conflict(f"user {username!r} is active; `casevault user token {username}` replaces its token")
    token = new_token()
    user.token_hash, user.revoked_at = hash_token(token), None
    session.add(user)
    return user, token


def _named(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user called {username!r}")
    return user


def revoke_user(session: Session, *, username: str, clock: Clock) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user called {username!r}")
    if user.revoked_at is None:
        user.revoked_at = clock.now()
        session.add(user)
    return user


def authenticate(session: Session, *, token: str) -> User:
    user = session.exec(select(User).where(User.token_hash == hash_token(token))).first()
    if user is None or user.revoked_at is not None:
        raise Unauthenticated("the bearer token is not valid; ask an admin for a new one")
    return user


def find_user(session: Session, *, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or user.revoked_at is not None:
        raise InvalidInput(f"no active user called {username!r}", field="assigned_officer")
    return user
