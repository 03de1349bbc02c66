"""The legal clock of a subject access request: day of receipt is day 1, due the same date
next month (or its last day), moved past weekends and bank holidays in England and Wales;
clock stops add their days back; extensions of up to two months, told within the first."""

from __future__ import annotations

import datetime as dt

import pytest

from casevault.policy.due_dates import (
    Stop,
    add_months,
    clock,
    due_date,
    extension_refusal,
    is_working_day,
    warning,
)

D = dt.date


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        (D(2026, 1, 5), D(2026, 2, 5), "the same date next month (a Thursday)"),
        (D(2026, 3, 31), D(2026, 4, 30), "31 March: April has no 31st, its last day"),
        (D(2025, 1, 31), D(2025, 2, 28), "31 January in a common year: 28 February"),
        (D(2024, 1, 31), D(2024, 2, 29), "31 January in a leap year: 29 February"),
        (D(2024, 2, 29), D(2024, 4, 2), "29 February: 29 March 2024 is Good Friday, 1 April Easter Monday"),
        (D(2026, 10, 7), D(2026, 11, 9), "due on a Saturday: the Monday after"),
        (D(2026, 10, 8), D(2026, 11, 9), "due on a Sunday: the Monday after"),
        (D(2026, 10, 31), D(2026, 11, 30), "received on a Saturday still counts as day 1"),
        (D(2026, 11, 25), D(2026, 12, 29), "Christmas Day, a weekend and Boxing Day (observed) on Monday 28th"),
        (D(2026, 3, 6), D(2026, 4, 7), "Easter Monday"),
        (D(2026, 4, 25), D(2026, 5, 26), "Spring bank holiday (25 May 2026)"),
    ],
)
def test_the_due_date(received: dt.date, due: dt.date, why: str) -> None:
    assert due_date(received) == due, why
    assert is_working_day(due)


def test_month_ends_clamp_and_leap_years() -> None:
    assert add_months(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)


def test_a_clock_stop_adds_the_days_it_stood_still() -> None:
    received = D(2026, 1, 5)  # due 5 February without a stop
    stop = Stop(D(2026, 1, 10), D(2026, 1, 20))  # 10 days waiting for identity

    assert due_date(received, stops=[stop]) == D(2026, 2, 16)  # 15 Feb is a Sunday
    two = [stop, Stop(D(2026, 1, 25), D(2026, 1, 26))]
    assert due_date(received, stops=two) == D(2026, 2, 16)  # 5 + 11 = 16 February, a Monday


def test_while_the_clock_is_stopped_the_days_left_do_not_run_down() -> None:
    received = D(2026, 1, 5)
    standing = Stop(D(2026, 1, 26))

    on_the_day = clock(received, stops=[standing], as_of=D(2026, 1, 26))
    weeks_later = clock(received, stops=[standing], as_of=D(2026, 3, 1))

    assert on_the_day.paused and weeks_later.paused
    assert on_the_day.days_left == weeks_later.days_left == 10  # 26 Jan to 5 Feb
    resumed = clock(received, stops=[Stop(D(2026, 1, 26), D(2026, 3, 1))], as_of=D(2026, 3, 1))
    assert not resumed.paused and resumed.days_paused == 34
    assert resumed.due_on == D(2026, 3, 11) and resumed.days_left == 10  # picks up where it stopped


@pytest.mark.parametrize(
    ("months", "due"),
    [
        (1, D(2026, 3, 5)),
        (2, D(2026, 4, 7)),  # 5 April 2026 is Easter Sunday, 6 April Easter Monday
    ],
)
def test_an_extension(months: int, due: dt.date) -> None:
    assert due_date(D(2026, 1, 5), extension_months=months) == due


def test_an_extension_adds_to_a_stopped_clock() -> None:
    stop = Stop(D(2026, 1, 10), D(2026, 1, 20))
    assert due_date(D(2026, 1, 5), stops=[stop], extension_months=2) == D(2026, 4, 15)


def test_an_extension_more_than_two_months_is_refused() -> None:
    with pytest.raises(ValueError, match="0 to 2 months"):
        due_date(D(2026, 1, 5), extension_months=3)


@pytest.mark.parametrize(
    ("told_on", "refused"),
    [
        (D(2026, 1, 5), False),  # the day it came in
        (D(2026, 2, 5), False),  # the last day of the first month
        (D(2026, 2, 6), True),  # after the first month: too late
        (D(2026, 1, 4), True),  # before it was received
    ],
)
def test_an_extension_must_be_told_within_the_first_month(told_on: dt.date, refused: bool) -> None:
    reason = extension_refusal(D(2026, 1, 5), told_on=told_on)
    assert (reason is not None) is refused, reason


def test_the_first_month_runs_longer_by_the_days_stopped() -> None:
    stop = Stop(D(2026, 1, 10), D(2026, 1, 20))
    assert extension_refusal(D(2026, 1, 5), stops=[stop], told_on=D(2026, 2, 16)) is None
    assert "too late" in (extension_refusal(D(2026, 1, 5), stops=[stop], told_on=D(2026, 2, 17)) or "")


@pytest.mark.parametrize(
    ("days_left", "flag"),
    [(30, None), (8, None), (7, "due soon"), (3, "due soon"), (2, "urgent"), (0, "urgent"), (-1, "overdue")],
)
def test_warnings_at_7_and_2_days(days_left: int, flag: str | None) -> None:
    assert warning(days_left) == flag
