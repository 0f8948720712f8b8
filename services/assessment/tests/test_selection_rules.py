"""The pure rules of seeing and undoing selection: the ranked list and its outcomes, what refuses
confirming, the flags an admin sees, and until when a confirmed selection can be reopened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from rtw_assessment.domain import (
    REOPEN_REASON_MIN,
    CohortConfig,
    Ranked,
    default_config,
    placements,
    reopen_reason_problem,
    reopen_until,
    reopen_window_refusal,
    selection_flags,
    selection_refusal,
)
from rtw_contracts import AssessmentOutcome, Programme

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
REASON = "Two scorecards were entered against the wrong candidates."


def test_placements_rank_by_score_then_earlier_submission_and_fill_places_then_the_waiting_list() -> None:
    candidates = [
        Ranked("late-tie", 70, T0 + timedelta(minutes=5)),
        Ranked("low", 40, T0),
        Ranked("best", 90, T0 + timedelta(hours=1)),
        Ranked("early-tie", 70, T0),
    ]

    placed = placements(candidates, capacity=2, waitlist_size=1)

    assert [(p.ranked.application_id, p.outcome, p.rank) for p in placed] == [
        ("best", AssessmentOutcome.SELECTED, 1),
        ("early-tie", AssessmentOutcome.SELECTED, 2),
        ("late-tie", AssessmentOutcome.WAITLISTED, 3),
        ("low", AssessmentOutcome.REJECTED, 4),
    ]


def test_placements_with_fewer_candidates_than_places_select_everyone() -> None:
    placed = placements([Ranked("only", 10, T0)], capacity=5, waitlist_size=5)
    assert [(p.outcome, p.rank) for p in placed] == [(AssessmentOutcome.SELECTED, 1)]
    assert placements([], capacity=5, waitlist_size=5) == []


def test_outstanding_scorecards_refuse_unless_forced_and_a_blocker_refuses_even_a_forced_close() -> None:
    assert selection_refusal(awaiting=0, force=False, blockers=[]) is None
    assert selection_refusal(awaiting=2, force=True, blockers=[]) is None
    waiting = selection_refusal(awaiting=2, force=False, blockers=[])
    assert waiting is not None
    assert "2 candidate(s) still await scorecards" in waiting
    blocked = "1 disagreement between assessors is still open."
    assert selection_refusal(awaiting=0, force=True, blockers=[blocked]) == blocked


def test_flags_name_disagreements_conflicts_overrides_appeals_and_why_someone_is_not_ranked() -> None:
    assert (
        selection_flags(
            disagreements=[], conflicts=0, decision_kinds=["automatic"], second_stage_sent=True, scored=True
        )
        == []
    )
    assert selection_flags(
        disagreements=["technical_depth", "communication"],
        conflicts=1,
        decision_kinds=["automatic", "override", "appeal"],
        second_stage_sent=True,
        scored=True,
    ) == [
        "Assessors disagree on 2 criteria",
        "1 conflict of interest declared",
        "An admin overrode an earlier decision",
        "Screened again after an upheld appeal",
    ]
    assert selection_flags(
        disagreements=[], conflicts=0, decision_kinds=[], second_stage_sent=False, scored=False
    ) == ["Not ranked: no second stage was received"]
    assert selection_flags(
        disagreements=["reflection"], conflicts=2, decision_kinds=[], second_stage_sent=True, scored=False
    ) == [
        "Not ranked: the second stage is not fully scored",
        "Assessors disagree on 1 criterion",
        "2 conflicts of interest declared",
    ]


def test_a_selection_can_be_reopened_until_the_configured_hours_have_passed_and_not_at_that_moment() -> None:
    assert reopen_until(T0, 24) == T0 + timedelta(hours=24)
    assert reopen_window_refusal(T0, 24, T0) is None
    assert reopen_window_refusal(T0, 24, T0 + timedelta(hours=23, minutes=59, seconds=59)) is None
    at_the_end = reopen_window_refusal(T0, 24, T0 + timedelta(hours=24))
    assert at_the_end is not None
    assert "could be reopened for 24 hours" in at_the_end
    assert "until 2 December 2026, 15:00 UTC" in at_the_end
    assert "override" in at_the_end
    assert reopen_window_refusal(T0, 2, T0 + timedelta(hours=3)) is not None
    never = reopen_window_refusal(T0, 0, T0)
    assert never is not None
    assert "allows no reopening" in never


def test_reopening_needs_a_reason_of_some_substance() -> None:
    assert reopen_reason_problem(REASON) is None
    short = reopen_reason_problem("oops")
    assert short is not None
    assert f"at least {REOPEN_REASON_MIN} characters" in short
    assert reopen_reason_problem(" " * 40) is not None
    assert reopen_reason_problem("x" * 2001) is not None


def test_the_reopening_window_is_part_of_the_configuration_and_bounded() -> None:
    config = default_config(Programme.ICT)
    assert config.reopen_hours == 24
    stored = config.model_dump(mode="json")
    del stored["reopen_hours"]  # a version saved before the field existed
    assert CohortConfig.model_validate(stored).reopen_hours == 24
    with pytest.raises(ValidationError):
        CohortConfig.model_validate({**stored, "reopen_hours": 169})
    with pytest.raises(ValidationError):
        CohortConfig.model_validate({**stored, "reopen_hours": -1})
