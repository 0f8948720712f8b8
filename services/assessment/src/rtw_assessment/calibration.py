"""Scoring the second stage from its scorecards, and calibration: disagreements between assessors
found by the cohort's thresholds, resolved by a third assessor or an admin's moderation. A
disagreement left open blocks the cohort's selection (see `open_disagreements_blocker`)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from rtw_contracts import AssessmentOutcome, AssessmentStage, DecisionKind, Recommendation, ScoreFactor
from rtw_platform.errors import Conflict, Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func
from sqlmodel import col, select

from . import domain
from .configuration import ConfigInForce, config_in_force
from .decisions import decide
from .models import Assessor, Assignment, Calibration, Candidacy, CohortClosure, ConflictOfInterest, Scorecard

SUBMITTED = domain.AssignmentStatus.SUBMITTED.value


async def selection_closed_at(uow: UnitOfWork, cohort_id: str) -> datetime | None:
    """When the cohort's selection closed (scoring closes with it), or None while it is open."""
    closure = await uow.session.get(CohortClosure, (cohort_id, "selection"))
    return None if closure is None else closure.closed_at


async def refuse_if_scoring_closed(uow: UnitOfWork, cohort_id: str) -> None:
    """Scorecards and calibration change only until the cohort's selection closes."""
    refusal = domain.scorecard_change_refusal(cohort_id, await selection_closed_at(uow, cohort_id))
    if refusal is not None:
        raise Conflict(refusal)


async def sent_scorecards(uow: UnitOfWork, application_id: UUID) -> list[Scorecard]:
    """The scorecards sent for a candidate, in the order they were first sent."""
    rows = (
        await uow.session.exec(
            select(Scorecard)
            .join(Assignment, Assignment.id == Scorecard.assignment_id)  # type: ignore[arg-type]
            .where(Scorecard.application_id == application_id, Assignment.status == SUBMITTED)
            .order_by(col(Scorecard.submitted_at), col(Scorecard.assessor_id))
        )
    ).all()
    return list(rows)


def _cards(scorecards: list[Scorecard]) -> list[domain.Card]:
    return [domain.Card(s.assessor_id, s.scores, Recommendation(s.recommendation)) for s in scorecards]


async def score_candidate(
    uow: UnitOfWork, candidacy: Candidacy, config: ConfigInForce, now: datetime, *, why: str | None = None
) -> bool:
    """Score the second stage once every assessor's scorecard is in, and again whenever a
    scorecard changes or a third arrives; open, update or settle the candidate's calibration.
    A new score is published as a new decision; a moderated outcome stands. True when scored."""
    rubric = config.config.rubric
    scorecards = await sent_scorecards(uow, candidacy.application_id)
    if len(scorecards) < rubric.assessors_per_candidate:
        return False
    calibration = await uow.session.get(Calibration, candidacy.application_id)
    current = None if calibration is None else domain.CalibrationStatus(calibration.status)
    if current is domain.CalibrationStatus.MODERATED:
        return True
    outcome = domain.second_stage_outcome(rubric, _cards(scorecards), current)
    if outcome.status is not None:
        if calibration is None:
            calibration = Calibration(
                application_id=candidacy.application_id,
                cohort_id=candidacy.cohort_id,
                status=outcome.status.value,
                reasons=outcome.reasons,
                opened_at=now,
            )
        calibration.status = outcome.status.value
        calibration.reasons = outcome.reasons or calibration.reasons
        resolved = not outcome.status.blocks_selection
        calibration.resolved_by = "assessment" if resolved else None
        calibration.resolved_at = now if resolved else None
        uow.session.add(calibration)
    if candidacy.second_stage_score == outcome.score:
        return True
    scores = [card.scores for card in scorecards]
    await _publish_score(
        uow,
        candidacy,
        config,
        outcome.score,
        scores,
        inputs={
            "scorecards": [
                {"assessor_id": c.assessor_id, "scores": c.scores, "recommendation": c.recommendation}
                for c in scorecards
            ],
            "calibration": outcome.reasons,
            "calibration_status": None if outcome.status is None else outcome.status.value,
        },
        justification=why,
        now=now,
    )
    return True


async def _publish_score(
    uow: UnitOfWork,
    candidacy: Candidacy,
    config: ConfigInForce,
    score: float,
    scores: list[dict[str, int]],
    *,
    inputs: dict[str, object],
    now: datetime,
    kind: DecisionKind = DecisionKind.AUTOMATIC,
    decided_by: str = "assessment",
    justification: str | None = None,
) -> None:
    rubric = config.config.rubric
    flagged = domain.needs_calibration(rubric, scores)
    candidacy.second_stage_score = score
    candidacy.calibration = flagged
    candidacy.final_score = domain.final_score(config.config, candidacy.stage1_score or 0, score)
    total_weight = sum(c.weight for c in rubric.criteria)
    breakdown = []
    for criterion in rubric.criteria:
        mean = statistics.fmean(card[criterion.id] for card in scores)
        maximum = round(100 * criterion.weight / total_weight, 2)
        source = "the moderator" if kind is DecisionKind.OVERRIDE else f"{len(scores)} assessors"
        breakdown.append(
            ScoreFactor(
                name=criterion.id,
                points=round(maximum * (mean - 1) / 3, 2),
                max_points=maximum,
                # Capped: the rounded maximum may exceed the unrounded score by a hundredth.
                share=min(1.0, round(maximum * (mean - 1) / 3 / score, 4)) if score else 0.0,
                explanation=f"{criterion.title}: {mean:.1f} of 4 from {source}"
                + (" (assessors disagree: calibration needed)" if criterion.id in flagged else ""),
                would_rise_if=None,
            )
        )
    await decide(
        uow,
        candidacy,
        config,
        stage=AssessmentStage.SECOND_STAGE,
        outcome=AssessmentOutcome.SCORED,
        kind=kind,
        score=score,
        breakdown=breakdown,
        inputs={**inputs, "final_score": candidacy.final_score},
        decided_by=decided_by,
        justification=justification,
        now=now,
    )


# --------------------------------------------------------------------------- the admin's side


async def open_disagreements(uow: UnitOfWork, cohort_id: str) -> int:
    """How many disagreements of the cohort are still open (candidates still in the cohort)."""
    blocking = [s.value for s in domain.CalibrationStatus if s.blocks_selection]
    count = (
        await uow.session.exec(
            select(func.count())
            .select_from(Calibration)
            .join(Candidacy, Candidacy.application_id == Calibration.application_id)  # type: ignore[arg-type]
            .where(
                Calibration.cohort_id == cohort_id,
                col(Calibration.status).in_(blocking),
                col(Candidacy.withdrawn_at).is_(None),
                col(Candidacy.erased_at).is_(None),
            )
        )
    ).one()
    return int(count)


async def open_disagreements_blocker(uow: UnitOfWork, cohort_id: str) -> str | None:
    """Selection (whichever page or API asks for it) waits until every disagreement is resolved:
    a selection blocker (`selection.SELECTION_BLOCKERS`)."""
    return domain.disagreements_refusal(await open_disagreements(uow, cohort_id))


@dataclass(frozen=True)
class CardShown:
    """A scorecard on the calibration page."""

    assessor_id: str
    scores: dict[str, int]
    points: float
    recommendation: str
    comments: str
    submitted_at: datetime
    changed_at: datetime | None


@dataclass(frozen=True)
class Disagreement:
    """One disagreement as the admin sees it: why, the scorecards side by side, where it stands."""

    application_id: UUID
    cohort_id: str
    status: domain.CalibrationStatus
    reasons: list[str]
    opened_at: datetime
    cards: list[CardShown]
    third_assessor: str | None
    third_pending: bool
    second_stage_score: float | None
    moderated_scores: dict[str, int] | None
    moderation_reason: str | None
    resolved_by: str | None
    resolved_at: datetime | None


async def disagreements_of(uow: UnitOfWork, cohort_id: str) -> list[Disagreement]:
    """The cohort's disagreements, open first, then by when they were found."""
    config = await config_in_force(uow, cohort_id)
    rows = (
        await uow.session.exec(
            select(Calibration, Candidacy)
            .join(Candidacy, Candidacy.application_id == Calibration.application_id)  # type: ignore[arg-type]
            .where(
                Calibration.cohort_id == cohort_id,
                col(Candidacy.withdrawn_at).is_(None),
                col(Candidacy.erased_at).is_(None),
            )
        )
    ).all()
    found = [await _shown(uow, calibration, candidacy, config) for calibration, candidacy in rows]
    return sorted(found, key=lambda d: (not d.status.blocks_selection, d.opened_at, str(d.application_id)))


async def disagreement(uow: UnitOfWork, cohort_id: str, application_id: UUID) -> Disagreement:
    calibration, candidacy = await _calibration(uow, cohort_id, application_id)
    return await _shown(uow, calibration, candidacy, await config_in_force(uow, cohort_id))


async def _calibration(
    uow: UnitOfWork, cohort_id: str, application_id: UUID
) -> tuple[Calibration, Candidacy]:
    calibration = await uow.session.get(Calibration, application_id)
    candidacy = await uow.session.get(Candidacy, application_id)
    if (
        calibration is None
        or candidacy is None
        or calibration.cohort_id != cohort_id
        or candidacy.withdrawn_at is not None
        or candidacy.erased_at is not None
    ):
        raise NotFound("There is no such disagreement in this cohort.")
    return calibration, candidacy


async def _to_settle(uow: UnitOfWork, cohort_id: str, application_id: UUID) -> tuple[Calibration, Candidacy]:
    """The disagreement read again once this transaction holds the cohort's selection lock: an
    action sent twice at once is done once, and none after selection closed."""
    calibration, candidacy = await _calibration(uow, cohort_id, application_id)
    await uow.lock(f"assessment.selection:{cohort_id}")
    await uow.session.refresh(calibration)
    await uow.session.refresh(candidacy)
    return await _calibration(uow, cohort_id, application_id)


async def _shown(
    uow: UnitOfWork, calibration: Calibration, candidacy: Candidacy, config: ConfigInForce | None
) -> Disagreement:
    scorecards = await sent_scorecards(uow, calibration.application_id)
    third = (
        None
        if calibration.third_assignment_id is None
        else await uow.session.get(Assignment, calibration.third_assignment_id)
    )
    rubric = config.config.rubric if config else None
    return Disagreement(
        application_id=calibration.application_id,
        cohort_id=calibration.cohort_id,
        status=domain.CalibrationStatus(calibration.status),
        reasons=list(calibration.reasons),
        opened_at=calibration.opened_at,
        cards=[
            CardShown(
                s.assessor_id,
                dict(s.scores),
                domain.scorecard_points(rubric, s.scores) if rubric else 0.0,
                s.recommendation,
                s.comments,
                s.submitted_at,
                s.changed_at,
            )
            for s in scorecards
        ],
        third_assessor=None if third is None else third.assessor_id,
        third_pending=third is not None and third.status == domain.AssignmentStatus.PENDING.value,
        second_stage_score=candidacy.second_stage_score,
        moderated_scores=calibration.moderated_scores,
        moderation_reason=calibration.moderation_reason,
        resolved_by=calibration.resolved_by,
        resolved_at=calibration.resolved_at,
    )


async def ask_third_assessor(uow: UnitOfWork, cohort_id: str, application_id: UUID) -> str:
    """Give an open disagreement to a further assessor: active, of the programme, not yet
    assigned to the candidate, without a conflict, the least loaded. Returns who."""
    calibration, candidacy = await _to_settle(uow, cohort_id, application_id)
    await refuse_if_scoring_closed(uow, cohort_id)
    if calibration.status != domain.CalibrationStatus.OPEN.value:
        raise Conflict("Only an open disagreement can go to a third assessor.")
    existing = (
        await uow.session.exec(
            select(Assignment.assessor_id).where(Assignment.application_id == application_id)
        )
    ).all()
    conflicted = (
        await uow.session.exec(
            select(ConflictOfInterest.assessor_id).where(
                ConflictOfInterest.candidate_id == candidacy.candidate_id
            )
        )
    ).all()
    excluded = set(existing) | set(conflicted)
    assessors = (await uow.session.exec(select(Assessor).where(col(Assessor.active).is_(True)))).all()
    loads = dict(
        (
            await uow.session.exec(
                select(Assignment.assessor_id, func.count())
                .where(Assignment.status == domain.AssignmentStatus.PENDING.value)
                .group_by(Assignment.assessor_id)
            )
        ).all()
    )
    available = [
        domain.SpreadAssessor(id=a.id, load=loads.get(a.id, 0))
        for a in assessors
        if candidacy.programme in a.programmes and a.id not in excluded
    ]
    chosen = domain.choose_assessors(available, 1)
    if not chosen:
        raise Conflict(
            "No active assessor of this programme is free to score the candidate (each has "
            "scored them already or has a conflict of interest). Add an assessor, or moderate."
        )
    assignment = Assignment(
        application_id=application_id,
        assessor_id=chosen[0],
        status=domain.AssignmentStatus.PENDING.value,
        assigned_at=datetime.now(UTC),
    )
    uow.session.add(assignment)
    calibration.status = domain.CalibrationStatus.THIRD_ASKED.value
    calibration.third_assignment_id = assignment.id
    uow.session.add(calibration)
    await uow.commit()
    return chosen[0]


async def third_assessor_stepped_back(uow: UnitOfWork, assignment: Assignment) -> None:
    """The third assessor declared a conflict: the disagreement is open again for the admin."""
    calibration = await uow.session.get(Calibration, assignment.application_id)
    if (
        calibration is not None
        and calibration.third_assignment_id == assignment.id
        and calibration.status == domain.CalibrationStatus.THIRD_ASKED.value
    ):
        calibration.status = domain.CalibrationStatus.OPEN.value
        calibration.third_assignment_id = None
        uow.session.add(calibration)


async def moderate(
    uow: UnitOfWork, cohort_id: str, application_id: UUID, scores: dict[str, int], reason: str, admin: str
) -> float:
    """The admin's moderated scores and reason settle the disagreement: selection uses them."""
    calibration, candidacy = await _to_settle(uow, cohort_id, application_id)
    await refuse_if_scoring_closed(uow, cohort_id)
    if calibration.status == domain.CalibrationStatus.MODERATED.value:
        raise Conflict("This disagreement is already moderated.")
    config = await config_in_force(uow, cohort_id)
    assert config is not None
    rubric = config.config.rubric
    problems = domain.moderation_problems(rubric, scores, reason)
    if problems:
        raise Invalid(problems, "The moderation needs correcting.")
    now = datetime.now(UTC)
    score = domain.moderated_score(rubric, scores)
    calibration.status = domain.CalibrationStatus.MODERATED.value
    calibration.moderated_scores = scores
    calibration.moderated_score = score
    calibration.moderation_reason = reason.strip()
    calibration.resolved_by = admin
    calibration.resolved_at = now
    uow.session.add(calibration)
    if calibration.third_assignment_id is not None:  # the third assessor is no longer needed
        third = await uow.session.get(Assignment, calibration.third_assignment_id)
        if third is not None and third.status == domain.AssignmentStatus.PENDING.value:
            third.status = domain.AssignmentStatus.WITHDRAWN.value
            uow.session.add(third)
    scorecards = await sent_scorecards(uow, application_id)
    await _publish_score(
        uow,
        candidacy,
        config,
        score,
        [scores],
        inputs={
            "moderated_scores": scores,
            "scorecards": [
                {"assessor_id": c.assessor_id, "scores": c.scores, "recommendation": c.recommendation}
                for c in scorecards
            ],
            "calibration": calibration.reasons,
        },
        kind=DecisionKind.OVERRIDE,
        decided_by=admin,
        justification=f"Moderated after assessors disagreed: {reason.strip()}",
        now=now,
    )
    await uow.commit()
    return score
