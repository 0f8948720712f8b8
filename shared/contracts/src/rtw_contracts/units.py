"""Distances: the contracts carry kilometres (`WorkPreferences.max_travel_km`); people in the UK
think in miles, so pages ask and show miles and convert at their edge with these."""

from __future__ import annotations

#: Kilometres in one statute mile.
KM_PER_MILE = 1.609344


def km_from_miles(miles: float) -> int:
    """Whole kilometres for a distance in miles (20 miles → 32 km)."""
    return round(miles * KM_PER_MILE)


def miles_from_km(km: float) -> int:
    """Whole miles for a distance in kilometres (32 km → 20 miles). For whole miles,
    `miles_from_km(km_from_miles(m)) == m`: the rounding never loses what a person typed."""
    return round(km / KM_PER_MILE)


#: The furthest daily travel a person may give, in miles (the contract allows up to 1,000 km).
MAX_TRAVEL_MILES = miles_from_km(1000)
