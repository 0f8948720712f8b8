"""What the recruiter pages read (the same rows the JSON API's reads show), always through the
recruiter's own council."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from rtw_platform.auth import Principal
from rtw_platform.errors import NotFound
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func
from sqlmodel import col, select

from ..councils import NO_MATCH, NO_VACANCY, council_for
from ..matchmaking import NOT_STANDING
from ..models import CandidateMatch, Council, ErasedMatchTally, Vacancy

#: A match the council has taken up (from shortlisting on).
TAKEN_UP = ["shortlisted", "reached_out", "accepted", "declined", "interviewing", "hired", "not_hired"]


async def vacancies_of(uow: UnitOfWork, council: Council) -> Sequence[Vacancy]:
    """The council's vacancies, newest first."""
    statement = (
        select(Vacancy).where(Vacancy.council_id == council.id).order_by(col(Vacancy.posted_at).desc())
    )
    return (await uow.session.exec(statement)).all()


async def vacancy_for(uow: UnitOfWork, vacancy_id: UUID, principal: Principal) -> Vacancy:
    """A vacancy, if the recruiter's council posted it (as unknown otherwise) and is approved."""
    vacancy = await uow.session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound(NO_VACANCY)
    await council_for(uow, principal, vacancy.council_id, missing=NO_VACANCY)
    return vacancy


async def matches_of(uow: UnitOfWork, vacancy: Vacancy) -> Sequence[CandidateMatch]:
    """The vacancy's proposed and taken-up candidates, best first (as GET /vacancies/{id}/matches)."""
    statement = (
        select(CandidateMatch)
        .where(
            CandidateMatch.vacancy_id == vacancy.id,
            col(CandidateMatch.status).not_in(NOT_STANDING),
        )
        .order_by(col(CandidateMatch.score).desc())
    )
    return (await uow.session.exec(statement)).all()


async def match_for(uow: UnitOfWork, match_id: UUID, principal: Principal) -> tuple[CandidateMatch, Vacancy]:
    """A match and its vacancy, if they are the recruiter's council's."""
    match = await uow.session.get(CandidateMatch, match_id)
    if match is None or match.status == "withdrawn":
        raise NotFound(NO_MATCH)
    await council_for(uow, principal, match.council_id, missing=NO_MATCH)
    vacancy = await uow.session.get(Vacancy, match.vacancy_id)
    if vacancy is None:
        raise NotFound(NO_VACANCY)
    return match, vacancy


async def shortlist_of(uow: UnitOfWork, council: Council) -> Sequence[tuple[CandidateMatch, Vacancy]]:
    """The candidates the council has taken up, across its vacancies, latest first."""
    statement = (
        select(CandidateMatch, Vacancy)
        .join(Vacancy, Vacancy.id == CandidateMatch.vacancy_id)  # type: ignore[arg-type]
        .where(CandidateMatch.council_id == council.id, col(CandidateMatch.status).in_(TAKEN_UP))
        .order_by(col(CandidateMatch.updated_at).desc())
    )
    return [(m, v) for m, v in (await uow.session.exec(statement)).all()]


async def match_of(uow: UnitOfWork, vacancy: Vacancy, application_id: UUID) -> CandidateMatch | None:
    """The candidate's match with the vacancy, if there is one."""
    statement = select(CandidateMatch).where(
        CandidateMatch.vacancy_id == vacancy.id, CandidateMatch.application_id == application_id
    )
    return (await uow.session.exec(statement)).first()


@dataclass(frozen=True)
class VacancyCounts:
    """How many returners the platform proposed for a vacancy, and how many it hired: erased
    candidates' matches are gone, and still counted (from their tallies)."""

    proposed: int = 0
    hired: int = 0


async def vacancy_counts(uow: UnitOfWork, council_id: UUID) -> dict[UUID, VacancyCounts]:
    """Each of the council's vacancies' counts (vacancies with none are left out)."""
    live = (
        await uow.session.exec(
            select(
                CandidateMatch.vacancy_id,
                func.count().filter(col(CandidateMatch.proposed_score).is_not(None)),
                func.count().filter(col(CandidateMatch.status) == "hired"),
            )
            .where(CandidateMatch.council_id == council_id)
            .group_by(col(CandidateMatch.vacancy_id))
        )
    ).all()
    erased = (
        await uow.session.exec(select(ErasedMatchTally).where(ErasedMatchTally.council_id == council_id))
    ).all()
    counts: dict[UUID, VacancyCounts] = {}
    for vacancy_id, proposed, hired in live:
        counts[vacancy_id] = VacancyCounts(proposed, hired)
    for tally in erased:
        held = counts.get(tally.vacancy_id, VacancyCounts())
        counts[tally.vacancy_id] = VacancyCounts(held.proposed + tally.proposed, held.hired + tally.hired)
    return counts
