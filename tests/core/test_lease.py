"""Named leases: one holder at a time, taken over only once released or run out,
work under a lost lease never committed, and two processes racing never both hold it."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from casevault.core.clock import FixedClock, SystemClock
from casevault.core.db import SessionFactory, make_engine, session_factory, transaction
from casevault.core.lease import Lease, LeaseLost, held, lease_name
from casevault.core.models import LeaseRecord, ScheduledRun

MINUTE = dt.timedelta(seconds=60)
FAST_BEAT = dt.timedelta(milliseconds=10)  # heartbeats in real time; the lease's own time is the fixed clock


def _lease(new_session: SessionFactory, clock: FixedClock, holder: str, name: str = "beat") -> Lease:
    return Lease(new_session, name=name, holder=holder, duration=MINUTE, clock=clock)


def _renew(lease: Lease, new_session: SessionFactory) -> bool:
    with transaction(new_session) as session:
        return lease.renew(session)


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.005)


# --- take, renew, release, run out -----------------------------------------------------------


def test_the_first_contender_takes_the_lease_and_a_second_is_refused(
    new_session: SessionFactory, clock: FixedClock
) -> None:
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


def test_a_standby_takes_over_a_lease_that_ran_out_and_the_old_holder_cannot_renew(
    new_session: SessionFactory, clock: FixedClock
) -> None:
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
    standby.release_now()  # not its lease: changes nothing
    assert not standby.acquire()
    holder.release_now()
    assert holder.current() is None
    assert not _renew(holder, new_session)
    assert standby.acquire()
    row = standby.current()
    assert row is not None and row.holder == "host-b:2"


def test_a_redelivered_task_takes_its_own_lease_back_at_once(new_session: SessionFactory, clock: FixedClock) -> None:
    """The OCR case: a worker's pool process is killed mid-document; the broker hands the
    same task (same id) to another process, which must not wait for the stall period."""
    name = lease_name("ocr", "document", 7)
    first_try = Lease(new_session, name=name, holder="task-9f2c", duration=MINUTE * 10, clock=clock)
    assert first_try.acquire()
    clock.advance(dt.timedelta(seconds=30))  # killed; redelivered half a minute later
    other_task = Lease(new_session, name=name, holder="task-0001", duration=MINUTE * 10, clock=clock)
    redelivered = Lease(new_session, name=name, holder="task-9f2c", duration=MINUTE * 10, clock=clock)
    assert not other_task.acquire(), "another task waits for the stall period"
    assert redelivered.acquire()
    row = redelivered.current()
    assert row is not None and row.holder == "task-9f2c" and row.expires_at == clock.now() + MINUTE * 10


def test_leases_of_different_names_are_independent(new_session: SessionFactory, clock: FixedClock) -> None:
    archive_12 = _lease(new_session, clock, "task-a", name=lease_name("archive", "case", 12))
    archive_13 = _lease(new_session, clock, "task-b", name=lease_name("archive", "case", 13))
    assert archive_12.acquire() and archive_13.acquire()
    with new_session() as session:
        assert held(session, names=["archive:case:12", "archive:case:13", "archive:case:14"], clock=clock) == {
            "archive:case:12",
            "archive:case:13",
        }
        clock.advance(MINUTE)
        assert held(session, names=["archive:case:12", "archive:case:13"], clock=clock) == set(), "ran out: not held"


# --- in the caller's transaction -------------------------------------------------------------


def _record_work(session: Any, entry: str) -> None:
    session.add(ScheduledRun(entry=entry, last_run_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), total_run_count=1))


def _work_recorded(new_session: SessionFactory, entry: str) -> bool:
    with new_session() as session:
        return session.exec(select(ScheduledRun).where(ScheduledRun.entry == entry)).first() is not None


def test_work_under_a_lost_lease_does_not_commit(new_session: SessionFactory, clock: FixedClock) -> None:
    slow, other = _lease(new_session, clock, "host-a:1"), _lease(new_session, clock, "host-b:2")
    assert slow.acquire()
    clock.advance(MINUTE)  # paused past its term
    assert other.acquire()
    with pytest.raises(LeaseLost, match="was not recorded"), transaction(new_session) as session:
        _record_work(session, "slow-work")
        slow.ensure_held(session)
    assert not _work_recorded(new_session, "slow-work")

    with transaction(new_session) as session:  # the holder's work commits with its renewal
        _record_work(session, "other-work")
        other.ensure_held(session)
    assert _work_recorded(new_session, "other-work")


def test_take_and_release_commit_with_the_callers_transaction(new_session: SessionFactory, clock: FixedClock) -> None:
    lease, other = _lease(new_session, clock, "task-a"), _lease(new_session, clock, "task-b")
    with pytest.raises(RuntimeError), transaction(new_session) as session:
        assert lease.take(session)
        raise RuntimeError("the work failed")
    assert lease.current() is None, "a take rolled back with the work holds nothing"
    with transaction(new_session) as session:
        assert lease.take(session)
    with pytest.raises(RuntimeError), transaction(new_session) as session:
        lease.release(session)
        raise RuntimeError("the last step failed")
    assert not other.acquire(), "a release rolled back with the work frees nothing"
    with transaction(new_session) as session:
        _record_work(session, "last-step")
        lease.release(session)
    assert other.acquire()


# --- heartbeat -------------------------------------------------------------------------------


def test_a_heartbeat_keeps_the_lease_while_the_block_runs_and_stops_with_it(
    new_session: SessionFactory, clock: FixedClock
) -> None:
    holder, other = _lease(new_session, clock, "task-a"), _lease(new_session, clock, "task-b")
    assert holder.acquire()
    with holder.heartbeat(every=FAST_BEAT) as beat:
        for _ in range(4):  # four times 40 s: well past the first term
            clock.advance(dt.timedelta(seconds=40))
            _wait_until(
                lambda: (row := holder.current()) is not None and row.expires_at == clock.now() + MINUTE, "a renewal"
            )
            assert not other.acquire()
        assert not beat.lost
        beat.check()
    clock.advance(MINUTE)
    assert other.acquire(), "no renewals after the block"


def test_a_heartbeat_says_when_the_lease_is_lost(
    new_session: SessionFactory, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    holder, other = _lease(new_session, clock, "task-a"), _lease(new_session, clock, "task-b")
    assert holder.acquire()
    with holder.heartbeat(every=FAST_BEAT) as beat:
        clock.advance(MINUTE)  # the holder's renewals did not happen in time
        assert other.acquire()
        _wait_until(lambda: beat.lost, "the heartbeat noticing")
        with pytest.raises(LeaseLost):
            beat.check()
    row = other.current()
    assert row is not None and row.holder == "task-b", "the heartbeat of a lost lease never takes it back"
    assert any(r.levelno == logging.WARNING and "lost by task-a" in r.getMessage() for r in caplog.records)


def test_a_heartbeat_that_cannot_reach_the_database_for_a_whole_term_gives_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = session_factory(make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'casevault.db'}"))
    lease = Lease(
        unreachable, name="beat", holder="host-a:1", duration=dt.timedelta(milliseconds=200), clock=SystemClock()
    )
    with lease.heartbeat(every=dt.timedelta(milliseconds=20)) as beat:
        _wait_until(lambda: beat.lost, "giving up")
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("renewal failed (OperationalError)" in m for m in messages), messages
    assert any("lost by host-a:1" in m for m in messages), messages


# --- racing ----------------------------------------------------------------------------------


def _contend_from_a_thread(lease: Lease, start: threading.Barrier, won: dict[str, bool]) -> None:
    start.wait()
    won[lease.holder] = lease.acquire()


def test_contenders_racing_from_threads_leave_exactly_one_holder(
    new_session: SessionFactory, clock: FixedClock
) -> None:
    contenders = [_lease(new_session, clock, f"host-{n}:{n}") for n in range(4)]
    for round_ in range(8):  # round 0 races to insert the row, the others to take over a lapsed one
        start = threading.Barrier(len(contenders))
        won: dict[str, bool] = {}

        threads = [threading.Thread(target=_contend_from_a_thread, args=(lease, start, won)) for lease in contenders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        winners = [holder for holder, took in won.items() if took]
        assert len(won) == len(contenders) and len(winners) == 1, f"round {round_}: {won}"
        row = contenders[0].current()
        assert row is not None and row.holder == winners[0]
        clock.advance(MINUTE)


RACE_PROCESSES = 2
RACE_ROUNDS = 6
RACE_ATTEMPTS = 15  # per process and round
RACE_LEASE = "race"
RACE_TIMEOUT = 120  # seconds a process waits for the others at each round's start and end


def _contend_from_a_process(database_url: str, holder: str, start: Any, done: Any, out: str) -> None:
    """Each round: try to take the lease, and while holding it note when (the system-wide
    monotonic clock, comparable between processes), hold it a moment, release it."""
    engine = make_engine(database_url)
    lease = Lease(session_factory(engine), name=RACE_LEASE, holder=holder, duration=MINUTE, clock=SystemClock())
    chance = random.Random(holder)
    try:
        with open(out, "w", encoding="utf-8") as holdings:
            for round_ in range(RACE_ROUNDS):
                start.wait(timeout=RACE_TIMEOUT)
                for _ in range(RACE_ATTEMPTS):
                    if lease.acquire():
                        began = time.monotonic_ns()
                        time.sleep(0.003)
                        ended = time.monotonic_ns()
                        lease.release_now()
                        holdings.write(f"{round_} {began} {ended}\n")
                    time.sleep(chance.uniform(0, 0.003))
                done.wait(timeout=RACE_TIMEOUT)
    except BaseException:
        start.abort()  # the others stop waiting for this one, and the test fails at once
        done.abort()
        raise
    finally:
        engine.dispose()


def test_two_processes_racing_never_hold_the_lease_at_once(
    database_url: str, new_session: SessionFactory, tmp_path: Path
) -> None:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no engine or lock shared by fork
    start, done = context.Barrier(RACE_PROCESSES + 1), context.Barrier(RACE_PROCESSES + 1)
    outs = [tmp_path / f"holdings-{n}.txt" for n in range(RACE_PROCESSES)]
    children = [
        context.Process(target=_contend_from_a_process, args=(database_url, f"process-{n}", start, done, str(out)))
        for n, out in enumerate(outs)
    ]
    for child in children:
        child.start()
    try:
        for round_ in range(RACE_ROUNDS):
            if round_ % 2:  # odd rounds race to take over the lease of a holder that died long ago
                dead = Lease(
                    new_session,
                    name=RACE_LEASE,
                    holder="dead:0",
                    duration=MINUTE,
                    clock=FixedClock(dt.date(2020, 1, 1)),
                )
                assert dead.acquire()
            start.wait(timeout=RACE_TIMEOUT)
            done.wait(timeout=RACE_TIMEOUT)
            with new_session() as session:
                assert session.get(LeaseRecord, RACE_LEASE) is None, (
                    "every holder released it, the dead one's taken over"
                )
        for child in children:
            child.join(timeout=60)
            assert child.exitcode == 0
    finally:
        for child in children:
            if child.is_alive():
                child.kill()

    holdings = [
        (n, int(round_), int(began), int(ended))
        for n, out in enumerate(outs)
        for round_, began, ended in (line.split() for line in out.read_text().splitlines())
    ]
    assert {round_ for _, round_, _, _ in holdings} == set(range(RACE_ROUNDS)), "some round had no holder"
    # Each interval lies inside a true holding (after the take committed, before the release
    # began), so two intervals of different processes that overlap are two holders at once.
    overlaps = [(a, b) for a in holdings for b in holdings if a[0] < b[0] and a[2] < b[3] and b[2] < a[3]]
    assert overlaps == [], f"{len(overlaps)} times two processes held the lease at once, e.g. {overlaps[:3]}"
