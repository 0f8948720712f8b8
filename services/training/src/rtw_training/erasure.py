"""Erasure (docs/privacy.md): training forgets a candidate and keeps only anonymous counts."""

from __future__ import annotations

from uuid import UUID

from rtw_contracts import CandidateErased
from rtw_platform.uow import UnitOfWork
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, or_, select

from .models import (
    Certificate,
    CpdRecord,
    Enrolment,
    ErasedEnrolments,
    Learner,
    LmsLearner,
    ModuleCorrection,
    ModuleProgress,
    Recommendation,
)


async def erase_candidate(event: CandidateErased, uow: UnitOfWork) -> None:
    """Delete the person's enrolments with their progress (and its corrections), CPD, certificates,
    LMS links and recommendations, and their name; each enrolment is counted in its cohort's
    erased enrolments (by the status it had), so the cohort's counts stay as they were. The learner stays as a
    tombstone (ids and when erased, nothing else): events about the person that arrive later
    neither bring the name back nor enrol them."""
    application_ids = sorted({*event.application_ids}, key=str)
    for application_id in application_ids:
        # The lock the other handlers take before reading a learner (see enrolment._learner_of).
        await uow.lock(f"training.learner:{application_id}")
    learners = {
        learner.application_id: learner
        for learner in (
            await uow.session.exec(
                select(Learner).where(
                    or_(
                        col(Learner.candidate_id) == event.candidate_id,
                        col(Learner.application_id).in_(application_ids),
                    )
                )
            )
        ).all()
    }
    for application_id in application_ids:
        if application_id not in learners:
            # Nothing heard of this application yet: the tombstone refuses what arrives later.
            learners[application_id] = Learner(
                application_id=application_id, candidate_id=event.candidate_id, cohort_id="", programme=""
            )
    for learner in learners.values():
        learner.given_name = None
        learner.family_name = None
        learner.last_practised = None
        learner.erased_at = learner.erased_at or event.erased_at
        uow.session.add(learner)
    enrolments = (
        await uow.session.exec(
            select(Enrolment).where(
                or_(
                    col(Enrolment.candidate_id) == event.candidate_id,
                    col(Enrolment.application_id).in_(application_ids),
                )
            )
        )
    ).all()
    for enrolment in enrolments:
        await _count_erased(uow, enrolment)
    await _delete_records(uow, event.candidate_id, [e.id for e in enrolments])


async def _count_erased(uow: UnitOfWork, enrolment: Enrolment) -> None:
    counter = insert(ErasedEnrolments).values(cohort_id=enrolment.cohort_id, status=enrolment.status, count=1)
    await uow.session.execute(
        counter.on_conflict_do_update(
            index_elements=["cohort_id", "status"],
            set_={"count": ErasedEnrolments.__table__.c.count + 1},  # type: ignore[attr-defined]
        )
    )


async def _delete_records(uow: UnitOfWork, candidate_id: UUID, enrolment_ids: list[UUID]) -> None:
    for table, column in (
        (ModuleProgress, ModuleProgress.enrolment_id),
        (ModuleCorrection, ModuleCorrection.enrolment_id),
        (CpdRecord, CpdRecord.enrolment_id),
        (LmsLearner, LmsLearner.enrolment_id),
        (Certificate, Certificate.enrolment_id),
        (Enrolment, Enrolment.id),
    ):
        if enrolment_ids:
            await uow.session.execute(delete(table).where(col(column).in_(enrolment_ids)))
    await uow.session.execute(delete(Certificate).where(col(Certificate.candidate_id) == candidate_id))
    await uow.session.execute(delete(Recommendation).where(col(Recommendation.candidate_id) == candidate_id))
