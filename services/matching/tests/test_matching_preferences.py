# ruff: noqa: F811  (the tests take the imported `world` fixture by name)
"""A candidate changes their preferences after applying (CandidatePreferencesChanged): the pool
entry follows, councils they no longer allow neither find nor reach them, and a stale change or
an application arriving again brings nothing old back."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from rtw_contracts import CandidatePreferencesChanged
from rtw_contracts.examples import example
from rtw_matching.caches import MatchingCaches
from rtw_matching.pool import ApplicationNotHeardYet, record_preferences
from sqlalchemy import Row, text

from .test_matching_flow import (
    BIRMINGHAM,
    WALSALL,
    Pooled,
    World,
    about,
    submitted,
    world,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.component


def changed(who: Pooled, *, sequence: int, **preferences: Any) -> CandidatePreferencesChanged:
    held = {
        "flexible_working": ["part_time"],
        "max_travel_km": 25,
        "visible_to_regions": ["west_midlands"],
        "visible_to_councils": [],
        "earliest_start": None,
    }
    return example(
        CandidatePreferencesChanged,
        **{**about(who.application), "event_id": uuid4()},
        sequence=sequence,
        work_preferences={**held, **preferences},
    )


async def profile_of(world: World, who: Pooled) -> Row[Any]:
    async with world.service.engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT max_travel_km, visible_regions, visible_councils, earliest_start"
                    " FROM matching.candidate_profiles WHERE application_id = :a"
                ),
                {"a": who.application.application_id},
            )
        ).one()


async def test_hiding_from_every_council_ends_search_matches_and_reach_out(world: World) -> None:
    walsall = await world.sign_up(WALSALL)
    hiding = await world.join()
    staying = await world.join(district="B15")
    vacancy_id = await world.post_vacancy(walsall)
    match_id = await world.match_id(walsall, vacancy_id, hiding)
    assert hiding.ref in await world.refs(walsall)

    await world.deliver(changed(hiding, sequence=10, visible_to_regions=[]))

    assert await world.refs(walsall) == [staying.ref]
    assert [m["candidate_ref"] for m in await world.matches(walsall, vacancy_id)] == [staying.ref]
    reach = await world.http.post(f"/matches/{match_id}/reach-out", headers=walsall.headers)
    assert reach.status_code == 404
    refused = await world.http.post(
        f"/vacancies/{vacancy_id}/shortlist", json={"candidate_ref": hiding.ref}, headers=walsall.headers
    )
    assert refused.status_code == 404

    # Allowing Walsall by name again: found again, and proposed for the next vacancy.
    await world.deliver(changed(hiding, sequence=11, visible_to_regions=[], visible_to_councils=[WALSALL]))
    assert hiding.ref in await world.refs(walsall)
    second = await world.post_vacancy(walsall, title="Another data analyst")
    assert hiding.candidate_id in [p["candidate_id"] for p in await world.proposals(second)]


async def test_travel_and_start_follow_and_a_stale_change_or_replayed_application_changes_nothing(
    world: World,
) -> None:
    moving = await world.join()
    await world.deliver(changed(moving, sequence=7, max_travel_km=80, earliest_start="2027-10-01"))
    row = await profile_of(world, moving)
    assert (row.max_travel_km, str(row.earliest_start)) == (80, "2027-10-01")

    await world.deliver(changed(moving, sequence=6, max_travel_km=5))  # older: ignored
    await world.deliver(
        moving.application
    )  # the application again (sequence 1): its old preferences stay old
    row = await profile_of(world, moving)
    assert row.max_travel_km == 80
    assert row.visible_regions == ["west_midlands"]


async def test_a_change_for_an_application_not_heard_of_is_not_lost(world: World) -> None:
    """Retried (by redelivery) until the application arrives, never dropped."""
    who = Pooled(submitted(), {})
    async with world.service.uow_factory() as uow:
        with pytest.raises(ApplicationNotHeardYet):
            await record_preferences(
                changed(who, sequence=3, visible_to_councils=[BIRMINGHAM]), uow, caches=MatchingCaches()
            )
