"""Reach counts each applicant under the council their postcode district is in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from rtw_applications.reports import Person, reach

pytestmark = pytest.mark.unit

SUBMITTED = {"started": datetime(2026, 9, 1, tzinfo=UTC), "submitted": datetime(2026, 9, 2, tzinfo=UTC)}


class NoRows:
    """The report's own tables (signed-up councils, vacancies), empty: only people are counted."""

    async def exec(self, statement: Any) -> NoRows:
        return self

    def all(self) -> list[Any]:
        return []


class ReportsOnly:
    session = NoRows()


def applicant(district: str, region: str = "scotland") -> Person:
    return Person(
        application_id=uuid4(),
        programme="ict",
        cohort_id="ict-test",
        region=region,
        district=district,
        max_travel_km=25,
        reached=dict(SUBMITTED),
        codes={},
    )


async def test_applicants_are_counted_under_the_council_they_live_in() -> None:
    people = [
        applicant("HS1"),
        applicant("HS1"),
        applicant("ZE1"),
        applicant("EH1"),
        applicant("G1"),
        applicant("WS1", "west_midlands"),
    ]

    found = await reach(ReportsOnly(), people)  # type: ignore[arg-type]

    assert found["per_council"] == {
        "City of Edinburgh": {"applicants": 1},
        "Glasgow City": {"applicants": 1},
        "Na h-Eileanan Siar": {"applicants": 2},
        "Shetland Islands": {"applicants": 1},
        "Walsall": {"applicants": 1},
    }
    assert found["per_region"] == {"scotland": {"applicants": 5}, "west_midlands": {"applicants": 1}}
