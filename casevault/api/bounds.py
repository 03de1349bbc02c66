"""Bounds on what clients send, checked before a route runs.

Ids must fit the database's id columns, INTEGER: 32 bits on PostgreSQL (a larger
number fails the query), 64 on SQLite (past that it cannot even be bound). Dates
must lie in the real world: the schedule adds months and years to them (an
archive window, the 25th birthday) and subtracts years from ``as_of``, which
would run off either end of the calendar near 0001-01-01 or 9999-12-31. Both
answer 422 in problem+json, naming the range.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field

from casevault.core.models import name_problem

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER, the type of every id column
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)  # far from 9999-12-31, so no schedule arithmetic can overflow
DATE_RANGE = f"dates must be between {EARLIEST_DATE} and {LATEST_DATE}"


DAY_MONTH_YEAR = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")


def _iso_hint(value: Any) -> Any:
    """A date written day/month/year (10/12/2001) is refused saying its ISO form, not guessed at."""
    if not isinstance(value, str) or not (written := DAY_MONTH_YEAR.fullmatch(value)):
        return value
    day, month, year = (int(part) for part in written.groups())
    try:
        iso = dt.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"write dates as YYYY-MM-DD; {value.strip()} is not a date") from None
    raise ValueError(f"write dates as YYYY-MM-DD: for {value.strip()} (day/month/year) write {iso}")


def _in_the_real_world(day: dt.date) -> dt.date:
    """A date something happened, or a near plan: from 1900 to a year from today (the real date)."""
    latest = _a_year_from(dt.date.today())
    if not EARLIEST_DATE <= day <= latest:
        raise ValueError(f"dates must be between {EARLIEST_DATE} and {latest} (a year from today), not {day}")
    return day


def _a_year_from(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _a_plain_name(name: str) -> str:
    """No control characters (newlines, NUL, ...), none that reorder text, none invisible."""
    if problem := name_problem(name):
        raise ValueError(problem)
    return name


def _within_range(day: dt.date) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"{DATE_RANGE}, not {day}")
    return day


PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
RealDate = Annotated[dt.date, BeforeValidator(_iso_hint), AfterValidator(_within_range)]
# The date something in a person's life happened (birth, referral, note, letter, closing).
LifeDate = Annotated[dt.date, BeforeValidator(_iso_hint), AfterValidator(_in_the_real_world)]
Name = Annotated[str, AfterValidator(_a_plain_name)]
