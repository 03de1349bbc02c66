"""First start and every start: make the data directory, migrate, prepare keys
and storage, and create the first admin. Safe to run again: nothing that
exists is re-created, nothing is lost."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.archive.audit_anchor import anchor_audit_chain
from casevault.core import audit, web_sessions
from casevault.core.db import transaction
from casevault.core.migrate import upgrade
from casevault.core.models import Role, User
from casevault.core.scratch import remove_stale
from casevault.core.users import create_user

FIRST_ADMIN = "admin"


@dataclass(frozen=True)
class FirstAdmin:
    """What the first start prints once: the admin's API token and web password."""

    username: str
    token: str
    password: str


def initialise(services: Services) -> FirstAdmin | None:
    """Returns the first admin's token and password when this start created it, else None."""
    settings = services.settings
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_stale(settings.data_dir / "tmp")  # plaintext a process killed mid-work left behind
    upgrade(settings.database_url)
    init_storage(settings)
    token = _create_first_admin(services)
    # Every start leaves an anchor: a log upgraded from unkeyed rows is pinned at once.
    anchor_audit_chain(store=services.vault.store, new_session=services.new_session, clock=services.clock)
    return token


def _create_first_admin(services: Services) -> FirstAdmin | None:
    with transaction(services.new_session) as session:
        if session.exec(select(User.id).limit(1)).first() is not None:
            return None
        admin, token = create_user(session, username=FIRST_ADMIN, role=Role.admin, clock=services.clock)
        password = secrets.token_urlsafe(15)  # 20 characters, 120 random bits: for signing in at the web pages
        admin.password_hash = web_sessions.hash_password(password)
        session.add(admin)
        audit.record(
            session,
            clock=services.clock,
            actor="system",
            action="user.create",
            subject_type="user",
            subject_id=admin.id,
            details={"role": "admin"},
        )
        return FirstAdmin(FIRST_ADMIN, token, password)
