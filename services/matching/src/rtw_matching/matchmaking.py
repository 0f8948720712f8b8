"""Incremental matching: a new or changed candidate against the open vacancies they could see,
a new vacancy against the pool; the best pairs proposed, near fits told their skill gaps."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_contracts import Event, MatchProposed, SkillGapIdentified, caused_by
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func, text
from sqlmodel import col, select

from . import domain
from .models import CandidateMatch, CandidateProfile, Council, MatchWeights, SkillGapSignal, Vacancy


@dataclass(frozen=True)
class WeightsInForce:
    version: str
    weights: domain.Weights


async def weights_in_force(uow: UnitOfWork) -> WeightsInForce:
    """The latest weights (the defaults until an admin saves a version)."""
    latest = (
        await uow.session.exec(select(MatchWeights).order_by(col(MatchWeights.version).desc()).limit(1))
    ).first()
    if latest is None:
        weights = domain.Weights()
        return WeightsInForce(weights.version, weights)
    weights = domain.Weights.model_validate(latest.weights)
    return WeightsInForce(f"v{latest.version}", weights)


def candidate_of(profile: CandidateProfile) -> domain.Candidate:
    """A profile as the scoring rules see it."""
    return domain.Candidate(
        candidate_id=str(profile.candidate_id),
        programme=profile.programme,
        home=domain.Place(profile.latitude, profile.longitude),
        region=profile.region,
        specialisms=frozenset(profile.specialisms),
        skills=profile.skills or {},
        years_experience=profile.years_experience,
        flexible_working=frozenset(profile.flexible_working),
        max_travel_km=profile.max_travel_km,
        visible_to_regions=frozenset(profile.visible_regions),
        visible_to_councils=frozenset(profile.visible_councils),
        earliest_start=profile.earliest_start,
        training_status=profile.training_status,
        modules_completed=profile.modules_completed,
        modules_total=profile.modules_total,
    )


def vacancy_of(vacancy: Vacancy) -> domain.Vacancy:
    """A vacancy as the scoring rules see it."""
    return domain.Vacancy(
        vacancy_id=str(vacancy.id),
        council_gss=vacancy.gss_code,
        council_region=vacancy.region,
        programme=vacancy.programme,
        specialism=vacancy.specialism,
        role=vacancy.role,
        required_skills=vacancy.required_skills,
        bases=tuple(domain.Place(b["latitude"], b["longitude"]) for b in vacancy.bases),
        work_mode=vacancy.work_mode,
        flexible_working=frozenset(vacancy.flexible_working),
        starts_on=domain.vacancy_start(vacancy.closing_date),
    )


async def open_vacancies_visible_to(uow: UnitOfWork, profile: CandidateProfile) -> list[Vacancy]:
    """Open vacancies of the candidate's profession at councils the candidate allows."""
    statement = select(Vacancy).where(
        Vacancy.programme == profile.programme,
        Vacancy.status == "open",
        col(Vacancy.region).in_(profile.visible_regions)
        | col(Vacancy.gss_code).in_(profile.visible_councils),
    )
    return list((await uow.session.exec(statement)).all())


#: Near fits told their skill gaps per new vacancy (the closest ones; the pool can be large).
GAP_SIGNALS_PER_VACANCY = 25


@dataclass
class ProposalBook:
    """What was already proposed and signalled, loaded in bulk before scoring many pairs: the
    pairs at hand, and per vacancy how many proposals stand and the weakest of them."""

    matches: dict[tuple[UUID, UUID], CandidateMatch]
    proposed_count: dict[UUID, int]
    weakest: dict[UUID, float]
    signals: dict[tuple[UUID, UUID], SkillGapSignal]

    @classmethod
    async def load(
        cls, uow: UnitOfWork, vacancy_ids: list[UUID], application_ids: list[UUID] | None
    ) -> ProposalBook:
        """Matches of these vacancies (only of these applications, if given)."""
        if not vacancy_ids:
            return cls({}, {}, {}, {})
        pairs = select(CandidateMatch).where(col(CandidateMatch.vacancy_id).in_(vacancy_ids))
        if application_ids is not None:
            pairs = pairs.where(col(CandidateMatch.application_id).in_(application_ids))
        matches = {(m.vacancy_id, m.application_id): m for m in (await uow.session.exec(pairs)).all()}
        standing = (
            await uow.session.exec(
                select(CandidateMatch.vacancy_id, func.count(), func.min(CandidateMatch.proposed_score))
                .where(
                    col(CandidateMatch.vacancy_id).in_(vacancy_ids),
                    col(CandidateMatch.proposed_score).is_not(None),
                    CandidateMatch.status != "withdrawn",
                )
                .group_by(col(CandidateMatch.vacancy_id))
            )
        ).all()
        counts = {vacancy: int(count) for vacancy, count, _ in standing}
        weakest = {vacancy: float(low) for vacancy, _, low in standing if low is not None}
        signal_query = select(SkillGapSignal).where(col(SkillGapSignal.vacancy_id).in_(vacancy_ids))
        if application_ids is not None:
            signal_query = signal_query.where(col(SkillGapSignal.application_id).in_(application_ids))
        signals = {(s.vacancy_id, s.application_id): s for s in (await uow.session.exec(signal_query)).all()}
        return cls(matches, counts, weakest, signals)


async def match_candidate(
    uow: UnitOfWork, profile: CandidateProfile, *, cause: Event | None
) -> list[tuple[Vacancy, domain.Match]]:
    """Score a candidate against every open vacancy they could be seen for; propose and signal."""
    in_force = await weights_in_force(uow)
    candidate = candidate_of(profile)
    vacancies = await open_vacancies_visible_to(uow, profile)
    book = await ProposalBook.load(uow, [v.id for v in vacancies], [profile.application_id])
    results = []
    for vacancy in vacancies:
        match = domain.score(candidate, vacancy_of(vacancy), in_force.weights)
        results.append((vacancy, match))
        _consider(uow, book, profile, vacancy, match, in_force, cause)
    return results


async def pool_for(uow: UnitOfWork, vacancy: Vacancy) -> list[CandidateProfile]:
    """Pool members of the vacancy's profession who allow its council."""
    statement = select(CandidateProfile).where(
        CandidateProfile.programme == vacancy.programme,
        col(CandidateProfile.in_pool).is_(True),
        col(CandidateProfile.withdrawn).is_(False),
        # Containment (@>) lets PostgreSQL use the GIN indexes on the arrays.
        text(
            "(visible_regions @> CAST(ARRAY[:region] AS varchar[])"
            " OR visible_councils @> CAST(ARRAY[:gss] AS varchar[]))"
        ).bindparams(region=vacancy.region, gss=vacancy.gss_code),
    )
    return list((await uow.session.exec(statement)).all())


async def match_vacancy(uow: UnitOfWork, vacancy: Vacancy, *, cause: Event | None) -> tuple[int, float]:
    """Score the pool against a vacancy; propose the best. Returns (scored, seconds)."""
    started = time.perf_counter()
    in_force = await weights_in_force(uow)
    target = vacancy_of(vacancy)
    profiles = await pool_for(uow, vacancy)
    book = await ProposalBook.load(uow, [vacancy.id], None)
    scored = sorted(
        ((p, domain.score(candidate_of(p), target, in_force.weights)) for p in profiles),
        key=lambda pm: -pm[1].score,
    )
    near_fits = 0
    for profile, match in scored:  # best first
        signal = near_fits < GAP_SIGNALS_PER_VACANCY and bool(domain.near_fit_gaps(match, in_force.weights))
        near_fits += signal
        _consider(uow, book, profile, vacancy, match, in_force, cause, signal_gaps=signal)
    return len(scored), time.perf_counter() - started


def _consider(
    uow: UnitOfWork,
    book: ProposalBook,
    profile: CandidateProfile,
    vacancy: Vacancy,
    match: domain.Match,
    in_force: WeightsInForce,
    cause: Event | None,
    *,
    signal_gaps: bool = True,
) -> None:
    weights = in_force.weights
    pair = (vacancy.id, profile.application_id)
    existing = book.matches.get(pair)
    previous = existing.proposed_score if existing is not None else None
    weakest = book.weakest.get(vacancy.id)
    now = datetime.now(UTC)
    if existing is not None and abs(existing.score - match.score) > 1e-9:
        existing.score = match.score
        existing.factors = [f.model_dump(mode="json") for f in match.factors]
        existing.weights_version = in_force.version
        existing.updated_at = now
        uow.session.add(existing)
    if domain.should_propose(match.score, previous, weights, weakest, book.proposed_count.get(vacancy.id, 0)):
        if existing is None:
            existing = CandidateMatch(
                vacancy_id=vacancy.id,
                council_id=vacancy.council_id,
                application_id=profile.application_id,
                candidate_id=profile.candidate_id,
                score=match.score,
                factors=[f.model_dump(mode="json") for f in match.factors],
                weights_version=in_force.version,
                status="proposed",
                updated_at=now,
            )
            book.matches[pair] = existing
        existing.proposed_score = match.score
        existing.proposed_at = now
        if previous is None:
            book.proposed_count[vacancy.id] = book.proposed_count.get(vacancy.id, 0) + 1
        book.weakest[vacancy.id] = min(book.weakest.get(vacancy.id, match.score), match.score)
        uow.session.add(existing)
        envelope: dict[str, Any] = (
            dict(caused_by(cause)) if cause else {"correlation_id": profile.application_id}
        )
        uow.publish(
            MatchProposed(
                **envelope,
                match_id=existing.id,
                vacancy_id=vacancy.id,
                council_id=vacancy.council_id,
                candidate_id=profile.candidate_id,
                application_id=profile.application_id,
                score=match.score,
                factors=match.factors,
                weights_version=in_force.version,
                proposed_at=now,
            )
        )
    gaps = domain.near_fit_gaps(match, weights) if signal_gaps else []
    if gaps:
        key = hashlib.sha256(
            json.dumps([g.model_dump(mode="json") for g in gaps], sort_keys=True).encode()
        ).hexdigest()
        signal = book.signals.get(pair)
        if signal is None or signal.gaps_key != key:
            if signal is None:
                signal = SkillGapSignal(
                    application_id=profile.application_id, vacancy_id=vacancy.id, gaps_key=key, sent_at=now
                )
                book.signals[pair] = signal
            signal.gaps_key, signal.sent_at = key, now
            uow.session.add(signal)
            envelope = dict(caused_by(cause)) if cause else {"correlation_id": profile.application_id}
            uow.publish(
                SkillGapIdentified(
                    **envelope,
                    candidate_id=profile.candidate_id,
                    application_id=profile.application_id,
                    vacancy_id=vacancy.id,
                    council_id=vacancy.council_id,
                    gaps=list(gaps),
                    score=match.score,
                    identified_at=now,
                )
            )


async def council_of(uow: UnitOfWork, council_id: UUID) -> Council | None:
    """A signed-up council."""
    return await uow.session.get(Council, council_id)
