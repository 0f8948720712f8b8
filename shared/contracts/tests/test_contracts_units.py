"""Miles at the pages' edge, kilometres in the contracts: the conversion never loses a whole mile."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rtw_contracts import WorkPreferences
from rtw_contracts.units import MAX_TRAVEL_MILES, km_from_miles, miles_from_km

pytestmark = pytest.mark.unit


@given(st.integers(min_value=0, max_value=MAX_TRAVEL_MILES))
def test_whole_miles_survive_the_round_trip_through_kilometres(miles: int) -> None:
    km = km_from_miles(miles)
    assert miles_from_km(km) == miles
    WorkPreferences.model_validate(
        {
            "flexible_working": [],
            "max_travel_km": km,
            "visible_to_regions": ["west_midlands"],
            "visible_to_councils": [],
        }
    )  # within what the contract allows


def test_twenty_miles_are_thirty_two_kilometres() -> None:
    assert km_from_miles(20) == 32
    assert miles_from_km(32) == 20
