"""The append-only audit log, a hash chain.

Each row carries the hash of the row before it, so changing, removing or
reordering a row breaks every hash after it; the single ``audit_head`` row
holds the last hash, so cutting rows off the end shows too. Writers lock the
head row, which keeps the chain a line under concurrent writers.

Details hold ids only: values must be numbers, booleans or short tokens
without spaces, so a name or a sentence of text cannot slip in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator, Mapping

from sqlmodel import Session, col, select

from casevault.core.clock import Clock
from casevault.core.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64
_TOKEN = re.compile(r"^[A-Za-z0-9_.:/{}\-]{0,96}$")

DetailValue = int | float | bool | str | None


def record(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    action: str,
    outcome: str = "ok",
    subject_type: str | None = None,
    subject_id: str | int | None = None,
    details: Mapping[str, DetailValue] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    event = AuditEvent(
        id=head.last_id + 1,
        at=clock.now(),
        actor=actor,
        action=action,
        outcome=outcome,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        details=_canonical_details(details or {}),
        prev_hash=head.last_hash,
        hash="",
    )
    event.hash = event_hash(event)
    head.last_id, head.last_hash = event.id, event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


def _canonical_details(details: Mapping[str, DetailValue]) -> str:
    for key, value in details.items():
        if isinstance(value, str) and not _TOKEN.match(value):
            raise ValueError(f"audit detail {key!r} is not an id-like token; audit details hold ids only")
        if not isinstance(value, (int, float, bool, str, type(None))):
            raise ValueError(f"audit detail {key!r} has type {type(value).__name__}; use ids")
    return json.dumps(dict(details), sort_keys=True, separators=(",", ":"))


def event_hash(event: AuditEvent) -> str:
    body = {
        "id": event.id,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "outcome": event.outcome,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class ChainReport:
    rows: int
    first_broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session, *, batch_size: int = 5000) -> ChainReport:
    """Walk the chain from the start; name the first row that does not fit."""
    expected_prev, expected_id, rows = GENESIS_HASH, 1, 0
    for event in _events_in_order(session, batch_size):
        rows += 1
        if event.id != expected_id:
            return ChainReport(rows, expected_id, f"row {expected_id} is missing (next row is {event.id})")
        if event.prev_hash != expected_prev:
            return ChainReport(rows, event.id, f"row {event.id} does not follow row {event.id - 1}")
        if event_hash(event) != event.hash:
            return ChainReport(rows, event.id, f"row {event.id} was altered after it was written")
        expected_prev, expected_id = event.hash, expected_id + 1
    head = session.get(AuditHead, 1)
    if head is None or head.last_hash != expected_prev or head.last_id != expected_id - 1:
        last = head.last_id if head else "?"
        return ChainReport(rows, expected_id, f"rows after {expected_id - 1} up to {last} were removed")
    return ChainReport(rows)


def _events_in_order(session: Session, batch_size: int) -> Iterator[AuditEvent]:
    after = 0
    while True:
        batch = session.exec(
            select(AuditEvent).where(AuditEvent.id > after).order_by(col(AuditEvent.id)).limit(batch_size)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].id or after
