"""The legal clock of a subject access request (UK GDPR Article 12(3), as the ICO explains it).

Pure: dates in, dates out; bank holidays from the ``holidays`` package's bundled data for
England and Wales (no network).

- **Due date.** The day of receipt is day 1; the answer is due on the same date of the next
  month (received 3 January, due 3 February), or that month's last day when it has no such
  date (31 January: 28 or 29 February). A due date on a Saturday, Sunday or bank holiday in
  England and Wales moves to the next working day.
- **Clock stops.** While the service waits for the requester's identity or for clarification
  the clock is paused; when it resumes, the days paused are added back. A stop on day S
  resumed on day R pauses ``R - S`` calendar days: the day it stops counts as paused, the day
  it resumes counts again. The paused days are added to the calendar due date (same date
  next month, or its last day) and only then is a weekend or bank holiday moved past. A stop
  that has not resumed pauses nothing yet: while it stands the request shows the days it had
  left when the clock stopped, and its due date is fixed when it resumes.
- **Extension.** A complex request may be extended by one or two more months (the same
  date, or last day, of the month one or two months further on, plus the days paused). The
  requester must be told within the first month: an extension told after the due date the
  request had without it is refused.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import holidays

MONTHS = 1  # the time limit
MAX_EXTENSION_MONTHS = 2
WARN_DAYS = 7  # a request this close to its due date is flagged
URGENT_DAYS = 2  # and this close, urgently


@dataclass(frozen=True)
class Stop:
    stopped_on: dt.date
    resumed_on: dt.date | None = None  # None: the clock is stopped still


@dataclass(frozen=True)
class ClockState:
    due_on: dt.date
    paused: bool  # a stop stands: the days left do not run down
    days_left: int  # calendar days to the due date (negative: overdue); frozen while paused
    days_paused: int


def add_months(day: dt.date, months: int) -> dt.date:
    """The same date ``months`` later, or that month's last day when it has none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: dt.date) -> bool:
    """Not a Saturday, Sunday or bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def days_paused(stops: Iterable[Stop]) -> int:
    """Calendar days the clock stood still, counting resumed stops only."""
    return sum((stop.resumed_on - stop.stopped_on).days for stop in stops if stop.resumed_on is not None)


def due_date(received_on: dt.date, *, stops: Iterable[Stop] = (), extension_months: int = 0) -> dt.date:
    """The day the answer is due, by the rule in this module's docstring."""
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_MONTHS} months, not {extension_months}")
    calendar_due = add_months(received_on, MONTHS + extension_months)
    return next_working_day(calendar_due + dt.timedelta(days=days_paused(stops)))


def clock(received_on: dt.date, *, stops: Iterable[Stop] = (), extension_months: int = 0, as_of: dt.date) -> ClockState:
    """Where the clock stands on ``as_of``."""
    stops = tuple(stops)
    due_on = due_date(received_on, stops=stops, extension_months=extension_months)
    standing = next((stop for stop in stops if stop.resumed_on is None), None)
    counted_to = standing.stopped_on if standing is not None else as_of
    return ClockState(
        due_on=due_on, paused=standing is not None, days_left=(due_on - counted_to).days, days_paused=days_paused(stops)
    )


def extension_refusal(received_on: dt.date, *, stops: Iterable[Stop] = (), told_on: dt.date) -> str | None:
    """Why an extension told to the requester on ``told_on`` is refused, or None: it must be
    told within the first month, i.e. on or before the due date without the extension."""
    if told_on < received_on:
        return f"the requester cannot have been told ({told_on}) before the request was received ({received_on})"
    first_month_ends = due_date(received_on, stops=stops)
    if told_on > first_month_ends:
        return (
            f"an extension must be told to the requester within the first month, by {first_month_ends};"
            f" told on {told_on} is too late: answer the request now"
        )
    return None


def warning(days_left: int) -> str | None:
    """``"overdue"``, ``"urgent"`` (2 days or fewer), ``"due soon"`` (7 or fewer), or None."""
    if days_left < 0:
        return "overdue"
    if days_left <= URGENT_DAYS:
        return "urgent"
    if days_left <= WARN_DAYS:
        return "due soon"
    return None
