"""The talent pool, built from other services' events; each change re-matches the candidate."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from rtw_contracts import (
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidatePreferencesChanged,
    SelectionReopened,
    SkillClaim,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    WorkPreferences,
)
from rtw_platform import reference
from rtw_platform.consumer_failures import NotYetKnown
from rtw_platform.uow import UnitOfWork

from . import domain, store
from .caches import MatchingCaches
from .candidate_matching import match_candidate
from .models import (
    AssessmentOutcomeRecord,
    CandidateMatch,
    CandidateProfile,
    Departure,
)


async def one_at_a_time(uow: UnitOfWork, application_id: UUID) -> None:
    """Serialise the changes to one application's profile: events about it arrive on different
    queues and are handled in concurrent transactions, and each reads what the others write (an
    outcome that arrives before the application, say). The lock lasts until the commit; a deadlock
    between two batches is retried like any transient database failure."""
    await uow.lock(f"matching.profile:{application_id}")


async def add_candidate_v1(event: ApplicationSubmitted, uow: UnitOfWork, *, caches: MatchingCaches) -> None:
    """A version-1 submission still queued (or replayed) until v1 retires: its facts and its
    contact details, handled as the two version-2 events it stands for."""
    facts, contact = event.split()
    await add_candidate(facts, uow, caches=caches)
    await record_contact(contact, uow)


async def record_contact(event: ApplicationContactGiven, uow: UnitOfWork) -> None:
    """Keep the candidate's name, e-mail and phone (if given) apart from the profile: a council
    sees them only once the candidate accepts its reach-out."""
    if await uow.session.get(Departure, event.candidate_id) is not None:
        return  # erased before their contact details reached us: keep nothing
    await store.keep_contact(
        uow,
        event.candidate_id,
        given_name=event.given_name,
        family_name=event.family_name,
        email=str(event.email),
        phone=event.phone,  # given (or not) for a council to call about a job
    )


async def add_candidate(event: ApplicationSubmittedV2, uow: UnitOfWork, *, caches: MatchingCaches) -> None:
    """Keep the facts matching needs (the contact details come apart: ApplicationContactGiven)."""
    await one_at_a_time(uow, event.application_id)
    if await uow.session.get(Departure, event.candidate_id) is not None:
        return  # erased before their application reached us: keep nothing
    district = reference.postcode_district(event.postcode_district)
    if district is None:
        from rtw_platform.consumer_failures import PermanentFailure

        raise PermanentFailure(f"unknown postcode district {event.postcode_district!r}")
    profile = await uow.session.get(CandidateProfile, event.application_id)
    if profile is None:
        profile = CandidateProfile(
            application_id=event.application_id,
            candidate_id=event.candidate_id,
            programme=event.programme.value,
            cohort_id=event.cohort_id,
            postcode_district=district.code,
            latitude=district.latitude,
            longitude=district.longitude,
            region=district.region.value,
            years_experience=event.years_experience,
            max_travel_km=event.work_preferences.max_travel_km,
            updated_at=datetime.now(UTC),
        )
    profile.specialisms = [s.value for s in event.specialisms]
    # Levels already raised by training stay raised if the application arrives again.
    claimed = {c.skill: int(c.level) for c in event.skills}
    existing = profile.skills or {}
    profile.skills = {k: max(claimed.get(k, 0), existing.get(k, 0)) for k in claimed.keys() | existing.keys()}
    # Preferences the candidate changed since stay changed if the application arrives again.
    _keep_preferences(profile, event.work_preferences, event.sequence or 0)
    profile.updated_at = datetime.now(UTC)
    if await uow.session.get(Departure, event.application_id) is not None:
        profile.withdrawn = True  # withdrew before the application reached us
    record = await uow.session.get(AssessmentOutcomeRecord, event.application_id)
    if record is not None:
        _hold_outcome(profile, record.outcome, record.sequence)
    uow.session.add(profile)
    await uow.session.flush()
    if profile.in_pool:
        await match_candidate(uow, profile, cause=event, caches=caches)


def _keep_preferences(profile: CandidateProfile, preferences: WorkPreferences, sequence: int) -> None:
    """Hold these preferences unless later ones are held already."""
    if sequence < profile.preferences_sequence:
        return
    profile.flexible_working = [f.value for f in preferences.flexible_working]
    profile.max_travel_km = preferences.max_travel_km
    profile.visible_regions = [r.value for r in preferences.visible_to_regions]
    profile.visible_councils = list(preferences.visible_to_councils)
    profile.earliest_start = preferences.earliest_start
    profile.preferences_sequence = sequence


class ApplicationNotHeardYet(Exception):
    """A change to an application matching has not heard of: retried (by redelivery) until the
    application arrives, and dead-lettered with this reason if it never does."""


async def record_preferences(
    event: CandidatePreferencesChanged, uow: UnitOfWork, *, caches: MatchingCaches
) -> None:
    """The candidate changed their availability, travel or who may see them: the pool entry
    follows; councils they no longer allow cannot find them, and open matches with those councils
    end (they can no longer reach out); the candidate is matched again on the new terms."""
    await one_at_a_time(uow, event.application_id)
    if await uow.session.get(Departure, event.candidate_id) is not None:
        return  # erased: nothing about them is kept
    if await uow.session.get(Departure, event.application_id) is not None:
        return  # withdrawn: no longer in the pool
    profile = await uow.session.get(CandidateProfile, event.application_id)
    if profile is None:
        raise ApplicationNotHeardYet(f"application {event.application_id} has not reached matching yet")
    if (event.sequence or 0) < profile.preferences_sequence:
        return  # older than the preferences held
    _keep_preferences(profile, event.work_preferences, event.sequence or 0)
    profile.updated_at = datetime.now(UTC)
    uow.session.add(profile)
    await uow.session.flush()
    await _end_matches_with_councils_not_allowed(uow, profile)
    if profile.in_pool:
        await match_candidate(uow, profile, cause=event, caches=caches)


async def _end_matches_with_councils_not_allowed(uow: UnitOfWork, profile: CandidateProfile) -> None:
    matches = await store.matches_with_councils_of(uow, profile.application_id)
    regions, councils = set(profile.visible_regions), set(profile.visible_councils)
    _end(uow, (m for m, c in matches if c.region not in regions and c.gss_code not in councils))


async def record_assessment(event: AssessmentScored, uow: UnitOfWork, *, caches: MatchingCaches) -> None:
    """Keep the latest outcome (even before the application arrives); selected candidates (and
    those promoted from the waiting list) join the pool and are matched; others leave it."""
    profile = await _record_outcome(
        uow, event.application_id, event.candidate_id, event.outcome.value, event.sequence or 0
    )
    if profile is not None and profile.in_pool:
        await match_candidate(uow, profile, cause=event, caches=caches)


#: The outcome kept while a reopened selection is being decided again (never in the pool).
REOPENED = "reopened"


async def record_selection_reopened(event: SelectionReopened, uow: UnitOfWork) -> None:
    """The selection that put the candidate in the pool is reopened: they leave it (councils no
    longer find or are proposed them) until a new selection selects them again."""
    await _record_outcome(uow, event.application_id, event.candidate_id, REOPENED, event.sequence or 0)


async def _record_outcome(
    uow: UnitOfWork, application_id: UUID, candidate_id: UUID, outcome: str, sequence: int
) -> CandidateProfile | None:
    """Keep the outcome unless a later one is kept already; the profile, when it has just joined
    the pool (to be matched), else None."""
    await one_at_a_time(uow, application_id)
    if await uow.session.get(Departure, candidate_id) is not None:
        return None  # erased: nothing about them is kept, even an outcome arriving late
    await store.keep_outcome_record(uow, application_id, candidate_id, outcome, sequence)
    profile = await uow.session.get(CandidateProfile, application_id)
    if profile is None:
        return None
    was_in_pool = profile.in_pool
    if not _hold_outcome(profile, outcome, sequence):
        return None
    profile.updated_at = datetime.now(UTC)
    uow.session.add(profile)
    await uow.session.flush()
    return profile if profile.in_pool and not was_in_pool else None


def _hold_outcome(profile: CandidateProfile, outcome: str, sequence: int) -> bool:
    """Hold the outcome on the profile unless a later one is held (the rule:
    `domain.later_outcome`); whether it was held."""
    held = domain.later_outcome(profile.assessment_sequence, outcome, sequence, withdrawn=profile.withdrawn)
    if held is None:
        return False
    profile.assessment_outcome, profile.assessment_sequence, profile.in_pool = held
    return True


async def record_enrolment(event: TrainingEnrolled, uow: UnitOfWork, *, caches: MatchingCaches) -> None:
    """In training: counts towards the score."""
    await one_at_a_time(uow, event.application_id)
    profile = await _profile_for_training(uow, event)
    if profile is None or profile.training_status == "completed":
        return
    profile.training_status = "enrolled"
    profile.modules_total = sum(1 for m in event.modules if m.required)
    uow.session.add(profile)
    await uow.session.flush()
    if profile.in_pool:
        await match_candidate(uow, profile, cause=event, caches=caches)


async def record_module(event: TrainingModuleCompleted, uow: UnitOfWork, *, caches: MatchingCaches) -> None:
    """A module completed: the skills it builds raise the candidate's levels, so scores rise."""
    await one_at_a_time(uow, event.application_id)
    profile = await _profile_for_training(uow, event)
    if profile is None:
        return
    _raise_skills(profile, event.skills)
    if profile.training_status != "completed":
        profile.training_status = "enrolled"
        profile.modules_completed += 1
    uow.session.add(profile)
    await uow.session.flush()
    if profile.in_pool:
        await match_candidate(uow, profile, cause=event, caches=caches)


async def record_training_completed(
    event: TrainingCompleted, uow: UnitOfWork, *, caches: MatchingCaches
) -> None:
    """Training completed."""
    await one_at_a_time(uow, event.application_id)
    profile = await _profile_for_training(uow, event)
    if profile is None:
        return
    _raise_skills(profile, event.skills_gained)
    profile.training_status = "completed"
    profile.modules_completed = max(profile.modules_completed, profile.modules_total)
    uow.session.add(profile)
    await uow.session.flush()
    if profile.in_pool:
        await match_candidate(uow, profile, cause=event, caches=caches)


async def _profile_for_training(
    uow: UnitOfWork, event: TrainingEnrolled | TrainingModuleCompleted | TrainingCompleted
) -> CandidateProfile | None:
    """The profile a training event is about. One that arrives before the application (another
    queue) waits for it: retried, not dropped; none is kept for an erased candidate."""
    profile = await uow.session.get(CandidateProfile, event.application_id)
    if profile is None and await uow.session.get(Departure, event.candidate_id) is None:
        raise NotYetKnown(f"training of application {event.application_id}, not in the pool yet; retrying")
    return profile


def _raise_skills(profile: CandidateProfile, claims: Iterable[SkillClaim]) -> None:
    """Training raises skill levels; it never lowers one."""
    skills = dict(profile.skills)
    for claim in claims:
        skills[claim.skill] = max(skills.get(claim.skill, 0), int(claim.level))
    profile.skills = skills


async def record_withdrawal(event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
    """A withdrawn candidate leaves the pool; open matches end."""
    await one_at_a_time(uow, event.application_id)
    await remember_departure(uow, event.application_id, "withdrawn")
    profile = await uow.session.get(CandidateProfile, event.application_id)
    if profile is None:
        return
    profile.withdrawn = True
    profile.in_pool = False
    uow.session.add(profile)
    await _end_matches(uow, [event.application_id])


async def remember_departure(uow: UnitOfWork, subject: UUID, kind: str) -> None:
    """Remember that an application was withdrawn or a candidate erased (the id only), so that
    events about them that arrive later bring nothing back."""
    await store.remember_departure(uow, subject, kind)


async def _end_matches(uow: UnitOfWork, application_ids: list[UUID]) -> None:
    if not application_ids:
        return
    matches = await store.matches_of_applications(uow, application_ids)
    _end(uow, matches)


def _end(uow: UnitOfWork, matches: Iterable[CandidateMatch]) -> None:
    """End the matches still open (as withdrawn: no council can reach out on them)."""
    for match in matches:
        if domain.ends_on_leaving(match.status):
            match.status = "withdrawn"
            match.updated_at = datetime.now(UTC)
            uow.session.add(match)


class TalentPool:
    """The pool's event handlers (`handlers.subscriptions`), with the matching caches of the
    process (built in `app.py`); each has the name of the function it calls, which is its inbox
    key."""

    def __init__(self, caches: MatchingCaches) -> None:
        self.caches = caches

    async def add_candidate(self, event: ApplicationSubmittedV2, uow: UnitOfWork) -> None:
        await add_candidate(event, uow, caches=self.caches)

    async def add_candidate_v1(self, event: ApplicationSubmitted, uow: UnitOfWork) -> None:
        await add_candidate_v1(event, uow, caches=self.caches)

    async def record_preferences(self, event: CandidatePreferencesChanged, uow: UnitOfWork) -> None:
        await record_preferences(event, uow, caches=self.caches)

    async def record_assessment(self, event: AssessmentScored, uow: UnitOfWork) -> None:
        await record_assessment(event, uow, caches=self.caches)

    async def record_enrolment(self, event: TrainingEnrolled, uow: UnitOfWork) -> None:
        await record_enrolment(event, uow, caches=self.caches)

    async def record_module(self, event: TrainingModuleCompleted, uow: UnitOfWork) -> None:
        await record_module(event, uow, caches=self.caches)

    async def record_training_completed(self, event: TrainingCompleted, uow: UnitOfWork) -> None:
        await record_training_completed(event, uow, caches=self.caches)
