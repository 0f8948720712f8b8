"""Calendar months, counted one way by every service: how long a career break has lasted (the
programme's "12 months or more") and when a retention period is over.

A month is whole once the same day of the next month is reached; a day the next month lacks
(31 January + 1 month) falls on that month's last day (28 or 29 February).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar

__all__ = ["add_months", "whole_months"]

Day = TypeVar("Day", bound=date)  # a date, or a datetime (its time of day is kept)


def add_months(moment: Day, months: int) -> Day:
    """The same day `months` calendar months later (earlier if negative), on the month's last
    day when it is shorter: ``add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)``."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, _days_in(year, month)))


def whole_months(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end`: the most `n` with ``add_months(start, n) <=
    end`` (0 if `end` is before `start`). 1 January to 31 January is 0, to 1 February is 1."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if add_months(start, months) <= end else months - 1


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
