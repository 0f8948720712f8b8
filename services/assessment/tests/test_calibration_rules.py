"""Calibration's pure rules: when assessors disagree, how a third scorecard or a moderation settles
it, until when scorecards change, and what blocks selection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from rtw_assessment.domain import (
    GENERIC_ANCHORS,
    CalibrationStatus,
    Card,
    Criterion,
    Rubric,
    closest_cards,
    default_config,
    disagreement,
    disagreements_refusal,
    moderated_score,
    moderation_problems,
    scorecard_change_refusal,
    scorecard_points,
    second_stage_outcome,
)
from rtw_contracts import Programme, Recommendation
from rtw_contracts.questions import in_question_order

pytestmark = pytest.mark.unit

RUBRIC = default_config(Programme.ICT).rubric
IDS = [c.id for c in RUBRIC.criteria]
R = Recommendation


def card(value: int, recommendation: Recommendation = R.YES, who: str = "a", **scores: int) -> Card:
    return Card(who, {**dict.fromkeys(IDS, value), **scores}, recommendation)


@pytest.mark.parametrize(
    ("low", "high", "spread", "disagree"),
    [
        (R.STRONG_NO, R.STRONG_YES, 3, True),
        (R.NO, R.STRONG_YES, 3, False),
        (R.NO, R.STRONG_YES, 2, True),
        (R.NO, R.YES, 2, False),
        (R.NO, R.YES, 1, True),
        (R.YES, R.YES, 1, False),
    ],
)
def test_recommendations_disagree_at_the_configured_number_of_steps(
    low: Recommendation, high: Recommendation, spread: int, disagree: bool
) -> None:
    rubric = RUBRIC.model_copy(update={"recommendation_spread": spread, "score_gap": 100})
    reasons = disagreement(rubric, [card(3, low, "a"), card(3, high, "b")])
    assert bool(reasons) is disagree
    if disagree:
        assert "Recommendations differ" in reasons[0]


def test_scorecards_disagree_only_when_more_than_the_gap_apart() -> None:
    # one criterion of weight 3 (of 12) from 4 to 1: 25 points apart
    apart = [card(4, who="a"), card(4, who="b", technical_depth=1)]
    assert scorecard_points(RUBRIC, apart[0].scores) - scorecard_points(RUBRIC, apart[1].scores) == 25
    assert disagreement(RUBRIC.model_copy(update={"score_gap": 25}), apart) == []
    reasons = disagreement(RUBRIC.model_copy(update={"score_gap": 24.9}), apart)
    assert reasons == ["Scorecards are 25 points apart out of 100 (the cohort flags more than 24.9)."]


def test_one_scorecard_never_disagrees() -> None:
    assert disagreement(RUBRIC, [card(1, R.STRONG_NO)]) == []


def test_agreeing_assessors_are_scored_by_the_mean_with_nothing_to_calibrate() -> None:
    outcome = second_stage_outcome(RUBRIC, [card(3), card(3, R.STRONG_YES, technical_depth=4)])
    assert outcome.status is None
    assert outcome.score == pytest.approx((200 / 3 + 200 / 3 + 25 / 3) / 2, abs=0.01)


def test_a_disagreement_is_open_until_a_third_scorecard_settles_it_by_the_closest_two() -> None:
    strong_yes, strong_no = card(4, R.STRONG_YES, "a"), card(1, R.STRONG_NO, "b")
    opened = second_stage_outcome(RUBRIC, [strong_yes, strong_no])
    assert opened.status is CalibrationStatus.OPEN
    assert opened.status.blocks_selection
    assert len(opened.reasons) == 2  # strong no against strong yes, and 100 points apart
    waiting = second_stage_outcome(RUBRIC, [strong_yes, strong_no], CalibrationStatus.THIRD_ASKED)
    assert waiting.status is CalibrationStatus.THIRD_ASKED
    assert waiting.status.blocks_selection
    third = card(3, R.YES, "c")
    settled = second_stage_outcome(RUBRIC, [strong_yes, strong_no, third], CalibrationStatus.THIRD_ASKED)
    assert settled.status is CalibrationStatus.SETTLED_BY_THIRD
    assert not settled.status.blocks_selection
    assert settled.score == pytest.approx((100 + 200 / 3) / 2, abs=0.01)  # the 4s and the 3s
    assert closest_cards(RUBRIC, [strong_yes, strong_no, third]) == [third, strong_yes]


def test_a_correction_that_makes_assessors_agree_closes_the_disagreement() -> None:
    corrected = second_stage_outcome(
        RUBRIC, [card(4, R.YES), card(4, R.YES, learning_plan=2)], CalibrationStatus.OPEN
    )
    assert corrected.status is CalibrationStatus.AGREED
    assert not corrected.status.blocks_selection


def test_moderation_needs_every_criterion_and_a_reason() -> None:
    scores = dict.fromkeys(IDS, 3)
    assert moderation_problems(RUBRIC, scores, "The video shows clear, current skills.") == []
    assert [f for f, _ in moderation_problems(RUBRIC, scores, "")] == ["reason"]
    assert [f for f, _ in moderation_problems(RUBRIC, scores, "too short")] == ["reason"]
    missing = {k: v for k, v in scores.items() if k != "learning_plan"}
    assert [f for f, _ in moderation_problems(RUBRIC, missing, "A good enough reason.")] == [
        "scores.learning_plan"
    ]
    assert moderated_score(RUBRIC, scores) == pytest.approx(200 / 3, abs=0.01)


def test_scorecards_change_until_selection_closes() -> None:
    assert scorecard_change_refusal("ict-1", None) is None
    refusal = scorecard_change_refusal("ict-1", datetime(2027, 3, 5, 10, 0, tzinfo=UTC))
    assert refusal is not None
    assert "closed on 5 March 2027" in refusal


def test_open_disagreements_block_selection_naming_how_many() -> None:
    assert disagreements_refusal(0) is None
    assert (disagreements_refusal(1) or "").startswith("1 disagreement between assessors is still open")
    assert (disagreements_refusal(3) or "").startswith("3 disagreements between assessors are still open")


def test_each_programme_has_four_anchors_for_every_criterion_of_its_own() -> None:
    for programme in Programme:
        for criterion in default_config(programme).rubric.criteria:
            assert len(criterion.anchors) == 4
            assert criterion.anchors != GENERIC_ANCHORS
    ict = default_config(Programme.ICT).rubric.criteria[0]
    planning = default_config(Programme.PLANNING).rubric.criteria[0]
    assert ict.anchor(3) != planning.anchor(3)


def test_a_criterion_without_anchors_uses_the_generic_scale_and_anchors_come_in_fours() -> None:
    plain = Criterion(id="judgement", title="Judgement", weight=1)
    assert plain.anchor(1) == GENERIC_ANCHORS[0]
    with pytest.raises(ValidationError, match="four anchors"):
        Criterion(id="judgement", title="Judgement", weight=1, anchors=("weak", "strong"))
    stored = RUBRIC.model_dump(mode="json")
    for criterion in stored["criteria"]:
        criterion.pop("anchors")
    stored.pop("recommendation_spread")
    stored.pop("score_gap")
    old = Rubric.model_validate(stored)  # a configuration saved before anchors still reads
    assert (old.recommendation_spread, old.score_gap) == (2, 25)


def test_answers_are_shown_under_their_questions_in_the_forms_order() -> None:
    shown = in_question_order({"ict-council": "C", "ict-problem": "P", "unknown-q": "U", "ict-change": "X"})
    assert [(qid, answer) for qid, _, answer in shown] == [
        ("ict-problem", "P"),
        ("ict-change", "X"),
        ("ict-council", "C"),
        ("unknown-q", "U"),
    ]
    assert shown[1][1].startswith("How has technology in your field changed")
    assert shown[3][1] == "Question unknown-q"
