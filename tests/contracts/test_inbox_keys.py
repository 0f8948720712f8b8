"""Every subscription's inbox key, as deployed. The inbox remembers each handled event under
`(event_id, key)`: a key that changes makes a service forget what it handled, so a redelivered or
replayed event would be handled twice. A key is declared with its subscription (never derived from
the handler's name) and, once deployed, never changes. This list changes only when a subscription
is added or retired: then add or remove its line here."""

from __future__ import annotations

import pytest
from rtw_platform.registry import installed_services

pytestmark = pytest.mark.contracts

DEPLOYED = {
    "applications": {
        "AppealDecided": "record_appeal_decided",
        "AppealLodged": "record_appeal_lodged",
        "AssessmentScored": "record_assessment",
        "CandidateHired": "record_hire",
        "CohortSelectionClosed": "record_selection_closed",
        "CouncilRegistered": "record_council",
        "MatchProposed": "record_match",
        "MatchResponded": "record_response",
        "ReachOutSent": "record_reach_out",
        "SelectionReopened": "record_selection_reopened",
        "SessionEnded": "record_session_ended",
        "TrainingCompleted": "record_training_completed",
        "TrainingEnrolled": "record_enrolment",
        "TrainingModuleCompleted": "record_module",
        "VacancyPosted": "record_vacancy",
    },
    "assessment": {
        "ApplicationSubmittedV2": "screen_application",
        "ApplicationWithdrawn": "record_withdrawal",
        "CandidateErased": "erase_candidate",
        "CandidateHired": "record_hire",
        "CohortScheduled": "record_schedule",
        "SecondStageSubmitted": "record_second_stage",
        "SessionEnded": "record_session_ended",
        "TrainingCompleted": "record_training_completed",
        "TrainingEnrolled": "record_enrolment",
    },
    "matching": {
        "ApplicationContactGiven": "record_contact",
        "ApplicationSubmitted": "add_candidate_v1",
        "ApplicationSubmittedV2": "add_candidate",
        "ApplicationWithdrawn": "record_withdrawal",
        "AssessmentScored": "record_assessment",
        "CandidateErased": "erase_candidate",
        "CandidatePreferencesChanged": "record_preferences",
        "SelectionReopened": "record_selection_reopened",
        "SessionEnded": "record_session_ended",
        "TrainingCompleted": "record_training_completed",
        "TrainingEnrolled": "record_enrolment",
        "TrainingModuleCompleted": "record_module",
    },
    "notifications": {
        "AdjustmentDecided": "adjustment_decided",
        "AppealDecided": "appeal_decided",
        "ApplicationContactGiven": "contact_given",
        "ApplicationSubmitted": "application_submitted_v1",
        "ApplicationWithdrawn": "application_withdrawn",
        "AssessmentScored": "assessment_scored",
        "AssessorChanged": "assessor_changed",
        "CandidateErased": "candidate_erased",
        "CandidateHired": "candidate_hired",
        "CandidateSignInRequestedV2": "sign_in_requested",
        "CouncilClaimRejected": "council_claim_rejected",
        "CouncilRegistered": "council_registered",
        "InterviewInvited": "interview_invited",
        "InterviewSlotsProposed": "interview_slots_proposed",
        "MatchProposed": "match_proposed",
        "MatchResponded": "match_responded",
        "OfferAnswered": "offer_answered",
        "OfferMade": "offer_made",
        "ReachOutSent": "reach_out_sent",
        "RecruiterInvitedV2": "recruiter_invited",
        "SecondStageSubmitted": "second_stage_submitted",
        "SelectionReopened": "selection_reopened",
        "SessionEnded": "record_session_ended",
        "TrainingCompleted": "training_completed",
        "TrainingEnrolled": "training_enrolled",
        "TrainingProviderChanged": "provider_changed",
        "VacancyPosted": "vacancy_posted",
    },
    "training": {
        "ApplicationContactGiven": "remember_name",
        "ApplicationSubmitted": "remember_applicant_v1",
        "ApplicationSubmittedV2": "remember_applicant",
        "ApplicationWithdrawn": "record_withdrawal",
        "AssessmentScored": "record_assessment",
        "CandidateErased": "erase_candidate",
        "SelectionReopened": "record_selection_reopened",
        "SessionEnded": "record_session_ended",
        "SkillGapIdentified": "recommend_for_gap",
    },
}


def test_every_inbox_key_is_the_deployed_one() -> None:
    declared = {
        name: {s.event.__name__: s.key for s in definition.subscriptions}
        for name, definition in installed_services().items()
    }
    for service, keys in DEPLOYED.items():
        for event, key in keys.items():
            now = declared.get(service, {}).get(event)
            assert now in (key, None), (
                f"{service} handles {event} under inbox key {now!r}, deployed as {key!r}"
            )
    assert declared == DEPLOYED, "a subscription was added or retired: list its inbox key here"


def test_no_service_uses_one_inbox_key_twice() -> None:
    for name, definition in installed_services().items():
        keys = [s.key for s in definition.subscriptions]
        assert len(keys) == len(set(keys)), f"{name} declares an inbox key twice: {sorted(keys)}"
