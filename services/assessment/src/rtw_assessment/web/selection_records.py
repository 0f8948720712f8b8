"""What the selection page shows: the ranked list (before confirming, what confirming would
decide; after, what was decided), each candidate's scores and flags, the cohort's places, and
whether and until when the selection can be reopened (reads only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from rtw_contracts import AssessmentOutcome
from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from .. import domain, reopening, selection
from ..configuration import ConfigInForce
from ..models import Candidacy, CohortClosure, ConflictOfInterest, Decision, SelectionReopening


@dataclass(frozen=True)
class SelectionRow:
    """One candidate in the ranked list (an id: assessment is blind)."""

    application_id: UUID
    rank: int | None
    outcome: str
    final_score: float | None
    stage1_score: float | None
    second_stage_score: float | None
    flags: list[str]


@dataclass(frozen=True)
class SelectionState:
    """The cohort's selection as its page shows it."""

    rows: list[SelectionRow]
    closure: CohortClosure | None
    reopen_hours: int
    reopen_until: datetime | None
    too_late: str | None
    awaiting: int
    blockers: list[str]
    reopenings: list[SelectionReopening]

    def count(self, outcome: str) -> int:
        """How many rows have this outcome ('selected', 'waitlisted', 'rejected')."""
        return sum(1 for row in self.rows if row.outcome == outcome)


async def _flags(uow: UnitOfWork, candidacies: list[Candidacy]) -> dict[UUID, list[str]]:
    ids = [c.application_id for c in candidacies]
    kinds: dict[UUID, set[str]] = defaultdict(set)
    for application_id, kind in (
        await uow.session.exec(
            select(Decision.application_id, Decision.decision_kind).where(
                col(Decision.application_id).in_(ids)
            )
        )
    ).all():
        kinds[application_id].add(kind)
    conflicts: dict[UUID, int] = defaultdict(int)
    for conflict in (
        await uow.session.exec(
            select(ConflictOfInterest).where(
                col(ConflictOfInterest.candidate_id).in_([c.candidate_id for c in candidacies])
            )
        )
    ).all():
        conflicts[conflict.candidate_id] += 1
    return {
        c.application_id: domain.selection_flags(
            disagreements=c.calibration or [],
            conflicts=conflicts[c.candidate_id],
            decision_kinds=kinds[c.application_id],
            second_stage_sent=c.second_stage_submitted_at is not None,
            scored=c.final_score is not None,
        )
        for c in candidacies
    }


def _row(c: Candidacy, rank: int | None, outcome: str, flags: dict[UUID, list[str]]) -> SelectionRow:
    return SelectionRow(
        c.application_id,
        rank,
        outcome,
        c.final_score,
        c.stage1_score,
        c.second_stage_score,
        flags[c.application_id],
    )


async def selection_state(uow: UnitOfWork, in_force: ConfigInForce) -> SelectionState:
    """Before confirming: the ranking confirming would record (the same rule, the same
    candidates). After: the decisions as they stand (overrides and promotions included)."""
    cohort_id = in_force.cohort_id
    closure = await uow.session.get(CohortClosure, (cohort_id, "selection"))
    reopenings = list(
        (
            await uow.session.exec(
                select(SelectionReopening)
                .where(SelectionReopening.cohort_id == cohort_id)
                .order_by(col(SelectionReopening.reopened_at).desc())
            )
        ).all()
    )
    if closure is None:
        shortlisted = await selection.shortlisted_in(uow, cohort_id)
        flags = await _flags(uow, shortlisted)
        by_id = {str(c.application_id): c for c in shortlisted}
        config = in_force.config
        placed = domain.placements(selection.ranked(shortlisted), config.capacity, config.waitlist_size)
        rows = [_row(by_id[p.ranked.application_id], p.rank, p.outcome.value, flags) for p in placed]
        unscored = sorted((c for c in shortlisted if c.final_score is None), key=lambda c: c.submitted_at)
        rows += [_row(c, None, AssessmentOutcome.REJECTED.value, flags) for c in unscored]
        return SelectionState(
            rows=rows,
            closure=None,
            reopen_hours=config.reopen_hours,
            reopen_until=None,
            too_late=None,
            awaiting=len(selection.awaiting_scorecards(shortlisted)),
            blockers=await selection.selection_blockers(uow, cohort_id),
            reopenings=reopenings,
        )
    decided = list(
        (
            await uow.session.exec(
                select(Candidacy).where(
                    Candidacy.cohort_id == cohort_id,
                    col(Candidacy.selection_outcome).is_not(None),
                    col(Candidacy.withdrawn_at).is_(None),
                    col(Candidacy.erased_at).is_(None),
                )
            )
        ).all()
    )
    order = {AssessmentOutcome.SELECTED.value: 0, AssessmentOutcome.WAITLISTED.value: 1}
    decided.sort(key=lambda c: (order.get(c.selection_outcome or "", 2), c.rank or 10**9, c.submitted_at))
    flags = await _flags(uow, decided)
    hours = await reopening.reopen_hours_of(uow, closure)
    return SelectionState(
        rows=[_row(c, c.rank, c.selection_outcome or "", flags) for c in decided],
        closure=closure,
        reopen_hours=hours,
        reopen_until=domain.reopen_until(closure.closed_at, hours),
        too_late=domain.reopen_window_refusal(closure.closed_at, hours, datetime.now(UTC)),
        awaiting=0,
        blockers=[],
        reopenings=reopenings,
    )
