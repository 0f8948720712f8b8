"""Cohort selection, and what a withdrawal changes (waitlist promotion)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from rtw_contracts import (
    ApplicationWithdrawn,
    AssessmentOutcome,
    AssessmentStage,
    DecisionKind,
    Event,
    ScoreFactor,
)
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from . import calibration, domain, lifecycle
from .configuration import config_in_force
from .decisions import decide
from .models import Assignment, Candidacy, CohortClosure

#: Checks that may refuse selection of a cohort: each answers why not (or None). Other rules
#: add theirs here (calibration: a disagreement between assessors left open blocks selection).
SelectionBlocker = Callable[[UnitOfWork, str], Awaitable[str | None]]
SELECTION_BLOCKERS: list[SelectionBlocker] = [calibration.open_disagreements_blocker]


async def selection_blockers(uow: UnitOfWork, cohort_id: str) -> list[str]:
    """Why each registered check refuses selection of the cohort now (empty: none does)."""
    found = [await check(uow, cohort_id) for check in SELECTION_BLOCKERS]
    return [reason for reason in found if reason]


async def shortlisted_in(uow: UnitOfWork, cohort_id: str) -> list[Candidacy]:
    """The candidates selection ranks: shortlisted, neither withdrawn nor erased."""
    return list(
        (
            await uow.session.exec(
                select(Candidacy).where(
                    Candidacy.cohort_id == cohort_id,
                    Candidacy.screening_outcome == AssessmentOutcome.SHORTLISTED.value,
                    col(Candidacy.withdrawn_at).is_(None),
                    col(Candidacy.erased_at).is_(None),
                )
            )
        ).all()
    )


def awaiting_scorecards(candidacies: list[Candidacy]) -> list[Candidacy]:
    """Second stages sent but not fully scored."""
    return [c for c in candidacies if c.second_stage_submitted_at and c.final_score is None]


def ranked(candidacies: list[Candidacy]) -> list[domain.Ranked]:
    """The scored candidates, as ranking sees them."""
    return [
        domain.Ranked(str(c.application_id), c.final_score or 0, c.submitted_at)
        for c in candidacies
        if c.final_score is not None
    ]


async def close_cohort(uow: UnitOfWork, cohort_id: str, admin: str, *, force: bool = False) -> dict[str, int]:
    """Rank the scored candidates, select up to capacity, waitlist the next, reject the rest.

    Refused while scorecards are outstanding unless forced (then those candidates are ranked
    out: rejected, with the reason), and whenever a selection blocker says so."""
    await uow.lock(f"assessment.selection:{cohort_id}")
    config = await config_in_force(uow, cohort_id)
    if config is None:
        raise NotFound(f"Cohort {cohort_id} has no applications or configuration yet.")
    if await uow.session.get(CohortClosure, (cohort_id, "selection")) is not None:
        raise Conflict(f"Cohort {cohort_id} is already closed.")
    shortlisted = await shortlisted_in(uow, cohort_id)
    refusal = domain.selection_refusal(
        awaiting=len(awaiting_scorecards(shortlisted)),
        force=force,
        blockers=await selection_blockers(uow, cohort_id),
    )
    if refusal:
        raise Conflict(refusal)
    scored = ranked(shortlisted)
    unscored = [c for c in shortlisted if c.final_score is None]
    by_id = {str(c.application_id): c for c in shortlisted}
    placed = domain.placements(scored, config.config.capacity, config.config.waitlist_size)
    now = datetime.now(UTC)
    for placement in placed:
        position = placement.rank
        candidacy = by_id[placement.ranked.application_id]
        candidacy.selection_outcome = placement.outcome.value
        candidacy.rank = position
        await decide(
            uow,
            candidacy,
            config,
            stage=AssessmentStage.FINAL,
            outcome=placement.outcome,
            score=candidacy.final_score,
            breakdown=final_breakdown(candidacy, config.config, position, len(scored)),
            inputs={
                "rank": position,
                "capacity": config.config.capacity,
                "waitlist_size": config.config.waitlist_size,
                "stage1_score": candidacy.stage1_score,
                "second_stage_score": candidacy.second_stage_score,
            },
            decided_by=admin,
            rank=position,
            now=now,
        )
    for candidacy in unscored:
        candidacy.selection_outcome = AssessmentOutcome.REJECTED.value
        candidacy.rank = None
        why = (
            "no second stage was received"
            if candidacy.second_stage_submitted_at is None
            else "the second stage was not fully scored when the cohort closed"
        )
        await decide(
            uow,
            candidacy,
            config,
            stage=AssessmentStage.FINAL,
            outcome=AssessmentOutcome.REJECTED,
            inputs={"not_ranked": why},
            breakdown=[
                ScoreFactor(
                    name="second_stage",
                    points=0,
                    max_points=100,
                    share=0,
                    explanation=f"Not ranked: {why}.",
                    would_rise_if=None,
                )
            ],
            decided_by=admin,
            justification=f"Not ranked: {why}.",
            now=now,
        )
    uow.session.add(
        CohortClosure(
            cohort_id=cohort_id,
            step="selection",
            config_version=config.version,
            closed_by=admin,
            closed_at=now,
        )
    )
    uow.publish(lifecycle.selection_closed(cohort_id, config.config.programme, now))
    await uow.commit()
    counts = Counter(p.outcome for p in placed)
    return {
        "selected": counts[AssessmentOutcome.SELECTED],
        "waitlisted": counts[AssessmentOutcome.WAITLISTED],
        "rejected": counts[AssessmentOutcome.REJECTED] + len(unscored),
    }


def final_breakdown(
    candidacy: Candidacy, config: domain.CohortConfig, position: int, ranked: int
) -> list[ScoreFactor]:
    """Why a candidate ranked where they did: the two parts of the final score."""
    weight = config.final_weight_stage1
    stage1 = round(weight * (candidacy.stage1_score or 0), 2)
    second = round((1 - weight) * (candidacy.second_stage_score or 0), 2)
    total = stage1 + second
    return [
        ScoreFactor(
            name="stage1",
            points=stage1,
            max_points=round(100 * weight, 2),
            share=round(stage1 / total, 4) if total else 0,
            explanation=f"application score {candidacy.stage1_score or 0:g} of 100, weighted {weight:.0%}",
            would_rise_if=None,
        ),
        ScoreFactor(
            name="second_stage",
            points=second,
            max_points=round(100 * (1 - weight), 2),
            share=round(second / total, 4) if total else 0,
            explanation=(
                f"second-stage score {candidacy.second_stage_score or 0:g} of 100, weighted "
                f"{1 - weight:.0%}; ranked {position} of {ranked} for {config.capacity} places"
            ),
            would_rise_if=None,
        ),
    ]


async def end_assignments(uow: UnitOfWork, candidacy: Candidacy) -> None:
    """The candidate is no longer assessed: their pending assignments end."""
    for assignment in (
        await uow.session.exec(
            select(Assignment).where(Assignment.application_id == candidacy.application_id)
        )
    ).all():
        if assignment.status == domain.AssignmentStatus.PENDING.value:
            assignment.status = domain.AssignmentStatus.WITHDRAWN.value
            uow.session.add(assignment)


async def _leave(uow: UnitOfWork, candidacy: Candidacy, cause: Event) -> None:
    """A candidate left: their assignments end, and a selected place goes to the waitlist."""
    await end_assignments(uow, candidacy)
    if candidacy.selection_outcome == AssessmentOutcome.SELECTED.value:
        await promote_from_waitlist(uow, candidacy.cohort_id, cause)


async def promote_from_waitlist(
    uow: UnitOfWork, cohort_id: str, cause: Event | None, *, leaving: Candidacy | None = None
) -> Candidacy | None:
    """Offer the freed place to the first waitlisted candidate still in the cohort (never the
    candidate who is giving the place up)."""
    config = await config_in_force(uow, cohort_id)
    assert config is not None
    waiting = select(Candidacy).where(
        Candidacy.cohort_id == cohort_id,
        Candidacy.selection_outcome == AssessmentOutcome.WAITLISTED.value,
        col(Candidacy.withdrawn_at).is_(None),
        col(Candidacy.erased_at).is_(None),
    )
    if leaving is not None:
        waiting = waiting.where(Candidacy.application_id != leaving.application_id)
    first = (await uow.session.exec(waiting.order_by(col(Candidacy.rank)).limit(1))).first()
    if first is None:
        return None
    first.selection_outcome = AssessmentOutcome.SELECTED.value
    await decide(
        uow,
        first,
        config,
        stage=AssessmentStage.FINAL,
        outcome=AssessmentOutcome.SELECTED,
        kind=DecisionKind.WAITLIST_PROMOTION,
        score=first.final_score,
        breakdown=final_breakdown(first, config.config, first.rank or 0, first.rank or 0),
        inputs={"promoted_from_rank": first.rank},
        rank=first.rank,
        justification="A selected candidate left the cohort; the first on the waiting list takes the place.",
        cause=None,
    )
    return first


async def record_withdrawal(event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
    """The candidate withdrew: drop them from screening, scoring and selection."""
    candidacy = await uow.session.get(Candidacy, event.application_id)
    if candidacy is None or candidacy.withdrawn_at is not None:
        return
    candidacy.withdrawn_at = event.withdrawn_at
    uow.session.add(candidacy)
    await _leave(uow, candidacy, event)
