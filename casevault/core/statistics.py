"""Anonymised statistics: the disclosure control every released table goes through, and
the bands and periods it is counted in. Pure: counts in, the table as released out.

The rules (the service's confidentiality policy promises anonymised data for audits and
the council, so a small number must never point at a family):

- a count of 0 stays 0; 1 to 7 is shown as ``[c]``; 8 and above is rounded to the nearest 5;
- totals are computed from the unrounded counts, then shown by the same rule;
- a percentage (of the row's total) only when that total, unrounded, is at least 20, as a
  whole number; the percentage of a cell shown as ``[c]`` is ``[c]`` too, since it would
  give the count back;
- a row with a single non-zero cell is shown entirely as ``[c]`` (its total would say
  which cell it is and how many).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

SUPPRESSED: Literal["[c]"] = "[c]"
SMALLEST_SHOWN = 8
ROUND_TO = 5
SMALLEST_DENOMINATOR = 20

Shown = int | Literal["[c]"]
Percent = int | Literal["[c]"] | None


def shown(count: int) -> Shown:
    """One count as released."""
    if count < 0:
        raise ValueError(f"a count is never negative: {count}")
    if count == 0:
        return 0
    if count < SMALLEST_SHOWN:
        return SUPPRESSED
    return (count + ROUND_TO // 2) // ROUND_TO * ROUND_TO  # integers never tie at x.5


def percentage(part: int, whole: int) -> int | None:
    """``part`` as a whole percentage of ``whole`` (half up), or None below 20 in all."""
    if whole < SMALLEST_DENOMINATOR:
        return None
    return (200 * part + whole) // (2 * whole)


# --- bands and periods ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    label: str
    from_years: int  # age at referral, whole years, this and above (up to the next band)


AGE_BANDS = (
    AgeBand("0-4", 0),
    AgeBand("5-11", 5),
    AgeBand("12-15", 12),
    AgeBand("16-17", 16),
    AgeBand("18-25", 18),
)


def day_number(day: dt.date) -> int:
    """20260301 for 1 March 2026: one subtraction of two gives whole years as the ten-thousands,
    as the database computes it (someone born on 29 February is a year older on 1 March)."""
    return day.year * 10_000 + day.month * 100 + day.day


def age_band(born: dt.date, on: dt.date) -> str:
    years = (day_number(on) - day_number(born)) // 10_000
    label = AGE_BANDS[0].label
    for band in AGE_BANDS:
        if years >= band.from_years:
            label = band.label
    return label


class By(str, enum.Enum):
    quarter = "quarter"
    year = "year"


def period_label(year: int, quarter: int | None) -> str:
    return f"{year}" if quarter is None else f"{year}-Q{quarter}"


def quarter_of(day: dt.date) -> int:
    return (day.month + 2) // 3


def whole_periods(start: dt.date, end: dt.date, by: By) -> tuple[dt.date, dt.date]:
    """``start`` and ``end`` widened to whole quarters or years: tables count whole periods."""
    if end < start:
        raise ValueError("the end comes before the start")
    if by is By.year:
        return dt.date(start.year, 1, 1), dt.date(end.year, 12, 31)
    first = dt.date(start.year, 3 * quarter_of(start) - 2, 1)
    last_month = 3 * quarter_of(end)
    after = dt.date(end.year + 1, 1, 1) if last_month == 12 else dt.date(end.year, last_month + 1, 1)
    return first, after - dt.timedelta(days=1)


def periods(start: dt.date, end: dt.date, by: By) -> list[str]:
    """Every period from ``start`` to ``end``, oldest first, as labelled in the table."""
    if by is By.year:
        return [period_label(year, None) for year in range(start.year, end.year + 1)]
    first, last = (start.year, quarter_of(start)), (end.year, quarter_of(end))
    labels = []
    year, quarter = first
    while (year, quarter) <= last:
        labels.append(period_label(year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return labels


# --- the released table --------------------------------------------------------------------


@dataclass(frozen=True)
class ReleasedRow:
    period: str  # "2026-Q3", "2026", or "total"
    counts: dict[str, Shown]
    total: Shown
    percentages: dict[str, Percent]


@dataclass(frozen=True)
class ReleasedTable:
    columns: list[str]
    rows: list[ReleasedRow]
    total: ReleasedRow  # every period together


def release(counts: Mapping[tuple[str, str], int], *, rows: Sequence[str], columns: Sequence[str]) -> ReleasedTable:
    """A table of ``rows`` (periods) by ``columns`` from the true ``counts`` (keyed by
    row and column; a missing key is 0), as it may be released."""
    grid = [[counts.get((row, column), 0) for column in columns] for row in rows]
    column_totals = [sum(row[index] for row in grid) for index in range(len(columns))]
    return ReleasedTable(
        columns=list(columns),
        rows=[_row(label, values, columns) for label, values in zip(rows, grid, strict=True)],
        total=_row("total", column_totals, columns),
    )


def _row(period: str, values: list[int], columns: Sequence[str]) -> ReleasedRow:
    whole = sum(values)
    if sum(1 for value in values if value) == 1:
        return ReleasedRow(
            period=period,
            counts=dict.fromkeys(columns, SUPPRESSED),
            total=SUPPRESSED,
            percentages=dict.fromkeys(columns, SUPPRESSED),
        )
    cells = [shown(value) for value in values]
    return ReleasedRow(
        period=period,
        counts=dict(zip(columns, cells, strict=True)),
        total=shown(whole),
        percentages={
            column: _percent_shown(value, whole, cell)
            for column, value, cell in zip(columns, values, cells, strict=True)
        },
    )


def _percent_shown(value: int, whole: int, cell: Shown) -> Percent:
    percent = percentage(value, whole)
    return SUPPRESSED if percent is not None and cell == SUPPRESSED else percent
