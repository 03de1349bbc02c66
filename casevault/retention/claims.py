"""Claiming lifecycle items, so two sweeps (or a sweep and a task) never act on one item.

A claim is a lease (core.lease) named by the item, such as ``archive:case:12``,
held by the sweep or task run: the task id, so a redelivered task (its worker
died) holds its claims again at once, while another worker waits for the lease
to run out. The claim is released in the transaction that commits the item's
last step.

A holder renews its claim in the transaction of each step it commits; once it has run
out or another worker has taken it over, the renewal fails and the holder stops.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from casevault.core import lease as leases
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction


def item_key(kind: str, subject_type: str, subject_id: int) -> str:
    return leases.lease_name(kind, subject_type, subject_id)


def claim(new_session: SessionFactory, *, item: str, holder: str, clock: Clock, lease: dt.timedelta) -> bool:
    """True if ``holder`` now holds ``item`` (newly, again, or taken over from a dead worker)."""
    return leases.Lease(new_session, name=item, holder=holder, duration=lease, clock=clock).acquire()


def renew(session: Session, *, item: str, holder: str, clock: Clock, lease: dt.timedelta) -> bool:
    """Inside the caller's transaction: True, with the lease extended, while ``holder``
    still holds ``item``; False once it has run out or another worker has taken it over."""
    return leases.renew(session, name=item, holder=holder, duration=lease, clock=clock)


def release(session: Session, *, item: str, holder: str) -> None:
    """Inside the caller's transaction, so the release commits with the item's last step."""
    leases.release(session, name=item, holder=holder)


def release_now(new_session: SessionFactory, *, item: str, holder: str) -> None:
    with transaction(new_session) as session:
        release(session, item=item, holder=holder)
