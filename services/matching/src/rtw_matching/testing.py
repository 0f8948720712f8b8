"""Test support for the matching service: random open vacancies near Walsall."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from rtw_contracts import FlexibleWorking, IctSpecialism, Region, WorkMode
from rtw_platform import reference

HOME = Region.WEST_MIDLANDS
COUNCIL = "E08000030"  # Walsall, West Midlands
STARTS = datetime.now(UTC).date() + timedelta(days=30)


def vacancy_values(
    rng: random.Random, skills: Sequence[str], skill_count: tuple[int, int], **changes: Any
) -> dict[str, Any]:
    """An open ICT vacancy's columns, based in Walsall: a random specialism, role, work mode and
    flexible working, and `skill_count` (at least, at most) of `skills` required at random levels."""
    specialism = rng.choice(list(IctSpecialism))
    walsall = reference.councils()[COUNCIL]
    values: dict[str, Any] = {
        "id": uuid4(),
        "council_id": uuid4(),
        "gss_code": COUNCIL,
        "region": HOME.value,
        "title": "Test vacancy",
        "programme": "ict",
        "specialism": specialism.value,
        "role": rng.choice(specialism.ddat_roles),
        "role_level": "Test level",
        "required_skills": {
            s: rng.randint(1, 4) for s in rng.sample(list(skills), rng.randint(*skill_count))
        },
        "bases": [{"district": None, "latitude": walsall.latitude, "longitude": walsall.longitude}],
        "work_mode": rng.choice([m.value for m in WorkMode]),
        "flexible_working": [f.value for f in rng.sample(list(FlexibleWorking), rng.randint(0, 3))],
        "salary_min_pence": 3_000_000,
        "salary_max_pence": 3_500_000,
        "hours_per_week": 37.0,
        "closing_date": STARTS - timedelta(weeks=4),
        "status": "open",
        "posted_at": datetime.now(UTC),
    }
    values.update(changes)
    return values
