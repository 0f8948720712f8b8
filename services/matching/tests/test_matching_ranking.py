"""Re-matching a pool ranked by PostgreSQL gives what scoring every pool member would: the same
proposals and the same closest near fits, with the SQL bound never below a candidate's score."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from rtw_contracts import FlexibleWorking, IctSpecialism, Region
from rtw_matching import domain, pool_ranking
from rtw_matching.app import SERVICE
from rtw_matching.models import CandidateMatch, CandidateProfile, SkillGapSignal, Vacancy
from rtw_matching.pool_ranking import GAP_SIGNALS_PER_VACANCY, match_vacancy
from rtw_matching.profiles import candidate_of, vacancy_of
from rtw_matching.store import APPLICATION, POOL_COLUMNS, ranked_pool
from rtw_matching.testing import COUNCIL, HOME, STARTS, vacancy_values
from rtw_platform import reference
from rtw_platform.service import ServiceRuntime
from sqlalchemy import insert, select
from sqlmodel import col

pytestmark = pytest.mark.component


def profiles(rng: random.Random, n: int) -> list[dict[str, Any]]:
    districts = [d for d in reference.postcode_districts().values() if d.region in (HOME, Region.NORTH_WEST)]
    skills = sorted(reference.framework_skills())[:25]
    rows = []
    for _ in range(n):
        district = rng.choice(districts)
        training = rng.choice(("none", "enrolled", "completed"))
        total = rng.choice((0, 3, 6)) if training != "none" else 0
        visible = rng.random()
        rows.append(
            {
                "application_id": uuid4(),
                "candidate_id": uuid4(),
                "programme": "ict",
                "cohort_id": "ict-test",
                "postcode_district": district.code,
                "latitude": district.latitude,
                "longitude": district.longitude,
                "region": district.region.value,
                "specialisms": [s.value for s in rng.sample(list(IctSpecialism), rng.randint(0, 2))],
                "skills": {s: rng.randint(1, 4) for s in rng.sample(skills, rng.randint(0, 10))},
                "years_experience": round(rng.uniform(0, 20), 1),
                "flexible_working": [f.value for f in rng.sample(list(FlexibleWorking), rng.randint(0, 3))],
                "max_travel_km": float(rng.choice((1, 10, 25, 50, 80))),
                "visible_regions": [HOME.value] if visible < 0.8 else [Region.NORTH_WEST.value],
                "visible_councils": [COUNCIL] if 0.8 <= visible < 0.9 else [],
                "earliest_start": rng.choice((None, STARTS + timedelta(days=rng.randint(-30, 200)))),
                "assessment_outcome": "selected",
                "assessment_sequence": 1,
                "in_pool": rng.random() < 0.95,
                "training_status": training,
                "modules_completed": rng.randint(0, total),
                "modules_total": total,
                "withdrawn": rng.random() < 0.03,
                "updated_at": datetime.now(UTC),
            }
        )
    return rows


def vacancy(rng: random.Random, **changes: Any) -> Vacancy:
    return Vacancy(**vacancy_values(rng, sorted(reference.framework_skills())[:25], (3, 8), **changes))


@pytest.fixture
async def service(start_service: Callable[..., Any]) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    async with runtime.uow_factory() as uow:
        await uow.session.execute(insert(CandidateProfile.__table__), profiles(random.Random(11), 700))  # type: ignore[attr-defined]
        await uow.commit()
    return runtime


async def expected(service: ServiceRuntime, target: Vacancy) -> list[tuple[float, UUID, bool]]:
    """Every pool member the council may see, scored one by one: (score, application, near fit)."""
    weights = domain.Weights()
    async with service.uow_factory() as uow:
        pool = (await uow.session.execute(select(CandidateProfile))).scalars().all()
    found = []
    for profile in pool:
        if not profile.in_pool or profile.withdrawn:
            continue
        candidate = candidate_of(profile)
        if not domain.visible_to(candidate, target.gss_code, target.region):
            continue
        match = domain.score(candidate, vacancy_of(target), weights)
        found.append((match.score, profile.application_id, bool(domain.near_fit_gaps(match, weights))))
    return sorted(found, reverse=True)


VARIANTS: list[dict[str, Any]] = [
    {"work_mode": "on_site"},
    {"work_mode": "hybrid"},
    {"work_mode": "remote"},
    {"work_mode": "on_site", "specialism": None, "required_skills": {}},
    {"work_mode": "hybrid", "bases": []},
]


@pytest.mark.parametrize("first_batch", [7, 200])
async def test_rematching_proposes_the_best_and_signals_the_closest_as_scoring_everyone_would(
    service: ServiceRuntime, monkeypatch: pytest.MonkeyPatch, first_batch: int
) -> None:
    monkeypatch.setattr(pool_ranking, "FIRST_BATCH", first_batch)
    rng = random.Random(first_batch)
    weights = domain.Weights()
    for changes in VARIANTS:
        target = vacancy(rng, **changes)
        truth = await expected(service, target)
        async with service.uow_factory() as uow:
            uow.session.add(target)
            await uow.session.flush()
            matched = await match_vacancy(uow, target, cause=None)
            await uow.commit()
        async with service.uow_factory() as uow:
            proposed = (
                await uow.session.execute(
                    select(col(CandidateMatch.proposed_score)).where(
                        col(CandidateMatch.vacancy_id) == target.id
                    )
                )
            ).scalars()
            signalled = (
                await uow.session.execute(
                    select(col(SkillGapSignal.application_id)).where(
                        col(SkillGapSignal.vacancy_id) == target.id
                    )
                )
            ).scalars()
            proposed_scores = sorted(proposed, reverse=True)
            signalled_ids = set(signalled)
        assert matched.scored == len(truth)
        best = [score for score, _, _ in truth if score >= weights.propose_at][
            : weights.proposals_per_vacancy
        ]
        assert proposed_scores == best, changes
        near = [(score, a) for score, a, is_near in truth if is_near][:GAP_SIGNALS_PER_VACANCY]
        by_id = {a: (score, is_near) for score, a, is_near in truth}
        assert len(signalled_ids) == len(near), changes
        assert all(by_id[a][1] for a in signalled_ids)
        # The same scores as the closest near fits (which of several equal scores may differ).
        assert sorted((by_id[a][0] for a in signalled_ids), reverse=True) == [s for s, _ in near], changes


async def test_the_sql_bound_is_never_below_the_score(service: ServiceRuntime) -> None:
    rng = random.Random(5)
    weights = domain.Weights(role_fit=10, skills=40, distance=20, flexible_working=5)
    for changes in [*VARIANTS, {"work_mode": "on_site", "flexible_working": []}]:
        target = vacancy(rng, **changes)
        compiled = domain.scorer(vacancy_of(target), weights)
        async with service.uow_factory() as uow:
            rows = await ranked_pool(uow, target, compiled, offset=0, limit=None)
        assert rows, changes
        bounds = [row[len(POOL_COLUMNS)] for row in rows]
        assert bounds == sorted(bounds, reverse=True)
        for row in rows:
            total, _ = domain.quick_score(compiled, row)
            assert total <= row[len(POOL_COLUMNS)], (changes, row[APPLICATION])
            assert row[len(POOL_COLUMNS)] - total < 1, "the bound should be tight"


def random_weights(rng: random.Random) -> domain.Weights:
    """Weights whose seven factors add up to 100, split at random (and a random experience span)."""
    cuts = sorted(rng.randint(0, 100) for _ in range(6))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    names = ("role_fit", "skills", "experience", "distance", "flexible_working", "training", "availability")
    return domain.Weights(
        **dict(zip(names, map(float, shares), strict=True)),
        full_experience_years=rng.choice((1, 5, 10, 25)),
    )


@pytest.mark.parametrize("seed", range(4))
async def test_the_quick_score_the_explained_score_and_the_sql_bound_agree(
    service: ServiceRuntime, seed: int
) -> None:
    """The score's formula is written once (`domain`'s fractions and constants): for generated
    vacancies and weights, over the pool, the quick score is exactly the explained score and the
    SQL bound PostgreSQL ranks by is never below it."""
    rng = random.Random(1000 + seed)
    async with service.uow_factory() as uow:
        everyone = {
            p.application_id: p for p in (await uow.session.execute(select(CandidateProfile))).scalars()
        }
    for changes in [*VARIANTS, {"work_mode": "on_site", "flexible_working": []}]:
        weights = random_weights(rng)
        target = vacancy(rng, **changes)
        explained_vacancy = vacancy_of(target)
        compiled = domain.scorer(explained_vacancy, weights)
        async with service.uow_factory() as uow:
            rows = await ranked_pool(uow, target, compiled, offset=0, limit=None)
        assert rows, changes
        for row in rows:
            total, lacks = domain.quick_score(compiled, row)
            explained = domain.score(candidate_of(everyone[row[APPLICATION]]), explained_vacancy, weights)
            assert total == explained.score, (changes, weights, row[APPLICATION])
            assert lacks == bool(explained.missing)
            assert total <= row[len(POOL_COLUMNS)], (changes, weights, row[APPLICATION])
