"""Every event, one module per owning service."""

from __future__ import annotations

from rtw_contracts.envelope import Event
from rtw_contracts.events.applications import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    CandidateErased,
    CandidateSignInRequested,
    SecondStageSubmitted,
)
from rtw_contracts.events.assessment import AssessmentScored
from rtw_contracts.events.matching import (
    CandidateHired,
    CouncilClaimRejected,
    CouncilRegistered,
    MatchProposed,
    MatchResponded,
    ReachOutSent,
    RecruiterInvited,
    SkillGapIdentified,
    VacancyPosted,
)
from rtw_contracts.events.sessions import SessionEnded
from rtw_contracts.events.training import (
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
)

__all__ = [
    "ALL_EVENTS",
    "ApplicationSubmitted",
    "ApplicationWithdrawn",
    "AssessmentScored",
    "CandidateErased",
    "CandidateHired",
    "CandidateSignInRequested",
    "CouncilClaimRejected",
    "CouncilRegistered",
    "MatchProposed",
    "MatchResponded",
    "ReachOutSent",
    "RecruiterInvited",
    "SecondStageSubmitted",
    "SessionEnded",
    "SkillGapIdentified",
    "TrainingCompleted",
    "TrainingEnrolled",
    "TrainingModuleCompleted",
    "VacancyPosted",
]

ALL_EVENTS: tuple[type[Event], ...] = (
    ApplicationSubmitted,
    SecondStageSubmitted,
    ApplicationWithdrawn,
    CandidateErased,
    CandidateSignInRequested,
    AssessmentScored,
    TrainingEnrolled,
    TrainingModuleCompleted,
    TrainingCompleted,
    CouncilRegistered,
    CouncilClaimRejected,
    RecruiterInvited,
    VacancyPosted,
    MatchProposed,
    ReachOutSent,
    MatchResponded,
    CandidateHired,
    SkillGapIdentified,
    SessionEnded,
)
"""Every current event model, in journey order (also the order of the docs)."""
