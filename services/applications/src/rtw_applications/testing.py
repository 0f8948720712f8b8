"""Test support for the applications service: open cohorts and valid application forms.

Registered for the whole repository's tests in the root conftest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
import pytest_asyncio
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.db import asyncpg_dsn

#: Cohorts open around today in every test database, one per programme.
TEST_COHORTS = {
    "ict": "ict-test",
    "social_work": "social-work-test",
    "planning": "planning-test",
    "legal": "legal-test",
}


async def insert_cohort(
    database_url: str,
    cohort_id: str,
    programme: str,
    opens_on: date,
    closes_on: date,
    *,
    video_required: bool = True,
) -> None:
    """Create or replace a cohort directly in the applications schema."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO applications.cohorts (id, programme, title, opens_on, closes_on,"
            " video_required, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
            " ON CONFLICT (id) DO UPDATE SET opens_on = EXCLUDED.opens_on,"
            " closes_on = EXCLUDED.closes_on, video_required = EXCLUDED.video_required",
            cohort_id,
            programme,
            f"Test cohort {cohort_id}",
            opens_on,
            closes_on,
            video_required,
            now,
        )
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def open_cohorts(clean_database: str) -> AsyncIterator[dict[str, str]]:
    """One cohort per programme, open from 30 days ago to 30 days ahead."""
    today = datetime.now(UTC).date()
    for programme, cohort_id in TEST_COHORTS.items():
        await insert_cohort(
            clean_database,
            cohort_id,
            programme,
            today - timedelta(days=30),
            today + timedelta(days=30),
        )
    yield TEST_COHORTS


def application_form(**overrides: Any) -> dict[str, Any]:
    """A complete, eligible ICT application as a service would send it to POST /applications."""
    form: dict[str, Any] = {
        "cohort_id": TEST_COHORTS["ict"],
        "given_name": "Amara",
        "family_name": "Okafor",
        "email": f"amara.{uuid4().hex[:8]}@example.org",
        "phone": "01632 960 001",
        "preferred_language": "en",
        "postcode_district": "WS1",
        "right_to_work": True,
        "career_break": {"start": "2022-03", "end": "2025-12", "reason": "caring"},
        "years_experience": 8,
        "specialisms": ["software_developer", "data_analyst"],
        "skills": [
            {"skill": "Programming and build (software engineering)", "level": 3},
            {"skill": "Systems design", "level": 3},
            {"skill": "Modern development standards", "level": 3},
            {"skill": "Systems integration", "level": 2},
            {"skill": "User focus", "level": 2},
            {"skill": "Prototyping", "level": 2},
            {"skill": "Data visualisation", "level": 2},
        ],
        "work_preferences": {
            "flexible_working": ["part_time", "hybrid"],
            "max_travel_km": 30,
            "visible_to_regions": ["west_midlands"],
            "visible_to_councils": [],
            "earliest_start": "2027-01-04",
        },
        "privacy_notice_version": "2026-09",
        "consent_to_processing": True,
    }
    form.update(overrides)
    return form


@pytest.fixture
def make_application(open_cohorts: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Build application forms for the open test cohorts: `make_application(right_to_work=False)`."""
    return application_form


def bearer_for(secret: str, role: Role, subject: str) -> dict[str, str]:
    """The Authorization header of a token for `subject` in `role`."""
    return {"Authorization": f"Bearer {issue_token(secret, Principal(subject=subject, role=role))}"}


async def submitted_application(
    client: httpx.AsyncClient,
    secret: str,
    form: dict[str, Any],
    *,
    path: str = "/applications",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send a whole application as a partner's service does (with an admin's token: anonymous
    callers are told only that a link was e-mailed) and return the receipt, with `access_token`:
    the candidate's own token, as the e-mailed sign-in link would give them."""
    sent = await client.post(
        path, json=form, headers={**bearer_for(secret, Role.ADMIN, "partner-service"), **(headers or {})}
    )
    assert sent.status_code == 201, sent.text
    receipt: dict[str, Any] = sent.json()
    candidate = Principal(subject=receipt["candidate_id"], role=Role.CANDIDATE)
    return {**receipt, "access_token": issue_token(secret, candidate)}
