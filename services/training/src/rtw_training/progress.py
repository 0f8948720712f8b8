"""Progress: modules started and completed (by providers or their LMS), CPD days, completion
with a signed certificate."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from rtw_contracts import Programme, TrainingCompleted, TrainingModuleCompleted
from rtw_platform.auth import Principal, Role
from rtw_platform.counters import take_next
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func
from sqlmodel import col, select

from . import domain
from .certificates import CertificateSigner
from .curricula import Curriculum, curriculum
from .models import (
    Certificate,
    CpdRecord,
    Enrolment,
    ErasedEnrolments,
    Learner,
    LmsLearner,
    LmsModule,
    ModuleProgress,
    Provider,
)


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


UNREGISTERED = (
    "Your training provider is not registered yet. Ask the programme team to register it with the "
    "cohorts you train, then sign in again."
)


async def provider_of(uow: UnitOfWork, principal: Principal) -> Provider:
    """The provider a trainer's token speaks for."""
    provider = await uow.session.get(Provider, principal.provider_id or principal.subject)
    if provider is None:
        raise Forbidden(UNREGISTERED)
    if not provider.active:
        raise Forbidden(f"{provider.name} has been retired from the programme: ask the programme team.")
    return provider


NO_ENROLMENT = "There is no enrolment with that id."


async def enrolment_for(uow: UnitOfWork, enrolment_id: UUID, principal: Principal) -> Enrolment:
    """The enrolment, if the caller may see it: admins; the candidate; the provider of its cohort.
    Someone else's enrolment answers as one that does not exist (an id reveals nothing)."""
    if principal.role not in (Role.ADMIN, Role.CANDIDATE, Role.TRAINER):
        raise Forbidden("Only learners, their training providers and admins see enrolments.")
    provider = await provider_of(uow, principal) if principal.role is Role.TRAINER else None
    enrolment = await uow.session.get(Enrolment, enrolment_id)
    if enrolment is None or not may_see(principal, enrolment, provider):
        raise NotFound(NO_ENROLMENT)
    return enrolment


def may_see(principal: Principal, enrolment: Enrolment, provider: Provider | None) -> bool:
    """Admins see every enrolment; a candidate their own; a provider those of its cohorts."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.CANDIDATE:
        return principal.subject == str(enrolment.candidate_id)
    return provider is not None and enrolment.cohort_id in provider.cohorts


async def locked(uow: UnitOfWork, enrolment: Enrolment) -> Enrolment:
    """The enrolment read again once this transaction holds its cohort's grid lock (the lock the
    grid's submits take): what completes the training (a module, the last CPD) is recorded one
    at a time, so the certificate is issued once."""
    await uow.lock(f"training.grid:{enrolment.cohort_id}")
    await uow.session.refresh(enrolment)
    return enrolment


async def _editable(uow: UnitOfWork, enrolment_id: UUID, principal: Principal) -> Enrolment:
    if principal.role not in (Role.TRAINER, Role.ADMIN):
        raise Forbidden("Only the training provider (or an admin) records progress.")
    enrolment = await locked(uow, await enrolment_for(uow, enrolment_id, principal))
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more progress can be recorded.")
    return enrolment


def module_of(curriculum_: Curriculum, module_id: str) -> Any:
    """The curriculum's module, or a NotFound naming the modules it has."""
    module = curriculum_.module(module_id)
    if module is None:
        known = ", ".join(m.id for m in curriculum_.modules)
        raise NotFound(f"{curriculum_.title} has no module {module_id!r}; its modules are: {known}.")
    return module


async def start_module(
    uow: UnitOfWork, enrolment_id: UUID, module_id: str, principal: Principal
) -> ModuleProgress:
    """Record that a learner started a module."""
    enrolment = await _editable(uow, enrolment_id, principal)
    module_of(curriculum_of(enrolment), module_id)
    progress = await uow.session.get(ModuleProgress, (enrolment.id, module_id))
    if progress is None:
        progress = ModuleProgress(
            enrolment_id=enrolment.id,
            module_id=module_id,
            status="started",
            source="provider",
            started_at=datetime.now(UTC),
        )
        uow.session.add(progress)
        await uow.commit()
    return progress


async def complete_module(
    uow: UnitOfWork,
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
    enrolment = await locked(uow, enrolment)
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more progress can be recorded.")
    progress = await record_completion(uow, enrolment, module_id, completion, source=source)
    await complete_if_done(uow, enrolment, signer)
    return progress


async def record_completion(
    uow: UnitOfWork, enrolment: Enrolment, module_id: str, completion: ModuleCompletion, *, source: str
) -> ModuleProgress:
    """Record a completed module (once) and publish TrainingModuleCompleted, the first time only: a
    module whose completion a correction took back and that is recorded again was announced already
    (the events have no retraction, see docs/training.md). Neither commits nor completes."""
    curriculum_ = curriculum_of(enrolment)
    module = module_of(curriculum_, module_id)
    progress = await uow.session.get(ModuleProgress, (enrolment.id, module_id))
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
    uow.session.add(progress)
    if progress.announced_at is None:
        progress.announced_at = datetime.now(UTC)
        await _announce(uow, enrolment, module, completion.hours, completed_at)
    await uow.session.flush()
    return progress


async def _announce(
    uow: UnitOfWork, enrolment: Enrolment, module: Any, hours: float, completed_at: datetime
) -> None:
    uow.session.add(enrolment)
    await take_next(uow.session, enrolment, "sequence")  # in the database: see counters.py
    uow.publish(
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


async def completed_module_ids(uow: UnitOfWork, enrolment_id: UUID) -> list[str]:
    """The modules the learner completed."""
    rows = await uow.session.exec(
        select(ModuleProgress.module_id).where(
            ModuleProgress.enrolment_id == enrolment_id, ModuleProgress.status == "completed"
        )
    )
    return list(rows.all())


async def cpd_of(uow: UnitOfWork, enrolment: Enrolment) -> domain.CpdStatus | None:
    """The CPD ledger's standing, for curricula that have one."""
    rule = curriculum_of(enrolment).cpd
    if rule is None:
        return None
    entries = (await uow.session.exec(select(CpdRecord).where(CpdRecord.enrolment_id == enrolment.id))).all()
    return domain.cpd_status(
        rule,
        enrolment.years_out_of_practice or 0.0,
        [domain.CpdEntry(e.day, e.days, domain.CpdKind(e.kind)) for e in entries],
    )


async def record_cpd(
    uow: UnitOfWork, enrolment_id: UUID, entry: CpdIn, principal: Principal, signer: CertificateSigner
) -> domain.CpdStatus:
    """Add CPD to the ledger (social work's restoration needs it): the learner's provider, an admin,
    or the learner themselves."""
    if principal.role not in (Role.TRAINER, Role.ADMIN, Role.CANDIDATE):
        raise Forbidden("Only the learner, their training provider or an admin records CPD.")
    enrolment = await locked(uow, await enrolment_for(uow, enrolment_id, principal))
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more CPD can be recorded.")
    if curriculum_of(enrolment).cpd is None:
        raise Conflict("This programme's training keeps no CPD ledger.")
    if entry.day > datetime.now(UTC).date():
        raise Invalid([("day", "CPD cannot be recorded for a day in the future.")])
    uow.session.add(
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
    await uow.session.flush()
    await complete_if_done(uow, enrolment, signer)
    status = await cpd_of(uow, enrolment)
    assert status is not None
    return status


async def complete_if_done(
    uow: UnitOfWork, enrolment: Enrolment, signer: CertificateSigner
) -> Certificate | None:
    """When every required module is done (and the CPD ledger met, where there is one), issue the
    certificate and publish TrainingCompleted; commits."""
    certificate = await certify_if_done(uow, enrolment, signer)
    await uow.commit()
    return certificate


async def certify_if_done(
    uow: UnitOfWork, enrolment: Enrolment, signer: CertificateSigner
) -> Certificate | None:
    """As `complete_if_done`, without committing (the caller's transaction holds more)."""
    curriculum_ = curriculum_of(enrolment)
    done = await completed_module_ids(uow, enrolment.id)
    cpd = await cpd_of(uow, enrolment)
    if (
        enrolment.status != "enrolled"
        or domain.missing_modules(curriculum_, done)
        or (cpd is not None and not cpd.met)
    ):
        return None
    learner = await uow.session.get(Learner, enrolment.application_id)
    now = datetime.now(UTC)
    skills = domain.skills_gained(curriculum_, done)
    certificate = Certificate(
        enrolment_id=enrolment.id, candidate_id=enrolment.candidate_id, signature="", issued_at=now
    )
    facts = {
        "certificate_id": str(certificate.id),
        "name": " ".join(p for p in (learner.given_name, learner.family_name) if p) if learner else "",
        "programme": enrolment.programme,
        "curriculum": f"{curriculum_.title} ({curriculum_.version})",
        "provider": curriculum_.provider,
        "modules": [m.title for m in curriculum_.modules if m.id in done],
        "skills": [{"skill": s.skill, "level": int(s.level)} for s in skills],
        "cpd_days": cpd.counted_days if cpd else None,
        "issued_on": now.date().isoformat(),
    }
    certificate.facts = facts
    certificate.signature = signer.sign(facts)
    uow.session.add(certificate)
    enrolment.status = "completed"
    enrolment.completed_at = now
    uow.session.add(enrolment)
    await take_next(uow.session, enrolment, "sequence")
    uow.publish(
        TrainingCompleted(
            correlation_id=enrolment.application_id,
            sequence=enrolment.sequence,
            enrolment_id=enrolment.id,
            application_id=enrolment.application_id,
            candidate_id=enrolment.candidate_id,
            programme=Programme(enrolment.programme),
            certificate_id=certificate.id,
            skills_gained=skills,
            completed_at=now,
        )
    )
    await uow.session.flush()
    return certificate


# --------------------------------------------------------------------------- LMS webhooks


def lms_signature(secret: str, body: bytes) -> str:
    """The signature an LMS sends: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class MoodleEvent(BaseModel):
    """A Moodle event as its webhook plugins post it (the fields we use)."""

    model_config = ConfigDict(extra="ignore")

    eventname: str
    userid: int | str | None = None
    relateduserid: int | str | None = None
    contextinstanceid: int | str | None = None
    courseid: int | str | None = None
    timecreated: int | None = None
    other: dict[str, Any] = Field(default_factory=dict)


MODULE_COMPLETED = "\\core\\event\\course_module_completion_updated"
COURSE_COMPLETED = "\\core\\event\\course_completed"


async def receive_lms_event(
    uow: UnitOfWork, provider_id: str, body: bytes, signature: str | None, signer: CertificateSigner
) -> dict[str, Any]:
    """Apply a signed Moodle completion event; anything wrong changes nothing."""
    provider = await uow.session.get(Provider, provider_id)
    if provider is None or not provider.lms_secret:
        raise NotFound(f"No provider {provider_id!r} receives LMS events here.")
    expected = lms_signature(provider.lms_secret, body)
    if signature is None or not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Forbidden(
            "The X-RTW-Signature header does not match the body: sign it with the provider's LMS secret."
        )
    try:
        event = MoodleEvent.model_validate_json(body)
    except ValueError as exc:
        raise Invalid([("body", f"not a Moodle event: {exc}")]) from None
    if event.eventname not in (MODULE_COMPLETED, COURSE_COMPLETED):
        return {"status": "ignored", "reason": f"{event.eventname} is not a completion event"}
    # In Moodle, `userid` is whoever changed the completion (a tutor may mark it); the learner is
    # `relateduserid` (the learner's own actions leave it empty).
    learner_id = event.relateduserid if event.relateduserid is not None else event.userid
    link = await uow.session.get(LmsLearner, (provider_id, str(learner_id)))
    if link is None:
        raise NotFound(f"LMS user {learner_id} is not linked to a learner; link them first.")
    enrolment = await uow.session.get(Enrolment, link.enrolment_id)
    if enrolment is None or enrolment.cohort_id not in provider.cohorts:
        raise Forbidden("That learner is not in one of this provider's cohorts.")
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more progress can be recorded.")
    when = datetime.fromtimestamp(event.timecreated, UTC) if event.timecreated else datetime.now(UTC)
    curriculum_ = curriculum_of(enrolment)
    if event.eventname == MODULE_COMPLETED:
        if int(event.other.get("completionstate", 0) or 0) < 1:
            return {"status": "ignored", "reason": "the module is not complete"}
        mapped = await uow.session.get(LmsModule, (provider_id, str(event.contextinstanceid)))
        if mapped is None:
            raise NotFound(f"LMS course module {event.contextinstanceid} is not linked to a module.")
        module_ids = [mapped.module_id]
    else:
        done = set(await completed_module_ids(uow, enrolment.id))
        module_ids = [m.id for m in curriculum_.required_modules if m.id not in done]
    completed = []
    for module_id in module_ids:
        progress = await uow.session.get(ModuleProgress, (enrolment.id, module_id))
        if progress is not None and progress.status == "completed":
            continue  # an LMS resends; already recorded
        module = module_of(curriculum_, module_id)
        await complete_module(
            uow,
            enrolment,
            module_id,
            ModuleCompletion(hours=module.hours, completed_at=when),
            source="lms",
            signer=signer,
        )
        completed.append(module_id)
    await uow.commit()
    return {"status": "recorded", "modules_completed": completed}


async def _may_see_cohort(uow: UnitOfWork, cohort_id: str, principal: Principal) -> None:
    if principal.role is Role.TRAINER:
        provider = await provider_of(uow, principal)
        if cohort_id not in provider.cohorts:
            raise Forbidden("This is not one of your cohorts.")
    elif principal.role is not Role.ADMIN:
        raise Forbidden("Only providers and admins see cohort progress.")


ENROLMENT_STATUSES = ("enrolled", "completed", "withdrawn")


async def cohort_counts(uow: UnitOfWork, cohort_id: str, principal: Principal) -> dict[str, int]:
    """How many of a cohort's learners are enrolled, completed or withdrew, erased ones included
    (counted without them, see erasure.py): erasure changes none of these numbers."""
    await _may_see_cohort(uow, cohort_id, principal)
    counts = dict.fromkeys(ENROLMENT_STATUSES, 0)
    live = await uow.session.exec(
        select(Enrolment.status, func.count())
        .where(Enrolment.cohort_id == cohort_id)
        .group_by(col(Enrolment.status))
    )
    erased = await uow.session.exec(
        select(ErasedEnrolments.status, ErasedEnrolments.count).where(ErasedEnrolments.cohort_id == cohort_id)
    )
    for status, count in [*live.all(), *erased.all()]:
        counts[status] = counts.get(status, 0) + count
    return counts


async def cohort_progress(uow: UnitOfWork, cohort_id: str, principal: Principal) -> list[dict[str, Any]]:
    """Every learner of a cohort: modules done, CPD, status (providers of the cohort, admins)."""
    await _may_see_cohort(uow, cohort_id, principal)
    enrolments = (
        await uow.session.exec(
            select(Enrolment).where(Enrolment.cohort_id == cohort_id).order_by(col(Enrolment.enrolled_at))
        )
    ).all()
    rows = []
    for enrolment in enrolments:
        curriculum_ = curriculum_of(enrolment)
        done = await completed_module_ids(uow, enrolment.id)
        cpd = await cpd_of(uow, enrolment)
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
