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


# Each is one construct compiled for each database, the cheapest way each has (100,000 rows
# in well under 500 ms): SQLite keeps a date as ISO text, so string functions; PostgreSQL
# has date parts and interval arithmetic. tests/statistics holds both to core.statistics.


class _Year(sa.sql.functions.FunctionElement[int]):
    type = sa.Integer()
    name = "year_of"
    inherit_cache = True


class _Quarter(sa.sql.functions.FunctionElement[int]):
    type = sa.Integer()
    name = "quarter_of"
    inherit_cache = True


class _BandIndex(sa.sql.functions.FunctionElement[str]):
    """The index in AGE_BANDS, as one character, of the age on a day (first argument) of
    someone born on another (second); NULL without a date of birth."""

    type = sa.String()
    name = "band_index"
    inherit_cache = True


def _arguments(element: Any, compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(_Year, "sqlite")
def _year_sqlite(element: _Year, compiler: Any, **kw: Any) -> str:
    return f"CAST(substr({_arguments(element, compiler, **kw)[0]}, 1, 4) AS INTEGER)"


@compiles(_Year)
def _year_postgresql(element: _Year, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_part('year', {_arguments(element, compiler, **kw)[0]}) AS INTEGER)"


@compiles(_Quarter, "sqlite")
def _quarter_sqlite(element: _Quarter, compiler: Any, **kw: Any) -> str:
    return f"((CAST(substr({_arguments(element, compiler, **kw)[0]}, 6, 2) AS INTEGER) + 2) / 3)"


@compiles(_Quarter)
def _quarter_postgresql(element: _Quarter, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_part('quarter', {_arguments(element, compiler, **kw)[0]}) AS INTEGER)"


# SQLite: the whole years between the two days as core.statistics.day_number does it (the
# ISO text without its dashes, subtracted), then the band of each age as one character of a
# string: one lookup, where a CASE would subtract again for each band. Ages below 0 (never:
# a referral before birth is refused) fall in the first band, 120 and above in the last.
BELOW_ZERO = 200
BAND_OF_AGE = "0" * BELOW_ZERO + "".join(
    str(max(index for index, band in enumerate(AGE_BANDS) if band.from_years <= age)) for age in range(120)
)
BAND_LABELS = {str(index): band.label for index, band in enumerate(AGE_BANDS)} | {"": AGE_BANDS[-1].label}


@compiles(_BandIndex, "sqlite")
def _band_index_sqlite(element: _BandIndex, compiler: Any, **kw: Any) -> str:
    on, born = (f"CAST(replace({day}, '-', '') AS INTEGER)" for day in _arguments(element, compiler, **kw))
    return f"substr('{BAND_OF_AGE}', ({on} - {born}) / 10000 + {BELOW_ZERO + 1}, 1)"


@compiles(_BandIndex)
def _band_index_postgresql(element: _BandIndex, compiler: Any, **kw: Any) -> str:
    # Someone is N on the day when born on or before that day N years earlier (PostgreSQL takes
    # 29 February back to the 28th in a common year: born on 29 February, N on 1 March).
    on, born = _arguments(element, compiler, **kw)
    bands = list(enumerate(AGE_BANDS))
    whens = " ".join(
        f"WHEN {born} > {on} - interval '{upper.from_years} years' THEN '{index}'"
        for (index, _), (_, upper) in zip(bands, bands[1:], strict=False)
    )
    return f"CASE WHEN {born} IS NULL THEN NULL {whens} ELSE '{bands[-1][0]}' END"


def _year(day: Any) -> Any:
    return _Year(day)


def _quarter(day: Any) -> Any:
    return _Quarter(day)


def band_index_at_referral() -> Any:
    """The AGE_BANDS index (a character) of the person's age at the case's referral (needs Person joined)."""
    return _BandIndex(col(Case.referral_date), col(Person.date_of_birth))


def band_at_referral() -> Any:
    """core.statistics.age_band of the person at the case's referral, as its label, in SQL."""
    return sa.case(BAND_LABELS, value=band_index_at_referral(), else_=UNKNOWN_AGE)  # else: no date of birth


def tally_destroyed_cases(session: Session, *, person_id: int, case_id: int | None = None) -> None:
    """One anonymous tally row per case of a person about to be destroyed (or only ``case_id``,
    a declined referral's), in the destruction's own transaction: the statistics keep counting
    them, nothing names them."""
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
        # Every case of theirs: the destruction marked them all destroyed when it started.
        .where(col(Case.person_id) == person_id)
    )
    if case_id is not None:
        rows = rows.where(col(Case.id) == case_id)
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
