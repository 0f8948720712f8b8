"""A fair route for everyone, as pure rules: Disability Confident's guaranteed second stage (an
eligible candidate who opted in is shortlisted whatever their rank, taking nobody's place; an
ineligible one is not) and the words assessors read for adjusted evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rtw_assessment.domain import Ranked, adjusted_evidence, default_config, screen, shortlist
from rtw_contracts import AssessmentOutcome, Programme

from .test_assessment_rules import TODAY, facts

pytestmark = pytest.mark.unit

T0 = datetime(2020, 10, 1, tzinfo=UTC)


def ranked(name: str, score: float, minutes: int = 0) -> Ranked:
    return Ranked(name, score, T0 + timedelta(minutes=minutes))


def test_the_best_n_are_shortlisted_and_an_opted_in_candidate_besides_them() -> None:
    people = [ranked("a", 90), ranked("b", 80), ranked("c", 70), ranked("d", 20)]

    chosen, others = shortlist(people, 2, frozenset({"d"}))

    assert [c.application_id for c in chosen] == ["a", "b", "d"]
    assert [c.application_id for c in others] == ["c"]


def test_an_opted_in_candidate_already_in_the_best_n_takes_no_second_place() -> None:
    people = [ranked("a", 90), ranked("b", 80), ranked("c", 70)]

    chosen, others = shortlist(people, 2, frozenset({"a"}))

    assert [c.application_id for c in chosen] == ["a", "b"]
    assert [c.application_id for c in others] == ["c"]


def test_without_anyone_opted_in_the_shortlist_is_the_best_n() -> None:
    chosen, others = shortlist([ranked("a", 90), ranked("b", 80)], 1)

    assert ([c.application_id for c in chosen], [c.application_id for c in others]) == (["a"], ["b"])


def test_with_a_threshold_an_opted_in_eligible_candidate_below_it_is_shortlisted() -> None:
    config = default_config(Programme.ICT).model_copy(update={"shortlist_threshold": 99.0})
    low = facts(years_experience=2.0)

    assert screen(low, config, TODAY).outcome is AssessmentOutcome.NOT_SHORTLISTED
    assert (
        screen(facts(years_experience=2.0, guaranteed_second_stage=True), config, TODAY).outcome
        is AssessmentOutcome.SHORTLISTED
    )


def test_an_opted_in_candidate_who_misses_the_minimum_criteria_is_not_eligible() -> None:
    config = default_config(Programme.ICT)

    result = screen(facts(right_to_work=False, guaranteed_second_stage=True), config, TODAY)

    assert result.outcome is AssessmentOutcome.INELIGIBLE


def test_assessors_read_each_agreed_adjustment_in_words_and_an_unknown_one_as_sent() -> None:
    assert adjusted_evidence(["written_alternative_to_video", "more_time", "sign_language"]) == [
        "Written answers instead of the video",
        "More time",
        "sign_language",
    ]
    assert adjusted_evidence([]) == []
