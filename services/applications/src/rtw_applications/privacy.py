"""Withdrawal, erasure, subject-access export and retention."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from rtw_contracts import ApplicationWithdrawn, CandidateErased, Programme, WithdrawalReason
from rtw_platform import clock
from rtw_platform.auth import Principal
from rtw_platform.counters import take_next
from rtw_platform.erasure import ErasedPerson, erase_from_outbox
from rtw_platform.errors import Conflict, Invalid, NotFound
from rtw_platform.filestore import FileStore
from rtw_platform.uow import UnitOfWork
from sqlalchemy import delete
from sqlmodel import col, select

from . import domain, reports
from .intake import application_or_refuse
from .journey import add_step, steps_of
from .models import (
    AdjustmentRequest,
    Application,
    AssessmentDecision,
    Candidate,
    EqualityMonitoringAnswers,
    Hire,
    JourneyEntry,
    MatchProposal,
    ReportCouncil,
    SecondStageDraft,
    SecondStageSubmission,
)

NO_SUCH_CANDIDATE = "There is no candidate with that id."


async def withdraw(
    application_id: UUID, reason: WithdrawalReason, principal: Principal, uow: UnitOfWork
) -> Application:
    """Withdraw an application still in progress (drafts are simply discarded)."""
    application = await application_or_refuse(uow, application_id, principal)
    refusal = domain.withdrawal_refusal(domain.Stage(application.status))
    if refusal is not None:  # already over (an outcome, or withdrawn): nothing changes
        raise Conflict(refusal)
    if application.reference is None:
        await uow.session.delete(application)
        await uow.commit()
        return application
    now = clock.now()
    application.withdrawn_at = now
    await take_next(uow.session, application, "event_sequence")
    event = ApplicationWithdrawn(
        correlation_id=application.id,
        sequence=application.event_sequence,
        application_id=application.id,
        candidate_id=application.candidate_id,
        cohort_id=application.cohort_id,
        programme=Programme(application.programme),
        withdrawn_at=now,
        reason=reason,
    )
    await add_step(
        uow, application, event.event_id, domain.Stage.WITHDRAWN, now, reason.value, [reason.value]
    )
    uow.publish(event)
    await uow.commit()
    return application


#: Everything kept per application, by application id: deleted when the application is erased.
_PER_APPLICATION = (
    JourneyEntry,
    AssessmentDecision,
    MatchProposal,
    Hire,
    EqualityMonitoringAnswers,
    SecondStageSubmission,
    SecondStageDraft,
    AdjustmentRequest,
)


async def _anonymise(uow: UnitOfWork, application: Application, store: FileStore) -> None:
    """Replace an application by its anonymised row (what the reports count, nothing of the
    person) and delete everything else of it: answers, journey, decisions, matches, hires,
    equality answers, adjustment requests, second stage and video."""
    [person] = await reports.people_of(uow, [application])
    uow.session.add(reports.anonymised(person))
    submission = await uow.session.get(SecondStageSubmission, application.id)
    if submission is not None and submission.video_key is not None:
        await store.delete(submission.video_key)
    for table in _PER_APPLICATION:
        await uow.session.execute(delete(table).where(col(table.application_id) == application.id))
    await uow.session.delete(application)


async def _adjustments(uow: UnitOfWork, application_id: UUID) -> list[dict[str, Any]]:
    rows = await uow.session.exec(
        select(AdjustmentRequest)
        .where(AdjustmentRequest.application_id == application_id)
        .order_by(col(AdjustmentRequest.requested_at))
    )
    return [
        {
            "asked": r.kinds,
            "details": r.details,
            "stage": r.stage,
            "status": r.status,
            "agreed": r.agreed_kinds,
            "extra_minutes": r.extra_minutes,
            "reason": r.reason,
            "requested_at": _iso(r.requested_at),
            "decided_at": _iso(r.decided_at),
        }
        for r in rows.all()
    ]


async def erase_dead_letters(
    eraser: Callable[[ErasedPerson], Awaitable[int]] | None,
    candidate_id: UUID,
    application_ids: Sequence[UUID],
) -> None:
    """After an erasure has committed: delete this service's dead letters about the person (the
    other services do theirs when CandidateErased reaches them). Harmless to repeat."""
    if eraser is not None:
        await eraser(ErasedPerson(candidate_id, tuple(application_ids)))


async def erase_candidate(candidate_id: UUID, uow: UnitOfWork, store: FileStore) -> list[UUID]:
    """Erase a candidate: everything of theirs here deleted (each application leaves only its
    anonymised row for the reports, so no count changes), their outbox rows too, and every other
    service told (CandidateErased). Erasure is not a withdrawal: it publishes none, at any stage
    (the services that drop a candidacy do so on CandidateErased, and after selection nobody is
    promoted in their place). Returns the applications affected."""
    candidate = await uow.session.get(Candidate, candidate_id)
    if candidate is None or candidate.erased_at is not None:
        raise NotFound(NO_SUCH_CANDIDATE)
    now = clock.now()
    applications = list(
        (await uow.session.exec(select(Application).where(Application.candidate_id == candidate_id))).all()
    )
    for application in applications:
        await _anonymise(uow, application, store)
    ids = [a.id for a in applications]
    await _forget(uow, candidate, ids)
    uow.publish(_erased_event(candidate_id, ids, now))
    await uow.commit()
    return ids


async def export_candidate(
    candidate_id: UUID, uow: UnitOfWork, *, include_equality_monitoring: bool
) -> dict[str, Any]:
    """Everything held about a candidate, as JSON-ready data (subject access): their details,
    answers and journey, and the decisions about them this service received (assessment outcomes
    with scores and reasons, training, matches with scores, hires).

    Equality-monitoring answers are included only when the candidate asks for their own data:
    staff never see them per person.
    """
    candidate = await uow.session.get(Candidate, candidate_id)
    if candidate is None or candidate.erased_at is not None:
        raise NotFound(NO_SUCH_CANDIDATE)
    applications = (
        await uow.session.exec(
            select(Application).where(
                Application.candidate_id == candidate_id,
                Application.anonymised_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).all()
    councils = {c.id: c.name for c in (await uow.session.exec(select(ReportCouncil))).all()}
    exported: list[dict[str, Any]] = []
    for application in applications:
        submission = await uow.session.get(SecondStageSubmission, application.id)
        draft = await uow.session.get(SecondStageDraft, application.id)
        equality = await uow.session.get(EqualityMonitoringAnswers, application.id)
        journey = await steps_of(uow, application.id)
        entry: dict[str, Any] = {
            "application_id": str(application.id),
            "reference": application.reference,
            "cohort_id": application.cohort_id,
            "programme": application.programme,
            "status": application.status,
            "answers": application.answers,
            "consent": {
                "privacy_notice_version": application.privacy_notice_version,
                "given_at": _iso(application.consent_given_at),
            },
            "submitted_at": _iso(application.submitted_at),
            "withdrawn_at": _iso(application.withdrawn_at),
            "journey": [
                {"stage": e.stage, "detail": e.detail, "occurred_at": _iso(e.occurred_at)} for e in journey
            ],
            "second_stage": None
            if submission is None
            else {
                "answers": submission.answers,
                "written_alternative": submission.written_alternative,
                "video": None
                if submission.video_key is None
                else {
                    "content_type": submission.video_content_type,
                    "size_bytes": submission.video_size_bytes,
                    "sha256": submission.video_sha256,
                },
                "submitted_at": _iso(submission.submitted_at),
            },
            "second_stage_draft": None
            if draft is None
            else {"answers": draft.answers, "saved_at": _iso(draft.saved_at)},
            "assessment_decisions": await _assessment_decisions(uow, application.id),
            "guaranteed_second_stage": application.guaranteed_second_stage,
            "adjustments": await _adjustments(uow, application.id),
            "training": _training(journey),
            "matching": await _matching(uow, application.id, councils),
        }
        if include_equality_monitoring:
            entry["equality_monitoring"] = None if equality is None else equality.answers
        exported.append(entry)
    return {
        "exported_at": clock.now().isoformat(),
        "candidate": {
            "candidate_id": str(candidate.id),
            "email": candidate.email,
            "given_name": candidate.given_name,
            "family_name": candidate.family_name,
            "phone": candidate.phone,
            "preferred_language": candidate.preferred_language,
            "created_at": _iso(candidate.created_at),
        },
        "applications": exported,
        "held_elsewhere": HELD_ELSEWHERE,
    }


#: Where the other services' own parts of a subject-access request are read (each exports its
#: own: no service reads another's data).
HELD_ELSEWHERE = (
    "Each service exports what it holds. Above are the decisions, training and matches this "
    "service was told about. The rest: assessment, every decision with the facts it used "
    "(GET /assessment/applications/{application_id}/decisions); training, enrolments, modules and "
    "certificates (GET /training/candidates/{candidate_id}/training); matching, your talent-pool "
    "profile and matches, with each match's interviews (the times proposed, the one booked, the "
    "place), the council's feedback on them (ratings, recommendation and notes) and its offers "
    "(salary, start date, hours, contract, your answer) (GET "
    "/matching/candidates/{candidate_id}/matches); notifications, the e-mails sent to you (ask the "
    "programme team: they read GET /notifications/deliveries)."
)


async def _assessment_decisions(uow: UnitOfWork, application_id: UUID) -> list[dict[str, Any]]:
    rows = (
        await uow.session.exec(
            select(AssessmentDecision)
            .where(AssessmentDecision.application_id == application_id)
            .order_by(col(AssessmentDecision.decided_at))
        )
    ).all()
    return [
        {
            "stage": d.stage,
            "outcome": d.outcome,
            "decision_kind": d.decision_kind,
            "score": d.score,
            "breakdown": d.breakdown,
            "reasons": d.reasons,
            "rank": d.rank,
            "rule_set_version": d.rule_set_version,
            "rubric_version": d.rubric_version,
            "next_step_deadline": d.next_step_deadline.isoformat() if d.next_step_deadline else None,
            "decided_at": _iso(d.decided_at),
        }
        for d in rows
    ]


_TRAINING_STAGES = (
    domain.Stage.ENROLLED.value,
    domain.Stage.MODULE_COMPLETED.value,
    domain.Stage.TRAINED.value,
)


def _training(journey: Sequence[JourneyEntry]) -> dict[str, Any]:
    """The training as this service heard of it (training's own export has the detail)."""
    steps = [e for e in journey if e.stage in _TRAINING_STAGES]
    trained = [e for e in steps if e.stage == domain.Stage.TRAINED.value]
    status = (
        "trained"
        if trained
        else "enrolled"
        if any(e.stage == domain.Stage.ENROLLED.value for e in steps)
        else None
    )
    return {
        "status": status,
        "enrolled_at": next(
            (_iso(e.occurred_at) for e in steps if e.stage == domain.Stage.ENROLLED.value), None
        ),
        "modules_completed": [e.detail for e in steps if e.stage == domain.Stage.MODULE_COMPLETED.value],
        "completed_at": _iso(trained[0].occurred_at) if trained else None,
        "certificate": trained[0].detail if trained else None,
    }


async def _matching(uow: UnitOfWork, application_id: UUID, councils: dict[UUID, str]) -> dict[str, Any]:
    proposals = (
        await uow.session.exec(
            select(MatchProposal)
            .where(MatchProposal.application_id == application_id)
            .order_by(col(MatchProposal.proposed_at))
        )
    ).all()
    hires = (
        await uow.session.exec(
            select(Hire).where(Hire.application_id == application_id).order_by(col(Hire.hired_at))
        )
    ).all()
    return {
        "proposals": [
            {
                "vacancy_id": str(p.vacancy_id),
                "council": councils.get(p.council_id, str(p.council_id)),
                "score": p.score,
                "factors": p.factors,
                "weights_version": p.weights_version,
                "proposed_at": _iso(p.proposed_at),
            }
            for p in proposals
        ],
        "hires": [
            {
                "council": councils.get(h.council_id, str(h.council_id)),
                "start_date": h.start_date.isoformat(),
                "hours_per_week": h.hours_per_week,
                "salary_band": {"min_pence": h.salary_min_pence, "max_pence": h.salary_max_pence},
                "hired_at": _iso(h.hired_at),
            }
            for h in hires
        ],
    }


async def _forget(uow: UnitOfWork, candidate: Candidate, application_ids: Sequence[UUID]) -> None:
    """Delete the candidate and every outbox row about them."""
    # Every outbox row about them, published or not: an event not yet sent about someone being
    # erased is better never sent; the CandidateErased this transaction writes next is kept.
    mentions = [str(candidate.id), *(str(i) for i in application_ids), candidate.email or ""]
    await erase_from_outbox(uow, candidate.id, correlation_ids=application_ids, mentions=mentions)
    await uow.session.delete(candidate)


def _erased_event(candidate_id: UUID, application_ids: list[UUID], now: datetime) -> CandidateErased:
    return CandidateErased(
        correlation_id=candidate_id,
        candidate_id=candidate_id,
        application_ids=application_ids,
        erased_at=now,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class RetentionItem:
    application_id: UUID
    reference: str | None
    status: str
    final_outcome_at: datetime


async def apply_retention(
    uow: UnitOfWork, store: FileStore, *, months: int, now: datetime, dry_run: bool
) -> list[RetentionItem]:
    """Anonymise applications `months` after their final outcome (or list them, on a dry run),
    exactly as erasure does: each leaves only its anonymised row, so no report's count changes,
    and no withdrawal is published. A candidate with nothing left that is still active is erased
    (everything of theirs here, and every other service told by CandidateErased).
    A period outside the legal limits is refused before anything is read."""
    refusal = domain.retention_refusal(months)
    if refusal is not None:
        raise Invalid([("months", refusal)], refusal)
    statement = select(Application).where(
        Application.final_outcome_at.is_not(None),  # type: ignore[union-attr]
        Application.anonymised_at.is_(None),  # type: ignore[union-attr]
    )
    due = [
        a
        for a in (await uow.session.exec(statement)).all()
        if domain.retention_due(a.final_outcome_at, months, now)
    ]
    items = [
        RetentionItem(a.id, a.reference, a.status, a.final_outcome_at)  # type: ignore[arg-type]
        for a in due
    ]
    if dry_run or not due:
        return items
    for application in due:
        await _anonymise(uow, application, store)
    await erase_from_outbox(uow, None, correlation_ids=[a.id for a in due], mentions=[str(a.id) for a in due])
    await uow.session.flush()
    for candidate_id in {a.candidate_id for a in due}:
        left = list(
            (
                await uow.session.exec(select(Application).where(Application.candidate_id == candidate_id))
            ).all()
        )
        if any(a.anonymised_at is None for a in left):
            continue  # something of theirs is still active: they stay
        for application in left:  # anonymised in place before anonymised rows existed
            await _anonymise(uow, application, store)
        candidate = await uow.session.get(Candidate, candidate_id)
        if candidate is not None and candidate.erased_at is None:
            ids = [a.id for a in due if a.candidate_id == candidate_id] + [a.id for a in left]
            await _forget(uow, candidate, ids)
            uow.publish(_erased_event(candidate_id, ids, now))
    await uow.commit()
    return items
