"""The disclosure control, rule by rule, at the boundary values 0, 1, 7, 8, 12, 13, 19, 20;
and the bands and periods tables are counted in."""

from __future__ import annotations

import datetime as dt

import pytest

from casevault.core.statistics import (
    SUPPRESSED,
    By,
    age_band,
    percentage,
    periods,
    release,
    shown,
    whole_periods,
)

C = SUPPRESSED


@pytest.mark.parametrize(
    ("count", "released"),
    [(0, 0), (1, C), (7, C), (8, 10), (12, 10), (13, 15), (19, 20), (20, 20), (22, 20), (23, 25), (1000, 1000)],
)
def test_a_count_is_0_suppressed_from_1_to_7_then_rounded_to_the_nearest_5(count: int, released: object) -> None:
    assert shown(count) == released


@pytest.mark.parametrize(
    ("part", "whole", "percent"),
    [
        (7, 19, None),  # below 20 in all: no percentage
        (0, 19, None),
        (1, 20, 5),
        (7, 20, 35),
        (13, 20, 65),
        (19, 20, 95),
        (20, 20, 100),
        (0, 20, 0),
        (1, 40, 3),  # 2.5 rounds half up
        (1, 3000, 0),
    ],
)
def test_a_percentage_needs_a_denominator_of_at_least_20_and_is_a_whole_number(
    part: int, whole: int, percent: int | None
) -> None:
    assert percentage(part, whole) == percent


def test_a_negative_count_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="never negative"):
        shown(-1)


COLUMNS = ["a", "b", "c"]


def _table(rows: dict[str, list[int]]):
    counts = {
        (row, column): value for row, values in rows.items() for column, value in zip(COLUMNS, values, strict=True)
    }
    return release(counts, rows=list(rows), columns=COLUMNS)


def test_each_cell_is_released_by_the_rule_and_the_total_from_the_unrounded_counts() -> None:
    row = _table({"2026-Q1": [8, 8, 8]}).rows[0]
    assert row.counts == {"a": 10, "b": 10, "c": 10}
    assert row.total == 25  # the true 24, not 30 by adding what is shown
    row = _table({"2026-Q1": [12, 12, 0]}).rows[0]
    assert (row.counts, row.total) == ({"a": 10, "b": 10, "c": 0}, 25)  # 24, not 20


def test_small_counts_are_suppressed_and_their_percentages_too() -> None:
    row = _table({"2026-Q1": [1, 7, 13]}).rows[0]
    assert row.counts == {"a": C, "b": C, "c": 15}
    assert row.total == 20  # 21
    assert row.percentages == {"a": C, "b": C, "c": 62}  # 13 of 21


def test_percentages_only_when_the_row_total_is_at_least_20() -> None:
    nineteen = _table({"q": [0, 8, 11]}).rows[0]
    assert nineteen.counts == {"a": 0, "b": 10, "c": 10}
    assert nineteen.percentages == {"a": None, "b": None, "c": None}
    twenty = _table({"q": [0, 8, 12]}).rows[0]
    assert twenty.total == 20
    assert twenty.percentages == {"a": 0, "b": 40, "c": 60}


@pytest.mark.parametrize("count", [1, 7, 8, 12, 13, 19, 20])
def test_a_row_with_a_single_non_zero_cell_is_shown_entirely_as_c(count: int) -> None:
    row = _table({"2026-Q1": [0, count, 0]}).rows[0]
    assert row.counts == {"a": C, "b": C, "c": C}
    assert row.total == C
    assert row.percentages == {"a": C, "b": C, "c": C}


def test_a_row_of_zeros_stays_zeros() -> None:
    row = _table({"2026-Q1": [0, 0, 0]}).rows[0]
    assert (row.counts, row.total, row.percentages) == ({"a": 0, "b": 0, "c": 0}, 0, dict.fromkeys(COLUMNS))


def test_the_total_row_adds_the_unrounded_counts_and_follows_every_rule() -> None:
    table = _table({"2026-Q1": [1, 12, 0], "2026-Q2": [7, 8, 0], "2026-Q3": [0, 0, 0]})
    assert [row.counts for row in table.rows] == [
        {"a": C, "b": 10, "c": 0},
        {"a": C, "b": 10, "c": 0},
        {"a": 0, "b": 0, "c": 0},
    ]
    total = table.total
    assert total.period == "total"
    assert total.counts == {"a": 10, "b": 20, "c": 0}  # 8 and 20, not [c] + 10 + 10
    assert total.total == 30  # 28
    assert total.percentages == {"a": 29, "b": 71, "c": 0}
    only_one = _table({"2026-Q1": [0, 7, 0], "2026-Q2": [0, 13, 0]}).total
    assert only_one.counts == {"a": C, "b": C, "c": C} and only_one.total == C


def test_a_missing_cell_counts_as_zero() -> None:
    table = release({("2026-Q1", "a"): 9}, rows=["2026-Q1"], columns=["a", "b"])
    assert table.rows[0].counts == {"a": C, "b": C}  # and that makes it the row's only non-zero cell


# --- bands and periods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        ("2020-01-01", "2020-01-01", "0-4"),
        ("2020-01-01", "2024-12-31", "0-4"),
        ("2020-01-01", "2025-01-01", "5-11"),
        ("2010-06-15", "2022-06-14", "5-11"),
        ("2010-06-15", "2022-06-15", "12-15"),
        ("2010-06-15", "2026-06-14", "12-15"),
        ("2010-06-15", "2026-06-15", "16-17"),
        ("2008-06-15", "2026-06-15", "18-25"),
        ("2001-06-15", "2026-06-14", "18-25"),
        ("2008-02-29", "2020-02-28", "5-11"),
        ("2008-02-29", "2020-02-29", "12-15"),
        ("2000-02-29", "2018-02-28", "16-17"),  # born on 29 February: a year older on 1 March in a common year
        ("2000-02-29", "2018-03-01", "18-25"),
    ],
)
def test_the_age_band_at_referral(born: str, on: str, band: str) -> None:
    assert age_band(dt.date.fromisoformat(born), dt.date.fromisoformat(on)) == band


def test_periods_are_whole_quarters_or_years() -> None:
    assert whole_periods(dt.date(2025, 11, 5), dt.date(2026, 2, 1), By.quarter) == (
        dt.date(2025, 10, 1),
        dt.date(2026, 3, 31),
    )
    assert whole_periods(dt.date(2025, 11, 5), dt.date(2026, 12, 31), By.quarter)[1] == dt.date(2026, 12, 31)
    assert whole_periods(dt.date(2025, 11, 5), dt.date(2026, 2, 1), By.year) == (
        dt.date(2025, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert periods(dt.date(2025, 10, 1), dt.date(2026, 6, 30), By.quarter) == [
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
    ]
    assert periods(dt.date(2024, 1, 1), dt.date(2026, 12, 31), By.year) == ["2024", "2025", "2026"]
