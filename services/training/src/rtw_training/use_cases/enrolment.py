"""Learners and enrolment: from the events of applications and assessment (the handlers call
these with `store.work_of(uow)`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rtw_contracts import (
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentOutcome,
    AssessmentScored,
    AssessmentStage,
    Programme,
    SelectionReopened,
    TrainingEnrolled,
    TrainingModuleRef,
    caused_by,
)

from .. import domain
from ..curricula import curriculum_for
from ..models import Enrolment, Learner
from ..store import TrainingWork


async def _learner_of(
    work: TrainingWork,
    event: ApplicationSubmittedV2
    | ApplicationContactGiven
    | AssessmentScored
    | ApplicationWithdrawn
    | SelectionReopened,
) -> Learner:
    """The learner an event is about, new if training has not heard of them yet. Events about one
    learner arrive on different queues and are handled in concurrent transactions: each takes a
    transaction-scoped lock on the application first, so that none writes over what another
    decided from a stale read (an older outcome over a newer one)."""
    await work.lock(f"training.learner:{event.application_id}")
    learner = await work.store.learner(event.application_id)
    if learner is None:
        learner = Learner(
            application_id=event.application_id,
            candidate_id=event.candidate_id,
            cohort_id=event.cohort_id,
            programme=event.programme.value,
        )
    return learner


async def remember_applicant_v1(work: TrainingWork, event: ApplicationSubmitted) -> None:
    """A version-1 submission still queued (or replayed) until v1 retires: handled as the two
    version-2 events it stands for."""
    facts, contact = event.split()
    await remember_applicant(work, facts)
    await remember_name(work, contact)


async def remember_name(work: TrainingWork, event: ApplicationContactGiven) -> None:
    """Keep the name (for the certificate and the trainers' pages); nothing else of the contact
    details."""
    learner = await _learner_of(work, event)
    if learner.erased_at is not None:
        return
    learner.given_name = event.given_name
    learner.family_name = event.family_name
    await work.store.save_learner(learner)


async def remember_applicant(work: TrainingWork, event: ApplicationSubmittedV2) -> None:
    """Keep when the candidate last practised (for the CPD rule); nothing else of the
    application."""
    learner = await _learner_of(work, event)
    if learner.erased_at is not None:
        return
    registration = event.professional_registration
    learner.last_practised = (
        registration.last_practised if registration else None
    ) or event.career_break.start
    await work.store.save_learner(learner)
    enrolment = await work.store.enrolment_of_application(event.application_id)
    if enrolment is not None and enrolment.years_out_of_practice is None:
        enrolment.years_out_of_practice = domain.years_out_of_practice(
            learner.last_practised, enrolment.enrolled_at.date()
        )
        await work.store.save_enrolment(enrolment)


async def record_assessment(work: TrainingWork, event: AssessmentScored) -> None:
    """Keep the latest outcome; a final 'selected' (automatic, promoted from the waiting list or
    by override) enrols the candidate, a later change away from it withdraws the enrolment."""
    learner = await _learner_of(work, event)
    sequence = event.sequence or 0
    if learner.erased_at is not None or sequence < learner.assessment_sequence:
        return  # stale
    learner.assessment_stage = event.stage.value
    learner.assessment_outcome = event.outcome.value
    learner.assessment_sequence = sequence
    learner.decided_at = event.decided_at
    await work.store.save_learner(learner)
    if event.stage is not AssessmentStage.FINAL:
        return
    enrolment = await work.store.enrolment_of_application(event.application_id)
    if event.outcome is AssessmentOutcome.SELECTED and learner.withdrawn_at is None:
        if enrolment is None:
            await _enrol(work, learner, event)
        elif enrolment.status == "withdrawn" and enrolment.completed_at is None:
            # Selected again (a new selection after a reopening, or an override): the enrolment
            # starts again, and is announced again, as a new enrolment would be.
            enrolment.status = "enrolled"
            enrolment.withdrawn_at = None
            enrolment.enrolled_at = datetime.now(UTC)
            await work.store.save_enrolment(enrolment)
            # In the database, as a module's completion takes it (progress.py, under another lock).
            await work.store.next_sequence(enrolment)
            _announce(work, learner, enrolment, event)
    elif enrolment is not None and enrolment.status == "enrolled":
        enrolment.status = "withdrawn"
        enrolment.withdrawn_at = event.decided_at
        await work.store.save_enrolment(enrolment)


async def _enrol(work: TrainingWork, learner: Learner, cause: AssessmentScored) -> Enrolment:
    curriculum = curriculum_for(Programme(learner.programme))
    now = datetime.now(UTC)
    years_out = (
        domain.years_out_of_practice(learner.last_practised, now.date()) if learner.last_practised else None
    )
    enrolment = Enrolment(
        application_id=learner.application_id,
        candidate_id=learner.candidate_id,
        cohort_id=learner.cohort_id,
        programme=learner.programme,
        curriculum_id=curriculum.id,
        curriculum_version=curriculum.version,
        status="enrolled",
        years_out_of_practice=years_out,
        enrolled_at=now,
        sequence=1,
    )
    await work.store.save_enrolment(enrolment)
    _announce(work, learner, enrolment, cause)
    return enrolment


async def record_selection_reopened(work: TrainingWork, event: SelectionReopened) -> None:
    """The selection that decided the candidate's place is reopened: the final outcome no longer
    stands, and an enrolment that selection made (since it was confirmed) is withdrawn unless
    training has begun (a module or CPD recorded): a learner already at work keeps it, and the
    new selection's decision then applies to it as any later decision does. A later decision
    already held (higher sequence) makes this one stale."""
    learner = await _learner_of(work, event)
    sequence = event.sequence or 0
    if learner.erased_at is not None or sequence < learner.assessment_sequence:
        return  # stale
    learner.assessment_outcome = None
    learner.assessment_sequence = sequence
    await work.store.save_learner(learner)
    enrolment = await work.store.enrolment_of_application(event.application_id)
    if (
        enrolment is not None
        and enrolment.status == "enrolled"
        and enrolment.enrolled_at >= event.selection_closed_at
        and not await work.store.has_begun(enrolment.id)
    ):
        enrolment.status = "withdrawn"
        enrolment.withdrawn_at = event.reopened_at
        await work.store.save_enrolment(enrolment)


def _announce(work: TrainingWork, learner: Learner, enrolment: Enrolment, cause: AssessmentScored) -> None:
    """Publish TrainingEnrolled for the enrolment as it now stands."""
    curriculum = curriculum_for(Programme(learner.programme))
    work.publish(
        TrainingEnrolled(
            **caused_by(cause),
            sequence=enrolment.sequence,
            enrolment_id=enrolment.id,
            application_id=learner.application_id,
            candidate_id=learner.candidate_id,
            programme=Programme(learner.programme),
            cohort_id=learner.cohort_id,
            curriculum_id=enrolment.curriculum_id,
            curriculum_version=enrolment.curriculum_version,
            modules=[
                TrainingModuleRef(module_id=m.id, title=m.title, required=m.required)
                for m in curriculum.modules
            ],
            enrolled_at=enrolment.enrolled_at,
            expected_end=(enrolment.enrolled_at + timedelta(weeks=curriculum.weeks)).date(),
        )
    )


async def record_withdrawal(work: TrainingWork, event: ApplicationWithdrawn) -> None:
    """The candidate withdrew: an unfinished enrolment ends (and none starts later, whatever
    order the events arrive in)."""
    learner = await _learner_of(work, event)
    learner.withdrawn_at = event.withdrawn_at
    await work.store.save_learner(learner)
    enrolment = await work.store.enrolment_of_application(event.application_id)
    if enrolment is not None and enrolment.status == "enrolled":
        enrolment.status = "withdrawn"
        enrolment.withdrawn_at = event.withdrawn_at
        await work.store.save_enrolment(enrolment)
