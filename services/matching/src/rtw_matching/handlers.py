"""Events the matching service consumes: one line each (they build the talent pool)."""

from __future__ import annotations

from rtw_contracts import (
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    CandidatePreferencesChanged,
    SelectionReopened,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED

from . import erasure, pool
from .caches import MatchingCaches


def subscriptions(caches: MatchingCaches) -> tuple[Subscription, ...]:
    """What the service consumes, matching changed candidates with these caches."""
    talent = pool.TalentPool(caches)
    return (
        Subscription(ApplicationSubmittedV2, talent.add_candidate, "add_candidate"),
        Subscription(ApplicationContactGiven, pool.record_contact, "record_contact"),
        # Drained until v1 retires.
        Subscription(ApplicationSubmitted, talent.add_candidate_v1, "add_candidate_v1"),
        Subscription(AssessmentScored, talent.record_assessment, "record_assessment"),
        Subscription(SelectionReopened, pool.record_selection_reopened, "record_selection_reopened"),
        Subscription(TrainingEnrolled, talent.record_enrolment, "record_enrolment"),
        Subscription(TrainingModuleCompleted, talent.record_module, "record_module"),
        Subscription(TrainingCompleted, talent.record_training_completed, "record_training_completed"),
        Subscription(ApplicationWithdrawn, pool.record_withdrawal, "record_withdrawal"),
        Subscription(CandidatePreferencesChanged, talent.record_preferences, "record_preferences"),
        Subscription(CandidateErased, erasure.erase_candidate, "erase_candidate"),
        SESSION_ENDED,  # a session signed out of anywhere ends here too
    )
