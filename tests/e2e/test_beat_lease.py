"""Two beat processes started together send each scheduled sweep once; when the
one sending is killed, the other takes over once its lease runs out and carries
on the schedule without sending again a slot already sent.

Real parts: two `casevault beat` processes (with a test entry sending the sweep
every 2 s besides the shipped schedule), the database (SQLite and PostgreSQL),
and Redis as the broker, whose queue the test reads to see what was sent.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlmodel import select

from casevault.core.db import transaction
from casevault.core.models import LeaseRecord, ScheduledRun
from casevault.core.settings import Settings
from casevault.wiring import Container
from casevault.worker import LIFECYCLE_QUEUE
from tests.e2e.beat_with_fast_sweep import FAST_SWEEP
from tests.e2e.servers import broker_url, casevault_env, wait_for

ENTRY_SCRIPT = Path(__file__).with_name("beat_with_fast_sweep.py")
LEASE_SECONDS = 5  # the shortest the settings allow: a takeover within seconds
DAILY_SWEEP = "retention-sweep"


@dataclass(frozen=True)
class Sent:
    entry: str  # the beat entry that sent it
    pid: int  # the beat process that sent it


def _sweeps_on_the_broker(url: str) -> list[Sent]:
    """Every sweep message waiting in the lifecycle queue, oldest first."""
    raw = redis.Redis.from_url(url).lrange(LIFECYCLE_QUEUE, 0, -1)
    messages = [json.loads(item)["headers"] for item in reversed(raw)]  # kombu pushes on the left
    return [
        Sent(entry=headers.get("test_entry", DAILY_SWEEP), pid=int(headers["origin"].split("@")[0].removeprefix("gen")))
        for headers in messages
        if headers["task"] == "casevault.retention.sweep"
    ]


def _start_beat(settings: Settings, log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, str(ENTRY_SCRIPT)],
            env=casevault_env(settings, CASEVAULT_BEAT_LEASE_SECONDS=str(LEASE_SECONDS)),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _daily_slots_between(start: dt.datetime, end: dt.datetime) -> int:
    """How many 02:00 UTC sweeps fall in (start, end]: the daily entry's own slots."""
    days = {start.date(), end.date()}
    return sum(1 for day in days if start < dt.datetime.combine(day, dt.time(2), dt.timezone.utc) <= end)


def test_two_beats_send_each_sweep_once_and_a_standby_carries_on_after_the_holder_dies(settings: Settings, tmp_path: Path) -> None:
    settings = settings.model_copy(update={"broker_url": broker_url("redis", settings)})
    container = Container(settings)
    started = dt.datetime.now(dt.timezone.utc)
    with transaction(container.new_session) as session:  # the daily sweep last ran a day ago: one slot missed
        session.add(ScheduledRun(entry=DAILY_SWEEP, last_run_at=started - dt.timedelta(days=1), total_run_count=7))

    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    beats = [_start_beat(settings, log) for log in logs]
    by_pid = {beat.pid: (beat, log) for beat, log in zip(beats, logs)}

    def fast_sweeps(pid: int | None = None) -> list[Sent]:
        return [sent for sent in _sweeps_on_the_broker(settings.broker_url) if sent.entry == FAST_SWEEP and pid in (None, sent.pid)]

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
        (standby, standby_log), = [pair for pid, pair in by_pid.items() if pid != holder_pid]
        assert standby.poll() is None, f"the standby beat exited:\n{logs_tail()}"
        holder.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        holder.wait(timeout=10)
        before_kill = _sweeps_on_the_broker(settings.broker_url)

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
        stopped = dt.datetime.now(dt.timezone.utc)
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat.kill()
                beat.wait()

    sent = _sweeps_on_the_broker(settings.broker_url)
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
    assert len(daily) == 1 + _daily_slots_between(started, stopped), daily
    assert runs[DAILY_SWEEP].total_run_count == 7 + len(daily)
    # Every fast slot recorded was sent once: the standby counted on from the holder's count.
    fast = [message for message in sent if message.entry == FAST_SWEEP]
    assert runs[FAST_SWEEP].total_run_count == len(fast)
    assert len(fast) <= (stopped - started).total_seconds() / 2 + 1, "more sweeps than 2-second slots"
    # Released on a clean stop: nobody holds it now.
    assert lease is None
    assert not (settings.data_dir / "celerybeat-schedule").exists(), "no schedule file: the database keeps it"
