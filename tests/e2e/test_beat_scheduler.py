"""casevault's beat scheduler in-process, on the real database and an in-memory
broker: a holder that lost the lease sends nothing, and the one that takes it
over sends what is still due, once."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import select

from casevault.app.beat import LEASE_NAME, LeasedScheduler, process_id
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.lease import Lease
from casevault.core.models import LeaseRecord, ScheduledRun
from casevault.core.settings import Settings

OVERDUE = ("retention-sweep", "verify-storage")  # two entries whose slots were missed


@pytest.fixture
def beat_container(settings: Settings, clock: FixedClock) -> Iterator[Services]:
    built = Services(settings.model_copy(update={"broker_url": "memory://"}), clock=clock)
    long_ago = clock.now() - dt.timedelta(days=30)  # the beat reads the same clock
    with transaction(built.new_session) as session:
        for entry in OVERDUE:
            session.add(ScheduledRun(entry=entry, last_run_at=long_ago, total_run_count=1))
    yield built
    built.close()


def _sent(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("Scheduler: Sending due task")
    ]


def _run_counts(container: Services) -> dict[str, int]:
    with container.new_session() as session:
        return {
            run.entry: run.total_run_count for run in session.exec(select(ScheduledRun)).all() if run.entry in OVERDUE
        }


def test_a_holder_that_lost_the_lease_sends_nothing_and_the_new_holder_sends_what_is_due_once(
    beat_container: Services, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    scheduler = LeasedScheduler(app=beat_container.celery)
    try:
        scheduler.tick()  # takes the lease, loads the stored times, sends one overdue entry
        assert len(_sent(caplog)) == 1
        assert sorted(_run_counts(beat_container).values()) == [1, 2]

        # Paused past its lease: another beat took it over.
        clock.advance(dt.timedelta(seconds=beat_container.settings.beat_lease_seconds + 1))
        other = Lease(
            beat_container.new_session,
            name=LEASE_NAME,
            holder="elsewhere:1",
            duration=dt.timedelta(seconds=60),
            clock=clock,
        )
        assert other.acquire()
        for _ in range(3):
            scheduler.tick()
        assert len(_sent(caplog)) == 1, "sent after losing the lease"
        assert sorted(_run_counts(beat_container).values()) == [1, 2]

        other.release_now()
        for _ in range(3):
            scheduler.tick()
        assert len(_sent(caplog)) == 2, "the still-due entry, once"
        assert _run_counts(beat_container) == {entry: 2 for entry in OVERDUE}
        with beat_container.new_session() as session:
            held = session.get(LeaseRecord, LEASE_NAME)
        assert held is not None and held.holder == process_id(), "taken back once the other released it"
    finally:
        scheduler.close()
    with beat_container.new_session() as session:
        lease = session.get(LeaseRecord, LEASE_NAME)
    assert lease is None, "released on close: nobody holds it"


DAILY = "retention-sweep"
DAILY_AT = dt.time(2, 0)  # the shipped schedule's daily sweep, UTC
DAY_SECONDS = 86_400


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the schedule's arithmetic, not the database's
def test_a_missed_daily_sweep_is_sent_once_at_any_hour_and_the_next_slot_on_time(
    settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A beat starting at any time of day, the daily sweep's last run a day before,
    sends the missed sweep at once and the next at 02:00, each once."""
    caplog.set_level(logging.INFO)
    # A lease far longer than the simulated run: here the clock jumps, real time hardly passes.
    on_memory = settings.model_copy(update={"broker_url": "memory://", "beat_lease_seconds": DAY_SECONDS})
    container = Services(on_memory, clock=clock)
    day = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    every_hour = [day + dt.timedelta(hours=hour, minutes=30) for hour in range(24)]
    starts = [*every_hour, day + dt.timedelta(hours=1, minutes=55)]  # the last one reaches 02:00
    try:
        for start in starts:
            with transaction(container.new_session) as session:
                for row in [*session.exec(select(ScheduledRun)).all(), *session.exec(select(LeaseRecord)).all()]:
                    session.delete(row)
                session.add(ScheduledRun(entry=DAILY, last_run_at=start - dt.timedelta(days=1), total_run_count=1))
            clock.set(start)
            caplog.clear()
            scheduler = LeasedScheduler(app=container.celery)
            try:
                while clock.now() < start + dt.timedelta(minutes=10):
                    clock.advance(dt.timedelta(seconds=min(max(scheduler.tick(), 0.5), 15)))
            finally:
                scheduler.close()
            slots = _daily_slots(start, clock.now())
            sent = [message for message in _sent(caplog) if f" {DAILY} " in message]
            assert len(sent) == 1 + slots, (start, sent)
            assert _stored_counts(container)[DAILY] == 2 + slots, start
    finally:
        container.close()


def _stored_counts(container: Services) -> dict[str, int]:
    with container.new_session() as session:
        return {run.entry: run.total_run_count for run in session.exec(select(ScheduledRun)).all()}


def _daily_slots(start: dt.datetime, end: dt.datetime) -> int:
    """How many 02:00 UTC slots fall in (start, end]."""
    slots = (dt.datetime.combine(day, DAILY_AT, dt.UTC) for day in {start.date(), end.date()})
    return sum(1 for slot in slots if start < slot <= end)
