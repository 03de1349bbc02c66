"""Time, injected: production asks the system, tests live through 25 years in a second."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def today(self) -> dt.date: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: dt.datetime | dt.date) -> None:
        self.set(at)

    def set(self, at: dt.datetime | dt.date) -> None:
        if not isinstance(at, dt.datetime):
            at = dt.datetime(at.year, at.month, at.day, 12, tzinfo=dt.UTC)
        self._now = at

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta

    def now(self) -> dt.datetime:
        return self._now

    def today(self) -> dt.date:
        return self._now.date()
