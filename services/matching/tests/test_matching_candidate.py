"""A new candidate against every open vacancy they allow (`match_candidate`), as recorded in a few
set-based statements: the same proposals, displacements and factors as deciding each pair one by
one with `domain.score`, never the same pair twice, and right after vacancies open or close and
the weights change (the process holds the open vacancies and scores before it reads)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from rtw_contracts import FlexibleWorking, IctSpecialism, MatchProposed, Region, SkillGapIdentified
from rtw_matching import domain
from rtw_matching.app import SERVICE
from rtw_matching.caches import MatchingCaches
from rtw_matching.candidate_matching import match_candidate
from rtw_matching.models import CandidateMatch, CandidateProfile, MatchWeights, Vacancy
from rtw_matching.profiles import candidate_of, vacancy_of
from rtw_matching.testing import COUNCIL, HOME, vacancy_values
from rtw_platform import reference
from rtw_platform.service import ServiceRuntime
from sqlalchemy import insert, select, update

pytestmark = pytest.mark.component

SKILLS = sorted(reference.framework_skills())[:12]


def vacancy_row(rng: random.Random, **changes: Any) -> dict[str, Any]:
    return vacancy_values(rng, SKILLS, (2, 6), **changes)


def candidate(rng: random.Random, **changes: Any) -> CandidateProfile:
    walsall = reference.councils()[COUNCIL]
    values: dict[str, Any] = {
        "application_id": uuid4(),
        "candidate_id": uuid4(),
        "programme": "ict",
        "cohort_id": "ict-test",
        "postcode_district": "WS1",
        "latitude": walsall.latitude,
        "longitude": walsall.longitude,
        "region": HOME.value,
        "specialisms": [s.value for s in rng.sample(list(IctSpecialism), 2)],
        "skills": {s: rng.randint(1, 4) for s in SKILLS},
        "years_experience": round(rng.uniform(2, 15), 1),
        "flexible_working": [FlexibleWorking.PART_TIME.value],
        "max_travel_km": 25.0,
        "visible_regions": [HOME.value],
        "visible_councils": [],
        "earliest_start": None,
        "assessment_outcome": "selected",
        "assessment_sequence": 1,
        "in_pool": True,
        "training_status": rng.choice(("none", "enrolled", "completed")),
        "modules_completed": 1,
        "modules_total": 3,
        "withdrawn": False,
        "updated_at": datetime.now(UTC),
    }
    values.update(changes)
    return CandidateProfile(**values)


@pytest.fixture
async def service(start_service: Callable[..., Any]) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    return runtime


async def add_vacancies(service: ServiceRuntime, rows: list[dict[str, Any]]) -> None:
    async with service.uow_factory() as uow:
        await uow.session.execute(insert(Vacancy.__table__), rows)  # type: ignore[attr-defined]
        await uow.commit()


async def seed_proposals(
    service: ServiceRuntime, rng: random.Random, vacancies: list[dict[str, Any]], n: int
) -> None:
    """`n` standing proposals on each vacancy (weak ones, one of them acted on)."""
    rows = []
    for v in vacancies:
        for i in range(n):
            score = round(rng.uniform(20, 60), 2)
            rows.append(
                {
                    "id": uuid4(),
                    "vacancy_id": v["id"],
                    "council_id": v["council_id"],
                    "application_id": uuid4(),
                    "candidate_id": uuid4(),
                    "score": score,
                    "factors": [],
                    "weights_version": "weights-1",
                    "status": "shortlisted" if i == 0 else "proposed",
                    "proposed_score": score,
                    "proposed_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
            )
    async with service.uow_factory() as uow:
        await uow.session.execute(insert(CandidateMatch.__table__), rows)  # type: ignore[attr-defined]
        await uow.commit()


async def matches(service: ServiceRuntime) -> list[CandidateMatch]:
    async with service.uow_factory() as uow:
        return list((await uow.session.execute(select(CandidateMatch))).scalars().all())


#: Each service's matching caches, kept between runs as the service keeps them.
CACHES: dict[int, MatchingCaches] = {}


async def run(service: ServiceRuntime, profile: CandidateProfile) -> list[Any]:
    caches = CACHES.setdefault(id(service), MatchingCaches())
    async with service.uow_factory() as uow:
        await match_candidate(uow, profile, cause=None, caches=caches)
        events = list(uow.pending_events)
        await uow.commit()
    return events


def expected_proposals(
    profile: CandidateProfile,
    vacancies: list[dict[str, Any]],
    before: list[CandidateMatch],
    weights: domain.Weights,
) -> dict[UUID, tuple[domain.Match, UUID | None]]:
    """Each pair decided one by one: the vacancies proposed, with the match and the proposal it
    displaces (the weakest nobody acted on, if the vacancy is full)."""
    found: dict[UUID, tuple[domain.Match, UUID | None]] = {}
    for v in vacancies:
        match = domain.score(candidate_of(profile), vacancy_of(Vacancy(**v)), weights)
        standing = [
            m for m in before if m.vacancy_id == v["id"] and m.status not in ("withdrawn", "displaced")
        ]
        displaceable = sorted((m.score, m.id.hex, m.id) for m in standing if m.status == "proposed")
        weakest = displaceable[0][0] if displaceable else None
        if domain.should_propose(match.score, None, weights, weakest, len(standing)):
            full = len(standing) >= weights.proposals_per_vacancy
            found[v["id"]] = (match, displaceable[0][2] if full else None)
    return found


async def test_recorded_as_decided_one_by_one_and_never_twice(service: ServiceRuntime) -> None:
    rng = random.Random(5)
    open_here = [vacancy_row(rng) for _ in range(30)]
    closed = [vacancy_row(rng, status="closed") for _ in range(3)]
    elsewhere = [vacancy_row(rng, region=Region.LONDON.value, gss_code="E09000033") for _ in range(3)]
    await add_vacancies(service, open_here + closed + elsewhere)
    await seed_proposals(service, rng, open_here[:20], 10)  # full: a better newcomer displaces
    await seed_proposals(service, rng, open_here[20:25], 4)  # room left
    profile = candidate(rng)
    before = await matches(service)
    expected = expected_proposals(profile, open_here, before, domain.Weights())
    assert len(expected) >= 10  # the test means something
    assert any(displaced for _, displaced in expected.values())

    events = await run(service, profile)

    after = {m.id: m for m in await matches(service)}
    mine = {m.vacancy_id: m for m in after.values() if m.application_id == profile.application_id}
    assert set(mine) == set(expected)
    for vacancy_id, (match, displaced) in expected.items():
        made = mine[vacancy_id]
        assert (made.status, made.score, made.proposed_score) == ("proposed", match.score, match.score)
        assert made.factors == [f.model_dump(mode="json") for f in match.factors]
        if displaced is not None:
            assert after[displaced].status == "displaced"
    displaced_now = {m.id for m in after.values() if m.status == "displaced"}
    assert displaced_now == {d for _, d in expected.values() if d is not None}
    assert all(after[m.id].status == "shortlisted" for m in before if m.status == "shortlisted")
    proposed = [e for e in events if isinstance(e, MatchProposed)]
    assert {e.vacancy_id: (e.match_id, e.score) for e in proposed} == {
        v: (m.id, m.score) for v, m in mine.items()
    }
    for event in proposed:
        assert event.factors == expected[event.vacancy_id][0].factors
    signalled = [e for e in events if isinstance(e, SkillGapIdentified)]
    for signal in signalled:
        match = domain.score(
            candidate_of(profile),
            vacancy_of(Vacancy(**next(v for v in open_here if v["id"] == signal.vacancy_id))),
            domain.Weights(),
        )
        assert signal.gaps == match.gaps

    # Nothing moved: the same pairs are neither proposed nor signalled again.
    again = await run(service, profile)
    assert not again
    assert len(await matches(service)) == len(after)


async def test_vacancies_opened_and_closed_and_new_weights_count_at_once(service: ServiceRuntime) -> None:
    rng = random.Random(8)
    first = [vacancy_row(rng) for _ in range(12)]
    await add_vacancies(service, first)
    await run(service, candidate(rng))  # the process now holds the open vacancies

    # Some close, others open, behind this process's back.
    async with service.uow_factory() as uow:
        await uow.session.execute(
            update(Vacancy.__table__)  # type: ignore[attr-defined]
            .where(Vacancy.__table__.c.id.in_([v["id"] for v in first[:6]]))  # type: ignore[attr-defined]
            .values(status="closed")
        )
        await uow.commit()
    opened = [vacancy_row(rng) for _ in range(6)]
    await add_vacancies(service, opened)
    now_open = first[6:] + opened
    profile = candidate(rng)
    expected = expected_proposals(profile, now_open, await matches(service), domain.Weights())
    events = await run(service, profile)
    assert {e.vacancy_id for e in events if isinstance(e, MatchProposed)} == set(expected)
    assert not {v["id"] for v in first[:6]} & set(expected)

    # New weights: the next candidate is decided with them.
    saved = domain.Weights(propose_at=70, role_fit=15, skills=35)
    async with service.uow_factory() as uow:
        await uow.session.execute(
            insert(MatchWeights.__table__),  # type: ignore[attr-defined]
            [
                {
                    "version": 2,
                    "weights": saved.model_dump(mode="json"),
                    "created_by": "test",
                    "created_at": datetime.now(UTC),
                }
            ],
        )
        await uow.commit()
    profile = candidate(rng)
    expected = expected_proposals(profile, now_open, await matches(service), saved)
    events = await run(service, profile)
    proposed = [e for e in events if isinstance(e, MatchProposed)]
    assert {e.vacancy_id for e in proposed} == set(expected)
    assert all(e.weights_version == "v2" and e.score >= 70 for e in proposed)
