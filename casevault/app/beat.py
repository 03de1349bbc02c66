"""Celery beat that sends periodic tasks only while it holds the scheduler lease.

Any number of beats may run (one per machine, or two started together by
mistake): the one holding the ``beat`` lease sends, the others stand by and try
to take it every few seconds. The holder renews it every third of its length;
a holder that cannot renew (another took it, or the database is down) stops
sending at once.

When each entry last ran is kept in ``scheduled_run``, not in a file: a beat
that takes over loads it and carries on, and a slot missed while no beat ran is
sent once when one comes back (Celery's own due-time rules on the stored time).
Each send is first recorded there in a transaction that also renews the lease,
so a slot is recorded only by the process that holds the lease at that moment,
and a beat taking over never sends a slot already recorded.

The schedule asks the services' clock what time it is, as the lease does, so
both agree and a test can run beat at any moment it chooses.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from celery import Celery
from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import BaseSchedule, maybe_schedule
from sqlmodel import Session, select

from casevault.app.tasks import services_of_app
from casevault.core.clock import Clock
from casevault.core.db import transaction
from casevault.core.lease import Lease, LeaseLost
from casevault.core.models import ScheduledRun

log = logging.getLogger("casevault.beat")

LEASE_NAME = "beat"
STANDBY_CHECK_SECONDS = 5.0

HOLDER, STANDBY, UNAVAILABLE = "holder", "standby", "unavailable"


def process_id() -> str:
    """Which beat this is, for the lease row and the logs: host and pid, nothing personal."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


class LeasedScheduler(Scheduler):  # type: ignore[misc]  # celery is untyped
    """Celery's scheduler, acting only under the lease, its schedule in the database."""

    def __init__(self, app: Celery, *args: object, **kwargs: object) -> None:
        services = services_of_app(app)
        seconds = services.settings.beat_lease_seconds
        self._new_session = services.new_session
        self._lease = Lease(
            services.new_session,
            name=LEASE_NAME,
            holder=process_id(),
            duration=dt.timedelta(seconds=seconds),
            clock=services.clock,
        )
        self._clock: Clock = services.clock
        self._renew_every = seconds / 3
        self._check_every = min(STANDBY_CHECK_SECONDS, self._renew_every)
        self._state: str | None = None
        self._renewed_at = 0.0  # time.monotonic() of the last renewal
        self._in_database = False
        super().__init__(app, *args, **kwargs)

    def setup_schedule(self) -> None:
        clocked = {}
        for name, entry in self.app.conf.beat_schedule.items():
            clocked[name] = {**entry, "schedule": _on_clock(entry["schedule"], self.app, self._clock)}
        self.install_default_entries(self.data)
        self.merge_inplace(clocked)

    # --- one pass of beat's loop --------------------------------------------------------

    def tick(self, *args: object, **kwargs: object) -> float:
        if not self._holding():
            return self._check_every
        try:
            delay: float = super().tick(*args, **kwargs)
        except (LeaseLost, sa.exc.SQLAlchemyError) as error:  # from reserve(), before sending
            self._step_down(error)
            return self._check_every
        return min(delay, max(0.0, self._renewed_at + self._renew_every - time.monotonic()))

    def reserve(self, entry: ScheduleEntry) -> ScheduleEntry:
        """Record the send before making it, under the lease, or do not send."""
        sent, renewing = next(entry), time.monotonic()
        with self._database() as session:
            if not self._lease.renew(session):
                raise LeaseLost("the scheduler lease ran out or was taken over")
            session.merge(
                ScheduledRun(
                    entry=sent.name, last_run_at=_aware(sent.last_run_at), total_run_count=sent.total_run_count
                )
            )
        self._renewed_at = renewing
        self.schedule[entry.name] = sent
        return sent

    # --- the lease ----------------------------------------------------------------------

    def _holding(self) -> bool:
        if self._state == HOLDER and time.monotonic() - self._renewed_at < self._renew_every:
            return True
        try:
            if self._state == HOLDER:
                renewing = time.monotonic()  # taken before the renewal, so we never overestimate it
                with self._database() as session:
                    if self._lease.renew(session):
                        self._renewed_at = renewing
                        return True
                self._step_down(LeaseLost("the scheduler lease ran out or was taken over"))
            with self._busy():
                taken = self._lease.acquire()
            if taken:
                self._take_over()
                return True
            self._become(STANDBY)
        except (LeaseLost, sa.exc.SQLAlchemyError) as error:
            self._step_down(error)
        return False

    def _take_over(self) -> None:
        """Carry on the schedule where the last holder left it."""
        renewed_at = time.monotonic()
        with self._database() as session:
            if not self._lease.renew(session):
                raise LeaseLost("the scheduler lease was taken over while loading the schedule")
            _load_schedule(session, self.schedule)
        self._renewed_at = renewed_at
        self._heap = None  # rebuilt from the loaded times at the next tick
        self._become(HOLDER)

    def _step_down(self, why: BaseException) -> None:
        if isinstance(why, sa.exc.SQLAlchemyError):
            self._become(UNAVAILABLE, why=type(why).__name__)
        elif self._state == HOLDER:
            log.warning("beat %s: %s; sending nothing until it holds the lease again", self._lease.holder, why)
            self._state = None

    def _become(self, state: str, why: str = "") -> None:
        if state == self._state:
            return
        self._state = state
        seconds = self._lease.duration.total_seconds()
        if state == HOLDER:
            log.info(
                "beat %s: holds the scheduler lease and sends periodic tasks (renewed every %gs)",
                self._lease.holder,
                round(self._renew_every, 1),
            )
        elif state == STANDBY:
            log.info(
                "beat %s: standby; %s; checking every %gs",
                self._lease.holder,
                self._who_holds(),
                round(self._check_every, 1),
            )
        else:
            log.warning(
                "beat %s: cannot reach the database (%s); sending nothing; "
                "another beat takes over %.0fs after this one's last renewal",
                self._lease.holder,
                why,
                seconds,
            )

    def _who_holds(self) -> str:
        try:
            with self._busy():
                current = self._lease.current()
        except sa.exc.SQLAlchemyError:
            return "its holder is unknown"
        if current is None:
            return "no beat holds the lease"
        return f"{current.holder} holds the lease until {current.expires_at:%H:%M:%S}"

    @contextmanager
    def _database(self) -> Iterator[Session]:
        with self._busy(), transaction(self._new_session) as session:
            yield session

    @contextmanager
    def _busy(self) -> Iterator[None]:
        # Marks a transaction under way, so a shutdown signal arriving now does not
        # open a second one (on SQLite it would wait on ours for ever).
        self._in_database = True
        try:
            yield
        finally:
            self._in_database = False

    # --- shutdown -----------------------------------------------------------------------

    def close(self) -> None:
        """Release the lease so a standby takes over at its next check. Celery calls
        this from its SIGTERM/SIGINT handler and again as beat's loop ends; when the
        signal interrupted a transaction, the second call releases."""
        try:
            super().close()
        finally:
            if self._state == HOLDER and not self._in_database:
                self._state = None
                try:
                    self._lease.release_now()
                    log.info("beat %s: released the scheduler lease", self._lease.holder)
                except sa.exc.SQLAlchemyError as error:
                    log.warning(
                        "beat %s: could not release the scheduler lease (%s); a standby takes over once it runs out",
                        self._lease.holder,
                        type(error).__name__,
                    )

    @property
    def info(self) -> str:
        seconds = self._lease.duration.total_seconds()
        return f"    . lease -> {LEASE_NAME!r} in the database, {seconds:.0f}s, as {self._lease.holder}"


def _load_schedule(session: Session, schedule: dict[str, ScheduleEntry]) -> None:
    """Stored last-run times onto the entries; entries never stored yet are stored
    as they stand, so a beat that takes over later starts from the same times."""
    stored = {run.entry: run for run in session.exec(select(ScheduledRun)).all()}
    for name, entry in schedule.items():
        run = stored.get(name)
        if run is None:
            session.add(
                ScheduledRun(entry=name, last_run_at=_aware(entry.last_run_at), total_run_count=entry.total_run_count)
            )
        else:
            entry.last_run_at, entry.total_run_count = run.last_run_at, run.total_run_count


def _on_clock(every: object, app: Celery, clock: Clock) -> BaseSchedule:
    """A copy of an entry's schedule (a crontab, a timedelta, seconds) that asks ``clock`` the time."""
    schedule = maybe_schedule(every, app=app)
    if not isinstance(schedule, BaseSchedule):
        raise TypeError(f"a beat entry's schedule must be a crontab, a timedelta or seconds, not {every!r}")
    clocked = copy.copy(schedule)  # the app's configured one stays as it was
    clocked.nowfun = clock.now
    return clocked


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
