"""The cohort funnel for admins: counts per stage and outcome, and why people were ineligible."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from .models import Assignment, Candidacy, Decision


async def cohort_funnel(uow: UnitOfWork, cohort_id: str) -> dict[str, Any]:
    """Counts at every step of the cohort (current outcomes, overrides included)."""
    candidacies = (await uow.session.exec(select(Candidacy).where(Candidacy.cohort_id == cohort_id))).all()
    screening = Counter(c.screening_outcome or "unknown" for c in candidacies)
    selection = Counter(c.selection_outcome for c in candidacies if c.selection_outcome)
    latest_screening: dict[str, Decision] = {}
    for decision in (
        await uow.session.exec(
            select(Decision)
            .where(Decision.cohort_id == cohort_id, Decision.stage == "screening")
            .order_by(col(Decision.decided_at))
        )
    ).all():
        latest_screening[str(decision.application_id)] = decision
    reasons: Counter[str] = Counter()
    for decision in latest_screening.values():
        if decision.outcome == "ineligible":
            reasons.update(r["code"] for r in decision.reasons)
    awaiting_scorecards = 0
    for candidacy in candidacies:
        if candidacy.second_stage_submitted_at and candidacy.second_stage_score is None:
            awaiting_scorecards += 1
    pending_assignments = len(
        (
            await uow.session.exec(
                select(Assignment.id)
                .join(Candidacy, Candidacy.application_id == Assignment.application_id)  # type: ignore[arg-type]
                .where(Candidacy.cohort_id == cohort_id, Assignment.status == "pending")
            )
        ).all()
    )
    return {
        "cohort_id": cohort_id,
        "applications": len(candidacies),
        "screening": dict(screening),
        "second_stage_submitted": sum(1 for c in candidacies if c.second_stage_submitted_at),
        "second_stage_scored": sum(1 for c in candidacies if c.second_stage_score is not None),
        "awaiting_scorecards": awaiting_scorecards,
        "pending_assignments": pending_assignments,
        "calibration_flagged": sum(1 for c in candidacies if c.calibration),
        "selection": dict(selection),
        "withdrawn": sum(1 for c in candidacies if c.withdrawn_at),
        "ineligibility_reasons": dict(reasons.most_common()),
    }
