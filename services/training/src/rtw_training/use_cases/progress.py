"""Progress: modules started and completed (by providers or their LMS), CPD days, completion
with a signed certificate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from rtw_contracts import Programme, TrainingCompleted, TrainingModuleCompleted
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound

from .. import domain
from ..certificates import CertificateSigner
from ..curricula import Curriculum, Module, curriculum
from ..models import Certificate, CpdRecord, Enrolment, ModuleProgress
from ..store import TrainingWork
from .access import enrolment_for, may_see_cohort


class ModuleCompletion(BaseModel):
    """A provider's report that a learner completed a module."""

    model_config = ConfigDict(extra="forbid")

    hours: float = Field(gt=0, le=500)
    result: Literal["passed", "merit", "distinction"] = "passed"
    completed_at: AwareDatetime | None = None


class CpdIn(BaseModel):
    """A day (or part) of CPD."""

    model_config = ConfigDict(extra="forbid")

    day: date
    days: float = Field(gt=0, le=5, multiple_of=0.5)
    kind: domain.CpdKind
    description: str = Field(min_length=3, max_length=1000)


def curriculum_of(enrolment: Enrolment) -> Curriculum:
    """The curriculum version the learner enrolled on."""
    found = curriculum(enrolment.curriculum_id, enrolment.curriculum_version)
    if found is None:
        raise LookupError(f"curriculum {enrolment.curriculum_id} {enrolment.curriculum_version} is unknown")
    return found


async def locked(work: TrainingWork, enrolment: Enrolment) -> Enrolment:
    """The enrolment read again once this transaction holds its cohort's grid lock (the lock the
    grid's submits take): what completes the training (a module, the last CPD) is recorded one
    at a time, so the certificate is issued once."""
    await work.lock(f"training.grid:{enrolment.cohort_id}")
    await work.store.reread(enrolment)
    return enrolment


async def _editable(work: TrainingWork, enrolment_id: UUID, principal: Principal) -> Enrolment:
    if principal.role not in (Role.TRAINER, Role.ADMIN):
        raise Forbidden("Only the training provider (or an admin) records progress.")
    enrolment = await locked(work, await enrolment_for(work, enrolment_id, principal))
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more progress can be recorded.")
    return enrolment


def module_of(curriculum_: Curriculum, module_id: str) -> Module:
    """The curriculum's module, or a NotFound naming the modules it has."""
    module = curriculum_.module(module_id)
    if module is None:
        known = ", ".join(m.id for m in curriculum_.modules)
        raise NotFound(f"{curriculum_.title} has no module {module_id!r}; its modules are: {known}.")
    return module


async def start_module(
    work: TrainingWork, enrolment_id: UUID, module_id: str, principal: Principal
) -> ModuleProgress:
    """Record that a learner started a module."""
    enrolment = await _editable(work, enrolment_id, principal)
    module_of(curriculum_of(enrolment), module_id)
    progress = await work.store.progress(enrolment.id, module_id)
    if progress is None:
        progress = ModuleProgress(
            enrolment_id=enrolment.id,
            module_id=module_id,
            status="started",
            source="provider",
            started_at=datetime.now(UTC),
        )
        await work.store.save_progress(progress)
        await work.commit()
    return progress


async def complete_module(
    work: TrainingWork,
    enrolment: Enrolment,
    module_id: str,
    completion: ModuleCompletion,
    *,
    source: str,
    signer: CertificateSigner,
) -> ModuleProgress:
    """Record a completed module (once), publish it, and complete the training if it was the last;
    commits. Under the cohort's grid lock (`locked`): modules of one enrolment completed at once
    are recorded one after the other, so the last one sees the others and completes the training."""
    enrolment = await locked(work, enrolment)
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more progress can be recorded.")
    progress = await record_completion(work, enrolment, module_id, completion, source=source)
    await complete_if_done(work, enrolment, signer)
    return progress


async def complete_module_for(
    work: TrainingWork,
    enrolment_id: UUID,
    module_id: str,
    completion: ModuleCompletion,
    principal: Principal,
    signer: CertificateSigner,
) -> Enrolment:
    """A provider (or an admin) reports a completed module (the API); commits. The enrolment as it
    stands after (completed, if that was the last module)."""
    if principal.role not in (Role.TRAINER, Role.ADMIN):
        raise Forbidden("Only the training provider (or an admin) records progress.")
    enrolment = await enrolment_for(work, enrolment_id, principal)
    if enrolment.status != "enrolled":
        raise Invalid([("enrolment", f"this enrolment is {enrolment.status}")])
    await complete_module(work, enrolment, module_id, completion, source="provider", signer=signer)
    return enrolment


async def record_completion(
    work: TrainingWork, enrolment: Enrolment, module_id: str, completion: ModuleCompletion, *, source: str
) -> ModuleProgress:
    """Record a completed module (once) and publish TrainingModuleCompleted, the first time only: a
    module whose completion a correction took back and that is recorded again was announced already
    (the events have no retraction, see docs/training.md). Neither commits nor completes."""
    module = module_of(curriculum_of(enrolment), module_id)
    progress = await work.store.progress(enrolment.id, module_id)
    if progress is not None and progress.status == "completed":
        raise Conflict(f"Module {module_id!r} was already completed on {progress.completed_at:%d %B %Y}.")
    completed_at = completion.completed_at or datetime.now(UTC)
    if progress is None:
        progress = ModuleProgress(
            enrolment_id=enrolment.id, module_id=module_id, status="completed", source=source
        )
    progress.status = "completed"
    progress.hours = completion.hours
    progress.result = completion.result
    progress.source = source
    progress.completed_at = completed_at
    progress.started_at = progress.started_at or completed_at
    if progress.announced_at is None:
        progress.announced_at = datetime.now(UTC)
        await _announce(work, enrolment, module, completion.hours, completed_at)
    await work.store.save_progress(progress)
    return progress


async def _announce(
    work: TrainingWork, enrolment: Enrolment, module: Module, hours: float, completed_at: datetime
) -> None:
    await work.store.next_sequence(enrolment)  # in the database: see rtw_platform.counters
    work.publish(
        TrainingModuleCompleted(
            correlation_id=enrolment.application_id,
            sequence=enrolment.sequence,
            enrolment_id=enrolment.id,
            application_id=enrolment.application_id,
            candidate_id=enrolment.candidate_id,
            module_id=module.id,
            module_title=module.title,
            hours=hours,
            skills=list(module.skills),
            completed_at=completed_at,
        )
    )


async def cpd_of(work: TrainingWork, enrolment: Enrolment) -> domain.CpdStatus | None:
    """The CPD ledger's standing, for curricula that have one."""
    rule = curriculum_of(enrolment).cpd
    if rule is None:
        return None
    entries = await work.store.cpd_entries(enrolment.id)
    return domain.cpd_status(
        rule,
        enrolment.years_out_of_practice or 0.0,
        [domain.CpdEntry(e.day, e.days, domain.CpdKind(e.kind)) for e in entries],
    )


async def record_cpd(
    work: TrainingWork, enrolment_id: UUID, entry: CpdIn, principal: Principal, signer: CertificateSigner
) -> domain.CpdStatus:
    """Add CPD to the ledger (social work's restoration needs it): the learner's provider, an admin,
    or the learner themselves."""
    if principal.role not in (Role.TRAINER, Role.ADMIN, Role.CANDIDATE):
        raise Forbidden("Only the learner, their training provider or an admin records CPD.")
    enrolment = await locked(work, await enrolment_for(work, enrolment_id, principal))
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more CPD can be recorded.")
    if curriculum_of(enrolment).cpd is None:
        raise Conflict("This programme's training keeps no CPD ledger.")
    if entry.day > datetime.now(UTC).date():
        raise Invalid([("day", "CPD cannot be recorded for a day in the future.")])
    await work.store.add_cpd(
        CpdRecord(
            enrolment_id=enrolment.id,
            day=entry.day,
            days=entry.days,
            kind=entry.kind.value,
            description=entry.description,
            recorded_by=principal.subject,
            recorded_at=datetime.now(UTC),
        )
    )
    await complete_if_done(work, enrolment, signer)
    status = await cpd_of(work, enrolment)
    assert status is not None
    return status


async def complete_if_done(
    work: TrainingWork, enrolment: Enrolment, signer: CertificateSigner
) -> Certificate | None:
    """When every required module is done (and the CPD ledger met, where there is one), issue the
    certificate and publish TrainingCompleted; commits."""
    certificate = await certify_if_done(work, enrolment, signer)
    await work.commit()
    return certificate


async def certify_if_done(
    work: TrainingWork, enrolment: Enrolment, signer: CertificateSigner
) -> Certificate | None:
    """As `complete_if_done`, without committing (the caller's transaction holds more)."""
    curriculum_ = curriculum_of(enrolment)
    done = await work.store.completed_module_ids(enrolment.id)
    cpd = await cpd_of(work, enrolment)
    if enrolment.status != "enrolled" or not domain.is_complete(curriculum_, done, cpd):
        return None
    learner = await work.store.learner(enrolment.application_id)
    now = datetime.now(UTC)
    certificate = Certificate(
        enrolment_id=enrolment.id, candidate_id=enrolment.candidate_id, signature="", issued_at=now
    )
    facts = domain.certificate_facts(
        str(certificate.id),
        domain.full_name(learner.given_name, learner.family_name) if learner else "",
        enrolment.programme,
        curriculum_,
        done,
        cpd,
        now.date(),
    )
    certificate.facts = facts
    certificate.signature = signer.sign(facts)
    enrolment.status = "completed"
    enrolment.completed_at = now
    await work.store.save_enrolment(enrolment)
    await work.store.next_sequence(enrolment)
    work.publish(
        TrainingCompleted(
            correlation_id=enrolment.application_id,
            sequence=enrolment.sequence,
            enrolment_id=enrolment.id,
            application_id=enrolment.application_id,
            candidate_id=enrolment.candidate_id,
            programme=Programme(enrolment.programme),
            certificate_id=certificate.id,
            skills_gained=domain.skills_gained(curriculum_, done),
            completed_at=now,
        )
    )
    await work.store.add_certificate(certificate)
    return certificate


ENROLMENT_STATUSES = ("enrolled", "completed", "withdrawn")


async def cohort_counts(work: TrainingWork, cohort_id: str, principal: Principal) -> dict[str, int]:
    """How many of a cohort's learners are enrolled, completed or withdrew, erased ones included
    (counted without them, see erasure.py): erasure changes none of these numbers."""
    await may_see_cohort(work, cohort_id, principal)
    counts = dict.fromkeys(ENROLMENT_STATUSES, 0)
    for status, count in (await work.store.status_counts(cohort_id)).items():
        counts[status] = counts.get(status, 0) + count
    return counts


async def cohort_progress(work: TrainingWork, cohort_id: str, principal: Principal) -> list[dict[str, Any]]:
    """Every learner of a cohort: modules done, CPD, status (providers of the cohort, admins)."""
    await may_see_cohort(work, cohort_id, principal)
    rows = []
    for enrolment in await work.store.enrolments_of_cohort(cohort_id):
        curriculum_ = curriculum_of(enrolment)
        done = await work.store.completed_module_ids(enrolment.id)
        cpd = await cpd_of(work, enrolment)
        rows.append(
            {
                "enrolment_id": str(enrolment.id),
                "application_id": str(enrolment.application_id),
                "status": enrolment.status,
                "modules_completed": len(done),
                "modules_required": len(curriculum_.required_modules),
                "missing": [m.id for m in domain.missing_modules(curriculum_, done)],
                "cpd": None
                if cpd is None
                else {"required": cpd.required_days, "counted": cpd.counted_days, "met": cpd.met},
            }
        )
    return rows
