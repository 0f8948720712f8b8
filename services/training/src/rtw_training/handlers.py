"""Events the training service consumes: one line each."""

from __future__ import annotations

from rtw_contracts import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    SkillGapIdentified,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED

from . import enrolment, erasure, recommendations

SUBSCRIPTIONS = (
    Subscription(ApplicationSubmitted, enrolment.remember_applicant),
    Subscription(AssessmentScored, enrolment.record_assessment),
    Subscription(ApplicationWithdrawn, enrolment.record_withdrawal),
    Subscription(CandidateErased, erasure.erase_candidate),
    Subscription(SkillGapIdentified, recommendations.recommend_for_gap),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
