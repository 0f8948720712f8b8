"""A provider's LMS (Moodle): which LMS user and course module is which learner and module, and
the signed completion events it posts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_platform.auth import Principal
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound

from .. import domain
from ..certificates import CertificateSigner
from ..models import LmsLearner, LmsModule
from ..store import TrainingWork
from .access import enrolment_for, own_provider
from .progress import ModuleCompletion, complete_module, curriculum_of, module_of


async def link_learner(
    work: TrainingWork, provider_id: str, lms_user_id: str, enrolment_id: UUID, principal: Principal
) -> UUID:
    """Say which learner an LMS user is (the provider's trainers, admins); commits."""
    await own_provider(work, provider_id, principal)
    enrolment = await enrolment_for(work, enrolment_id, principal)
    link = await work.store.lms_learner(provider_id, lms_user_id) or LmsLearner(
        provider_id=provider_id, lms_user_id=lms_user_id, enrolment_id=enrolment.id
    )
    link.enrolment_id = enrolment.id
    await work.store.save_lms_learner(link)
    await work.commit()
    return enrolment.id


async def link_module(
    work: TrainingWork, provider_id: str, lms_module_id: str, module_id: str, principal: Principal
) -> None:
    """Say which curriculum module an LMS course module is; commits."""
    await own_provider(work, provider_id, principal)
    link = await work.store.lms_module(provider_id, lms_module_id) or LmsModule(
        provider_id=provider_id, lms_module_id=lms_module_id, module_id=module_id
    )
    link.module_id = module_id
    await work.store.save_lms_module(link)
    await work.commit()


async def receive_lms_event(
    work: TrainingWork, provider_id: str, body: bytes, signature: str | None, signer: CertificateSigner
) -> dict[str, Any]:
    """Apply a signed Moodle completion event; anything wrong changes nothing."""
    provider = await work.store.provider(provider_id)
    if provider is None or not provider.lms_secret:
        raise NotFound(f"No provider {provider_id!r} receives LMS events here.")
    if not domain.signature_matches(provider.lms_secret, body, signature):
        raise Forbidden(
            "The X-RTW-Signature header does not match the body: sign it with the provider's LMS secret."
        )
    try:
        event = domain.MoodleEvent.model_validate_json(body)
    except ValueError as exc:
        raise Invalid([("body", f"not a Moodle event: {exc}")]) from None
    if event.eventname not in (domain.MODULE_COMPLETED, domain.COURSE_COMPLETED):
        return {"status": "ignored", "reason": f"{event.eventname} is not a completion event"}
    learner_id = event.learner_id
    link = await work.store.lms_learner(provider_id, str(learner_id))
    if link is None:
        raise NotFound(f"LMS user {learner_id} is not linked to a learner; link them first.")
    enrolment = await work.store.enrolment(link.enrolment_id)
    if enrolment is None or enrolment.cohort_id not in provider.cohorts:
        raise Forbidden("That learner is not in one of this provider's cohorts.")
    if enrolment.status != "enrolled":
        raise Conflict(f"This enrolment is {enrolment.status}: no more progress can be recorded.")
    when = datetime.fromtimestamp(event.timecreated, UTC) if event.timecreated else datetime.now(UTC)
    curriculum_ = curriculum_of(enrolment)
    if event.eventname == domain.MODULE_COMPLETED:
        if int(event.other.get("completionstate", 0) or 0) < 1:
            return {"status": "ignored", "reason": "the module is not complete"}
        mapped = await work.store.lms_module(provider_id, str(event.contextinstanceid))
        if mapped is None:
            raise NotFound(f"LMS course module {event.contextinstanceid} is not linked to a module.")
        module_ids = [mapped.module_id]
    else:
        done = set(await work.store.completed_module_ids(enrolment.id))
        module_ids = [m.id for m in curriculum_.required_modules if m.id not in done]
    completed = []
    for module_id in module_ids:
        progress = await work.store.progress(enrolment.id, module_id)
        if progress is not None and progress.status == "completed":
            continue  # an LMS resends; already recorded
        module = module_of(curriculum_, module_id)
        await complete_module(
            work,
            enrolment,
            module_id,
            ModuleCompletion(hours=module.hours, completed_at=when),
            source="lms",
            signer=signer,
        )
        completed.append(module_id)
    await work.commit()
    return {"status": "recorded", "modules_completed": completed}
