"""Screening: eligibility gates and the stage-1 score, on ApplicationSubmitted (version 2, which
names nobody); and closing the shortlist of a cohort that shortlists the best N."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rtw_contracts import (
    ApplicationSubmittedV2,
    AssessmentOutcome,
    AssessmentStage,
    IctSpecialism,
    Programme,
    SkillClaim,
)
from rtw_contracts.types import CareerBreak, ProfessionalRegistration
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.uow import UnitOfWork
from sqlmodel import select

from . import domain
from .configuration import config_in_force
from .decisions import decide
from .models import Candidacy, CohortClosure


def facts_of(candidacy: Candidacy) -> domain.ApplicationFacts:
    """The screening facts kept for an application."""
    facts = candidacy.facts
    registration = facts.get("professional_registration")
    return domain.ApplicationFacts(
        programme=Programme(candidacy.programme),
        submitted_at=candidacy.submitted_at,
        right_to_work=facts["right_to_work"],
        career_break=CareerBreak.model_validate(facts["career_break"]),
        years_experience=facts["years_experience"],
        professional_registration=ProfessionalRegistration.model_validate(registration)
        if registration
        else None,
        specialisms=tuple(IctSpecialism(s) for s in facts["specialisms"]),
        skills=tuple(SkillClaim.model_validate(s) for s in facts["skills"]),
        guaranteed_second_stage=bool(facts.get("guaranteed_second_stage", False)),
    )


def _facts_record(event: ApplicationSubmittedV2) -> dict[str, Any]:
    return {
        "right_to_work": event.right_to_work,
        "career_break": event.career_break.model_dump(mode="json"),
        "years_experience": event.years_experience,
        "professional_registration": event.professional_registration.model_dump(mode="json")
        if event.professional_registration
        else None,
        "specialisms": [s.value for s in event.specialisms],
        "skills": [s.model_dump(mode="json") for s in event.skills],
        "guaranteed_second_stage": event.guaranteed_second_stage,
    }


async def screen_application(event: ApplicationSubmittedV2, uow: UnitOfWork) -> None:
    """Screen a submitted application and publish the decision (or hold an eligible one until
    the shortlist closes, in a cohort that shortlists the best N)."""
    # Already screened (the same application published again)? Looked up without flushing what
    # this transaction's earlier messages wrote, so that a consumer's batch writes them all in one
    # flush at its end. A copy in the same batch is then not seen here, but its row conflicts at
    # that flush, the batch runs again one message at a time, and there the copy is seen.
    with uow.session.no_autoflush:
        if await uow.session.get(Candidacy, event.application_id) is not None:
            return
    config = await config_in_force(uow, event.cohort_id, event.programme)
    assert config is not None
    if config.config.programme is not event.programme:
        raise domain_mismatch(event, config.config.programme)
    candidacy = Candidacy(
        application_id=event.application_id,
        candidate_id=event.candidate_id,
        cohort_id=event.cohort_id,
        programme=event.programme.value,
        submitted_at=event.submitted_at,
        facts=_facts_record(event),
    )
    now = datetime.now(UTC)
    result = domain.screen(facts_of(candidacy), config.config, now.date())
    late = await _too_late_for(uow, event.cohort_id, result)
    if late is not None:
        result = domain.ScreeningResult(AssessmentOutcome.NOT_SHORTLISTED, result.score, result.breakdown, [])
    candidacy.stage1_score = result.score
    candidacy.screening_outcome = result.outcome.value if result.outcome else "eligible"
    uow.session.add(candidacy)
    if result.outcome is not None:
        await decide(
            uow,
            candidacy,
            config,
            stage=AssessmentStage.SCREENING,
            outcome=result.outcome,
            score=result.score,
            breakdown=result.breakdown,
            reasons=result.reasons,
            inputs=candidacy.facts if late is None else {**candidacy.facts, "closed": late},
            justification=None if late is None else CLOSED_STAGE_REASONS[late],
            cause=event,
            now=now,
        )


#: Why an eligible application that arrives after a closed stage is not shortlisted.
CLOSED_STAGE_REASONS = {
    "selection": "The cohort's selection had closed when this application arrived: nobody new is "
    "invited to its second stage.",
    "shortlisting": "The cohort's shortlist had closed when this application arrived: nobody new is "
    "invited to its second stage.",
}


async def _too_late_for(uow: UnitOfWork, cohort_id: str, result: domain.ScreeningResult) -> str | None:
    """The closed step ('selection' or 'shortlisting') that keeps an eligible application from the
    second stage, or None (an ineligible one, or the stages still open)."""
    if result.outcome is AssessmentOutcome.INELIGIBLE:
        return None
    for step in ("selection", "shortlisting"):
        if await uow.session.get(CohortClosure, (cohort_id, step)) is not None:
            return step
    return None


def domain_mismatch(event: ApplicationSubmittedV2, programme: Programme) -> Exception:
    """An application naming a cohort of another programme cannot be screened: a poison message."""
    from rtw_platform.consumer_failures import PermanentFailure

    return PermanentFailure(
        f"application {event.application_id} is for {event.programme.value} but cohort "
        f"{event.cohort_id} is configured for {programme.value}"
    )


async def close_shortlisting(uow: UnitOfWork, cohort_id: str, admin: str) -> dict[str, int]:
    """Shortlist the best N eligible applications of a cohort; the others are not shortlisted."""
    config = await config_in_force(uow, cohort_id)
    if config is None:
        raise NotFound(f"Cohort {cohort_id} has no applications or configuration yet.")
    size = config.config.shortlist_size
    if size is None:
        raise Conflict(
            "This cohort shortlists everyone scoring at least "
            f"{config.config.shortlist_threshold:g} as they apply: there is no shortlist to close."
        )
    if await uow.session.get(CohortClosure, (cohort_id, "shortlisting")) is not None:
        raise Conflict(f"Shortlisting of cohort {cohort_id} is already closed.")
    waiting = list(
        (
            await uow.session.exec(
                select(Candidacy).where(
                    Candidacy.cohort_id == cohort_id,
                    Candidacy.screening_outcome == "eligible",
                    Candidacy.withdrawn_at.is_(None),  # type: ignore[union-attr]
                    Candidacy.erased_at.is_(None),  # type: ignore[union-attr]
                )
            )
        ).all()
    )
    by_id = {str(c.application_id): c for c in waiting}
    chosen, others = domain.shortlist(
        [domain.Ranked(str(c.application_id), c.stage1_score or 0, c.submitted_at) for c in waiting],
        size,
        frozenset(str(c.application_id) for c in waiting if facts_of(c).guaranteed_second_stage),
    )
    now = datetime.now(UTC)
    for position, ranked in enumerate(chosen + others, start=1):
        candidacy = by_id[ranked.application_id]
        outcome = (
            AssessmentOutcome.SHORTLISTED if position <= len(chosen) else AssessmentOutcome.NOT_SHORTLISTED
        )
        candidacy.screening_outcome = outcome.value
        candidacy.rank = position
        await decide(
            uow,
            candidacy,
            config,
            stage=AssessmentStage.SCREENING,
            outcome=outcome,
            score=candidacy.stage1_score,
            breakdown=domain.stage1_score(facts_of(candidacy), config.config)[1],
            inputs={
                "rank": position,
                "shortlist_size": size,
                "eligible": len(waiting),
                "guaranteed_second_stage": facts_of(candidacy).guaranteed_second_stage,
            },
            decided_by=admin,
            rank=position,
            now=now,
        )
    uow.session.add(
        CohortClosure(
            cohort_id=cohort_id,
            step="shortlisting",
            config_version=config.version,
            closed_by=admin,
            closed_at=now,
        )
    )
    await uow.commit()
    return {"shortlisted": len(chosen), "not_shortlisted": len(others)}
