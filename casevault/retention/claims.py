"""Claiming lifecycle items, so two sweeps (or a sweep and a task) never act on one item.

A claim is a row keyed by the item. Taking it is one statement that succeeds for
one caller only: an INSERT (the primary key refuses a second), or an UPDATE that
matches only when the earlier holder's lease has run out (its worker died).
The claim is released in the transaction that commits the item's last step.
A holder renews its claim in the transaction of each step it commits; once
another worker has taken the claim over, the renewal fails and the holder stops.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session

from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.models import RetentionClaim


def item_key(kind: str, subject_type: str, subject_id: int) -> str:
    return f"{kind}:{subject_type}:{subject_id}"


def claim(new_session: SessionFactory, *, item: str, holder: str, clock: Clock, lease: dt.timedelta) -> bool:
    """True if ``holder`` now holds ``item`` (newly, again, or taken over from a dead worker)."""
    now = clock.now()
    table = RetentionClaim.__table__  # type: ignore[attr-defined]
    try:
        with transaction(new_session) as session:
            taken = session.execute(
                sa.update(table)
                .where(table.c.item == item, sa.or_(table.c.holder == holder, table.c.lease_until <= now))
                .values(holder=holder, claimed_at=now, lease_until=now + lease)
            )
            if taken.rowcount == 1:
                return True
            if session.get(RetentionClaim, item) is not None:
                return False  # a live claim of another worker
            session.add(RetentionClaim(item=item, holder=holder, claimed_at=now, lease_until=now + lease))
            session.flush()
            return True
    except sa.exc.IntegrityError:
        return False  # another worker inserted it between our two statements


def renew(session: Session, *, item: str, holder: str, clock: Clock, lease: dt.timedelta) -> bool:
    """Inside the caller's transaction: True, with the lease extended, while ``holder``
    still holds ``item``; False once another worker has taken it over."""
    table = RetentionClaim.__table__  # type: ignore[attr-defined]
    now = clock.now()
    renewed = session.execute(
        sa.update(table).where(table.c.item == item, table.c.holder == holder).values(lease_until=now + lease)
    )
    return renewed.rowcount == 1


def release(session: Session, *, item: str, holder: str) -> None:
    """Inside the caller's transaction, so the release commits with the item's last step."""
    table = RetentionClaim.__table__  # type: ignore[attr-defined]
    session.execute(sa.delete(table).where(table.c.item == item, table.c.holder == holder))


def release_now(new_session: SessionFactory, *, item: str, holder: str) -> None:
    with transaction(new_session) as session:
        release(session, item=item, holder=holder)
