"""Events the training service consumes: one line each."""

from __future__ import annotations

from rtw_contracts import (
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    SelectionReopened,
    SkillGapIdentified,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED

from . import enrolment, erasure, recommendations

SUBSCRIPTIONS = (
    Subscription(ApplicationSubmittedV2, enrolment.remember_applicant, "remember_applicant"),
    Subscription(ApplicationContactGiven, enrolment.remember_name, "remember_name"),
    # Drained until v1 retires.
    Subscription(ApplicationSubmitted, enrolment.remember_applicant_v1, "remember_applicant_v1"),
    Subscription(AssessmentScored, enrolment.record_assessment, "record_assessment"),
    Subscription(SelectionReopened, enrolment.record_selection_reopened, "record_selection_reopened"),
    Subscription(ApplicationWithdrawn, enrolment.record_withdrawal, "record_withdrawal"),
    Subscription(CandidateErased, erasure.erase_candidate, "erase_candidate"),
    Subscription(SkillGapIdentified, recommendations.recommend_for_gap, "recommend_for_gap"),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
