"""Withdrawal, erasure, subject-access export and retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_contracts import ApplicationWithdrawn, CandidateErased, Programme, WithdrawalReason
from rtw_platform.auth import Principal
from rtw_platform.errors import Conflict, Invalid, NotFound
from rtw_platform.filestore import FileStore
from rtw_platform.uow import UnitOfWork
from sqlmodel import select

from . import domain
from .intake import application_or_refuse
from .journey import add_step, steps_of
from .models import (
    Application,
    Candidate,
    EqualityMonitoringAnswers,
    SecondStageSubmission,
)

NO_SUCH_CANDIDATE = "There is no candidate with that id."


def _now() -> datetime:
    return datetime.now(UTC)


async def withdraw(
    application_id: UUID, reason: WithdrawalReason, principal: Principal, uow: UnitOfWork
) -> Application:
    """Withdraw an application (drafts are simply discarded)."""
    application = await application_or_refuse(uow, application_id, principal)
    if application.status == domain.Stage.WITHDRAWN.value:
        raise Conflict("This application was already withdrawn.")
    if application.reference is None:
        await uow.session.delete(application)
        await uow.commit()
        return application
    now = _now()
    application.withdrawn_at = now
    application.event_sequence += 1
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


async def _anonymise(uow: UnitOfWork, application: Application, store: FileStore, now: datetime) -> None:
    """Remove personal data from an application, keeping what the programme's counts need:
    programme, cohort, region, stage and dates."""
    submission = await uow.session.get(SecondStageSubmission, application.id)
    if submission is not None:
        if submission.video_key is not None:
            await store.delete(submission.video_key)
        await uow.session.delete(submission)
    application.answers = {}
    application.client_request_id = None
    application.anonymised_at = now
    uow.session.add(application)


async def erase_candidate(candidate_id: UUID, uow: UnitOfWork, store: FileStore) -> list[UUID]:
    """Erase a candidate: personal data deleted or anonymised everywhere here, and every other
    service told (CandidateErased). Returns the applications affected."""
    candidate = await uow.session.get(Candidate, candidate_id)
    if candidate is None or candidate.erased_at is not None:
        raise NotFound(NO_SUCH_CANDIDATE)
    now = _now()
    applications = list(
        (await uow.session.exec(select(Application).where(Application.candidate_id == candidate_id))).all()
    )
    for application in applications:
        await _anonymise(uow, application, store, now)
    _forget(candidate, now)
    uow.publish(_erased_event(uow, candidate_id, [a.id for a in applications], now))
    await uow.commit()
    return [a.id for a in applications]


async def export_candidate(
    candidate_id: UUID, uow: UnitOfWork, *, include_equality_monitoring: bool
) -> dict[str, Any]:
    """Everything held about a candidate, as JSON-ready data (subject access).

    Equality-monitoring answers are included only when the candidate asks for their own data:
    staff never see them per person.
    """
    candidate = await uow.session.get(Candidate, candidate_id)
    if candidate is None or candidate.erased_at is not None:
        raise NotFound(NO_SUCH_CANDIDATE)
    applications = (
        await uow.session.exec(select(Application).where(Application.candidate_id == candidate_id))
    ).all()
    exported: list[dict[str, Any]] = []
    for application in applications:
        submission = await uow.session.get(SecondStageSubmission, application.id)
        equality = await uow.session.get(EqualityMonitoringAnswers, application.id)
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
                {"stage": e.stage, "detail": e.detail, "occurred_at": _iso(e.occurred_at)}
                for e in await steps_of(uow, application.id)
            ],
            "second_stage": None
            if submission is None
            else {
                "answers": submission.answers,
                "video": None
                if submission.video_key is None
                else {
                    "content_type": submission.video_content_type,
                    "size_bytes": submission.video_size_bytes,
                    "sha256": submission.video_sha256,
                },
                "submitted_at": _iso(submission.submitted_at),
            },
        }
        if include_equality_monitoring:
            entry["equality_monitoring"] = None if equality is None else equality.answers
        exported.append(entry)
    return {
        "exported_at": _now().isoformat(),
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
        "held_elsewhere": (
            "Assessment, training, matching and notifications keep their own copies of what "
            "they need (ids, scores, training progress, your talent-pool profile, e-mails sent)."
        ),
    }


def _forget(candidate: Candidate, now: datetime) -> None:
    candidate.email = None
    candidate.given_name = None
    candidate.family_name = None
    candidate.phone = None
    candidate.erased_at = now


def _erased_event(
    uow: UnitOfWork, candidate_id: UUID, application_ids: list[UUID], now: datetime
) -> CandidateErased:
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
    """Anonymise applications `months` after their final outcome (or list them, on a dry run).
    A candidate with nothing left that is still active loses their contact details too.
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
        await _anonymise(uow, application, store, now)
    await uow.session.flush()
    for candidate_id in {a.candidate_id for a in due}:
        remaining = (
            await uow.session.exec(
                select(Application).where(
                    Application.candidate_id == candidate_id,
                    Application.anonymised_at.is_(None),  # type: ignore[union-attr]
                )
            )
        ).first()
        candidate = await uow.session.get(Candidate, candidate_id)
        if remaining is None and candidate is not None and candidate.erased_at is None:
            _forget(candidate, now)
            # Nothing of theirs is active any more: every other service forgets them too.
            uow.publish(
                _erased_event(uow, candidate_id, [a.id for a in due if a.candidate_id == candidate_id], now)
            )
    await uow.commit()
    return items
