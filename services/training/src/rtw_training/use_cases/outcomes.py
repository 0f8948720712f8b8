"""Recording a whole group's outcomes in one submit (the progress grid), and correcting a recorded
outcome with a reason (kept as history). Both go through the same steps as recording one module
(`progress.record_completion`, then `progress.certify_if_done`), so TrainingModuleCompleted and
TrainingCompleted are published as they are for one module; see docs/training.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from rtw_platform.auth import Principal
from rtw_platform.errors import Conflict

from .. import domain
from ..certificates import CertificateSigner
from ..curricula import Module
from ..models import Enrolment, ModuleCorrection, ModuleProgress
from ..store import TrainingWork
from . import progress
from .access import may_record_for
from .progress import ModuleCompletion


def cell_name(kind: str, enrolment_id: UUID, module_id: str) -> str:
    """The form field (and element id) of a grid cell: `outcome-<enrolment>-<module>` or `hours-…`."""
    return f"{kind}-{enrolment_id}-{module_id}"


@dataclass(frozen=True)
class GridRow:
    """A learner of the cohort with their modules' recorded states."""

    enrolment: Enrolment
    modules: dict[str, domain.Recorded]


@dataclass(frozen=True)
class GridOutcome:
    """What a submitted grid recorded."""

    recorded: int
    certified: list[UUID]


async def cohort_grid(
    work: TrainingWork, cohort_id: str, principal: Principal, *, to_record: bool = False
) -> list[GridRow]:
    """The cohort's learners and each module's recorded state, for its provider (or an admin).
    `to_record`: the grid's submits for a cohort run one at a time (until the transaction ends), so
    what the checks read is what the submit changes."""
    await may_record_for(work, cohort_id, principal)
    if to_record:
        await work.lock(f"training.grid:{cohort_id}")
    enrolments = await work.store.enrolments_of_cohort(cohort_id)
    rows = await work.store.progress_of([e.id for e in enrolments])
    states: dict[UUID, dict[str, domain.Recorded]] = {e.id: {} for e in enrolments}
    for row in rows:
        states[row.enrolment_id][row.module_id] = domain.Recorded(row.status, row.result, row.hours)
    return [GridRow(e, states[e.id]) for e in enrolments]


def read_grid(
    rows: list[GridRow], fields: Mapping[str, str]
) -> tuple[dict[UUID, list[tuple[Module, domain.CellChange]]], dict[str, str]]:
    """Every cell's change, or every problem (by field name) at once. Only the cohort's own learners'
    cells are read: a field naming anyone else is no cell of this grid."""
    changes: dict[UUID, list[tuple[Module, domain.CellChange]]] = {}
    problems: dict[str, str] = {}
    for row in rows:
        enrolment = row.enrolment
        for module in progress.curriculum_of(enrolment).modules:
            outcome_field = cell_name("outcome", enrolment.id, module.id)
            hours_field = cell_name("hours", enrolment.id, module.id)
            outcome, hours = fields.get(outcome_field, ""), fields.get(hours_field, "")
            if not (outcome or hours):
                continue
            if enrolment.status != "enrolled":
                problems[outcome_field] = (
                    f"This learner's training is {enrolment.status}: nothing more is recorded"
                )
                continue
            current = row.modules.get(module.id, domain.Recorded("not_started"))
            try:
                change = domain.cell_change(outcome, hours, current, module.hours)
            except domain.Problem as problem:
                problems[outcome_field if problem.field == "outcome" else hours_field] = problem.message
                continue
            if change is not None:
                changes.setdefault(enrolment.id, []).append((module, change))
    return changes, problems


async def record_grid(
    work: TrainingWork,
    rows: list[GridRow],
    changes: dict[UUID, list[tuple[Module, domain.CellChange]]],
    signer: CertificateSigner,
) -> GridOutcome:
    """Record every change in one transaction (all or nothing), then issue the certificate of each
    learner whose training it completed; commits."""
    recorded, certified = 0, []
    for row in rows:
        enrolment = row.enrolment
        for module, change in changes.get(enrolment.id, []):
            if change.outcome == domain.STARTED:
                await _start(work, enrolment, module.id)
            else:
                assert change.hours is not None
                completion = ModuleCompletion(hours=change.hours, result=change.outcome)
                await progress.record_completion(work, enrolment, module.id, completion, source="provider")
            recorded += 1
        if enrolment.id in changes and await progress.certify_if_done(work, enrolment, signer) is not None:
            certified.append(enrolment.id)
    await work.commit()
    return GridOutcome(recorded, certified)


async def _start(work: TrainingWork, enrolment: Enrolment, module_id: str) -> None:
    row = await work.store.progress(enrolment.id, module_id)
    row = row or ModuleProgress(enrolment_id=enrolment.id, module_id=module_id, source="provider", status="")
    row.status = domain.STARTED
    row.started_at = row.started_at or datetime.now(UTC)
    await work.store.save_progress(row)


async def recorded_state(work: TrainingWork, enrolment: Enrolment, module_id: str) -> domain.Recorded:
    """A module's recorded state (not started when nothing is recorded)."""
    row = await work.store.progress(enrolment.id, module_id)
    return domain.Recorded(row.status, row.result, row.hours) if row else domain.Recorded("not_started")


async def correct(
    work: TrainingWork,
    enrolment: Enrolment,
    module_id: str,
    corrected: domain.Recorded,
    reason: str,
    principal: Principal,
) -> ModuleCorrection:
    """Apply a correction `domain.correction_of` allowed and keep it in the history; commits.
    Taking a completion back leaves the module in progress, so it counts again only when recorded
    again; a changed result or hours keeps it completed (no event: what was published holds)."""
    row = await work.store.progress(enrolment.id, module_id)
    if row is None or row.status != "completed":
        raise Conflict("Only a recorded completion can be corrected.")
    history = ModuleCorrection(
        enrolment_id=enrolment.id,
        module_id=module_id,
        previous_status=row.status,
        previous_result=row.result,
        previous_hours=row.hours,
        status=corrected.status,
        result=corrected.result,
        hours=corrected.hours,
        reason=reason,
        corrected_by=principal.subject,
        corrected_at=datetime.now(UTC),
    )
    await work.store.add_correction(history)
    row.status, row.result, row.hours = corrected.status, corrected.result, corrected.hours
    if corrected.status != "completed":
        row.completed_at = None
    await work.store.save_progress(row)
    await work.commit()
    return history


async def corrections_of(work: TrainingWork, enrolment_id: UUID) -> list[ModuleCorrection]:
    """An enrolment's corrections, oldest first."""
    return await work.store.corrections_of(enrolment_id)
