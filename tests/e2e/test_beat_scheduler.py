"""casevault's beat scheduler in-process, on the real database and an in-memory
broker: a holder that lost the lease sends nothing, and the one that takes it
over sends what is still due, once."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from sqlmodel import select

from casevault.beat import LEASE_NAME, LeasedScheduler, process_id
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.lease import Lease
from casevault.core.models import LeaseRecord, ScheduledRun
from casevault.core.settings import Settings
from casevault.wiring import Container

OVERDUE = ("retention-sweep", "verify-storage")  # two entries whose slots were missed


@pytest.fixture
def beat_container(settings: Settings, clock: FixedClock) -> Iterator[Container]:
    built = Container(settings.model_copy(update={"broker_url": "memory://"}), clock=clock)
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    with transaction(built.new_session) as session:
        for entry in OVERDUE:
            session.add(ScheduledRun(entry=entry, last_run_at=long_ago, total_run_count=1))
    yield built
    built.close()


def _sent(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.getMessage().startswith("Scheduler: Sending due task")]


def _run_counts(container: Container) -> dict[str, int]:
    with container.new_session() as session:
        return {run.entry: run.total_run_count for run in session.exec(select(ScheduledRun)).all() if run.entry in OVERDUE}


def test_a_holder_that_lost_the_lease_sends_nothing_and_the_new_holder_sends_what_is_due_once(
    beat_container: Container, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    scheduler = LeasedScheduler(app=beat_container.celery)
    try:
        scheduler.tick()  # takes the lease, loads the stored times, sends one overdue entry
        assert len(_sent(caplog)) == 1
        assert sorted(_run_counts(beat_container).values()) == [1, 2]

        # Paused past its lease: another beat took it over.
        clock.advance(dt.timedelta(seconds=beat_container.settings.beat_lease_seconds + 1))
        other = Lease(beat_container.new_session, name=LEASE_NAME, holder="elsewhere:1", duration=dt.timedelta(seconds=60), clock=clock)
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
