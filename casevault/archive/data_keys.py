"""Per-person data keys in the ``data_key`` table, wrapped by the KEK.

Nothing is cached: every use reads the row, so a key destroyed by another process is
gone for this one too, at once. A destroyed key is never made again: its pseudonym
stays in ``destroyed_key``, checked whenever a key would be created, under a lock
per pseudonym that destruction takes too (on SQLite every writer is serialised).
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.archive.key_providers import KeyProvider
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import InvalidInput, KeyDestroyed
from casevault.core.models import DataKey, DestroyedKey


class DataKeys:
    def __init__(self, *, provider: KeyProvider, new_session: SessionFactory, clock: Clock) -> None:
        self.provider = provider
        self._new_session = new_session
        self._clock = clock

    def get_or_create(self, *, subject: str) -> bytes:
        _check_subject(subject)
        existing = self._load(subject)
        if existing is not None:
            return self._unwrap(existing)
        created = self.provider.new_data_key(subject=subject)
        try:
            # Its own short transaction, so the key exists before any object uses it.
            with transaction(self._new_session) as session:
                _lock_subject(session, subject)
                if session.get(DestroyedKey, subject) is not None:
                    raise KeyDestroyed(f"the records of {subject} were destroyed: nothing more can be stored for them")
                session.add(
                    DataKey(
                        subject=subject,
                        kek_id=created.kek_id,
                        wrapped_key=created.wrapped,
                        created_at=self._clock.now(),
                    )
                )
        except sa.exc.IntegrityError:
            # Another worker created it first: use theirs, so both objects share one key.
            winner = self._load(subject)
            if winner is None:
                raise
            return self._unwrap(winner)
        return created.plaintext

    def get(self, *, subject: str) -> bytes:
        row = self._load(subject)
        if row is None:
            raise KeyDestroyed(f"the data key of {subject} has been destroyed: its objects are unreadable for good")
        return self._unwrap(row)

    def exists(self, *, subject: str) -> bool:
        return self._load(subject) is not None

    def destroy(self, *, subject: str) -> bool:
        """Shred the key and remember that it was, in one transaction."""
        with transaction(self._new_session) as session:
            _lock_subject(session, subject)
            deleted = session.execute(sa.delete(DataKey).where(col(DataKey.subject) == subject))
            if session.get(DestroyedKey, subject) is None:
                session.add(DestroyedKey(subject=subject, destroyed_at=self._clock.now()))
            return bool(cast("sa.CursorResult[Any]", deleted).rowcount)  # a DELETE's result counts its rows

    def _load(self, subject: str) -> DataKey | None:
        with self._new_session() as session:
            return session.exec(select(DataKey).where(DataKey.subject == subject)).first()

    def _unwrap(self, row: DataKey) -> bytes:
        return self.provider.unwrap(subject=row.subject, kek_id=row.kek_id, wrapped=row.wrapped_key)


def _lock_subject(session: Session, subject: str) -> None:
    """Serialise creating and destroying one pseudonym's key. PostgreSQL: a lock for the
    transaction (a row that does not exist yet cannot be locked); SQLite's writers
    are serialised already."""
    if session.get_bind().dialect.name == "postgresql":
        lock_id = int.from_bytes(hashlib.sha256(subject.encode()).digest()[:8], "big", signed=True)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": lock_id})


def _check_subject(subject: str) -> None:
    if not subject or len(subject) > 32 or not subject.replace("_", "").isalnum():
        raise InvalidInput("subject must be a person's pseudonym (p_ and hex), never a name", field="subject")
