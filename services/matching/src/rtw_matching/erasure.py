"""Matching's part of erasure (CandidateErased): the candidate leaves every API, page and table
here — pool profile, contact details, assessment outcome, matches (hired ones too) with their
scores and explanations, interviews (proposed times, bookings, feedback) and offers, skill-gap
signals and saved-search alerts — while the numbers a council sees stay as they were: what their
matches added to each vacancy's counts is kept in `erased_match_tallies`, without them. Only the
candidate's id stays, as a departure, so that an event about them arriving later brings nothing
back."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from rtw_contracts import CandidateErased
from rtw_platform.uow import UnitOfWork
from sqlalchemy import delete, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from .models import (
    AssessmentOutcomeRecord,
    CandidateContact,
    CandidateMatch,
    CandidateProfile,
    ErasedMatchTally,
    Interview,
    Offer,
    SearchAlert,
    SkillGapSignal,
)
from .pool import one_at_a_time, remember_departure


async def erase_candidate(event: CandidateErased, uow: UnitOfWork) -> None:
    """Delete everything about the candidate, keeping each vacancy's counts without them."""
    await remember_departure(uow, event.candidate_id, "erased")
    for application_id in sorted(event.application_ids):  # one order: no deadlock between two
        await one_at_a_time(uow, application_id)
    profiles = (
        await uow.session.exec(
            select(CandidateProfile).where(CandidateProfile.candidate_id == event.candidate_id)
        )
    ).all()
    ids = sorted({*event.application_ids, *(p.application_id for p in profiles)})
    await _keep_counts_of_matches(uow, event.candidate_id, ids)
    session = uow.session
    await session.execute(delete(Interview).where(col(Interview.candidate_id) == event.candidate_id))
    await session.execute(delete(Offer).where(col(Offer.candidate_id) == event.candidate_id))
    await session.execute(delete(SearchAlert).where(col(SearchAlert.application_id).in_(ids)))
    await session.execute(delete(SkillGapSignal).where(col(SkillGapSignal.application_id).in_(ids)))
    await session.execute(
        delete(AssessmentOutcomeRecord).where(
            or_(
                col(AssessmentOutcomeRecord.application_id).in_(ids),
                col(AssessmentOutcomeRecord.candidate_id) == event.candidate_id,
            )
        )
    )
    await session.execute(
        delete(CandidateContact).where(col(CandidateContact.candidate_id) == event.candidate_id)
    )
    await session.execute(
        delete(CandidateProfile).where(col(CandidateProfile.candidate_id) == event.candidate_id)
    )


async def _keep_counts_of_matches(uow: UnitOfWork, candidate_id: UUID, application_ids: list[UUID]) -> None:
    """Add what the candidate's matches count for (proposals, hires) to their vacancies' tallies,
    then delete the matches."""
    of_candidate = or_(
        col(CandidateMatch.candidate_id) == candidate_id,
        col(CandidateMatch.application_id).in_(application_ids),
    )
    matches = (await uow.session.exec(select(CandidateMatch).where(of_candidate))).all()
    proposed: Counter[tuple[UUID, UUID]] = Counter()
    hired: Counter[tuple[UUID, UUID]] = Counter()
    for match in matches:
        key = (match.vacancy_id, match.council_id)
        proposed[key] += match.proposed_score is not None
        hired[key] += match.status == "hired"
    for vacancy_id, council_id in sorted(proposed.keys() | hired.keys()):  # one order, as above
        key = (vacancy_id, council_id)
        if not proposed[key] and not hired[key]:
            continue
        statement = insert(ErasedMatchTally).values(
            vacancy_id=vacancy_id, council_id=council_id, proposed=proposed[key], hired=hired[key]
        )
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["vacancy_id"],
                set_={
                    "proposed": ErasedMatchTally.proposed + statement.excluded.proposed,
                    "hired": ErasedMatchTally.hired + statement.excluded.hired,
                },
            )
        )
    await uow.session.execute(delete(CandidateMatch).where(of_candidate))
