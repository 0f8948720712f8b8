"""The time to appeal: 28 days from the day of the decision, the last day included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rtw_assessment.domain import APPEAL_DAYS, appeal_deadline, in_time_to_appeal

pytestmark = pytest.mark.unit

DECIDED = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
moments = st.datetimes(
    # hypothesis takes naive bounds and adds the zone itself
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))


def test_the_last_day_is_the_28th_day_after_the_decision() -> None:
    assert APPEAL_DAYS == 28
    assert appeal_deadline(DECIDED) == date(2026, 3, 30)


def test_an_appeal_on_the_last_day_up_to_midnight_is_in_time_and_a_moment_later_is_not() -> None:
    last_moment = datetime(2026, 3, 30, 23, 59, 59, 999999, tzinfo=UTC)
    assert in_time_to_appeal(DECIDED, DECIDED)
    assert in_time_to_appeal(DECIDED, datetime(2026, 3, 30, 0, 0, tzinfo=UTC))
    assert in_time_to_appeal(DECIDED, last_moment)
    assert not in_time_to_appeal(DECIDED, last_moment + timedelta(microseconds=1))
    assert not in_time_to_appeal(DECIDED, DECIDED + timedelta(days=29))


def test_a_decision_late_in_the_day_still_counts_its_own_day_as_the_first() -> None:
    late = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)
    assert appeal_deadline(late) == appeal_deadline(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))


def test_times_in_other_zones_are_counted_in_utc_days() -> None:
    # 00:30 on 3 March in UTC+2 is still 2 March in UTC.
    decided = datetime(2026, 3, 3, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert appeal_deadline(decided) == date(2026, 3, 30)


def test_nothing_can_be_appealed_before_it_was_decided() -> None:
    assert not in_time_to_appeal(DECIDED, DECIDED - timedelta(seconds=1))


@given(decided=moments, after=offsets)
@example(decided=DECIDED, after=timedelta(days=28, hours=9, minutes=29, seconds=59))
@example(decided=DECIDED, after=timedelta(days=28, hours=9, minutes=30))
def test_in_time_exactly_while_the_day_is_not_after_the_last_day(decided: datetime, after: timedelta) -> None:
    now = decided + after
    assert in_time_to_appeal(decided, now) == (now.date() <= decided.date() + timedelta(days=28))


@given(decided=moments, first=offsets, second=offsets)
def test_once_too_late_it_stays_too_late(decided: datetime, first: timedelta, second: timedelta) -> None:
    earlier, later = sorted((first, second))
    if not in_time_to_appeal(decided, decided + earlier):
        assert not in_time_to_appeal(decided, decided + later)


@given(decided=moments)
def test_every_decision_gives_at_least_28_whole_days(decided: datetime) -> None:
    assert in_time_to_appeal(decided, decided + timedelta(days=28))
    assert not in_time_to_appeal(decided, decided + timedelta(days=29))
