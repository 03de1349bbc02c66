"""Signing in to the web pages: passwords and server-side sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second choice).
A session is a random id in the browser's cookie; the database keeps only its SHA-256
(256 random bits need no slow hash), the user, a CSRF token for its forms, and when it
started and was last used. A session ends at sign-out, after ``idle`` without a
request, after ``ABSOLUTE_LIMIT`` in any case, and when its user is revoked.

Services take a session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.errors import InvalidInput, NotFound, Unauthenticated
from casevault.core.models import User, WebSession

ABSOLUTE_LIMIT = dt.timedelta(hours=12)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
_hasher = PasswordHasher()  # argon2id
# Verified against when the username is unknown, so a wrong name takes as long as a wrong password.
_NO_SUCH_USER = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf_token: str


# --- passwords --------------------------------------------------------------------------


def set_password(session: Session, *, username: str, password: str) -> User:
    """Give ``username`` a new password; every session the user had ends."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user called {username!r}")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password is {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters; choose another",
            field="password",
        )
    user.password_hash = hash_password(password)
    session.add(user)
    end_sessions_of(session, user_id=user.id)  # type: ignore[arg-type]  # ids of rows read from the database are set
    return user


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(session: Session, *, username: str, password: str) -> User:
    """The active user with this name and password, or ``Unauthenticated`` saying nothing
    of which part was wrong."""
    refused = Unauthenticated("the username or password is not right")
    user = session.exec(select(User).where(User.username == username)).first()
    usable = user is not None and user.password_hash is not None and len(password) <= MAX_PASSWORD_LENGTH
    stored = user.password_hash if usable and user is not None and user.password_hash else _NO_SUCH_USER
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD_LENGTH])  # the same work whatever is wrong
    except (VerificationError, InvalidHashError):
        raise refused from None
    if not usable or user is None or user.revoked_at is not None:
        raise refused
    if _hasher.check_needs_rehash(stored):  # argon2-cffi's parameters grew since this hash was made
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return user


# --- sessions ---------------------------------------------------------------------------


def start(session: Session, *, user: User, clock: Clock) -> tuple[str, SignedIn]:
    """A new session for ``user``: the id for the cookie (shown only here) and the session."""
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    row = WebSession(
        id_hash=_hash(session_id),
        user_id=user.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return session_id, SignedIn(user=user, csrf_token=row.csrf_token)


def resume(session: Session, *, session_id: str, idle: dt.timedelta, clock: Clock) -> SignedIn | None:
    """The signed-in user of this cookie's session, marked as seen now; None if there is
    no such session or it has ended (an ended one is removed)."""
    row = session.get(WebSession, _hash(session_id))
    if row is None:
        return None
    now = clock.now()
    user = session.get(User, row.user_id)
    if (
        user is None
        or user.revoked_at is not None
        or now - row.last_seen_at > idle
        or now - row.created_at > ABSOLUTE_LIMIT
    ):
        session.delete(row)
        return None
    row.last_seen_at = now
    session.add(row)
    return SignedIn(user=user, csrf_token=row.csrf_token)


def end(session: Session, *, session_id: str) -> None:
    session.execute(sa.delete(WebSession).where(col(WebSession.id_hash) == _hash(session_id)))


def end_sessions_of(session: Session, *, user_id: int) -> None:
    session.execute(sa.delete(WebSession).where(col(WebSession.user_id) == user_id))


def remove_ended(session: Session, *, idle: dt.timedelta, clock: Clock) -> int:
    """Delete every session past its idle or absolute limit; returns how many."""
    now = clock.now()
    result = session.execute(
        sa.delete(WebSession).where(
            sa.or_(col(WebSession.last_seen_at) < now - idle, col(WebSession.created_at) < now - ABSOLUTE_LIMIT)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result has a row count


def csrf_matches(signed_in: SignedIn, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(signed_in.csrf_token.encode(), token.encode())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
