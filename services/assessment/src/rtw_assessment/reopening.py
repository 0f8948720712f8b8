"""Reopening a confirmed selection within its window: every final decision it made is taken
back through SelectionReopened, so that training, applications, matching and notifications put
back what it caused; the cohort can then be selected again (new decisions, higher sequences)."""

from __future__ import annotations

from datetime import UTC, datetime

from rtw_contracts import AssessmentOutcome, Programme, SelectionReopened
from rtw_platform.counters import take_next
from rtw_platform.errors import Conflict, Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from . import domain
from .models import Candidacy, CohortClosure, CohortConfigVersion, SelectionReopening


async def reopen_hours_of(uow: UnitOfWork, closure: CohortClosure) -> int:
    """The reopening window of a confirmed selection: the configuration version it used."""
    used = await uow.session.get(CohortConfigVersion, (closure.cohort_id, closure.config_version))
    hours = (used.config if used else {}).get("reopen_hours")
    return int(hours) if hours is not None else domain.CohortConfig.model_fields["reopen_hours"].default


async def reopen_selection(
    uow: UnitOfWork, cohort_id: str, admin: str, reason: str, *, now: datetime | None = None
) -> dict[str, int]:
    """Take back every final decision of the cohort's confirmed selection (the withdrawn and the
    erased keep theirs: they are out of the cohort) and let it be selected again. Refused when
    selection is not confirmed, after the window, or without a reason."""
    now = now or datetime.now(UTC)
    await uow.lock(f"assessment.selection:{cohort_id}")
    closure = await uow.session.get(CohortClosure, (cohort_id, "selection"))
    if closure is None:
        if await uow.session.get(CohortConfigVersion, (cohort_id, 1)) is None:
            raise NotFound(f"Cohort {cohort_id} has no applications or configuration yet.")
        raise Conflict(f"Selection of cohort {cohort_id} is not confirmed: there is nothing to reopen.")
    too_late = domain.reopen_window_refusal(closure.closed_at, await reopen_hours_of(uow, closure), now)
    if too_late is not None:
        raise Conflict(too_late)
    problem = domain.reopen_reason_problem(reason)
    if problem is not None:
        raise Invalid([("reason", problem)], problem)
    decided = (
        await uow.session.exec(
            select(Candidacy)
            .where(
                Candidacy.cohort_id == cohort_id,
                col(Candidacy.selection_outcome).is_not(None),
                col(Candidacy.withdrawn_at).is_(None),
                col(Candidacy.erased_at).is_(None),
            )
            .order_by(col(Candidacy.application_id))
        )
    ).all()
    for candidacy in decided:
        taken_back = AssessmentOutcome(candidacy.selection_outcome or AssessmentOutcome.REJECTED)
        candidacy.selection_outcome = None
        candidacy.rank = None
        await take_next(uow.session, candidacy, "sequence")
        uow.session.add(candidacy)
        uow.publish(
            SelectionReopened(
                correlation_id=candidacy.application_id,
                sequence=candidacy.sequence,
                application_id=candidacy.application_id,
                candidate_id=candidacy.candidate_id,
                cohort_id=cohort_id,
                programme=Programme(candidacy.programme),
                withdrawn_outcome=taken_back,
                selection_closed_at=closure.closed_at,
                reopened_at=now,
            )
        )
    uow.session.add(
        SelectionReopening(
            cohort_id=cohort_id,
            config_version=closure.config_version,
            closed_by=closure.closed_by,
            closed_at=closure.closed_at,
            reopened_by=admin,
            reopened_at=now,
            reason=reason.strip(),
            decisions_taken_back=len(decided),
        )
    )
    await uow.session.delete(closure)
    await uow.commit()
    return {"decisions_taken_back": len(decided)}
