"""Named leases in the database: at most one holder of a name at any instant.

A lease is a ``lease`` row: what is held (``beat``, ``archive:case:12``,
``ocr:document:7``), by whom (a process or a task id) and until when. A free
lease has no row, or a row that has run out. Released leases are deleted, so
the table holds only leases in use or abandoned by a holder that died.

Taking is one statement, ``INSERT ... ON CONFLICT DO UPDATE ... WHERE``: it
inserts the row, or takes over a row that is ours already or has run out, and
changes nothing otherwise. Exactly one caller wins, on both databases: SQLite
runs every write transaction under ``BEGIN IMMEDIATE`` (contenders queue), and
PostgreSQL makes a second inserter wait for the first, then re-checks the
condition on the row as committed.

Renewing and releasing run inside the caller's transaction: work done under a
lease commits only together with a renewal that proved the lease still ours.
A holder whose work is long keeps the lease fresh with ``Lease.heartbeat``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.errors import Conflict
from casevault.core.models import LeaseRecord

log = logging.getLogger("casevault.lease")

_TABLE: sa.Table = LeaseRecord.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
MAX_NAME_LENGTH = 64
MAX_HOLDER_LENGTH = 128


class LeaseLost(Conflict):
    """The lease ran out or another holder took it: the work done under it must not commit."""


def lease_name(kind: str, subject_type: str, subject_id: int) -> str:
    """A readable name for a lease on one thing, such as ``archive:case:12``: ids only, nothing personal."""
    return f"{kind}:{subject_type}:{subject_id}"


class Lease:
    """The lease ``name`` as seen by ``holder``, lasting ``duration`` from each take or renewal.

    ``holder`` names who acts: a process (``host:pid``) or a task id, so that a
    redelivered task (its worker died) takes its own lease back at once."""

    def __init__(
        self, new_session: SessionFactory, *, name: str, holder: str, duration: dt.timedelta, clock: Clock
    ) -> None:
        if duration <= dt.timedelta(0):
            raise ValueError("a lease must last a positive time")
        if not 0 < len(name) <= MAX_NAME_LENGTH or not 0 < len(holder) <= MAX_HOLDER_LENGTH:
            raise ValueError(f"a lease name is 1 to {MAX_NAME_LENGTH} characters, a holder 1 to {MAX_HOLDER_LENGTH}")
        self.name = name
        self.holder = holder
        self.duration = duration
        self._new_session = new_session
        self._clock = clock

    def take(self, session: Session) -> bool:
        """In the caller's transaction: take the lease if it is free, ours or has run out.
        True if we hold it for ``duration`` from now (when the transaction commits)."""
        now = self._clock.now()
        insert = _insert_for(session).values(
            name=self.name, holder=self.holder, acquired_at=now, expires_at=now + self.duration
        )
        ours_and_live = sa.and_(_TABLE.c.holder == self.holder, _TABLE.c.expires_at > now)
        taken = session.execute(
            insert.on_conflict_do_update(
                index_elements=[_TABLE.c.name],
                set_={
                    "holder": self.holder,
                    # A holder renewing by taking again keeps the time it first took the lease.
                    "acquired_at": sa.case((ours_and_live, _TABLE.c.acquired_at), else_=now),
                    "expires_at": now + self.duration,
                },
                where=sa.or_(_TABLE.c.holder == self.holder, _TABLE.c.expires_at <= now),
            ).returning(_TABLE.c.name)
        )
        # A row comes back if it was inserted or taken over (an INSERT has no rowcount on every driver).
        return taken.first() is not None

    def acquire(self) -> bool:
        """``take`` in a transaction of its own."""
        with transaction(self._new_session) as session:
            return self.take(session)

    def renew(self, session: Session) -> bool:
        """In the caller's transaction: extend the lease only if it is ours and has not
        run out. False means another may hold it: stop acting and roll back."""
        return renew(session, name=self.name, holder=self.holder, duration=self.duration, clock=self._clock)

    def renew_now(self) -> bool:
        """``renew`` in a transaction of its own."""
        with transaction(self._new_session) as session:
            return self.renew(session)

    def ensure_held(self, session: Session) -> None:
        """``renew``, or raise ``LeaseLost`` so the caller's transaction rolls back."""
        if not self.renew(session):
            raise LeaseLost(f"the lease {self.name!r} ran out or was taken over; this work was not recorded")

    def release(self, session: Session) -> None:
        """In the caller's transaction, so the lease is free once the work's last step commits."""
        release(session, name=self.name, holder=self.holder)

    def release_now(self) -> None:
        """``release`` in a transaction of its own: another takes the lease at its next try."""
        with transaction(self._new_session) as session:
            self.release(session)

    def current(self) -> LeaseRecord | None:
        """The lease row as it stands (holder and expiry), or None if nobody has it."""
        with self._new_session() as session:
            return session.get(LeaseRecord, self.name)

    @contextmanager
    def heartbeat(self, *, every: dt.timedelta | None = None) -> Iterator[Heartbeat]:
        """Renew the lease from a thread every ``every`` (a third of its duration) until
        the block ends. The block should stop when ``lost`` turns true, and still renew
        in the transaction that records its work (``ensure_held``)."""
        beat = Heartbeat(self, every=every or self.duration / 3)
        beat.start()
        try:
            yield beat
        finally:
            beat.stop()


class Heartbeat:
    """Renews one lease in the background; ``lost`` says when the holder must stop."""

    def __init__(self, lease: Lease, *, every: dt.timedelta) -> None:
        self._lease = lease
        self._every = every.total_seconds()
        self._stopping = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{lease.name}", daemon=True)

    @property
    def lost(self) -> bool:
        """True once the lease ran out or was taken over: the holder must stop acting."""
        return self._lost.is_set()

    def check(self) -> None:
        """Raise ``LeaseLost`` if the lease was lost: a handy stop between steps of long work."""
        if self.lost:
            raise LeaseLost(f"the lease {self._lease.name!r} was lost while working; another holder may have it")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        renewed_at = time.monotonic()  # the caller took or renewed the lease just before
        while not self._stopping.wait(self._every):
            attempt = time.monotonic()
            try:
                held = self._lease.renew_now()
            except sa.exc.SQLAlchemyError as error:
                if attempt - renewed_at < self._lease.duration.total_seconds():
                    log.warning("lease %s: renewal failed (%s); trying again", self._lease.name, type(error).__name__)
                    continue
                # Unrenewed for a whole term: it may have run out and been taken by another.
                held = False
            if not held:
                log.warning(
                    "lease %s: lost by %s (ran out or taken over); its holder stops",
                    self._lease.name,
                    self._lease.holder,
                )
                self._lost.set()
                return
            renewed_at = attempt


def release(session: Session, *, name: str, holder: str) -> None:
    """In the caller's transaction: free the lease ``name`` if ``holder`` has it; else change nothing."""
    session.execute(sa.delete(_TABLE).where(_TABLE.c.name == name, _TABLE.c.holder == holder))


def held(session: Session, *, names: Collection[str], clock: Clock) -> set[str]:
    """Which of ``names`` someone holds now: those left out are free, or their holder died."""
    if not names:
        return set()
    rows = session.execute(sa.select(_TABLE.c.name).where(_TABLE.c.name.in_(names), _TABLE.c.expires_at > clock.now()))
    return set(rows.scalars())


def _insert_for(session: Session) -> sqlite.Insert | postgresql.Insert:
    """The dialect's INSERT, which knows ON CONFLICT (SQLAlchemy's generic one does not)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(_TABLE)
    if dialect == "postgresql":
        return postgresql.insert(_TABLE)
    raise NotImplementedError(f"leases need SQLite or PostgreSQL, not {dialect}")


def renew(session: Session, *, name: str, holder: str, duration: dt.timedelta, clock: Clock) -> bool:
    """In the caller's transaction: extend ``holder``'s lease ``name`` by ``duration`` from
    now, only if it is still theirs and has not run out."""
    now = clock.now()
    renewed = session.execute(
        sa.update(_TABLE)
        .where(_TABLE.c.name == name, _TABLE.c.holder == holder, _TABLE.c.expires_at > now)
        .values(expires_at=now + duration)
    )
    return cast("sa.CursorResult[Any]", renewed).rowcount == 1  # an UPDATE's result counts its rows
