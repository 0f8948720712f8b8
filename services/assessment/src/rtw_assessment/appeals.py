"""Overrides by admins and appeals by candidates against an ineligible decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator
from rtw_contracts import (
    AppealDecided,
    AppealLodged,
    AssessmentOutcome,
    AssessmentStage,
    DecisionKind,
    Programme,
    ReasonCode,
)
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from rtw_platform.web.i18n import N_
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from . import domain
from .configuration import config_in_force
from .decisions import decide
from .models import Appeal, Candidacy, CohortClosure, Decision
from .screening import facts_of

#: Which outcomes belong to which stage.
STAGE_OUTCOMES = {
    AssessmentStage.SCREENING: {
        AssessmentOutcome.INELIGIBLE,
        AssessmentOutcome.SHORTLISTED,
        AssessmentOutcome.NOT_SHORTLISTED,
    },
    AssessmentStage.FINAL: {
        AssessmentOutcome.SELECTED,
        AssessmentOutcome.WAITLISTED,
        AssessmentOutcome.REJECTED,
    },
}


class OverrideIn(BaseModel):
    """An admin's override of an outcome; the justification is mandatory."""

    model_config = ConfigDict(extra="forbid")

    stage: AssessmentStage
    outcome: AssessmentOutcome
    justification: str = Field(min_length=20, max_length=5000)


class AppealIn(BaseModel):
    """A candidate's appeal against being found ineligible."""

    model_config = ConfigDict(extra="forbid")

    application_id: UUID
    grounds: str = Field(min_length=20, max_length=5000)


class AppealDecisionIn(BaseModel):
    """An admin's answer to an appeal."""

    model_config = ConfigDict(extra="forbid")

    upheld: bool
    reason: str = Field(min_length=10, max_length=5000)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if len(value) < 10:
            raise ValueError("give the candidate a reason of at least 10 characters")
        return value


NO_APPLICATION = "Assessment has no application with that id."


async def _candidacy(uow: UnitOfWork, application_id: UUID) -> Candidacy:
    candidacy = await uow.session.get(Candidacy, application_id)
    if candidacy is None or candidacy.erased_at is not None:
        raise NotFound(NO_APPLICATION)
    return candidacy


async def override(uow: UnitOfWork, application_id: UUID, change: OverrideIn, admin: str) -> Decision:
    """Replace an outcome; recorded with the admin and the justification, and published."""
    if change.outcome not in STAGE_OUTCOMES.get(change.stage, set()):
        allowed = ", ".join(sorted(o.value for o in STAGE_OUTCOMES.get(change.stage, set()))) or "none"
        raise Invalid([("outcome", f"a {change.stage.value} outcome is one of: {allowed}")])
    candidacy = await _candidacy(uow, application_id)
    config = await config_in_force(uow, candidacy.cohort_id)
    assert config is not None
    if change.stage is AssessmentStage.SCREENING:
        candidacy.screening_outcome = change.outcome.value
    else:
        was_selected = candidacy.selection_outcome == AssessmentOutcome.SELECTED.value
        candidacy.selection_outcome = change.outcome.value
        if was_selected and change.outcome is not AssessmentOutcome.SELECTED:
            from .selection import promote_from_waitlist

            await promote_from_waitlist(uow, candidacy.cohort_id, None, leaving=candidacy)
    decision = await decide(
        uow,
        candidacy,
        config,
        stage=change.stage,
        outcome=change.outcome,
        kind=DecisionKind.OVERRIDE,
        score=candidacy.final_score if change.stage is AssessmentStage.FINAL else candidacy.stage1_score,
        inputs={"overridden_by": admin},
        decided_by=admin,
        justification=change.justification,
    )
    await uow.commit()
    return decision


@dataclass(frozen=True)
class Standing:
    """Where a candidate's application stands for appealing: the latest screening decision, the
    latest appeal, the last day to appeal, and why a new appeal cannot be made (None: it can)."""

    candidacy: Candidacy
    decision: Decision | None
    appeal: Appeal | None
    deadline: date | None
    refusal: str | None


def _day(value: date | datetime) -> str:
    return value.strftime("%-d %B %Y")


async def _latest_screening(uow: UnitOfWork, application_id: UUID) -> Decision | None:
    return (
        await uow.session.exec(
            select(Decision)
            .where(
                Decision.application_id == application_id, Decision.stage == AssessmentStage.SCREENING.value
            )
            .order_by(col(Decision.decided_at).desc())
        )
    ).first()


async def _latest_appeal(uow: UnitOfWork, application_id: UUID) -> Appeal | None:
    return (
        await uow.session.exec(
            select(Appeal)
            .where(Appeal.application_id == application_id)
            .order_by(col(Appeal.created_at).desc())
        )
    ).first()


async def standing(uow: UnitOfWork, application_id: UUID, principal: Principal, now: datetime) -> Standing:
    """The candidate's own application as it stands for appealing; another's application (or
    anyone who is not a candidate) is refused as in `lodge_appeal`."""
    if principal.role is not Role.CANDIDATE:
        raise Forbidden("Only the candidate can appeal their own decision.")
    candidacy = await _candidacy(uow, application_id)
    if not principal.is_candidate(candidacy.candidate_id):
        raise NotFound(NO_APPLICATION)
    decision = await _latest_screening(uow, application_id)
    appeal = await _latest_appeal(uow, application_id)
    deadline = None
    refusal: str | None = None
    if candidacy.withdrawn_at is not None:
        refusal = N_("You withdrew this application, so there is no decision to appeal.")
    elif decision is None or decision.outcome != AssessmentOutcome.INELIGIBLE.value:
        refusal = N_("Only a decision that you are not eligible can be appealed.")
    elif decision.decision_kind == DecisionKind.APPEAL.value:
        refusal = (
            f"Your appeal was decided on {_day(decision.decided_at)}. That decision is final and "
            "cannot be appealed again."
        )
    elif appeal is not None and appeal.decision_id in (None, decision.id):
        refusal = (
            f"You appealed this decision on {_day(appeal.created_at)}. You can appeal a decision only once."
        )
    else:
        deadline = domain.appeal_deadline(decision.decided_at)
        if not domain.in_time_to_appeal(decision.decided_at, now):
            refusal = (
                f"The time to appeal this decision ended on {_day(deadline)}: you had "
                f"{domain.APPEAL_DAYS} days from the decision on {_day(decision.decided_at)}."
            )
    return Standing(candidacy, decision, appeal, deadline, refusal)


async def lodge_appeal(
    uow: UnitOfWork, appeal: AppealIn, principal: Principal, now: datetime | None = None
) -> Appeal:
    """A candidate appeals their own ineligible decision: once per decision, within 28 days of
    it. Another's application answers as one that does not exist."""
    now = now or datetime.now(UTC)
    found = await standing(uow, appeal.application_id, principal, now)
    if found.refusal is not None or found.decision is None:
        raise Conflict(found.refusal or "Only a decision that you are not eligible can be appealed.")
    candidacy = found.candidacy
    record = Appeal(
        application_id=candidacy.application_id,
        candidate_id=candidacy.candidate_id,
        decision_id=found.decision.id,
        grounds=appeal.grounds,
        status="open",
        created_at=now,
    )
    uow.session.add(record)
    try:
        await uow.session.flush()
    except IntegrityError:
        # The same decision appealed at the same moment from another tab: one appeal stands.
        raise Conflict(
            "You have already appealed this decision. You can appeal a decision only once."
        ) from None
    uow.publish(
        AppealLodged(
            correlation_id=candidacy.application_id,
            appeal_id=record.id,
            application_id=candidacy.application_id,
            candidate_id=candidacy.candidate_id,
            decision_id=found.decision.id,
            lodged_at=now,
        )
    )
    await uow.commit()
    return record


async def decide_appeal(uow: UnitOfWork, appeal_id: UUID, answer: AppealDecisionIn, admin: str) -> Appeal:
    """Uphold (screen again, the gates set aside) or dismiss; either way the candidate is told.
    The appeal's row is locked first: decided twice at once, it is decided once."""
    appeal = await uow.session.get(Appeal, appeal_id, with_for_update=True, populate_existing=True)
    if appeal is None:
        raise NotFound("There is no appeal with that id.")
    if appeal.status != "open":
        raise Conflict(f"This appeal was already {appeal.status}.")
    candidacy = await _candidacy(uow, appeal.application_id)
    config = await config_in_force(uow, candidacy.cohort_id)
    assert config is not None
    now = datetime.now(UTC)
    appeal.status = "upheld" if answer.upheld else "dismissed"
    appeal.decision_reason = answer.reason
    appeal.decided_by = admin
    appeal.decided_at = now
    uow.session.add(appeal)
    if answer.upheld:
        score, breakdown = domain.stage1_score(facts_of(candidacy), config.config)
        candidacy.stage1_score = score
        threshold = config.config.shortlist_threshold
        closed = await uow.session.get(CohortClosure, (candidacy.cohort_id, "shortlisting"))
        if threshold is None and closed is None:
            candidacy.screening_outcome = "eligible"  # ranked (and told) when shortlisting closes
            outcome = None
        elif threshold is None:
            # Shortlisting already closed: shortlisted if they would have made the shortlist.
            lowest = (
                await uow.session.exec(
                    select(func.min(Candidacy.stage1_score)).where(
                        Candidacy.cohort_id == candidacy.cohort_id,
                        Candidacy.screening_outcome == AssessmentOutcome.SHORTLISTED.value,
                    )
                )
            ).one()
            made_it = lowest is None or score >= lowest
            outcome = AssessmentOutcome.SHORTLISTED if made_it else AssessmentOutcome.NOT_SHORTLISTED
            candidacy.screening_outcome = outcome.value
        else:
            outcome = (
                AssessmentOutcome.SHORTLISTED if score >= threshold else AssessmentOutcome.NOT_SHORTLISTED
            )
            candidacy.screening_outcome = outcome.value
        if outcome is not None:
            await decide(
                uow,
                candidacy,
                config,
                stage=AssessmentStage.SCREENING,
                outcome=outcome,
                kind=DecisionKind.APPEAL,
                score=score,
                breakdown=breakdown,
                inputs={"appeal_id": str(appeal.id)},
                decided_by=admin,
                justification=answer.reason,
                now=now,
            )
        else:
            uow.session.add(candidacy)
    else:
        previous = (
            await uow.session.exec(
                select(Decision)
                .where(Decision.application_id == candidacy.application_id, Decision.stage == "screening")
                .order_by(col(Decision.decided_at).desc())
            )
        ).first()
        reasons = [ReasonCode.model_validate(r) for r in (previous.reasons if previous else [])]
        await decide(
            uow,
            candidacy,
            config,
            stage=AssessmentStage.SCREENING,
            outcome=AssessmentOutcome.INELIGIBLE,
            kind=DecisionKind.APPEAL,
            reasons=reasons,
            inputs={"appeal_id": str(appeal.id)},
            decided_by=admin,
            justification=answer.reason,
            now=now,
        )
    uow.publish(
        AppealDecided(
            correlation_id=candidacy.application_id,
            appeal_id=appeal.id,
            application_id=candidacy.application_id,
            candidate_id=candidacy.candidate_id,
            programme=Programme(candidacy.programme),
            upheld=answer.upheld,
            reason=answer.reason,
            decided_at=now,
        )
    )
    await uow.commit()
    return appeal
