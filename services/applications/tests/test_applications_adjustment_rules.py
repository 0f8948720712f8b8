"""The rules of reasonable adjustments, pure: what a request and staff's decision need, what an
agreed adjustment changes in the second stage's evidence, and extra time on its deadline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import uuid4

import pytest
from rtw_applications.domain import (
    MAX_EXTRA_MINUTES,
    adjustment_decision_problems,
    adjustment_request_problems,
    deadline_with_more_time,
    second_stage_evidence_problems,
    video_replaced,
)
from rtw_applications.reports import WITH_ADJUSTMENTS, WITHOUT_ADJUSTMENTS, Person, fairness
from rtw_contracts import AdjustmentKind

pytestmark = pytest.mark.unit

WRITTEN = AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO
CALL = AdjustmentKind.LIVE_CALL_WITH_ASSESSOR
MORE_TIME = AdjustmentKind.MORE_TIME
T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def fields(problems: list[tuple[str, str]]) -> list[str]:
    return [name for name, _ in problems]


@pytest.mark.parametrize(
    ("kinds", "details", "expected"),
    [
        (["more_time"], "", []),
        ([], "", ["kinds"]),
        (["telepathy"], "", ["kinds"]),
        (["other_format"], "  ", ["details"]),
        (["other_format"], "Large print", []),
        (["more_time"], "x" * 2001, ["details"]),
        (["more_time"], "x" * 2000, []),
    ],
)
def test_a_request_names_at_least_one_known_kind_and_which_format(
    kinds: list[str], details: str, expected: list[str]
) -> None:
    assert fields(adjustment_request_problems(kinds, details)) == expected


@pytest.mark.parametrize(
    ("status", "agreed", "minutes", "reason", "expected"),
    [
        ("agreed", ["written_alternative_to_video"], None, "", []),
        ("agreed", [], None, "", ["agreed"]),
        ("agreed", ["other_format"], None, "", ["agreed"]),  # not asked for
        ("agreed", ["more_time"], None, "", ["extra_minutes"]),
        ("agreed", ["more_time"], 0, "", ["extra_minutes"]),
        ("agreed", ["more_time"], MAX_EXTRA_MINUTES + 1, "", ["extra_minutes"]),
        ("agreed", ["more_time"], MAX_EXTRA_MINUTES, "", []),
        ("agreed", ["written_alternative_to_video"], 30, "", ["extra_minutes"]),
        ("declined", [], None, "", ["reason"]),
        ("declined", [], None, "We cannot offer a call in this cohort.", []),
        ("maybe", [], None, "", ["decision"]),
    ],
)
def test_a_decision_agrees_what_was_asked_or_declines_with_a_reason(
    status: str, agreed: list[str], minutes: int | None, reason: str, expected: list[str]
) -> None:
    asked = ["written_alternative_to_video", "more_time"]
    assert fields(adjustment_decision_problems(status, asked, agreed, minutes, reason)) == expected


def test_written_answers_or_a_live_call_replace_the_video_and_more_time_does_not() -> None:
    assert video_replaced(frozenset({WRITTEN}))
    assert video_replaced(frozenset({CALL}))
    assert not video_replaced(frozenset({MORE_TIME}))
    assert not video_replaced(frozenset())


@pytest.mark.parametrize(
    ("agreed", "has_video", "written", "expected"),
    [
        (frozenset(), True, "", []),
        (frozenset(), False, "", ["video"]),
        (frozenset(), True, "My words", ["written_alternative"]),  # not agreed
        (frozenset({WRITTEN}), False, "", ["written_alternative"]),
        (frozenset({WRITTEN}), False, "My words", []),
        (frozenset({WRITTEN}), True, "", []),  # a video is still welcome
        (frozenset({WRITTEN}), False, "word " * 501, ["written_alternative"]),
        (frozenset({CALL}), False, "", []),
        (frozenset({WRITTEN, CALL}), False, "", []),
        (frozenset({MORE_TIME}), False, "", ["video"]),
    ],
)
def test_the_evidence_beside_the_answers_is_the_video_or_what_replaces_it(
    agreed: frozenset[AdjustmentKind], has_video: bool, written: str, expected: list[str]
) -> None:
    problems = second_stage_evidence_problems(
        video_required=True, has_video=has_video, written_alternative=written, agreed=agreed
    )
    assert fields(problems) == expected


def test_a_cohort_without_a_video_asks_for_no_evidence_beside_the_answers() -> None:
    assert (
        second_stage_evidence_problems(
            video_required=False, has_video=False, written_alternative="", agreed=frozenset()
        )
        == []
    )


def test_extra_time_moves_the_deadline_and_no_deadline_stays_none() -> None:
    deadline = datetime(2027, 3, 1, 23, 59, 59, tzinfo=UTC)
    assert deadline_with_more_time(deadline, 90) == datetime(2027, 3, 2, 1, 29, 59, tzinfo=UTC)
    assert deadline_with_more_time(deadline, 0) == deadline
    assert deadline_with_more_time(None, 90) is None


def person(adjusted: bool, *, shortlisted: bool) -> Person:
    reached: dict[str, Any] = {"started": T0, "submitted": T0, "eligible": T0}
    if shortlisted:
        reached["shortlisted"] = T0
    return Person(
        application_id=uuid4(),
        programme="ict",
        cohort_id="ict-test",
        region=None,
        district=None,
        max_travel_km=None,
        reached=reached,
        codes={},
        equality={"adjustments": WITH_ADJUSTMENTS if adjusted else WITHOUT_ADJUSTMENTS},
    )


async def test_the_fairness_report_compares_applicants_with_and_without_adjustments() -> None:
    people = [person(True, shortlisted=i < 2) for i in range(5)]
    people += [person(False, shortlisted=i < 4) for i in range(5)]

    rows = (await fairness(cast(Any, None), people))["adjustments"]

    shortlisting = {r["group"]: r for r in rows if r["step"] == "shortlisted"}
    assert shortlisting[WITH_ADJUSTMENTS]["pass_rate"] == 0.4
    assert shortlisting[WITHOUT_ADJUSTMENTS]["pass_rate"] == 0.8
    assert shortlisting[WITH_ADJUSTMENTS]["ratio_to_highest"] == 0.5
    assert shortlisting[WITH_ADJUSTMENTS]["below_four_fifths"] is True


async def test_fewer_than_five_with_adjustments_are_not_shown() -> None:
    people = [person(True, shortlisted=True) for _ in range(4)]
    people += [person(False, shortlisted=True) for _ in range(5)]

    rows = (await fairness(cast(Any, None), people))["adjustments"]

    shown = {r["group"]: r for r in rows if r["step"] == "shortlisted"}
    assert shown[WITH_ADJUSTMENTS]["people"] == "fewer than 5"
    assert shown[WITH_ADJUSTMENTS]["pass_rate"] is None
    assert shown[WITHOUT_ADJUSTMENTS]["people"] == 5
