"""A cohort's life as assessment sees it: the window applications scheduled (CohortScheduled),
what training and matching report of its selected candidates, and the facts its state is
derived from (`domain.cohort_lifecycle`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rtw_contracts import (
    AssessmentOutcome,
    CandidateHired,
    CohortScheduled,
    CohortSelectionClosed,
    Programme,
    TrainingCompleted,
    TrainingEnrolled,
    cohort_journey,
)
from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from . import domain
from .configuration import config_in_force
from .models import Assessor, Assignment, Candidacy, CohortClosure, Decision, ScheduledCohort


async def record_schedule(event: CohortScheduled, uow: UnitOfWork) -> None:
    """Applications created or changed the cohort's window: keep the latest, and give the cohort
    its programme's default configuration at once (so it can be configured while a draft)."""
    cohort = await uow.session.get(ScheduledCohort, event.cohort_id)
    if cohort is not None and (cohort.sequence or 0) >= (event.sequence or 0):
        return  # an older change arriving late
    if cohort is None:
        cohort = ScheduledCohort(
            cohort_id=event.cohort_id,
            programme=event.programme.value,
            title=event.title,
            opens_on=event.opens_on,
            closes_on=event.closes_on,
            changed_at=event.changed_at,
        )
    cohort.programme = event.programme.value
    cohort.title = event.title
    cohort.opens_on = event.opens_on
    cohort.closes_on = event.closes_on
    cohort.video_required = event.video_required
    cohort.sequence = event.sequence or 0
    cohort.changed_at = event.changed_at
    uow.session.add(cohort)
    await config_in_force(uow, event.cohort_id, event.programme)


def selection_closed(cohort_id: str, programme: Programme, now: datetime) -> CohortSelectionClosed:
    """The event telling applications that the cohort takes nobody new."""
    return CohortSelectionClosed(
        correlation_id=cohort_journey(cohort_id), cohort_id=cohort_id, programme=programme, closed_at=now
    )


async def _candidacy(uow: UnitOfWork, application_id: object) -> Candidacy | None:
    return await uow.session.get(Candidacy, application_id)


async def record_enrolment(event: TrainingEnrolled, uow: UnitOfWork) -> None:
    """A selected candidate started training."""
    candidacy = await _candidacy(uow, event.application_id)
    if candidacy is not None and candidacy.training_enrolled_at is None:
        candidacy.training_enrolled_at = event.enrolled_at
        uow.session.add(candidacy)


async def record_training_completed(event: TrainingCompleted, uow: UnitOfWork) -> None:
    """A selected candidate finished training: they are matched with councils from now on."""
    candidacy = await _candidacy(uow, event.application_id)
    if candidacy is not None and candidacy.training_completed_at is None:
        candidacy.training_completed_at = event.completed_at
        uow.session.add(candidacy)


async def record_hire(event: CandidateHired, uow: UnitOfWork) -> None:
    """A council hired the returner."""
    candidacy = await _candidacy(uow, event.application_id)
    if candidacy is not None and candidacy.hired_at is None:
        candidacy.hired_at = event.hired_at
        uow.session.add(candidacy)


@dataclass(frozen=True)
class CohortView:
    """A cohort's page: what applications scheduled (if known), and its lifecycle."""

    cohort_id: str
    scheduled: ScheduledCohort | None
    progress: domain.CohortProgress
    lifecycle: domain.Lifecycle


async def cohort_view(uow: UnitOfWork, cohort_id: str, today: date) -> CohortView:
    """The cohort's state from what assessment holds (reads only)."""
    scheduled = await uow.session.get(ScheduledCohort, cohort_id)
    config = await config_in_force(uow, cohort_id)
    closures = {
        c.step
        for c in (
            await uow.session.exec(select(CohortClosure).where(CohortClosure.cohort_id == cohort_id))
        ).all()
    }
    candidacies = [
        c
        for c in (await uow.session.exec(select(Candidacy).where(Candidacy.cohort_id == cohort_id))).all()
        if c.withdrawn_at is None and c.erased_at is None
    ]
    shortlisted = [c for c in candidacies if c.screening_outcome == AssessmentOutcome.SHORTLISTED.value]
    deadlines = await _second_stage_deadlines(
        uow, cohort_id, config.config.second_stage_days if config else 14
    )
    selection_closed = "selection" in closures
    due = [
        c
        for c in shortlisted
        if c.second_stage_submitted_at is None
        and not selection_closed
        and deadlines.get(str(c.application_id), today) >= today
    ]
    owing = (
        await uow.session.exec(
            select(Assessor.display_name)
            .join(Assignment, col(Assignment.assessor_id) == col(Assessor.id))
            .join(Candidacy, col(Candidacy.application_id) == col(Assignment.application_id))
            .where(
                Candidacy.cohort_id == cohort_id,
                Assignment.status == domain.AssignmentStatus.PENDING.value,
            )
            .distinct()
        )
    ).all()
    selected = [c for c in candidacies if c.selection_outcome == AssessmentOutcome.SELECTED.value]
    progress = domain.CohortProgress(
        opens_on=scheduled.opens_on if scheduled else config.config.window_opens_on if config else None,
        closes_on=scheduled.closes_on if scheduled else config.config.window_closes_on if config else None,
        shortlist_by_size=bool(config and config.config.shortlist_size is not None),
        shortlisting_closed="shortlisting" in closures,
        selection_closed=selection_closed,
        applications=len(candidacies),
        eligible_waiting=sum(1 for c in candidacies if c.screening_outcome == "eligible"),
        second_stage_due=len(due),
        second_stage_deadline=max(
            (deadlines[str(c.application_id)] for c in due if str(c.application_id) in deadlines),
            default=None,
        ),
        awaiting_scorecards=sum(
            1 for c in shortlisted if c.second_stage_submitted_at and c.second_stage_score is None
        )
        if not selection_closed
        else 0,
        assessors_owing=tuple(sorted(owing)) if not selection_closed else (),
        selected=len(selected),
        in_training=sum(1 for c in selected if c.training_completed_at is None),
        awaiting_hire=sum(1 for c in selected if c.training_completed_at and c.hired_at is None),
        hired=sum(1 for c in selected if c.hired_at),
    )
    return CohortView(cohort_id, scheduled, progress, domain.cohort_lifecycle(progress, today))


async def _second_stage_deadlines(uow: UnitOfWork, cohort_id: str, days: int) -> dict[str, date]:
    """Each shortlisted application's last day for the second stage (from its shortlisting)."""
    rows = (
        await uow.session.exec(
            select(Decision.application_id, Decision.decided_at).where(
                Decision.cohort_id == cohort_id,
                Decision.stage == "screening",
                Decision.outcome == AssessmentOutcome.SHORTLISTED.value,
            )
        )
    ).all()
    return {str(app): (decided + timedelta(days=days)).date() for app, decided in rows}
