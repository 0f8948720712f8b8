"""Erasure (docs/privacy.md): assessment forgets a candidate and keeps their outcomes as counts."""

from __future__ import annotations

from uuid import UUID

from rtw_contracts import CandidateErased
from rtw_platform.uow import UnitOfWork
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, or_, select

from .models import Appeal, Calibration, Candidacy, ConflictOfInterest, Decision, Scorecard
from .selection import end_assignments


async def erase_candidate(event: CandidateErased, uow: UnitOfWork) -> None:
    """Delete what the person gave and what was written about them: the application's facts
    (career break, experience, skills…), the second-stage answers and video key, every decision's
    inputs, breakdown, messages and justification, the assessors' comments, moderators' reasons,
    appeals and declared conflicts. Each application stays a tombstone with its outcomes, so the
    funnel counts it as before, and answers as unknown everywhere. Their pending assessments end,
    as on withdrawal; but a place they were given stays given: erasure after selection promotes nobody."""
    known = (
        await uow.session.exec(
            select(Candidacy).where(
                or_(
                    col(Candidacy.candidate_id) == event.candidate_id,
                    col(Candidacy.application_id).in_(event.application_ids),
                )
            )
        )
    ).all()
    for candidacy in known:
        candidacy.erased_at = candidacy.erased_at or event.erased_at
        candidacy.facts = {}
        candidacy.second_stage = None
        uow.session.add(candidacy)
        await end_assignments(uow, candidacy)
    application_ids = sorted({*event.application_ids, *(c.application_id for c in known)}, key=str)
    for application_id in set(event.application_ids) - {c.application_id for c in known}:
        await _tombstone(uow, application_id, event)
    await _forget_what_was_written(uow, event.candidate_id, application_ids)


async def _tombstone(uow: UnitOfWork, application_id: UUID, event: CandidateErased) -> None:
    """An application not screened yet (another queue is behind): its tombstone keeps it from
    being screened when it arrives."""
    await uow.session.execute(
        insert(Candidacy)
        .values(
            application_id=application_id,
            candidate_id=event.candidate_id,
            cohort_id="",
            programme="",
            submitted_at=event.erased_at,
            facts={},
            erased_at=event.erased_at,
            sequence=0,
        )
        .on_conflict_do_nothing(index_elements=["application_id"])
    )


async def _forget_what_was_written(uow: UnitOfWork, candidate_id: UUID, application_ids: list[UUID]) -> None:
    decisions = (
        await uow.session.exec(select(Decision).where(col(Decision.application_id).in_(application_ids)))
    ).all()
    for decision in decisions:
        decision.inputs = {}
        decision.breakdown = []
        # The codes stay for the funnel's reasons for ineligibility; the messages quote the facts.
        decision.reasons = [{"code": reason["code"]} for reason in decision.reasons]
        decision.justification = None
        uow.session.add(decision)
    await uow.session.execute(
        update(Scorecard).where(col(Scorecard.application_id).in_(application_ids)).values(comments="")
    )
    await uow.session.execute(  # the moderator's reason was written about the person
        update(Calibration)
        .where(col(Calibration.application_id).in_(application_ids))
        .values(moderation_reason=None)
    )
    await uow.session.execute(
        delete(Appeal).where(
            or_(col(Appeal.application_id).in_(application_ids), col(Appeal.candidate_id) == candidate_id)
        )
    )
    await uow.session.execute(
        delete(ConflictOfInterest).where(col(ConflictOfInterest.candidate_id) == candidate_id)
    )
