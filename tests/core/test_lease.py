"""The scheduler lease: one holder at a time, taken over only once it runs out."""

from __future__ import annotations

import datetime as dt
import threading

from casevault.core.clock import FixedClock
from casevault.core.db import SessionFactory, transaction
from casevault.core.lease import Lease

MINUTE = dt.timedelta(seconds=60)


def _lease(new_session: SessionFactory, clock: FixedClock, holder: str) -> Lease:
    return Lease(new_session, name="beat", holder=holder, duration=MINUTE, clock=clock)


def _renew(lease: Lease, new_session: SessionFactory) -> bool:
    with transaction(new_session) as session:
        return lease.renew(session)


def test_the_first_contender_takes_the_lease_and_a_second_is_refused(new_session: SessionFactory, clock: FixedClock) -> None:
    first, second = _lease(new_session, clock, "host-a:1"), _lease(new_session, clock, "host-b:2")
    assert first.acquire()
    assert not second.acquire()
    clock.advance(MINUTE - dt.timedelta(seconds=1))
    assert not second.acquire(), "taken before it ran out"
    row = first.current()
    assert row is not None and row.holder == "host-a:1" and row.expires_at == clock.now() + dt.timedelta(seconds=1)


def test_the_holder_renews_and_keeps_it_past_its_first_term(new_session: SessionFactory, clock: FixedClock) -> None:
    holder, standby = _lease(new_session, clock, "host-a:1"), _lease(new_session, clock, "host-b:2")
    started = clock.now()
    assert holder.acquire()
    for _ in range(5):  # five minutes of renewing every 20 s... enough to outlive five terms
        for _ in range(3):
            clock.advance(dt.timedelta(seconds=20))
            assert _renew(holder, new_session)
            assert not standby.acquire()
    clock.advance(dt.timedelta(seconds=20))
    assert holder.acquire(), "acquire by the holder renews too"
    row = holder.current()
    assert row is not None and row.acquired_at == started and row.expires_at == clock.now() + MINUTE


def test_a_standby_takes_over_a_lease_that_ran_out_and_the_old_holder_cannot_renew(new_session: SessionFactory, clock: FixedClock) -> None:
    old, standby = _lease(new_session, clock, "host-a:1"), _lease(new_session, clock, "host-b:2")
    assert old.acquire()
    clock.advance(MINUTE)
    assert not _renew(old, new_session), "a holder whose lease ran out must stop acting"
    assert standby.acquire()
    assert not _renew(old, new_session)
    assert not old.acquire()
    row = standby.current()
    assert row is not None and row.holder == "host-b:2" and row.acquired_at == clock.now()


def test_a_released_lease_is_free_at_once(new_session: SessionFactory, clock: FixedClock) -> None:
    holder, standby = _lease(new_session, clock, "host-a:1"), _lease(new_session, clock, "host-b:2")
    assert holder.acquire()
    standby.release()  # not its lease: changes nothing
    assert not standby.acquire()
    holder.release()
    assert not _renew(holder, new_session)
    assert standby.acquire()
    row = standby.current()
    assert row is not None and row.holder == "host-b:2"


def test_contenders_racing_from_threads_leave_exactly_one_holder(new_session: SessionFactory, clock: FixedClock) -> None:
    contenders = [_lease(new_session, clock, f"host-{n}:{n}") for n in range(4)]
    for round_ in range(8):  # round 0 races to insert the row, the others to take it over
        start = threading.Barrier(len(contenders))
        won: dict[str, bool] = {}

        def contend(lease: Lease) -> None:
            start.wait()
            won[lease.holder] = lease.acquire()

        threads = [threading.Thread(target=contend, args=(lease,)) for lease in contenders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        winners = [holder for holder, took in won.items() if took]
        assert len(won) == len(contenders) and len(winners) == 1, f"round {round_}: {won}"
        row = contenders[0].current()
        assert row is not None and row.holder == winners[0]
        clock.advance(MINUTE)
