"""What the API and pages show: a learner's training (each module with its state, hours, CPD and
the certificate), a candidate's training, CPD evidence, certificates, a provider's cohorts (read
through the store; the rules stay in `progress` and `domain`)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from rtw_platform.auth import Principal
from rtw_platform.errors import NotFound

from .. import domain
from ..curricula import Curriculum
from ..models import Certificate, CpdRecord, Enrolment, Learner, Provider
from ..store import TrainingWork
from . import progress
from .access import enrolment_for, self_or_admin
from .recommendations import recommendations_for


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
    return domain.full_name(learner.given_name, learner.family_name)


async def learner_view(work: TrainingWork, enrolment: Enrolment, *, today: date | None = None) -> LearnerView:
    """Everything a page shows about one enrolment."""
    store = work.store
    curriculum = progress.curriculum_of(enrolment)
    rows = {p.module_id: p for p in await store.progress_of([enrolment.id])}
    expected_end = domain.expected_end(enrolment.enrolled_at, curriculum)
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
    certificate = await store.certificate_of(enrolment.id)
    learner = await store.learner(enrolment.application_id)
    required = [m for m in modules if m.required]
    titles = {m.id: m.title for m in curriculum.modules}
    corrections = [
        CorrectionView(
            module_title=titles.get(c.module_id, c.module_id),
            before=domain.outcome_words(c.previous_status, c.previous_result, c.previous_hours),
            after=domain.outcome_words(c.status, c.result, c.hours),
            reason=c.reason,
            corrected_on=c.corrected_at.date(),
        )
        for c in await store.corrections_of(enrolment.id)
    ]
    cpd_entries = await store.cpd_entries(enrolment.id)
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
        cpd=await progress.cpd_of(work, enrolment),
        certificate_id=str(certificate.id) if certificate and certificate.revoked_at is None else None,
        corrections=corrections,
        cpd_entries=list(cpd_entries),
    )


async def names_of(work: TrainingWork, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Learners' names by application id, for a cohort's rows."""
    names = {}
    for row in rows:
        learner = await work.store.learner(UUID(row["application_id"]))
        names[row["application_id"]] = learner_name(learner) or "Name not known"
    return names


async def name_of(work: TrainingWork, enrolment: Enrolment) -> str:
    """The learner's name ('' when not known, or erased)."""
    return learner_name(await work.store.learner(enrolment.application_id))


@dataclass(frozen=True)
class Cohorts:
    """A provider's cohorts, each with its learners' progress and names."""

    provider: Provider
    groups: list[dict[str, Any]]


async def provider_cohorts(work: TrainingWork, principal: Principal) -> Cohorts | None:
    """Every learner of the provider's cohorts (None: the provider is not registered yet)."""
    provider = await work.store.provider(principal.provider_id or principal.subject)
    if provider is None:
        return None
    groups = []
    for cohort_id in provider.cohorts:
        rows = await progress.cohort_progress(work, cohort_id, principal)
        groups.append({"cohort_id": cohort_id, "rows": rows, "names": await names_of(work, rows)})
    return Cohorts(provider, groups)


async def my_training(
    work: TrainingWork, candidate_id: UUID
) -> tuple[list[LearnerView], list[dict[str, Any]]]:
    """A candidate's enrolments (oldest first) and recommendations, as their page shows them."""
    enrolments = await work.store.enrolments_of_candidate(candidate_id)
    views = [await learner_view(work, enrolment) for enrolment in enrolments]
    return views, await recommendations_for(work, candidate_id)


async def progress_view(work: TrainingWork, enrolment: Enrolment) -> dict[str, Any]:
    """An enrolment's progress, as the API answers it."""
    curriculum_ = progress.curriculum_of(enrolment)
    rows = {p.module_id: p for p in await work.store.progress_of([enrolment.id])}
    cpd = await progress.cpd_of(work, enrolment)
    certificate = await work.store.certificate_of(enrolment.id)
    return {
        "enrolment_id": str(enrolment.id),
        "application_id": str(enrolment.application_id),
        "status": enrolment.status,
        "curriculum": {"id": curriculum_.id, "version": curriculum_.version, "title": curriculum_.title},
        "modules": [
            {
                "module_id": m.id,
                "title": m.title,
                "required": m.required,
                "status": rows[m.id].status if m.id in rows else "not_started",
                "skills": [s.model_dump(mode="json") for s in m.skills],
            }
            for m in curriculum_.modules
        ],
        "cpd": None
        if cpd is None
        else {"required_days": cpd.required_days, "counted_days": cpd.counted_days, "met": cpd.met},
        "certificate": None
        if certificate is None or certificate.revoked_at is not None
        else {"certificate_id": str(certificate.id), "url": f"/training/certificates/{certificate.id}"},
    }


async def enrolment_progress(work: TrainingWork, enrolment_id: UUID, principal: Principal) -> dict[str, Any]:
    """An enrolment's progress (the learner, their provider, admins)."""
    return await progress_view(work, await enrolment_for(work, enrolment_id, principal))


async def candidate_training(work: TrainingWork, candidate_id: UUID, principal: Principal) -> dict[str, Any]:
    """A candidate's training and recommendations (the candidate, admins)."""
    self_or_admin(principal, candidate_id)
    enrolments = await work.store.enrolments_of_candidate(candidate_id)
    return {
        "enrolments": [await progress_view(work, e) for e in enrolments],
        "recommendations": await recommendations_for(work, candidate_id),
    }


async def candidate_recommendations(
    work: TrainingWork, candidate_id: UUID, principal: Principal
) -> list[dict[str, Any]]:
    """Modules that would close the skill gaps councils' vacancies showed (the candidate, admins)."""
    self_or_admin(principal, candidate_id)
    return await recommendations_for(work, candidate_id)


@dataclass(frozen=True)
class CpdEvidence:
    """What the regulator's restoration process asks for: the ledger's standing and its entries."""

    enrolment: Enrolment
    cpd: domain.CpdStatus
    entries: list[CpdRecord]


async def cpd_evidence(work: TrainingWork, enrolment_id: UUID, principal: Principal) -> CpdEvidence:
    """The CPD evidence of an enrolment (the learner, their provider, admins)."""
    found = await enrolment_for(work, enrolment_id, principal)
    cpd = await progress.cpd_of(work, found)
    if cpd is None:
        raise NotFound("This programme's training keeps no CPD ledger.")
    return CpdEvidence(found, cpd, await work.store.cpd_entries(found.id))


async def certificate(work: TrainingWork, certificate_id: str | UUID) -> Certificate | None:
    """The certificate with that number (None: no such number, or not a number at all)."""
    with contextlib.suppress(ValueError):
        return await work.store.certificate(
            certificate_id if isinstance(certificate_id, UUID) else UUID(certificate_id)
        )
    return None
