"""Recording a decision and publishing it: the one way every assessment outcome is made."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from rtw_contracts import (
    AssessmentOutcome,
    AssessmentScored,
    AssessmentStage,
    DecisionKind,
    Event,
    Programme,
    ReasonCode,
    ScoreFactor,
    caused_by,
)
from rtw_platform.counters import take_next
from rtw_platform.uow import UnitOfWork

from .configuration import ConfigInForce
from .domain import appeal_deadline
from .models import Candidacy, Decision


async def decide(
    uow: UnitOfWork,
    candidacy: Candidacy,
    config: ConfigInForce,
    *,
    stage: AssessmentStage,
    outcome: AssessmentOutcome,
    kind: DecisionKind = DecisionKind.AUTOMATIC,
    score: float | None = None,
    breakdown: list[ScoreFactor] | None = None,
    reasons: list[ReasonCode] | None = None,
    inputs: dict[str, Any] | None = None,
    decided_by: str = "assessment",
    justification: str | None = None,
    rank: int | None = None,
    cause: Event | None = None,
    now: datetime | None = None,
) -> Decision:
    """Store the decision with its inputs and versions, and publish AssessmentScored."""
    now = now or datetime.now(UTC)
    await take_next(uow.session, candidacy, "sequence")
    rubric_version = config.config.rubric.version if stage is not AssessmentStage.SCREENING else None
    deadline: date | None = None
    if outcome is AssessmentOutcome.SHORTLISTED:
        deadline = (now + timedelta(days=config.config.second_stage_days)).date()
    elif outcome is AssessmentOutcome.INELIGIBLE and kind is not DecisionKind.APPEAL:
        deadline = appeal_deadline(now)  # the last day to appeal (an appeal's answer is final)
    envelope: dict[str, Any] = (
        dict(caused_by(cause)) if cause is not None else {"correlation_id": candidacy.application_id}
    )
    event = AssessmentScored(
        **envelope,
        sequence=candidacy.sequence,
        application_id=candidacy.application_id,
        candidate_id=candidacy.candidate_id,
        cohort_id=candidacy.cohort_id,
        programme=Programme(candidacy.programme),
        stage=stage,
        outcome=outcome,
        decision_kind=kind,
        score=score,
        breakdown=breakdown or [],
        reasons=reasons or [],
        rule_set_version=config.config.eligibility.version,
        rubric_version=rubric_version,
        rank=rank,
        next_step_deadline=deadline,
        decided_at=now,
    )
    decision = Decision(
        application_id=candidacy.application_id,
        cohort_id=candidacy.cohort_id,
        stage=stage.value,
        outcome=outcome.value,
        decision_kind=kind.value,
        score=score,
        breakdown=[f.model_dump(mode="json") for f in breakdown or []],
        reasons=[r.model_dump(mode="json") for r in reasons or []],
        inputs=inputs or {},
        config_version=config.version,
        rule_set_version=config.config.eligibility.version,
        rubric_version=rubric_version,
        justification=justification,
        decided_by=decided_by,
        decided_at=now,
        event_id=event.event_id,
    )
    uow.session.add(decision)
    uow.session.add(candidacy)
    uow.publish(event)
    return decision
