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
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, Field

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER, the type of every id column
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)  # far from 9999-12-31, so no schedule arithmetic can overflow
DATE_RANGE = f"dates must be between {EARLIEST_DATE} and {LATEST_DATE}"


def _within_range(day: dt.date) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"{DATE_RANGE}, not {day}")
    return day


PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
RealDate = Annotated[dt.date, AfterValidator(_within_range)]
