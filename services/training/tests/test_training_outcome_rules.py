"""Rules of recording outcomes without I/O: a cell of the progress grid, a correction, the hours,
and a CPD entry's date and days."""

from __future__ import annotations

from datetime import date

import pytest
from rtw_training import domain
from rtw_training.domain import CellChange, Problem, Recorded

pytestmark = pytest.mark.unit

NOTHING = Recorded("not_started")
DONE = Recorded("completed", "merit", 6)


def problem(call: object, *args: object, **kwargs: object) -> tuple[str, str]:
    with pytest.raises(Problem) as raised:
        call(*args, **kwargs)  # type: ignore[operator]
    return raised.value.field, raised.value.message


# --------------------------------------------------------------------------- a cell of the grid


def test_a_blank_cell_changes_nothing() -> None:
    assert domain.cell_change("", "", NOTHING, 6) is None


def test_a_result_without_hours_counts_the_modules_planned_hours() -> None:
    assert domain.cell_change("passed", "", NOTHING, 6) == CellChange("passed", 6)
    assert domain.cell_change("distinction", "7.5", Recorded("started"), 6) == CellChange("distinction", 7.5)


def test_hours_without_an_outcome_are_a_problem_not_ignored() -> None:
    assert problem(domain.cell_change, "", "4", NOTHING, 6) == (
        "outcome",
        "Choose an outcome for the hours you entered, or clear the hours",
    )


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("four", "Hours must be a number, like 6 or 7.5"),
        ("0", "Hours must be more than 0 and no more than 500"),
        ("500.5", "Hours must be more than 0 and no more than 500"),
        ("nan", "Hours must be more than 0 and no more than 500"),
    ],
)
def test_hours_must_be_a_sensible_number(hours: str, message: str) -> None:
    assert problem(domain.cell_change, "passed", hours, NOTHING, 6) == ("hours", message)


def test_an_unknown_outcome_is_refused() -> None:
    assert problem(domain.cell_change, "failed-ish", "", NOTHING, 6)[0] == "outcome"


def test_a_recorded_completion_is_changed_by_a_correction_not_the_grid() -> None:
    field, message = problem(domain.cell_change, "passed", "", DONE, 6)
    assert field == "outcome"
    assert "use Correct" in message


def test_in_progress_takes_no_hours_and_is_no_change_when_already_started() -> None:
    assert domain.cell_change("started", "", NOTHING, 6) == CellChange("started", None)
    assert domain.cell_change("started", "", Recorded("started"), 6) is None
    assert problem(domain.cell_change, "started", "3", NOTHING, 6)[0] == "hours"


# --------------------------------------------------------------------------- corrections


def correction(
    outcome: str = "passed",
    hours: str = "",
    reason: str = "Marked from the wrong sheet",
    current: Recorded = DONE,
    status: str = "enrolled",
) -> tuple[Recorded | None, list[tuple[str, str]]]:
    corrected, problems = domain.correction_of(current, outcome, hours, reason, enrolment_status=status)
    return corrected, [(p.field, p.message) for p in problems]


def test_a_correction_changes_the_result_and_keeps_the_hours_unless_given() -> None:
    assert correction("passed") == (Recorded("completed", "passed", 6), [])
    assert correction("merit", "8") == (Recorded("completed", "merit", 8), [])


def test_taking_a_completion_back_leaves_the_module_in_progress() -> None:
    assert correction("not_completed") == (Recorded("started"), [])


def test_a_correction_needs_a_reason_and_an_outcome_all_problems_at_once() -> None:
    corrected, problems = correction(outcome="", hours="x", reason="")
    assert corrected is None
    assert [field for field, _ in problems] == ["outcome", "hours", "reason"]


def test_a_correction_that_changes_nothing_is_refused() -> None:
    corrected, problems = correction("merit", "6")
    assert corrected is None
    assert problems == [("outcome", "That is what is already recorded: change the outcome or the hours")]


def test_taking_back_with_hours_is_contradictory() -> None:
    assert correction("not_completed", "4")[1] == [
        ("hours", "Leave the hours blank when taking a completion back")
    ]


def test_after_the_certificate_nothing_is_corrected() -> None:
    corrected, problems = correction(status="completed")
    assert corrected is None
    assert problems[0][0] == "form"
    assert "certificate was issued" in problems[0][1]


def test_only_a_recorded_completion_is_corrected() -> None:
    assert correction(current=Recorded("started"))[1][0][0] == "form"
    assert correction(status="withdrawn")[1][0][0] == "form"


def test_a_reason_has_a_limit() -> None:
    assert correction(reason="x" * 501)[1] == [("reason", "The reason must be 500 characters or fewer")]


# --------------------------------------------------------------------------- CPD entries

TODAY = date(2026, 12, 4)


def test_a_cpd_day_is_a_real_day_not_in_the_future() -> None:
    assert domain.day_from("3", "12", "2026", today=TODAY) == date(2026, 12, 3)
    assert domain.day_from("4", "12", "2026", today=TODAY) == TODAY
    assert problem(domain.day_from, "5", "12", "2026", today=TODAY) == (
        "day",
        "The date must be today or in the past",
    )
    assert problem(domain.day_from, "31", "2", "2026", today=TODAY)[1] == "Enter a real date, like 27 3 2027"
    assert problem(domain.day_from, "", "2", "2026", today=TODAY)[0] == "day"


@pytest.mark.parametrize(("text", "days"), [("0.5", 0.5), ("1", 1.0), ("5", 5.0)])
def test_cpd_is_counted_in_half_days_up_to_five(text: str, days: float) -> None:
    assert domain.cpd_days_from(text) == days


@pytest.mark.parametrize("text", ["", "0", "0.3", "5.5", "-1", "inf", "one"])
def test_other_cpd_days_are_refused(text: str) -> None:
    assert problem(domain.cpd_days_from, text)[0] == "days"


@pytest.mark.parametrize(
    ("day", "month", "year"), [("1", "1", "99999999999999999999"), ("1", "99999999999999999999", "2026")]
)
def test_a_cpd_day_with_huge_numbers_is_a_problem_not_a_crash(day: str, month: str, year: str) -> None:
    assert problem(domain.day_from, day, month, year, today=TODAY) == (
        "day",
        "Enter a real date, like 27 3 2027",
    )
