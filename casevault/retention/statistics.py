"""Counting cases for the anonymised statistics: one SQL GROUP BY per table over the
cases in the database, plus one over the tallies destroyed cases left behind.

Three fixed tables, each by period (quarter or year) and one category:

- ``referral-source``: cases by the quarter or year of their referral and who referred them;
- ``age-band``: cases by the period of their referral and the person's age then;
- ``outcome``: cases by the period they were closed in and their outcome code (a case
  reopened and not yet closed again has no closing date, so it is not counted).

What is counted here is the truth; ``core.statistics.release`` decides what is shown.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlmodel import Session, col, select

from casevault.core.models import Case, CaseStatus, DestroyedCaseTally, OutcomeCode, Person, ReferralSource
from casevault.core.statistics import AGE_BANDS, By, period_label, whole_periods

UNKNOWN_AGE = "unknown"  # no date of birth recorded (anonymous contact)


class Table(str, enum.Enum):
    referral_source = "referral-source"
    outcome = "outcome"
    age_band = "age-band"


COLUMNS: dict[Table, list[str]] = {
    Table.referral_source: [source.value for source in ReferralSource],
    Table.outcome: [code.value for code in OutcomeCode],
    Table.age_band: [*(band.label for band in AGE_BANDS), UNKNOWN_AGE],
}


@dataclass(frozen=True)
class Counts:
    start: dt.date  # widened to whole periods
    end: dt.date
    counts: dict[tuple[str, str], int]  # (period, column) -> cases


def count_cases(session: Session, *, table: Table, start: dt.date, end: dt.date, by: By) -> Counts:
    start, end = whole_periods(start, end, by)
    counts: dict[tuple[str, str], int] = {}
    grouped = [*_live(session, table, start, end, by), *_tallied(session, table, start, end, by)]
    for year, quarter, column, number in grouped:
        key = (period_label(year, quarter), str(column))
        counts[key] = counts.get(key, 0) + number
    return Counts(start=start, end=end, counts=counts)


Grouped = Sequence[tuple[int, int | None, Any, int]]  # year, quarter (None by year), column, count


def _live(session: Session, table: Table, start: dt.date, end: dt.date, by: By) -> Grouped:
    day = col(Case.closed_on) if table is Table.outcome else col(Case.referral_date)
    category: Any = {
        Table.referral_source: col(Case.referral_source),
        Table.outcome: _coded(col(Case.outcome_code)),
        Table.age_band: band_index_at_referral(),
    }[table]
    query = _grouped(_year(day), _quarter(day), category, by).select_from(Case)
    query = query.where(day >= start, day <= end, col(Case.status) != CaseStatus.destroyed)
    if table is not Table.age_band:
        return [_plain(row) for row in session.exec(query).all()]
    query = query.join(Person, col(Person.id) == col(Case.person_id))
    return [
        (year, quarter, BAND_LABELS.get(index, UNKNOWN_AGE), number)  # None: no date of birth
        for year, quarter, index, number in map(_plain, session.exec(query).all())
    ]


def _tallied(session: Session, table: Table, start: dt.date, end: dt.date, by: By) -> Grouped:
    tally = DestroyedCaseTally
    if table is Table.outcome:
        year, quarter = col(tally.closed_year), col(tally.closed_quarter)
    else:
        year, quarter = col(tally.referral_year), col(tally.referral_quarter)
    category: Any = {
        Table.referral_source: col(tally.referral_source),
        Table.outcome: _coded(col(tally.outcome_code)),
        Table.age_band: col(tally.age_band),
    }[table]
    first, last = _period_key(start, by), _period_key(end, by)
    key = year * 10 + (quarter if by is By.quarter else 0)
    query = _grouped(year, quarter, category, by).where(key >= first, key <= last, year.is_not(None))
    return [_plain(row) for row in session.exec(query).all()]


def _coded(outcome_code: Any) -> Any:
    """A closed case without a code (written before codes, by hand) counts as not recorded."""
    return sa.func.coalesce(sa.cast(outcome_code, sa.String), OutcomeCode.not_recorded.value)


def _grouped(year: Any, quarter: Any, category: Any, by: By) -> Any:
    """SELECT year, quarter, category, count(*) ... GROUP BY them (by year: quarter NULL, not grouped;
    PostgreSQL refuses a constant in GROUP BY)."""
    if by is By.quarter:
        return select(year, quarter, category, sa.func.count()).group_by(year, quarter, category)
    return select(year, sa.null(), category, sa.func.count()).group_by(year, category)


def _period_key(day: dt.date, by: By) -> int:
    return day.year * 10 + ((day.month + 2) // 3 if by is By.quarter else 0)


def _plain(row: Any) -> tuple[int, int | None, Any, int]:
    year, quarter, column, number = row
    value = column.value if isinstance(column, enum.Enum) else column
    return int(year), None if quarter is None else int(quarter), value, int(number)


# --- the same arithmetic in SQL, on SQLite and PostgreSQL ----------------------------------


class _DayNumber(sa.sql.functions.FunctionElement[int]):
    """core.statistics.day_number of a date column, in SQL: 20260301 for 1 March 2026."""

    type = sa.Integer()
    name = "day_number"
    inherit_cache = True


@compiles(_DayNumber, "sqlite")
def _day_number_sqlite(element: _DayNumber, compiler: Any, **kw: Any) -> str:
    # SQLite keeps a date as its ISO text: one string function a row, not three strftime calls.
    return f"CAST(replace({compiler.process(element.clauses, **kw)}, '-', '') AS INTEGER)"


@compiles(_DayNumber)
def _day_number_default(element: _DayNumber, compiler: Any, **kw: Any) -> str:
    return f"CAST(to_char({compiler.process(element.clauses, **kw)}, 'YYYYMMDD') AS INTEGER)"


def _day_number(day: Any) -> Any:
    return _DayNumber(day)


def _year(day: Any) -> Any:
    return _day_number(day) // 10_000


def _quarter(day: Any) -> Any:
    return ((_day_number(day) // 100) % 100 + 2) // 3


# The band of each age in whole years as one character, the index in AGE_BANDS: one substr a
# row finds it, where a CASE would subtract the dates again for each band. Ages below 0
# (never: a referral before birth is refused) fall in the first band, 120 and above in the last.
BELOW_ZERO = 200
BAND_OF_AGE = "0" * BELOW_ZERO + "".join(
    str(max(index for index, band in enumerate(AGE_BANDS) if band.from_years <= age)) for age in range(120)
)
BAND_LABELS = {str(index): band.label for index, band in enumerate(AGE_BANDS)} | {"": AGE_BANDS[-1].label}


def band_index_at_referral() -> Any:
    """The AGE_BANDS index (a character) of the person's age at the case's referral (needs Person joined)."""
    years = (_day_number(col(Case.referral_date)) - _day_number(col(Person.date_of_birth))) // 10_000
    return sa.func.substr(BAND_OF_AGE, years + (BELOW_ZERO + 1), 1)


def band_at_referral() -> Any:
    """core.statistics.age_band of the person at the case's referral, as its label, in SQL."""
    return sa.case(BAND_LABELS, value=band_index_at_referral(), else_=UNKNOWN_AGE)  # else: no date of birth


def tally_destroyed_cases(session: Session, *, person_id: int) -> None:
    """One anonymous tally row per case of a person about to be destroyed, in the
    destruction's own transaction: the statistics keep counting them, nothing names them."""
    closed_on = col(Case.closed_on)
    rows = (
        sa.select(
            col(Case.referral_source),
            band_at_referral(),
            _year(col(Case.referral_date)),
            _quarter(col(Case.referral_date)),
            col(Case.outcome_code),
            sa.case((closed_on.is_not(None), _year(closed_on))),
            sa.case((closed_on.is_not(None), _quarter(closed_on))),
        )
        .join(Person, col(Person.id) == col(Case.person_id))
        .where(col(Case.person_id) == person_id, col(Case.status) != CaseStatus.destroyed)
    )
    columns = [
        "referral_source",
        "age_band",
        "referral_year",
        "referral_quarter",
        "outcome_code",
        "closed_year",
        "closed_quarter",
    ]
    session.execute(sa.insert(DestroyedCaseTally).from_select(columns, rows))
