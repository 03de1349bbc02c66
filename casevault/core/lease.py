"""A named lease in the database: at most one process holds it at any instant.

The lease is a ``scheduler_lease`` row: who holds it and until when. Taking it
is one statement that succeeds for one caller only: an UPDATE that matches when
the row is already ours or has run out, else an INSERT that the primary key
refuses to a second caller. The same statements serve SQLite (every write
transaction starts with BEGIN IMMEDIATE, so contenders queue) and PostgreSQL
(the UPDATE re-checks its condition after waiting on the row lock, and the
second INSERT waits on the first's key, then fails).

``renew`` runs inside the caller's transaction, so work done under the lease
commits only if the lease was still ours when the work committed.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.models import SchedulerLease

_TABLE = SchedulerLease.__table__  # type: ignore[attr-defined]


class Lease:
    """The lease ``name`` as seen by ``holder`` (a process id such as ``host:pid``)."""

    def __init__(self, new_session: SessionFactory, *, name: str, holder: str, duration: dt.timedelta, clock: Clock) -> None:
        if duration <= dt.timedelta(0):
            raise ValueError("a lease must last a positive time")
        self.name = name
        self.holder = holder
        self.duration = duration
        self._new_session = new_session
        self._clock = clock

    def acquire(self) -> bool:
        """Take the lease if it is free or has run out, or renew it if it is ours.
        True if we hold it for ``duration`` from now."""
        now = self._clock.now()
        try:
            with transaction(self._new_session) as session:
                taken = session.execute(
                    sa.update(_TABLE)
                    .where(_TABLE.c.name == self.name, sa.or_(_TABLE.c.holder == self.holder, _TABLE.c.expires_at <= now))
                    .values(
                        holder=self.holder,
                        acquired_at=sa.case((_TABLE.c.holder == self.holder, _TABLE.c.acquired_at), else_=now),
                        expires_at=now + self.duration,
                    )
                )
                if taken.rowcount == 1:
                    return True
                if session.get(SchedulerLease, self.name) is not None:
                    return False  # another holder's lease, still running
                session.add(SchedulerLease(name=self.name, holder=self.holder, acquired_at=now, expires_at=now + self.duration))
                session.flush()
                return True
        except sa.exc.IntegrityError:
            return False  # another process inserted it between our two statements

    def renew(self, session: Session) -> bool:
        """In the caller's transaction: extend the lease only if it is ours and has
        not run out. False means another process may hold it: stop acting."""
        now = self._clock.now()
        renewed = session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.name == self.name, _TABLE.c.holder == self.holder, _TABLE.c.expires_at > now)
            .values(expires_at=now + self.duration)
        )
        return renewed.rowcount == 1

    def release(self) -> None:
        """Let the lease run out now, so a standby takes it at its next check. The row
        stays, naming the last holder, for an operator to see."""
        now = self._clock.now()
        with transaction(self._new_session) as session:
            session.execute(
                sa.update(_TABLE)
                .where(_TABLE.c.name == self.name, _TABLE.c.holder == self.holder, _TABLE.c.expires_at > now)
                .values(expires_at=now)
            )

    def current(self) -> SchedulerLease | None:
        """The lease row as it stands (holder and expiry), or None if never taken."""
        with transaction(self._new_session) as session:
            return session.get(SchedulerLease, self.name)
