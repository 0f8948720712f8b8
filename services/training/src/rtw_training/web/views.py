"""A learner's training as the pages show it: each module with its state, hours, CPD and the
certificate (read from the service's own tables; the rules stay in `progress` and `domain`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from .. import domain, outcomes, progress
from ..curricula import Curriculum
from ..models import Certificate, CpdRecord, Enrolment, Learner, ModuleProgress


@dataclass(frozen=True)
class ModuleView:
    """One module of a learner's curriculum."""

    id: str
    title: str
    required: bool
    planned_hours: float
    status: str  # completed | started | not_started
    overdue: bool
    hours: float | None
    result: str | None
    completed_on: date | None


@dataclass(frozen=True)
class CorrectionView:
    """A correction in a learner's history, in words."""

    module_title: str
    before: str
    after: str
    reason: str
    corrected_on: date


def outcome_words(status: str, result: str | None, hours: float | None) -> str:
    """A recorded outcome as a person reads it: 'Merit, 6 hours' or 'Not completed'."""
    if status != "completed":
        return "Not completed"
    text = domain.RESULTS.get(result or "", "Completed")
    return f"{text}, {hours:g} hours" if hours is not None else text


@dataclass(frozen=True)
class LearnerView:
    """A learner's training."""

    enrolment: Enrolment
    name: str
    curriculum: Curriculum
    modules: list[ModuleView]
    expected_end: date
    overdue: bool
    hours_done: float
    hours_planned: float
    required_done: int
    required_total: int
    cpd: domain.CpdStatus | None
    certificate_id: str | None
    corrections: list[CorrectionView]
    cpd_entries: list[CpdRecord]

    @property
    def open_modules(self) -> list[ModuleView]:
        """Modules not completed yet (the ones a provider can still record)."""
        return [m for m in self.modules if m.status != "completed"]


def learner_name(learner: Learner | None) -> str:
    """The learner's name as the application gave it ('' once erased)."""
    if learner is None:
        return ""
    return " ".join(p for p in (learner.given_name, learner.family_name) if p)


async def learner_view(uow: UnitOfWork, enrolment: Enrolment, *, today: date | None = None) -> LearnerView:
    """Everything a page shows about one enrolment."""
    curriculum = progress.curriculum_of(enrolment)
    rows = {
        p.module_id: p
        for p in (
            await uow.session.exec(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id))
        ).all()
    }
    expected_end = (enrolment.enrolled_at + timedelta(weeks=curriculum.weeks)).date()
    today = today or datetime.now(UTC).date()
    late = enrolment.status == "enrolled" and today > expected_end
    modules = []
    for module in curriculum.modules:
        row = rows.get(module.id)
        status = row.status if row else "not_started"
        modules.append(
            ModuleView(
                id=module.id,
                title=module.title,
                required=module.required,
                planned_hours=module.hours,
                status=status,
                overdue=late and module.required and status != "completed",
                hours=row.hours if row else None,
                result=row.result if row else None,
                completed_on=row.completed_at.date() if row and row.completed_at else None,
            )
        )
    certificate = (
        await uow.session.exec(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
    ).first()
    learner = await uow.session.get(Learner, enrolment.application_id)
    required = [m for m in modules if m.required]
    titles = {m.id: m.title for m in curriculum.modules}
    corrections = [
        CorrectionView(
            module_title=titles.get(c.module_id, c.module_id),
            before=outcome_words(c.previous_status, c.previous_result, c.previous_hours),
            after=outcome_words(c.status, c.result, c.hours),
            reason=c.reason,
            corrected_on=c.corrected_at.date(),
        )
        for c in await outcomes.corrections_of(uow, enrolment.id)
    ]
    cpd_entries = (
        await uow.session.exec(
            select(CpdRecord).where(CpdRecord.enrolment_id == enrolment.id).order_by(col(CpdRecord.day))
        )
    ).all()
    return LearnerView(
        enrolment=enrolment,
        name=learner_name(learner),
        curriculum=curriculum,
        modules=modules,
        expected_end=expected_end,
        overdue=late,
        hours_done=sum(m.hours or 0 for m in modules if m.status == "completed"),
        hours_planned=sum(m.planned_hours for m in required),
        required_done=sum(1 for m in required if m.status == "completed"),
        required_total=len(required),
        cpd=await progress.cpd_of(uow, enrolment),
        certificate_id=str(certificate.id) if certificate and certificate.revoked_at is None else None,
        corrections=corrections,
        cpd_entries=list(cpd_entries),
    )


async def names_of(uow: UnitOfWork, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Learners' names by application id, for a cohort's rows."""
    names = {}
    for row in rows:
        learner = await uow.session.get(Learner, UUID(row["application_id"]))
        names[row["application_id"]] = learner_name(learner) or "Name not known"
    return names
