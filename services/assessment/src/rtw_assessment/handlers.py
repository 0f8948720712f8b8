"""Events the assessment service consumes: one line each."""

from __future__ import annotations

from rtw_contracts import (
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    CandidateErased,
    CandidateHired,
    CohortScheduled,
    SecondStageSubmitted,
    TrainingCompleted,
    TrainingEnrolled,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED

from . import erasure, lifecycle, screening, second_stage, selection

SUBSCRIPTIONS = (
    Subscription(ApplicationSubmittedV2, screening.screen_application, "screen_application"),
    Subscription(SecondStageSubmitted, second_stage.record_second_stage, "record_second_stage"),
    Subscription(ApplicationWithdrawn, selection.record_withdrawal, "record_withdrawal"),
    Subscription(CandidateErased, erasure.erase_candidate, "erase_candidate"),
    Subscription(CohortScheduled, lifecycle.record_schedule, "record_schedule"),
    Subscription(TrainingEnrolled, lifecycle.record_enrolment, "record_enrolment"),
    Subscription(TrainingCompleted, lifecycle.record_training_completed, "record_training_completed"),
    Subscription(CandidateHired, lifecycle.record_hire, "record_hire"),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
