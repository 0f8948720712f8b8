"""A cohort's state derived from its facts (pure rules): the earliest stage not yet finished, who
is waiting on whom, and what comes next."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from rtw_assessment.domain import CohortProgress, CohortState, Lifecycle, cohort_lifecycle

pytestmark = pytest.mark.unit

TODAY = date(2027, 3, 15)
WINDOW: dict[str, Any] = {"opens_on": date(2027, 3, 1), "closes_on": date(2027, 3, 31)}
AFTER = {"opens_on": date(2027, 2, 1), "closes_on": date(2027, 2, 28)}


def life(**facts: object) -> Lifecycle:
    return cohort_lifecycle(CohortProgress(**{**AFTER, **facts}), TODAY)  # type: ignore[arg-type]


def test_a_cohort_before_its_window_is_a_draft_that_says_when_it_opens() -> None:
    draft = cohort_lifecycle(
        CohortProgress(opens_on=TODAY + timedelta(days=1), closes_on=date(2027, 4, 30)), TODAY
    )
    assert draft.state is CohortState.DRAFT
    assert "Applications open on 16 March 2027" in draft.next_step
    assert "Set the configuration" in draft.next_step


@pytest.mark.parametrize("today", [date(2027, 3, 1), TODAY, date(2027, 3, 31)])
def test_a_cohort_is_open_on_every_day_of_its_window_both_ends_included(today: date) -> None:
    assert cohort_lifecycle(CohortProgress(**WINDOW), today).state is CohortState.OPEN


def test_a_window_not_known_counts_as_open_until_something_later_happens() -> None:
    assert cohort_lifecycle(CohortProgress(None, None), TODAY).state is CohortState.OPEN
    assert (
        cohort_lifecycle(CohortProgress(None, None, selection_closed=True), TODAY).state is CohortState.CLOSED
    )


def test_a_cohort_shortlisting_the_best_n_waits_for_the_admin_after_its_window() -> None:
    waiting = life(shortlist_by_size=True, eligible_waiting=7)
    assert waiting.state is CohortState.SHORTLISTING
    assert waiting.waiting == ("7 eligible candidates wait for the programme team to close shortlisting.",)
    assert life(shortlist_by_size=True, shortlisting_closed=True).state is CohortState.SELECTION


def test_the_second_stage_waits_for_candidates_until_their_deadline() -> None:
    due = life(
        second_stage_due=2,
        second_stage_deadline=date(2027, 3, 20),
        awaiting_scorecards=1,
        assessors_owing=("Ada",),
    )
    assert due.state is CohortState.SECOND_STAGE
    assert due.waiting == (
        "2 shortlisted candidates have not sent their second stage yet (until 20 March 2027): waiting for candidates.",
        "1 second stage is waiting for scorecards from assessor Ada.",
    )


def test_scoring_names_the_assessors_who_owe_scorecards() -> None:
    scoring = life(awaiting_scorecards=3, assessors_owing=("Ada Lovelace", "Bo Diddley", "Cy Young"))
    assert scoring.state is CohortState.SCORING
    assert scoring.waiting == (
        "3 second stages are waiting for scorecards from assessors Ada Lovelace, Bo Diddley and Cy Young.",
    )


def test_scoring_with_nobody_assigned_says_assessors_must_be_registered() -> None:
    assert "no assessor is assigned" in life(awaiting_scorecards=1).waiting[0]


def test_everything_scored_waits_for_the_admin_to_close_and_select() -> None:
    selection = life(applications=12)
    assert selection.state is CohortState.SELECTION
    assert selection.waiting == ()
    assert "close the cohort and select" in selection.next_step


def test_after_selection_the_cohort_trains_then_matches_then_closes() -> None:
    training = life(selection_closed=True, selected=3, in_training=2, awaiting_hire=1)
    assert training.state is CohortState.TRAINING
    assert "2 selected candidates are in training: waiting for training providers" in training.waiting[0]
    matching = life(selection_closed=True, selected=3, awaiting_hire=2, hired=1)
    assert matching.state is CohortState.MATCHING
    assert matching.waiting == ("2 trained returners wait for a council to hire them: waiting for councils.",)
    closed = life(selection_closed=True, selected=3, hired=3)
    assert closed.state is CohortState.CLOSED
    assert "3 returners were hired" in closed.next_step


def test_a_closed_selection_wins_over_a_window_still_open() -> None:
    assert (
        cohort_lifecycle(CohortProgress(**WINDOW, selection_closed=True), TODAY).state is CohortState.CLOSED
    )


def test_the_steps_mark_what_is_done_current_and_to_come_in_order() -> None:
    steps = life(awaiting_scorecards=1, assessors_owing=("Ada",)).steps
    assert [s.value for s, _ in steps] == [
        "draft",
        "open",
        "shortlisting",
        "second_stage",
        "scoring",
        "selection",
        "training",
        "matching",
        "closed",
    ]
    assert [w for _, w in steps] == ["done"] * 4 + ["current"] + ["to come"] * 4
