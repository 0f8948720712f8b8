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
    Subscription(ApplicationSubmittedV2, enrolment.remember_applicant),
    Subscription(ApplicationContactGiven, enrolment.remember_name),
    Subscription(ApplicationSubmitted, enrolment.remember_applicant_v1),  # drained until v1 retires
    Subscription(AssessmentScored, enrolment.record_assessment),
    Subscription(SelectionReopened, enrolment.record_selection_reopened),
    Subscription(ApplicationWithdrawn, enrolment.record_withdrawal),
    Subscription(CandidateErased, erasure.erase_candidate),
    Subscription(SkillGapIdentified, recommendations.recommend_for_gap),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
