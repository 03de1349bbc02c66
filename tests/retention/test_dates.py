"""Month and birthday arithmetic: a window never ends early, a birthday never comes early."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from casevault.retention.dates import add_months, add_years, age_on

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(D(2025, 1, 31), 12, D(2026, 1, 31), id="31-jan-plus-12-is-31-jan"),
        pytest.param(D(2024, 2, 29), 12, D(2025, 3, 1), id="29-feb-plus-12-rolls-to-1-mar"),
        pytest.param(D(2024, 2, 29), 48, D(2028, 2, 29), id="29-feb-plus-48-lands-on-29-feb"),
        pytest.param(D(2025, 8, 31), 12, D(2026, 8, 31), id="31-aug-plus-12-is-31-aug"),
        pytest.param(D(2025, 8, 31), 6, D(2026, 3, 1), id="31-aug-plus-6-rolls-past-short-feb"),
        pytest.param(D(2023, 8, 31), 6, D(2024, 3, 1), id="31-aug-plus-6-rolls-past-leap-feb"),
        pytest.param(D(2025, 1, 31), 1, D(2025, 3, 1), id="31-jan-plus-1-rolls-to-1-mar"),
        pytest.param(D(2025, 3, 31), 1, D(2025, 5, 1), id="31-mar-plus-1-rolls-to-1-may"),
        pytest.param(D(2025, 12, 15), 1, D(2026, 1, 15), id="year-boundary"),
        pytest.param(D(2025, 6, 30), 0, D(2025, 6, 30), id="zero-months-is-the-same-day"),
    ],
)
def test_add_months(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


def test_negative_months_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_months(D(2025, 1, 1), -1)


@pytest.mark.parametrize(
    ("born", "years", "birthday"),
    [
        pytest.param(D(2000, 2, 29), 25, D(2025, 3, 1), id="leap-day-born-25th-in-common-year-is-1-mar"),
        # A 25th birthday of someone born on 29 February is always in a common year
        # (25 is not a multiple of 4); a leap-year anniversary keeps 29 February.
        pytest.param(D(2000, 2, 29), 24, D(2024, 2, 29), id="leap-day-born-24th-in-leap-year-is-29-feb"),
        pytest.param(D(2000, 2, 28), 25, D(2025, 2, 28), id="born-28-feb"),
        pytest.param(D(2001, 3, 1), 25, D(2026, 3, 1), id="born-1-mar"),
        pytest.param(D(1996, 2, 29), 104, D(2100, 3, 1), id="2100-is-not-a-leap-year"),
    ],
)
def test_add_years(born: dt.date, years: int, birthday: dt.date) -> None:
    assert add_years(born, years) == birthday


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        pytest.param(D(2000, 2, 29), D(2025, 2, 28), 24, id="leap-day-born-still-24-on-28-feb"),
        pytest.param(D(2000, 2, 29), D(2025, 3, 1), 25, id="leap-day-born-25-on-1-mar"),
        pytest.param(D(2000, 2, 29), D(2024, 2, 29), 24, id="leap-day-born-24-on-29-feb-leap-year"),
        pytest.param(D(2000, 2, 29), D(2024, 2, 28), 23, id="leap-day-born-23-the-day-before"),
        pytest.param(D(2000, 6, 15), D(2025, 6, 14), 24, id="day-before-birthday"),
        pytest.param(D(2000, 6, 15), D(2025, 6, 15), 25, id="on-birthday"),
        pytest.param(D(2000, 6, 15), D(2000, 6, 15), 0, id="day-of-birth"),
    ],
)
def test_age_on(born: dt.date, on: dt.date, age: int) -> None:
    assert age_on(born, on) == age


def _full_months_between(start: dt.date, end: dt.date) -> int:
    """An independent count: whole months from start to end, by calendar fields."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def test_add_months_covers_at_least_the_full_months_and_no_more_than_needed() -> None:
    rng = random.Random(20260101)
    for _ in range(5000):
        start = D(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 366))
        months = rng.randrange(0, 60)
        end = add_months(start, months)
        assert _full_months_between(start, end) >= months, (start, months, end)
        # ...and not later than needed: the day before falls short.
        if months:
            assert _full_months_between(start, end - dt.timedelta(days=1)) < months, (start, months, end)
