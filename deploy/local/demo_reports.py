"""The demo's closing numbers, as the platform's own reports answer them.

`GET /reports/{report}?cohort_id=…` of the applications service (what programme admins see at
/applications/admin/reports) gives the funnel, reach, fairness and savings; this module only asks
for them and lays them out as tables. It counts nothing itself: every number printed is one the
report returned, and what the report does not show (groups of fewer than 5 people in the fairness
report) the demo does not show either."""

from __future__ import annotations

from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from rtw_applications.web.reports import answer_label as words
from rtw_applications.web.reports import region_label

REPORTS = ("funnel", "reach", "fairness", "savings")
#: Keys of every report's answer that say what it covers, not what it found.
SCOPE = frozenset({"report", "cohort_id", "programme"})
STEPS = {
    "started": "started an application",
    "submitted": "submitted",
    "eligible": "eligible",
    "shortlisted": "shortlisted",
    "second_stage": "second stage sent",
    "selected": "selected",
    "trained": "trained (certificate)",
    "matched": "matched to a vacancy",
    "reached_out": "reached out to by a council",
    "hired": "hired",
}
QUESTIONS = {
    "sex": "Sex",
    "age_band": "Age",
    "ethnicity": "Ethnic group",
    "disability": "Disability",
    "caring": "Caring responsibilities",
    "adjustments": "Reasonable adjustments agreed",
}
FAIRNESS_STEPS = ("eligible", "shortlisted", "selected", "hired")


async def fetch_reports(
    http: httpx.AsyncClient, applications_url: str, cohort_id: str, headers: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """The four reports of one cohort, as the applications service answers them."""
    answers = {}
    for report in REPORTS:
        response = await http.get(
            f"{applications_url}/reports/{report}", params={"cohort_id": cohort_id}, headers=headers
        )
        response.raise_for_status()
        answers[report] = response.json()
    return answers


def percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def pounds(amount: int, *, pence: bool = False) -> str:
    """Whole pence as pounds (to the pound, or `pence=True` to the penny)."""
    return f"£{amount / 100:,.2f}" if pence else f"£{amount / 100:,.0f}"


def funnel_table(report: dict[str, Any]) -> Table:
    table = Table("step", "people", "median days to the next step", title="Funnel (the platform's report)")
    for step in report["steps"]:
        days = step["median_days_to_next"]
        table.add_row(
            STEPS.get(step["step"], step["step"]), str(step["people"]), "-" if days is None else str(days)
        )
    return table


def assessment_table(funnel: dict[str, Any]) -> Table:
    """The assessment service's own count of the cohort's screening and selection
    (`GET /cohorts/{cohort}/funnel`): the outcomes the programme's funnel does not split."""
    table = Table("assessment", "people", title="Screening and selection (the assessment service's funnel)")
    table.add_row("applications screened", str(funnel["applications"]))
    for outcome, count in sorted(funnel["screening"].items()):
        table.add_row(f"screening: {words(outcome).lower()}", str(count))
    table.add_row("second stages scored", str(funnel["second_stage_scored"]))
    for outcome, count in sorted(funnel["selection"].items()):
        table.add_row(f"selection: {words(outcome).lower()}", str(count))
    return table


def drop_off_lines(report: dict[str, Any]) -> list[str]:
    drop_off = report["drop_off"]
    lines = []
    for key, what in (
        ("ineligibility_reasons", "Why people were not eligible"),
        ("withdrawal_reasons", "Why people withdrew"),
    ):
        if drop_off[key]:
            lines.append(f"{what}: " + ", ".join(f"{words(k)} ({v})" for k, v in drop_off[key].items()))
    lines.append(f"Candidates who declined a council's interest: {drop_off['declined_councils_interest']}")
    return lines


def reach_table(report: dict[str, Any]) -> Table:
    table = Table(
        "region",
        "applicants",
        "selected",
        "hired",
        "councils signed up",
        title="Reach (the platform's report)",
    )
    signed_up = report["councils_signed_up_per_region"]
    for region in sorted(set(report["per_region"]) | set(signed_up)):
        counts = report["per_region"].get(region, {})
        table.add_row(
            region_label(region),
            str(counts.get("applicants", 0)),
            str(counts.get("selected", 0)),
            str(counts.get("hired", 0)),
            str(signed_up.get(region, 0)),
        )
    return table


def reach_lines(report: dict[str, Any]) -> list[str]:
    unreachable = report["vacancies_with_no_candidate_within_travel_distance"]
    return [
        f"Reach: {percent(report['share_outside_london_and_south_east'])} of applicants live outside London "
        f"and the South East (the pilot: {percent(report['pilot_share_for_comparison'])}).",
        f"Vacancies with no selected candidate within travel distance: {len(unreachable)}.",
    ]


def fairness_table(report: dict[str, Any]) -> Table | None:
    """One row a group, one column a step: its pass rate and ratio to the best group's, flagged
    under four fifths. A group the report does not show stays not shown."""
    table = Table(
        "question",
        "group",
        "people",
        *(words(s) for s in FAIRNESS_STEPS),
        title="Fairness (the platform's report): pass rate (ratio to the best group's)",
        caption="* under four fifths of the best group's rate; groups of fewer than 5 people not shown",
    )
    shown = False
    for question, rows in report.items():
        if question in SCOPE or not isinstance(rows, list):
            continue
        groups: dict[str, dict[str, dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row["group"], {})[row["step"]] = row
        for group, steps in groups.items():
            first = next(iter(steps.values()))
            cells = []
            for step in FAIRNESS_STEPS:
                row = steps.get(step)
                if row is None or row["pass_rate"] is None:
                    cells.append(
                        "not shown" if row is not None and not isinstance(row["people"], int) else "-"
                    )
                    continue
                ratio = "-" if row["ratio_to_highest"] is None else f"{row['ratio_to_highest']:.2f}"
                flag = "*" if row["below_four_fifths"] else ""
                cells.append(f"{percent(row['pass_rate'])} ({ratio}){flag}")
            table.add_row(
                QUESTIONS.get(question, words(question)), words(group), str(first["people"]), *cells
            )
            shown = True
    return table if shown else None


def savings_table(report: dict[str, Any]) -> Table:
    table = Table("council", "hires", "a year, low", "a year, high", title="Savings (the platform's report)")
    for council, values in report["per_council"].items():
        table.add_row(
            council, str(values["hires"]), pounds(values["low_pence"]), pounds(values["high_pence"])
        )
    total = report["total"]
    table.add_row(
        "total", str(total["hires"]), pounds(total["low_pence"]), pounds(total["high_pence"]), style="bold"
    )
    return table


def savings_lines(report: dict[str, Any]) -> list[str]:
    a = report["assumptions"]
    low, high = (
        pounds(a["agency_hourly_low_pence"], pence=True),
        pounds(a["agency_hourly_high_pence"], pence=True),
    )
    return [
        f"Savings assume, each hire: an agency's {low} to {high} an hour against "
        f"{pounds(a['employed_hourly_pence'], pence=True)} employed, over {a['weeks_per_year']:g} weeks "
        f"a year of the hire's contracted hours, plus {pounds(a['recruitment_cost_pence'])} of "
        "recruitment avoided."
    ]


def print_reports(
    console: Console, reports: dict[str, dict[str, Any]], assessment: dict[str, Any] | None = None
) -> None:
    """The four reports (and the assessment service's funnel), laid out; nothing added to them."""
    console.print(funnel_table(reports["funnel"]))
    for line in drop_off_lines(reports["funnel"]):
        console.print(line)
    if assessment is not None:
        console.print(assessment_table(assessment))
    console.print(reach_table(reports["reach"]))
    for line in reach_lines(reports["reach"]):
        console.print(line)
    fairness = fairness_table(reports["fairness"])
    if fairness is None:
        console.print("Fairness: no one answered the equality-monitoring questions.")
    else:
        console.print(fairness)
    console.print(savings_table(reports["savings"]))
    for line in savings_lines(reports["savings"]):
        console.print(line)
