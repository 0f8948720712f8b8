"""The composition root: the handlers keep their inbox keys (their names), and the handlers that
match share the one caches object app.py builds (no module-level state)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import ValidationError
from rtw_matching.app import SERVICE
from rtw_matching.caches import MatchingCaches
from rtw_matching.handlers import subscriptions
from rtw_matching.settings import matching_settings
from rtw_platform.messaging import Subscription

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


def test_each_process_binds_caches_of_its_own_sized_by_its_settings() -> None:
    settings = SERVICE.settings(cache_vacancies=7, cache_weight_sets=2)

    def caches_of(bound: Sequence[Subscription]) -> set[int]:
        return {id(s.handler.__self__.caches) for s in bound if hasattr(s.handler, "__self__")}

    first, second = SERVICE.subscriptions_for(settings), SERVICE.subscriptions_for(settings)
    [one], [other] = caches_of(first), caches_of(second)
    assert one != other  # nothing shared between processes (or test runs) through the module
    caches = next(s.handler.__self__.caches for s in first if hasattr(s.handler, "__self__"))
    assert (caches.limits.vacancies, caches.limits.weight_sets) == (7, 2)
    assert caches.targets.size == 7


def test_cache_sizes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTW_CACHE_COMPILED_VACANCIES", "1234")
    assert matching_settings(SERVICE.settings()).cache_limits().compiled_vacancies == 1234
    monkeypatch.setenv("RTW_CACHE_VACANCIES", "0")
    with pytest.raises(ValidationError, match="cache_vacancies"):
        SERVICE.settings()
