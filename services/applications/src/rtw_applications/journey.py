"""The candidate's journey: dated steps from the events that moved the application."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from rtw_contracts import (
    AppealDecided,
    AppealLodged,
    AssessmentOutcome,
    AssessmentScored,
    CandidateHired,
    CouncilRegistered,
    MatchProposed,
    MatchResponded,
    ReachOutSent,
    SelectionReopened,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    VacancyPosted,
)
from rtw_platform.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select

from . import cohorts, domain
from .models import (
    Application,
    AssessmentDecision,
    Hire,
    JourneyEntry,
    MatchProposal,
    ReportCouncil,
    ReportVacancy,
)


async def steps_of(uow: UnitOfWork, application_id: UUID) -> list[JourneyEntry]:
    """The journey, oldest first."""
    statement = (
        select(JourneyEntry)
        .where(JourneyEntry.application_id == application_id)
        .order_by(JourneyEntry.occurred_at)  # type: ignore[arg-type]
    )
    return list((await uow.session.exec(statement)).all())


async def add_step(
    uow: UnitOfWork,
    application: Application,
    event_id: UUID,
    stage: domain.Stage,
    occurred_at: datetime,
    detail: str | None = None,
    codes: list[str] | None = None,
) -> None:
    """Record a step (once per event) and move the application to its furthest stage."""
    await uow.session.execute(
        insert(JourneyEntry)
        .values(
            event_id=event_id,
            application_id=application.id,
            stage=stage.value,
            detail=detail,
            codes=codes,
            occurred_at=occurred_at,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    entries = await steps_of(uow, application.id)
    steps = [domain.JourneyStep(domain.Stage(e.stage), e.occurred_at) for e in entries]
    current = domain.current_stage(steps)
    application.status = current.value
    if current in domain.FINAL_STAGES:
        application.final_outcome_at = max(s.occurred_at for s in steps if s.stage is current)
    else:
        application.final_outcome_at = None
    uow.session.add(application)


async def add_first_steps(uow: UnitOfWork, firsts: list[tuple[UUID, UUID, domain.Stage, datetime]]) -> None:
    """Record the first step of many new applications at once: (application id, event id, stage,
    when). Their status is that stage already (a first step is the furthest)."""
    await uow.session.execute(
        insert(JourneyEntry).on_conflict_do_nothing(index_elements=["event_id"]),
        [
            {"event_id": event_id, "application_id": application_id, "stage": stage.value, "occurred_at": at}
            for application_id, event_id, stage, at in firsts
        ],
    )


async def _application(uow: UnitOfWork, application_id: UUID) -> Application | None:
    # Steps of one application arrive on different queues, handled in concurrent transactions:
    # one at a time (until the commit), or each would set the status from the steps it alone saw.
    await uow.lock(f"applications.journey:{application_id}")
    application = await uow.session.get(Application, application_id)
    if application is None or application.anonymised_at is not None:
        return None  # erased or never ours: nothing to record
    return application


async def record_assessment(event: AssessmentScored, uow: UnitOfWork) -> None:
    """An assessment decision: a step, and the second-stage deadline when shortlisted."""
    application = await _application(uow, event.application_id)
    if application is None:
        return
    stage = domain.stage_after_assessment(event.stage, event.outcome)
    latest_shortlisting = application.shortlisted_at is None or application.shortlisted_at <= event.decided_at
    if event.outcome is AssessmentOutcome.SHORTLISTED and latest_shortlisting:
        application.shortlisted_at = event.decided_at
        application.second_stage_deadline = domain.second_stage_deadline(
            event.decided_at, event.next_step_deadline
        )
    detail = "; ".join(reason.message for reason in event.reasons) or None
    codes = [reason.code.value for reason in event.reasons] or None
    await add_step(uow, application, event.event_id, stage, event.decided_at, detail, codes)
    await _keep_decision(uow, event)


async def record_selection_reopened(event: SelectionReopened, uow: UnitOfWork) -> None:
    """The cohort's selection is reopened: a step in the timeline ("Decision being looked at
    again"), and the application's status goes back to where it was before selection (the
    journey rule takes back the selection's steps before this one)."""
    await cohorts.record_selection_reopened(event, uow)
    application = await _application(uow, event.application_id)
    if application is None:
        return
    await add_step(uow, application, event.event_id, domain.Stage.SELECTION_REOPENED, event.reopened_at)


async def _keep_decision(uow: UnitOfWork, event: AssessmentScored) -> None:
    """The decision as the candidate may ask to see it (subject access): outcome, score, why."""
    await uow.session.execute(
        insert(AssessmentDecision)
        .values(
            event_id=event.event_id,
            application_id=event.application_id,
            stage=event.stage.value,
            outcome=event.outcome.value,
            decision_kind=event.decision_kind.value,
            score=event.score,
            breakdown=[factor.model_dump(mode="json") for factor in event.breakdown],
            reasons=[reason.model_dump(mode="json") for reason in event.reasons],
            rule_set_version=event.rule_set_version,
            rubric_version=event.rubric_version,
            rank=event.rank,
            next_step_deadline=event.next_step_deadline,
            decided_at=event.decided_at,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


async def record_appeal_lodged(event: AppealLodged, uow: UnitOfWork) -> None:
    """The candidate appealed a decision that they are not eligible."""
    if application := await _application(uow, event.application_id):
        await add_step(uow, application, event.event_id, domain.Stage.APPEALED, event.lodged_at)


#: A journey step's detail holds this much of an appeal's reason (the whole reason is on the
#: appeal's own page and in the e-mail).
DETAIL_LENGTH = 300


def shortened(text: str, limit: int = DETAIL_LENGTH) -> str:
    """The text, cut at a word to fit `limit` characters with an ellipsis when it is longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"


async def record_appeal_decided(event: AppealDecided, uow: UnitOfWork) -> None:
    """The programme team upheld or dismissed the appeal, and why."""
    if application := await _application(uow, event.application_id):
        stage = domain.Stage.APPEAL_UPHELD if event.upheld else domain.Stage.APPEAL_DISMISSED
        await add_step(
            uow, application, event.event_id, stage, event.decided_at, detail=shortened(event.reason)
        )


async def record_enrolment(event: TrainingEnrolled, uow: UnitOfWork) -> None:
    """Training started."""
    if application := await _application(uow, event.application_id):
        await add_step(uow, application, event.event_id, domain.Stage.ENROLLED, event.enrolled_at)


async def record_module(event: TrainingModuleCompleted, uow: UnitOfWork) -> None:
    """A training module completed."""
    if application := await _application(uow, event.application_id):
        await add_step(
            uow,
            application,
            event.event_id,
            domain.Stage.MODULE_COMPLETED,
            event.completed_at,
            detail=event.module_title,
        )


async def record_training_completed(event: TrainingCompleted, uow: UnitOfWork) -> None:
    """Training completed, with a certificate."""
    if application := await _application(uow, event.application_id):
        await add_step(
            uow,
            application,
            event.event_id,
            domain.Stage.TRAINED,
            event.completed_at,
            detail=f"Certificate {event.certificate_id}",
        )


async def record_match(event: MatchProposed, uow: UnitOfWork) -> None:
    """The platform matched the candidate with a vacancy (the latest score of each match is kept
    for the candidate's subject-access export)."""
    if application := await _application(uow, event.application_id):
        await add_step(uow, application, event.event_id, domain.Stage.MATCHED, event.proposed_at)
        values = {
            "application_id": event.application_id,
            "vacancy_id": event.vacancy_id,
            "council_id": event.council_id,
            "score": event.score,
            "factors": [factor.model_dump(mode="json") for factor in event.factors],
            "weights_version": event.weights_version,
            "proposed_at": event.proposed_at,
        }
        statement = insert(MatchProposal).values(match_id=event.match_id, **values)
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["match_id"],
                set_=values,
                where=MatchProposal.proposed_at < statement.excluded.proposed_at,
            )
        )


async def record_reach_out(event: ReachOutSent, uow: UnitOfWork) -> None:
    """A council reached out."""
    if application := await _application(uow, event.application_id):
        await add_step(uow, application, event.event_id, domain.Stage.REACHED_OUT, event.sent_at)


async def record_response(event: MatchResponded, uow: UnitOfWork) -> None:
    """The candidate answered a council."""
    if application := await _application(uow, event.application_id):
        stage = domain.stage_after_response(event.response)
        await add_step(
            uow, application, event.event_id, stage, event.responded_at, codes=[event.response.value]
        )


async def record_hire(event: CandidateHired, uow: UnitOfWork) -> None:
    """The candidate was hired (kept for the savings and reach reports and the export)."""
    application = await _application(uow, event.application_id)
    if application is None:
        return  # erased (its hire is counted in its anonymised row) or never ours
    await uow.session.execute(
        insert(Hire)
        .values(
            match_id=event.match_id,
            application_id=event.application_id,
            council_id=event.council_id,
            hours_per_week=event.hours_per_week,
            salary_min_pence=event.salary_band.min_pence,
            salary_max_pence=event.salary_band.max_pence,
            start_date=event.start_date,
            hired_at=event.hired_at,
        )
        .on_conflict_do_nothing(index_elements=["match_id"])
    )
    await add_step(
        uow,
        application,
        event.event_id,
        domain.Stage.HIRED,
        event.hired_at,
        detail=f"Starting {event.start_date:%d %B %Y}",
    )


async def record_council(event: CouncilRegistered, uow: UnitOfWork) -> None:
    """A council signed up (for the reach report)."""
    await uow.session.execute(
        insert(ReportCouncil)
        .values(
            id=event.council_id,
            gss_code=event.gss_code,
            name=event.name,
            region=event.region.value,
            registered_at=event.registered_at,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def record_vacancy(event: VacancyPosted, uow: UnitOfWork) -> None:
    """A vacancy was posted (for the reach report)."""
    await uow.session.execute(
        insert(ReportVacancy)
        .values(
            id=event.vacancy_id,
            council_id=event.council_id,
            programme=event.programme.value,
            work_mode=event.work_mode.value,
            bases=list(event.base_postcode_districts),
            posted_at=event.posted_at,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
