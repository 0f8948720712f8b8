"""Events the applications service consumes: one line each (they build the candidate's journey)."""

from __future__ import annotations

from rtw_contracts import (
    AppealDecided,
    AppealLodged,
    AssessmentScored,
    CandidateHired,
    CohortSelectionClosed,
    CouncilRegistered,
    MatchProposed,
    MatchResponded,
    ReachOutSent,
    SelectionReopened,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    VacancyPosted,
)
from rtw_platform.messaging import Subscription
from rtw_platform.sessions import SESSION_ENDED

from . import cohorts, journey

SUBSCRIPTIONS = (
    Subscription(AssessmentScored, journey.record_assessment, "record_assessment"),
    Subscription(SelectionReopened, journey.record_selection_reopened, "record_selection_reopened"),
    Subscription(AppealLodged, journey.record_appeal_lodged, "record_appeal_lodged"),
    Subscription(AppealDecided, journey.record_appeal_decided, "record_appeal_decided"),
    Subscription(TrainingEnrolled, journey.record_enrolment, "record_enrolment"),
    Subscription(TrainingModuleCompleted, journey.record_module, "record_module"),
    Subscription(TrainingCompleted, journey.record_training_completed, "record_training_completed"),
    Subscription(MatchProposed, journey.record_match, "record_match"),
    Subscription(ReachOutSent, journey.record_reach_out, "record_reach_out"),
    Subscription(MatchResponded, journey.record_response, "record_response"),
    Subscription(CandidateHired, journey.record_hire, "record_hire"),
    Subscription(CouncilRegistered, journey.record_council, "record_council"),
    Subscription(VacancyPosted, journey.record_vacancy, "record_vacancy"),
    Subscription(CohortSelectionClosed, cohorts.record_selection_closed, "record_selection_closed"),
    SESSION_ENDED,  # a session signed out of anywhere ends here too
)
