"""The composition root: the handlers keep their inbox keys (their names), and the handlers that
match share the one caches object app.py builds (no module-level state)."""

from __future__ import annotations

from rtw_matching.app import SERVICE
from rtw_matching.caches import MatchingCaches
from rtw_matching.handlers import subscriptions

#: The inbox keys stored for each event: renaming a handler would change them.
INBOX_KEYS = {
    "ApplicationSubmittedV2": "add_candidate",
    "ApplicationContactGiven": "record_contact",
    "ApplicationSubmitted": "add_candidate_v1",
    "AssessmentScored": "record_assessment",
    "SelectionReopened": "record_selection_reopened",
    "TrainingEnrolled": "record_enrolment",
    "TrainingModuleCompleted": "record_module",
    "TrainingCompleted": "record_training_completed",
    "ApplicationWithdrawn": "record_withdrawal",
    "CandidatePreferencesChanged": "record_preferences",
    "CandidateErased": "erase_candidate",
    "SessionEnded": "record_session_ended",
}


def test_each_handler_keeps_its_inbox_key() -> None:
    assert {s.event.__name__: s.name for s in SERVICE.subscriptions} == INBOX_KEYS


def test_the_handlers_that_match_share_the_caches_they_are_given() -> None:
    caches = MatchingCaches()
    owners = {
        id(getattr(s.handler, "__self__", None).caches)  # type: ignore[union-attr]
        for s in subscriptions(caches)
        if hasattr(getattr(s.handler, "__self__", None), "caches")
    }
    assert owners == {id(caches)}
    assert (
        len([s for s in subscriptions(caches) if hasattr(getattr(s.handler, "__self__", None), "caches")])
        == 7
    )
