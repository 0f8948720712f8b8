"""Events the notifications service consumes: one line each."""

from __future__ import annotations

from rtw_contracts import (
    AppealDecided,
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    AssessmentScored,
    AssessorChanged,
    CandidateErased,
    CandidateHired,
    CandidateSignInRequestedV2,
    CouncilClaimRejected,
    CouncilRegistered,
    InterviewInvited,
    MatchProposed,
    MatchResponded,
    ReachOutSent,
    RecruiterInvitedV2,
    SecondStageSubmitted,
    SelectionReopened,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingProviderChanged,
    VacancyPosted,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED

from . import staff
from .notices import Notices
from .settings import NotificationsSettings

#: Bound to the service's settings when it starts (app.configure_notices).
NOTICES = Notices(NotificationsSettings())

SUBSCRIPTIONS = (
    Subscription(ApplicationContactGiven, NOTICES.contact_given),
    Subscription(ApplicationSubmitted, NOTICES.application_submitted_v1),  # drained until v1 retires
    # The link is made here: the v1 sign-in and invitation events, which carried it, are read by
    # nobody (docs/events.md).
    Subscription(CandidateSignInRequestedV2, NOTICES.sign_in_requested),
    Subscription(AssessmentScored, NOTICES.assessment_scored),
    Subscription(SelectionReopened, NOTICES.selection_reopened),
    Subscription(AppealDecided, NOTICES.appeal_decided),
    Subscription(SecondStageSubmitted, NOTICES.second_stage_submitted),
    Subscription(ApplicationWithdrawn, NOTICES.application_withdrawn),
    Subscription(CandidateErased, NOTICES.candidate_erased),
    Subscription(TrainingEnrolled, NOTICES.training_enrolled),
    Subscription(TrainingCompleted, NOTICES.training_completed),
    Subscription(CouncilRegistered, NOTICES.council_registered),
    Subscription(CouncilClaimRejected, NOTICES.council_claim_rejected),
    Subscription(RecruiterInvitedV2, NOTICES.recruiter_invited),
    Subscription(VacancyPosted, NOTICES.vacancy_posted),
    Subscription(MatchProposed, NOTICES.match_proposed),
    Subscription(ReachOutSent, NOTICES.reach_out_sent),
    Subscription(MatchResponded, NOTICES.match_responded),
    Subscription(InterviewInvited, NOTICES.interview_invited),
    Subscription(CandidateHired, NOTICES.candidate_hired),
    # The staff directory: whether an assessor or a provider's trainers may be sent a link.
    Subscription(AssessorChanged, staff.assessor_changed),
    Subscription(TrainingProviderChanged, staff.provider_changed),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
