"""The rules of interviews and offers (domain.py), pure: how many times a council may propose,
which stage a proposal is for, when a time can be booked, what feedback needs, when an offer may
be made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rtw_matching import domain

pytestmark = pytest.mark.unit

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
LATER = [NOW + timedelta(days=n) for n in range(1, 8)]


@pytest.mark.parametrize(
    ("starts", "says"),
    [
        ([], "Propose at least one time."),
        (LATER[:6], "Propose at most 5 times."),
        ([LATER[0], NOW], "Every proposed time must be in the future."),
        ([LATER[0], LATER[0]], "Propose each time once."),
        ([LATER[0], NOW + timedelta(days=366)], "Every proposed time must be within a year."),
        ([NOW + timedelta(days=365)], None),
        (LATER[:1], None),
        (LATER[:5], None),
    ],
)
def test_a_council_proposes_one_to_five_distinct_future_times(
    starts: list[datetime], says: str | None
) -> None:
    assert domain.slots_refusal(starts, NOW) == says


def test_a_proposal_is_for_the_stage_after_the_last_booked() -> None:
    assert domain.next_stage([]) == 1
    assert domain.next_stage([1]) == 2
    assert domain.next_stage([2, 1]) == 3


@pytest.mark.parametrize(
    ("status", "slot", "starts", "refused"),
    [
        ("proposed", 0, LATER[0], False),
        ("booked", 0, LATER[0], True),
        ("superseded", 0, LATER[0], True),
        ("proposed", 2, LATER[0], True),  # only two times were proposed
        ("proposed", -1, LATER[0], True),
        ("proposed", 1, NOW - timedelta(minutes=1), True),
    ],
)
def test_only_a_standing_proposals_future_time_can_be_booked(
    status: str, slot: int, starts: datetime, refused: bool
) -> None:
    assert (domain.booking_refusal(status, slot, 2, starts, NOW) is not None) is refused


def test_feedback_rates_every_criterion_from_1_to_4_and_recommends() -> None:
    every = dict.fromkeys(domain.FEEDBACK_CRITERIA, 3)
    assert domain.feedback_problems(every, "offer") == []
    assert domain.feedback_problems({**every, "skills": 5}, "offer") == [("skills", "Rate it from 1 to 4")]
    missing = {k: v for k, v in every.items() if k != "values"}
    assert domain.feedback_problems(missing, "maybe") == [
        ("values", "Rate it from 1 to 4"),
        ("recommendation", "Choose what the panel recommends"),
    ]
    assert domain.feedback_problems({**every, "charm": 4}, "not_hired") == [
        ("charm", "Not a criterion of the feedback")
    ]


@pytest.mark.parametrize(
    ("status", "open_offer", "required", "interviewed", "refused"),
    [
        ("accepted", False, False, False, False),
        ("interviewing", False, True, True, False),
        ("interviewing", True, False, True, True),  # one offer at a time
        ("accepted", False, True, False, True),  # the vacancy asks for an interview first
        ("reached_out", False, False, False, True),
        ("hired", False, False, True, True),
        ("not_hired", False, False, True, True),
    ],
)
def test_an_offer_goes_only_to_an_accepting_candidate_one_at_a_time(
    status: str, open_offer: bool, required: bool, interviewed: bool, refused: bool
) -> None:
    refusal = domain.offer_refusal(
        status, open_offer=open_offer, interview_required=required, interviewed=interviewed
    )
    assert (refusal is not None) is refused
