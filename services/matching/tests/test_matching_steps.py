"""A match's steps and the pool's outcome rule, as pure rules (no database)."""

from __future__ import annotations

import pytest
from rtw_matching import domain

ALL = (
    "proposed",
    "displaced",
    "shortlisted",
    "reached_out",
    "accepted",
    "declined",
    "interviewing",
    "hired",
    "not_hired",
    "withdrawn",
)

ALLOWED = {
    ("proposed", "shortlisted"),
    ("displaced", "shortlisted"),
    ("shortlisted", "reached_out"),
    ("reached_out", "accepted"),
    ("reached_out", "declined"),
    ("accepted", "interviewing"),
    ("accepted", "hired"),
    ("accepted", "not_hired"),
    ("interviewing", "hired"),
    ("interviewing", "not_hired"),
}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("to", ALL)
def test_a_step_is_taken_only_from_the_status_it_follows(current: str, to: str) -> None:
    if (current, to) in ALLOWED:
        assert domain.next_status(current, to) == to
    else:
        with pytest.raises(domain.StepRefused):
            domain.next_status(current, to)


def test_a_refused_step_says_what_must_come_first_and_where_the_match_is() -> None:
    with pytest.raises(
        domain.StepRefused, match=r"^Shortlist the candidate before reaching out; this match is "
    ):
        domain.next_status("proposed", "reached_out")
    with pytest.raises(domain.StepRefused, match=r"this match is not hired\.$"):
        domain.next_status("not_hired", "hired")


def test_contact_details_are_released_only_once_the_candidate_accepted() -> None:
    released = {s for s in ALL if s in domain.CONTACT_RELEASED}
    assert released == {"accepted", "interviewing", "hired", "not_hired"}


def test_leaving_the_pool_ends_every_match_not_concluded() -> None:
    assert {s for s in ALL if not domain.ends_on_leaving(s)} == {"hired", "not_hired", "declined"}


def test_an_outcome_is_held_unless_a_later_one_is() -> None:
    assert domain.later_outcome(3, "selected", 2, withdrawn=False) is None
    assert domain.later_outcome(3, "selected", 3, withdrawn=False) == ("selected", 3, True)
    assert domain.later_outcome(0, "selected", 1, withdrawn=True) == ("selected", 1, False)
    assert domain.later_outcome(0, "waitlisted", 1, withdrawn=False) == ("waitlisted", 1, False)
