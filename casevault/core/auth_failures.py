"""Requests without a valid token, counted per client address and minute.

The counts live in the database (``AuthFailureTally``), added to by one atomic upsert,
so every API process sees the same numbers however many serve. They decide three things:

- past ``per_minute`` in the current minute, an address is answered 429 until the
  minute ends;
- ``lockout_failures`` within ``lockout_window`` lock the address out for ``lockout``:
  every request from it without a valid token is answered 429 until then (a valid token
  is still served: addresses are shared by whole offices behind one router, and one
  flooding machine must not shut every officer out). The lockout is audited once;
- the audit log gets one row per address and minute with the count, written once the
  minute is over, never one row per request: a flood cannot grow the log without bound.

The address is the network peer's, not a person's; it is the only thing recorded.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from casevault.core import audit
from casevault.core.clock import Clock
from casevault.core.models import AuthFailureTally, AuthLockout

FLUSH_BATCH = 200


@dataclass(frozen=True)
class FailureLimits:
    per_minute: int
    lockout_failures: int
    lockout_window: dt.timedelta
    lockout: dt.timedelta


def note_failure(session: Session, *, address: str, clock: Clock, limits: FailureLimits) -> int | None:
    """Count one request from ``address`` without a valid token, inside the caller's
    transaction. Returns how many seconds it must wait (answer 429), or None (answer 401)."""
    now = clock.now()
    minute = _minute(now)
    count = _add_one(session, address=address, minute=minute)
    flush_finished_minutes(session, clock=clock)
    lockout = session.get(AuthLockout, address)
    if lockout is not None and lockout.until > now:
        return _seconds(lockout.until - now)
    if _failures_within(session, address=address, since=minute - limits.lockout_window) >= limits.lockout_failures:
        until = now + limits.lockout
        if _start_lockout(session, address=address, until=until, now=now):
            audit.record(
                session, clock=clock, actor="anonymous", action="auth.locked_out", outcome="refused",
                subject_type="client", subject_id=address,
                details={"until": until.strftime("%Y-%m-%dT%H:%MZ"), "failures": limits.lockout_failures},
            )  # fmt: skip
        return _seconds(until - now)
    if count > limits.per_minute:
        return _seconds(minute + dt.timedelta(minutes=1) - now)
    return None


def flush_finished_minutes(session: Session, *, clock: Clock) -> int:
    """One audit row per address and finished minute; returns how many were written."""
    minute = _minute(clock.now())
    finished = session.exec(
        select(AuthFailureTally)
        .where(col(AuthFailureTally.audited).is_(False), AuthFailureTally.minute < minute)
        .order_by(col(AuthFailureTally.minute))
        .limit(FLUSH_BATCH)
    ).all()
    written = 0
    table = AuthFailureTally.__table__  # type: ignore[attr-defined]  # SQLModel tables
    for tally in finished:
        # Claim it first: of two processes flushing at once, one writes the row.
        claimed = session.execute(
            sa.update(table)
            .where(table.c.address == tally.address, table.c.minute == tally.minute, table.c.audited.is_(False))
            .values(audited=True)
            .returning(table.c.address)
        ).first()
        if claimed is None:
            continue
        audit.record(
            session, clock=clock, actor="anonymous", action="request.unauthenticated", outcome="refused",
            subject_type="client", subject_id=tally.address,
            details={"minute": _minute(tally.minute).strftime("%Y-%m-%dT%H:%MZ"), "count": tally.count},
        )  # fmt: skip
        written += 1
    # Audited minutes older than a day are no use to any window: keep the table small.
    session.execute(sa.delete(table).where(table.c.audited.is_(True), table.c.minute < minute - dt.timedelta(days=1)))
    session.expire_all()
    return written


def _add_one(session: Session, *, address: str, minute: dt.datetime) -> int:
    table = AuthFailureTally.__table__  # type: ignore[attr-defined]  # SQLModel tables
    statement = _insert(session)(table).values(address=address, minute=minute, count=1, audited=False)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.address, table.c.minute], set_={"count": table.c.count + 1}
    )
    session.execute(statement)
    counted = sa.select(table.c.count).where(table.c.address == address, table.c.minute == minute)
    return int(session.execute(counted).scalar_one())


def _start_lockout(session: Session, *, address: str, until: dt.datetime, now: dt.datetime) -> bool:
    """True if this call started the lockout (an expired one is renewed; a standing one stays)."""
    table = AuthLockout.__table__  # type: ignore[attr-defined]  # SQLModel tables
    statement = _insert(session)(table).values(address=address, until=until)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.address], set_={"until": statement.excluded.until}, where=table.c.until <= now
    ).returning(table.c.address)  # a row back only if inserted or renewed (rowcount is not reliable here)
    started = session.execute(statement).first() is not None
    session.expire_all()
    return started


def _failures_within(session: Session, *, address: str, since: dt.datetime) -> int:
    total = session.exec(
        select(sa.func.coalesce(sa.func.sum(AuthFailureTally.count), 0)).where(
            AuthFailureTally.address == address, AuthFailureTally.minute > since
        )
    ).one()
    return int(total)


def _insert(session: Session):  # type: ignore[no-untyped-def]  # the dialect's insert construct differs by database
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"refusal tallies support PostgreSQL and SQLite, not {dialect}")
    return insert


def _minute(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _seconds(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def wait_before_trying(session: Session, *, address: str, clock: Clock, limits: FailureLimits) -> int | None:
    """How many seconds ``address`` must wait before its next sign-in attempt counts (it is
    locked out, or over the minute's rate), or None. Read before checking a password, so
    an address refused for guessing is refused even when it guesses right."""
    now = clock.now()
    lockout = session.get(AuthLockout, address)
    if lockout is not None and lockout.until > now:
        return _seconds(lockout.until - now)
    minute = _minute(now)
    tally = session.get(AuthFailureTally, (address, minute))
    if tally is not None and tally.count >= limits.per_minute:
        return _seconds(minute + dt.timedelta(minutes=1) - now)
    return None
