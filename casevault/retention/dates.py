"""Calendar arithmetic for the retention schedule: months, birthdays and ages.

One rule for days a month does not have, used for archive windows and birthdays
alike: the date rolls forward to the first day of the next month. So
29 February + 12 months is 1 March, and a person born on 29 February turns 25
on 1 March in a common year (29 February in a leap year). 31 January + 12
months is 31 January; 31 August + 6 months is 1 March.

Rolling forward (rather than clamping back to the month's last day) means a
window of N months always covers at least N full months, so nothing the
schedule keeps is ever released or destroyed a day early.
"""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus ``months`` calendar months; a missing day rolls to the 1st of the next month."""
    if months < 0:
        raise ValueError(f"months must not be negative, got {months}")
    year, month_index = divmod(start.month - 1 + months, 12)
    year += start.year
    month = month_index + 1
    days_in_month = calendar.monthrange(year, month)[1]
    if start.day <= days_in_month:
        return dt.date(year, month, start.day)
    return dt.date(year, month, days_in_month) + dt.timedelta(days=1)


def add_years(start: dt.date, years: int) -> dt.date:
    """The anniversary ``years`` after ``start`` (29 February → 1 March in common years)."""
    return add_months(start, 12 * years)


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Full years of age on ``on``, counting birthdays the way ``add_years`` does."""
    if on < date_of_birth:
        raise ValueError("the date is before the date of birth")
    years = on.year - date_of_birth.year
    if add_years(date_of_birth, years) > on:
        years -= 1
    return years
