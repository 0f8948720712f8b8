"""Who may see and change what: a provider's trainers their cohorts, candidates their own
training, admins everything. Someone else's record answers as one that does not exist."""

from __future__ import annotations

from uuid import UUID

from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Forbidden, NotFound

from ..models import Enrolment, Provider
from ..store import TrainingWork

UNREGISTERED = (
    "Your training provider is not registered yet. Ask the programme team to register it with the "
    "cohorts you train, then sign in again."
)
NO_ENROLMENT = "There is no enrolment with that id."


async def provider_of(work: TrainingWork, principal: Principal) -> Provider:
    """The provider a trainer's token speaks for."""
    provider = await work.store.provider(principal.provider_id or principal.subject)
    if provider is None:
        raise Forbidden(UNREGISTERED)
    if not provider.active:
        raise Forbidden(f"{provider.name} has been retired from the programme: ask the programme team.")
    return provider


async def enrolment_for(work: TrainingWork, enrolment_id: UUID, principal: Principal) -> Enrolment:
    """The enrolment, if the caller may see it: admins; the candidate; the provider of its cohort.
    Someone else's enrolment answers as one that does not exist (an id reveals nothing)."""
    if principal.role not in (Role.ADMIN, Role.CANDIDATE, Role.TRAINER):
        raise Forbidden("Only learners, their training providers and admins see enrolments.")
    provider = await provider_of(work, principal) if principal.role is Role.TRAINER else None
    enrolment = await work.store.enrolment(enrolment_id)
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


async def may_see_cohort(work: TrainingWork, cohort_id: str, principal: Principal) -> None:
    """The cohort's provider and admins see its progress."""
    if principal.role is Role.TRAINER:
        provider = await provider_of(work, principal)
        if cohort_id not in provider.cohorts:
            raise Forbidden("This is not one of your cohorts.")
    elif principal.role is not Role.ADMIN:
        raise Forbidden("Only providers and admins see cohort progress.")


async def may_record_for(work: TrainingWork, cohort_id: str, principal: Principal) -> None:
    """Only the provider that trains the cohort (and admins) record its progress."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.TRAINER:
        raise Forbidden("Only training providers and admins record progress.")
    provider = await provider_of(work, principal)
    if cohort_id not in provider.cohorts:
        raise NotFound("Your organisation does not train a cohort with that id.")


def self_or_admin(principal: Principal, candidate_id: UUID) -> None:
    """A candidate's training: the candidate, and admins."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.CANDIDATE:
        raise Forbidden("Only the candidate and admins see a candidate's training.")
    if principal.subject != str(candidate_id):
        # Another candidate's training answers as an unknown candidate's would.
        raise NotFound("There is no candidate with that id.")


async def own_provider(work: TrainingWork, provider_id: str, principal: Principal) -> None:
    """A provider's LMS links: its own trainers, and admins."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is not Role.TRAINER or (principal.provider_id or principal.subject) != provider_id:
        raise Forbidden("You can only change your own provider's links.")
    if await work.store.provider(provider_id) is None:
        raise NotFound(f"There is no provider {provider_id!r}.")
