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

SUBSCRIPTIONS = (
    Subscription(ApplicationSubmittedV2, pool.add_candidate),
    Subscription(ApplicationContactGiven, pool.record_contact),
    Subscription(ApplicationSubmitted, pool.add_candidate_v1),  # drained until v1 retires
    Subscription(AssessmentScored, pool.record_assessment),
    Subscription(SelectionReopened, pool.record_selection_reopened),
    Subscription(TrainingEnrolled, pool.record_enrolment),
    Subscription(TrainingModuleCompleted, pool.record_module),
    Subscription(TrainingCompleted, pool.record_training_completed),
    Subscription(ApplicationWithdrawn, pool.record_withdrawal),
    Subscription(CandidatePreferencesChanged, pool.record_preferences),
    Subscription(CandidateErased, erasure.erase_candidate),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
