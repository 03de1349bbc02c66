"""``casevault keys rotate``: re-wrap every data key under a new key-encryption key.

Objects are not touched (they are encrypted under the data keys, which do not change).
Each row records the KEK that wraps it, so an interrupted rotation is resumed by running
it again: only rows not yet under the current KEK are re-wrapped, batch by batch, and an
old KEK is retired only once no row uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import col, select

from casevault.archive.key_providers import KeyProvider
from casevault.core import audit
from casevault.core.clock import Clock
from casevault.core.db import SessionFactory, transaction
from casevault.core.models import DataKey

DEFAULT_BATCH = 200


@dataclass
class RotationReport:
    kek_id: str
    started_new_kek: bool = False
    rewrapped: int = 0
    remaining: int = 0  # > 0: stopped early (limit); run again to finish
    retired: list[str] = field(default_factory=list)
    note: str = ""


def rotate_keys(
    *,
    provider: KeyProvider,
    new_session: SessionFactory,
    clock: Clock,
    batch_size: int = DEFAULT_BATCH,
    limit: int | None = None,
) -> RotationReport:
    """``limit`` caps how many keys this run re-wraps (a bounded maintenance window)."""
    report = _rotate(provider, new_session=new_session, clock=clock, batch_size=batch_size, limit=limit)
    if report.started_new_kek or report.rewrapped or report.retired:
        _audit(report, new_session=new_session, clock=clock)
    return report


def _rotate(
    provider: KeyProvider, *, new_session: SessionFactory, clock: Clock, batch_size: int, limit: int | None
) -> RotationReport:
    current = provider.current_kek_id()
    report = RotationReport(kek_id=current)
    if _count_not_under(new_session, current) == 0:
        report.retired = provider.finish_rotation(still_used=_kek_ids_in_use(new_session))
        if report.retired:
            report.note = "finished a rotation that was interrupted after re-wrapping"
            return report
        started = provider.start_rotation()
        if started is None:
            report.note = "every data key is already under the configured KEK; to rotate, configure a new one first"
            return report
        current = report.kek_id = started
        report.started_new_kek = True
    while limit is None or report.rewrapped < limit:
        take = batch_size if limit is None else min(batch_size, limit - report.rewrapped)
        done = _rewrap_batch(provider, new_session=new_session, clock=clock, current=current, size=take)
        if done == 0:
            break
        report.rewrapped += done
    report.remaining = _count_not_under(new_session, current)
    if report.remaining == 0:
        report.retired = provider.finish_rotation(still_used=_kek_ids_in_use(new_session))
    return report


def _audit(report: RotationReport, *, new_session: SessionFactory, clock: Clock) -> None:
    with transaction(new_session) as session:
        audit.record(
            session,
            clock=clock,
            actor="system",
            action="keys.rotate",
            subject_type="kek",
            subject_id=report.kek_id[-64:],
            details={"rewrapped": report.rewrapped, "remaining": report.remaining, "retired": len(report.retired)},
        )


def _rewrap_batch(provider: KeyProvider, *, new_session: SessionFactory, clock: Clock, current: str, size: int) -> int:
    # One transaction per batch: an interruption loses at most one batch of work.
    with transaction(new_session) as session:
        rows = session.exec(
            select(DataKey).where(DataKey.kek_id != current).order_by(DataKey.subject).limit(size)
        ).all()
        for row in rows:
            rewrapped = provider.rewrap(subject=row.subject, kek_id=row.kek_id, wrapped=row.wrapped_key)
            row.wrapped_key = rewrapped.wrapped
            row.kek_id = rewrapped.kek_id
            row.rotated_at = clock.now()
            session.add(row)
        return len(rows)


def _count_not_under(new_session: SessionFactory, kek_id: str) -> int:
    with new_session() as session:
        count: int = session.execute(
            sa.select(sa.func.count()).select_from(DataKey).where(col(DataKey.kek_id) != kek_id)
        ).scalar_one()
        return count


def _kek_ids_in_use(new_session: SessionFactory) -> set[str]:
    with new_session() as session:
        return set(session.execute(sa.select(DataKey.kek_id).distinct()).scalars())  # type: ignore[call-overload]  # SQLModel's select overloads miss distinct columns
