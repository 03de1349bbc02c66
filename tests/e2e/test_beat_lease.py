"""Two beat processes started together send each scheduled sweep once; when the
one sending is killed, the other takes over once its lease runs out and carries
on the schedule without sending again a slot already sent.

Real parts: two `casevault beat` processes (with a test entry sending the sweep
every 2 s besides the shipped schedule), the database (SQLite and PostgreSQL),
and Redis as the broker, whose queue the test reads to see what was sent. The
beats' clock is set to a chosen moment, so what is due does not depend on when
the test runs.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kombu import Connection
from sqlmodel import select

from casevault.app.services import Services
from casevault.app.task_queue import LIFECYCLE_QUEUE, broker_name
from casevault.core.db import transaction
from casevault.core.models import LeaseRecord, ScheduledRun
from casevault.core.settings import Settings
from tests.e2e.beat_with_fast_sweep import CLOCK_OFFSET, FAST_SWEEP, ShiftedClock
from tests.e2e.servers import casevault_env, wait_for
from tests.fixtures_brokers import OnBroker

ENTRY_SCRIPT = Path(__file__).with_name("beat_with_fast_sweep.py")
LEASE_SECONDS = 5  # the shortest the settings allow: a takeover within seconds
DAILY_SWEEP = "retention-sweep"
# A Tuesday evening, hours from the daily sweep (02:00) and the weekly checks (Saturday
# and Sunday): the daily sweep's only slot in this test is the one missed yesterday.
BEATS_START_AT = dt.datetime(2026, 11, 24, 18, 30, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Sent:
    entry: str  # the beat entry that sent it
    pid: int  # the beat process that sent it


class SentSweeps:
    """The sweeps beat sent, taken off this test's lifecycle queue (no worker runs here)
    and kept, oldest first."""

    def __init__(self, settings: Settings) -> None:
        self._connection = Connection(settings.broker_url)
        self._queue = broker_name(settings, LIFECYCLE_QUEUE)
        self._sent: list[Sent] = []

    def __call__(self) -> list[Sent]:
        channel = self._connection.default_channel
        while (message := channel.basic_get(self._queue, no_ack=True)) is not None:
            headers = message.headers
            if headers["task"] == "casevault.retention.sweep":
                pid = int(headers["origin"].split("@")[0].removeprefix("gen"))
                self._sent.append(Sent(entry=headers.get("test_entry", DAILY_SWEEP), pid=pid))
        return list(self._sent)

    def close(self) -> None:
        self._connection.release()


def _start_beat(settings: Settings, log: Path, clock: ShiftedClock) -> subprocess.Popen:
    offset = clock.offset.total_seconds()
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, str(ENTRY_SCRIPT)],
            env=casevault_env(settings, CASEVAULT_BEAT_LEASE_SECONDS=str(LEASE_SECONDS), **{CLOCK_OFFSET: str(offset)}),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def test_two_beats_send_each_sweep_once_and_a_standby_carries_on_after_the_holder_dies(
    settings: Settings, tmp_path: Path, on_broker: OnBroker
) -> None:
    settings = on_broker("redis", settings)
    clock = ShiftedClock(BEATS_START_AT - dt.datetime.now(dt.UTC))  # the beats' clock, and ours
    container = Services(settings, clock=clock)
    sweeps_sent = SentSweeps(settings)
    started = clock.now()
    with transaction(container.new_session) as session:  # the daily sweep last ran a day ago: one slot missed
        session.add(ScheduledRun(entry=DAILY_SWEEP, last_run_at=started - dt.timedelta(days=1), total_run_count=7))

    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    beats = [_start_beat(settings, log, clock) for log in logs]
    by_pid = {beat.pid: (beat, log) for beat, log in zip(beats, logs, strict=True)}

    def fast_sweeps(pid: int | None = None) -> list[Sent]:
        return [sent for sent in sweeps_sent() if sent.entry == FAST_SWEEP and pid in (None, sent.pid)]

    def logs_tail() -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-2500:]}" for log in logs)

    try:
        # Both beats run; several 2-second slots pass. Kill the sender just after a send.
        try:
            wait_for(lambda: len(fast_sweeps()) >= 4, 40, "four fast sweeps sent")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{logs_tail()}") from None
        seen = len(fast_sweeps())
        wait_for(lambda: len(fast_sweeps()) > seen, 10, "the next fast sweep")
        holder_pid = fast_sweeps()[-1].pid
        holder, holder_log = by_pid[holder_pid]
        ((standby, standby_log),) = [pair for pid, pair in by_pid.items() if pid != holder_pid]
        assert standby.poll() is None, f"the standby beat exited:\n{logs_tail()}"
        holder.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        holder.wait(timeout=10)
        before_kill = sweeps_sent()

        assert {sent.pid for sent in before_kill} == {holder_pid}, "both beats sent while both ran"
        assert "standby" in standby_log.read_text(), logs_tail()

        # The standby takes over only once the dead holder's lease has run out.
        wait_for(lambda: fast_sweeps(standby.pid), LEASE_SECONDS + 15, "the standby's first sweep")
        took_over_after = time.monotonic() - killed_at
        wait_for(lambda: len(fast_sweeps(standby.pid)) >= 2, 10, "the standby's second sweep")
        with container.new_session() as session:
            lease = session.get(LeaseRecord, "beat")
            assert lease is not None and lease.holder.endswith(f":{standby.pid}")

        standby.send_signal(signal.SIGTERM)  # a clean stop releases the lease
        assert standby.wait(timeout=30) == 0, logs_tail()
        stopped = clock.now()
        sent = sweeps_sent()
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat.kill()
                beat.wait()
        sweeps_sent.close()

    with container.new_session() as session:
        runs = {run.entry: run for run in session.exec(select(ScheduledRun)).all()}
        lease = session.get(LeaseRecord, "beat")
    container.close()

    # Not before the dead holder's lease ran out: it renewed at most a third of a
    # lease before the kill (here, with its last send, just before it).
    assert LEASE_SECONDS * 2 / 3 <= took_over_after <= LEASE_SECONDS + 8, took_over_after
    # One sender at a time: the holder's messages, then the standby's, never mixed.
    senders = [message.pid for message in sent]
    assert senders == sorted(senders, key=lambda pid: pid != holder_pid), senders
    # The missed daily sweep was sent once in all, not again by the beat that took over.
    daily = [message for message in sent if message.entry == DAILY_SWEEP]
    assert len(daily) == 1, daily
    assert runs[DAILY_SWEEP].total_run_count == 7 + len(daily)
    # Every fast slot recorded was sent once: the standby counted on from the holder's count.
    fast = [message for message in sent if message.entry == FAST_SWEEP]
    assert runs[FAST_SWEEP].total_run_count == len(fast)
    assert len(fast) <= (stopped - started).total_seconds() / 2 + 1, "more sweeps than 2-second slots"
    # Released on a clean stop: nobody holds it now.
    assert lease is None
    assert not (settings.data_dir / "celerybeat-schedule").exists(), "no schedule file: the database keeps it"
