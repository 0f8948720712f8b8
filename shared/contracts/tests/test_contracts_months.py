"""Whole calendar months, the one way every service counts them (a career break's length, a
retention period), around month ends and leap years."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rtw_contracts import CareerBreak, CareerBreakReason
from rtw_contracts.months import add_months, whole_months

pytestmark = pytest.mark.unit

ONE_DAY = timedelta(days=1)


def last_day(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - ONE_DAY


#: Any day, or one of the days where months go wrong: the 1st, the 28th to the last, 29 February.
month_edges = st.builds(
    lambda year, month, back: max(date(year, month, 1), last_day(year, month) - timedelta(days=back)),
    st.integers(1950, 2100),
    st.integers(1, 12),
    st.integers(0, 3),
) | st.builds(lambda year: date(year, 3, 1) - ONE_DAY, st.integers(1950, 2100).map(lambda y: y - y % 4))
days = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)) | month_edges
months = st.integers(min_value=0, max_value=600)


# --------------------------------------------------------------------------- add_months


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),  # over a year end
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
    ],
)
def test_add_months_lands_on_the_same_day_or_the_shorter_months_last(
    moment: date, months: int, expected: date
) -> None:
    assert add_months(moment, months) == expected


def test_add_months_keeps_a_datetimes_time_and_zone() -> None:
    moment = datetime(2026, 8, 31, 9, 30, tzinfo=UTC)
    assert add_months(moment, 6) == datetime(2027, 2, 28, 9, 30, tzinfo=UTC)


@given(day=days, count=months)
def test_add_months_moves_exactly_that_many_calendar_months(day: date, count: int) -> None:
    moved = add_months(day, count)
    assert (moved.year - day.year) * 12 + moved.month - day.month == count
    assert moved.day == min(day.day, last_day(moved.year, moved.month).day)


# --------------------------------------------------------------------------- whole_months


@given(start=days, end=days)
@example(start=date(2026, 1, 1), end=date(2026, 12, 4))  # the 11 months and 3 days
@example(start=date(2024, 1, 31), end=date(2024, 2, 29))
@example(start=date(2024, 2, 29), end=date(2025, 2, 28))
@settings(max_examples=500)
def test_whole_months_are_the_most_that_fit_before_the_end(start: date, end: date) -> None:
    counted = whole_months(start, end)
    if end < start:
        assert counted == 0
        return
    assert add_months(start, counted) <= end < add_months(start, counted + 1)


@given(start=days, count=months)
def test_a_month_is_whole_on_its_anniversary_and_not_a_day_before(start: date, count: int) -> None:
    anniversary = add_months(start, count)
    assert whole_months(start, anniversary) == count
    if count:
        assert whole_months(start, anniversary - ONE_DAY) == count - 1


@given(start=days, a=days, b=days)
def test_whole_months_never_fall_as_the_end_moves_later(start: date, a: date, b: date) -> None:
    early, late = sorted((a, b))
    assert whole_months(start, early) <= whole_months(start, late)


# --------------------------------------------------------------------------- a career break


def ongoing(start: date) -> CareerBreak:
    return CareerBreak(start=start, reason=CareerBreakReason.CARING)


@pytest.mark.parametrize(
    ("start", "on", "expected"),
    [
        (date(2026, 1, 1), date(2026, 12, 4), 11),  # the issue: not "12 months or more"
        (date(2026, 2, 1), date(2026, 12, 4), 10),  # the issue: not "11 months"
        (date(2026, 1, 1), date(2026, 12, 31), 11),
        (date(2026, 1, 1), date(2027, 1, 1), 12),
        (date(2023, 3, 1), date(2024, 2, 29), 11),  # leap day
        (date(2023, 3, 1), date(2024, 3, 1), 12),
        (date(2026, 12, 1), date(2026, 12, 4), 0),
    ],
)
def test_an_ongoing_break_counts_the_whole_months_up_to_the_day(start: date, on: date, expected: int) -> None:
    assert ongoing(start).months_as_of(on) == expected


@given(start=days, on=days)
def test_an_ongoing_break_counts_only_months_that_are_over(start: date, on: date) -> None:
    break_ = ongoing(start)
    first = break_.start  # the first day of the month it began
    counted = break_.months_as_of(on)
    if on < first:
        assert counted == 0
    else:
        # Exactly the months from its first month to the month before `on`'s.
        assert counted == (on.year - first.year) * 12 + on.month - first.month
        assert add_months(first, counted) <= on


@given(start=days, length=st.integers(0, 240), later=st.integers(0, 5000))
def test_a_closed_break_counts_its_first_and_last_months_once_it_is_over(
    start: date, length: int, later: int
) -> None:
    first = start.replace(day=1)
    last = add_months(first, length)
    closed = CareerBreak(start=first, end=last, reason=CareerBreakReason.CARING)
    over = add_months(last, 1)  # the first day after its last month
    assert closed.months_as_of(over + timedelta(days=later)) == length + 1
    # Decided while its last month is still under way: only what can have passed so far counts.
    assert closed.months_as_of(over - ONE_DAY) == length
