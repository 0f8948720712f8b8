"""The demo prints the platform's reports as they are: every number in its tables is one the report
returned (the funnel and fairness payloads here are made by the applications service's own report
functions), and a group the report does not show stays not shown."""

from __future__ import annotations

import json
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import uuid4

import httpx
import pytest
from demo_reports import fetch_reports, print_reports
from rich.console import Console
from rtw_applications import reports
from rtw_platform.uow import UnitOfWork

pytestmark = pytest.mark.unit

START = datetime(2026, 9, 1, tzinfo=UTC)


def person(
    last_step: str, *, sex: str = "female", hired: bool = False, adjusted: bool = False
) -> reports.Person:
    steps = [s for s, _ in reports.FUNNEL]
    reached = {
        step: START + timedelta(days=3 * i) for i, step in enumerate(steps[: steps.index(last_step) + 1])
    }
    return reports.Person(
        application_id=uuid4(),
        programme="ict",
        cohort_id="ict-demo",
        region="north_west",
        district="M1",
        max_travel_km=40,
        reached=reached,
        codes={},
        equality={
            "sex": sex,
            "adjustments": reports.WITH_ADJUSTMENTS if adjusted else reports.WITHOUT_ADJUSTMENTS,
        },
        hires=(reports.HireFacts(uuid4(), 30),) if hired else (),
    )


def people() -> list[reports.Person]:
    cohort = [person("submitted", adjusted=i < 3) for i in range(6)]  # 6 women, submitted only
    cohort += [person("selected", adjusted=i < 2) for i in range(4)]  # 4 more women, selected
    cohort += [person("hired", hired=True) for _ in range(3)]  # 3 women hired
    cohort += [person("selected", sex="male") for _ in range(3)]  # 3 men: fewer than 5
    return cohort


def printed(answers: dict[str, dict[str, Any]]) -> str:
    console = Console(record=True, width=220, color_system=None)
    print_reports(console, answers)
    return console.export_text()


def finished(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """The answer of a coroutine that awaits nothing (the fairness report reads only `people`)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return cast(dict[str, Any], done.value)
    raise AssertionError("the fairness report awaited something")


def payloads() -> dict[str, dict[str, Any]]:
    scope = {"cohort_id": "ict-demo", "programme": None}
    return {
        "funnel": {"report": "funnel", **scope, **reports.funnel(people())},
        "reach": {
            "report": "reach",
            **scope,
            "per_region": {
                "north_west": {"applicants": 117, "selected": 13, "hired": 4},
                "london": {"applicants": 29},
            },
            "per_council": {"Manchester": {"applicants": 117, "selected": 13, "hired": 4}},
            "share_outside_london_and_south_east": 0.6321,
            "pilot_share_for_comparison": 0.57,
            "councils_signed_up_per_region": {"north_west": 2, "wales": 1},
            "vacancies_with_no_candidate_within_travel_distance": ["v1", "v2"],
        },
        "fairness": {
            "report": "fairness",
            **scope,
            **finished(reports.fairness(cast(UnitOfWork, None), people())),
        },
        "savings": {
            "report": "savings",
            **scope,
            # Not what the old demo's constants (£32.50, £15.71, 30 hours, 46 weeks) would make.
            "assumptions": {
                "agency_hourly_low_pence": 3000,
                "agency_hourly_high_pence": 3500,
                "employed_hourly_pence": 1571,
                "weeks_per_year": 46,
                "recruitment_cost_pence": 2_400_000,
            },
            "total": {"hires": 3, "low_pence": 9_876_543, "high_pence": 11_223_344},
            "per_council": {"Manchester": {"hires": 3, "low_pence": 9_876_543, "high_pence": 11_223_344}},
            "per_programme": {},
            "per_cohort": {},
        },
    }


def row(text: str, *first_cells: str) -> list[str]:
    """The cells of the table row that starts with `first_cells`."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if cells[: len(first_cells)] == list(first_cells):
            return cells
    raise AssertionError(f"no row {first_cells!r} in:\n{text}")


def test_the_funnel_shows_each_step_as_the_report_counts_it() -> None:
    answers = payloads()
    text = printed(answers)
    counted = {s["step"]: s["people"] for s in answers["funnel"]["steps"]}
    assert (counted["started"], counted["selected"], counted["hired"]) == (16, 10, 3)
    assert row(text, "started an application")[1] == "16"
    assert row(text, "selected")[1] == "10"
    assert row(text, "hired")[1] == "3"
    assert row(text, "submitted")[2] == "3.0"  # the report's median days to the next step


def test_reach_shows_the_reports_share_and_regions() -> None:
    text = printed(payloads())
    assert "63% of applicants live outside London and the South East (the pilot: 57%)" in text
    assert row(text, "North West")[1:] == ["117", "13", "4", "2"]
    assert row(text, "London")[1:] == ["29", "0", "0", "0"]
    assert row(text, "Wales")[1:] == ["0", "0", "0", "1"]
    assert "no selected candidate within travel distance: 2." in text


def test_fairness_keeps_small_groups_unshown() -> None:
    text = printed(payloads())
    women = row(text, "Sex", "Female")
    assert women[2] == "13"
    assert women[5] == "54% (1.00)"  # selected: 7 of 13, the best group shown
    men = row(text, "Sex", "Male")
    assert men[2] == "fewer than 5"
    assert men[3:] == ["not shown"] * 4
    assert "100%" not in text.split("Fairness")[1].split("Savings")[0]  # the men's real rate, unshown


def test_fairness_shows_the_reports_adjustments_row() -> None:
    """5 people with adjustments agreed (2 selected), 11 without (8 selected, 3 of them hired)."""
    text = printed(payloads())
    adjusted = row(text, "Reasonable adjustments agreed", "With adjustments")
    assert adjusted[2] == "5"
    assert adjusted[5] == "40% (0.55)*"  # selected: 2 of 5, against 8 of 11
    without = row(text, "Reasonable adjustments agreed", "Without adjustments")
    assert without[2] == "11"
    assert without[5] == "73% (1.00)"
    assert without[6] == "27% (1.00)"  # hired: 3 of 11


def test_savings_are_the_reports_totals_not_the_demos_arithmetic() -> None:
    text = printed(payloads())
    assert row(text, "Manchester")[1:] == ["3", "£98,765", "£112,233"]
    assert row(text, "total")[1:] == ["3", "£98,765", "£112,233"]
    assert "an agency's £30.00 to £35.00 an hour against £15.71 employed, over 46 weeks" in text
    assert "£24,000 of recruitment avoided" in text


def test_no_one_answering_says_so() -> None:
    answers = payloads()
    answers["fairness"] = {"report": "fairness", "cohort_id": "c", "programme": None, "sex": []}
    assert "no one answered the equality-monitoring questions" in printed(answers)


async def test_the_reports_are_asked_of_the_applications_service_for_the_cohort() -> None:
    asked = []
    answers = payloads()

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append((request.url.path, dict(request.url.params), request.headers["authorization"]))
        return httpx.Response(200, content=json.dumps(answers[request.url.path.rsplit("/", 1)[1]]))

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        got = await fetch_reports(http, "http://apps", "ict-demo", {"Authorization": "Bearer t"})
    assert got == answers
    assert asked == [
        (f"/reports/{r}", {"cohort_id": "ict-demo"}, "Bearer t")
        for r in ("funnel", "reach", "fairness", "savings")
    ]


def test_the_assessment_services_funnel_is_shown_as_it_answers() -> None:
    console = Console(record=True, width=220, color_system=None)
    assessment = {
        "applications": 171,
        "screening": {"shortlisted": 44, "not_shortlisted": 119, "ineligible": 8},
        "second_stage_scored": 41,
        "selection": {"selected": 20, "waitlisted": 5, "not_selected": 16},
        "ineligibility_reasons": {"no_right_to_work": 8},
    }
    print_reports(console, payloads(), assessment)
    text = console.export_text()
    assert row(text, "applications screened")[1] == "171"
    assert row(text, "screening: not shortlisted")[1] == "119"
    assert row(text, "second stages scored")[1] == "41"
    assert row(text, "selection: waitlisted")[1] == "5"
