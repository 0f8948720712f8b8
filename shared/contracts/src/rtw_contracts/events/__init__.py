"""Every event, one module per owning service."""

from __future__ import annotations

from rtw_contracts.envelope import Event
from rtw_contracts.events.applications import (
    ApplicationContactGiven,
    ApplicationSubmitted,
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    CandidateErased,
    CandidatePreferencesChanged,
    CandidateSignInRequested,
    CandidateSignInRequestedV2,
    SecondStageSubmitted,
)
from rtw_contracts.events.assessment import (
    AppealDecided,
    AppealLodged,
    AssessmentScored,
    AssessorChanged,
    SelectionReopened,
)
from rtw_contracts.events.cohorts import CohortScheduled, CohortSelectionClosed
from rtw_contracts.events.matching import (
    CandidateHired,
    CouncilClaimRejected,
    CouncilRegistered,
    InterviewInvited,
    MatchProposed,
    MatchResponded,
    ReachOutSent,
    RecruiterInvited,
    RecruiterInvitedV2,
    SkillGapIdentified,
    VacancyPosted,
)
from rtw_contracts.events.sessions import SessionEnded
from rtw_contracts.events.training import (
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    TrainingProviderChanged,
)

__all__ = [
    "ALL_EVENTS",
    "AppealDecided",
    "AppealLodged",
    "ApplicationContactGiven",
    "ApplicationSubmitted",
    "ApplicationSubmittedV2",
    "ApplicationWithdrawn",
    "AssessmentScored",
    "AssessorChanged",
    "CandidateErased",
    "CandidateHired",
    "CandidatePreferencesChanged",
    "CandidateSignInRequested",
    "CandidateSignInRequestedV2",
    "CohortScheduled",
    "CohortSelectionClosed",
    "CouncilClaimRejected",
    "CouncilRegistered",
    "InterviewInvited",
    "MatchProposed",
    "MatchResponded",
    "ReachOutSent",
    "RecruiterInvited",
    "RecruiterInvitedV2",
    "SecondStageSubmitted",
    "SelectionReopened",
    "SessionEnded",
    "SkillGapIdentified",
    "TrainingCompleted",
    "TrainingEnrolled",
    "TrainingModuleCompleted",
    "TrainingProviderChanged",
    "VacancyPosted",
]

ALL_EVENTS: tuple[type[Event], ...] = (
    CohortScheduled,
    ApplicationSubmittedV2,
    ApplicationContactGiven,
    SecondStageSubmitted,
    ApplicationWithdrawn,
    CandidatePreferencesChanged,
    CandidateErased,
    CandidateSignInRequestedV2,
    AssessmentScored,
    CohortSelectionClosed,
    SelectionReopened,
    AppealLodged,
    AppealDecided,
    TrainingEnrolled,
    TrainingModuleCompleted,
    TrainingCompleted,
    CouncilRegistered,
    CouncilClaimRejected,
    RecruiterInvitedV2,
    VacancyPosted,
    MatchProposed,
    ReachOutSent,
    MatchResponded,
    InterviewInvited,
    CandidateHired,
    SkillGapIdentified,
    SessionEnded,
    AssessorChanged,
    TrainingProviderChanged,
    # Deprecated versions, until they retire (see each one's RETIRES_ON).
    ApplicationSubmitted,
    CandidateSignInRequested,
    RecruiterInvited,
)
"""Every event model, in journey order (also the order of the docs); deprecated versions last."""
