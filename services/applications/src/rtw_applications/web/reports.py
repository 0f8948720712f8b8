"""Programme admins' reports: reach, fairness and savings, as tables with simple bar charts (the
same figures as `GET /reports/{report}`, from the same functions in `..reports`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_contracts import Programme, Region
from rtw_contracts.labels import labels_for
from rtw_platform.auth import Role
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import signed_in

from .. import cohorts, reports
from .common import PAGES
from .savings_form import read_savings

router = APIRouter(include_in_schema=False)

QUESTIONS = {
    "sex": "Sex",
    "age_band": "Age",
    "ethnicity": "Ethnic group",
    "disability": "Disability",
    "caring": "Caring responsibilities",
    "adjustments": "Reasonable adjustments agreed",
}
STEPS = {"eligible": "Eligible", "shortlisted": "Shortlisted", "selected": "Selected", "hired": "Hired"}
PROGRAMMES = labels_for(Programme)


@router.get("/admin/reports")
async def reports_page(
    request: Request, uow: UnitOfWorkDep, cohort_id: str | None = None, programme: str | None = None
) -> Response:
    """Reach, fairness and savings of every application, a cohort's or a programme's."""
    signed_in(request, Role.ADMIN)
    cohort_id = cohort_id or None
    programme = programme if programme in PROGRAMMES else None
    people = await reports.load_people(uow, cohort_id, programme)
    reach = await reports.reach(uow, people)
    fairness = await reports.fairness(uow, people)
    assumptions = read_savings(request.query_params)
    savings = await reports.savings(uow, people, assumptions.assumptions)
    context = {
        "cohorts": await cohorts.list_cohorts(uow),
        "programmes": PROGRAMMES,
        "chosen": {"cohort_id": cohort_id or "", "programme": programme or ""},
        "reach": reach_tables(reach),
        "fairness": fairness_tables(fairness),
        "savings": savings_tables(savings),
        "small_group": reports.SMALL_GROUP,
        "assumptions": assumptions,
    }
    return PAGES.render(
        request,
        "reports.html",
        context,
        errors=assumptions.errors,
        status_code=400 if assumptions.errors else 200,
    )


def region_label(key: str) -> str:
    """A region's ONS name."""
    try:
        return Region(key).label
    except ValueError:
        return "Not known" if key == "unknown" else key.replace("_", " ").capitalize()


def answer_label(value: str) -> str:
    """An equality-monitoring answer as words."""
    return value.replace("_", " ").capitalize()


def share(value: float, largest: float) -> int:
    """A bar's width, as a percentage of the largest value shown."""
    return round(100 * value / largest) if largest else 0


def reach_tables(data: dict[str, Any]) -> dict[str, Any]:
    """Applicants, selections and hires per region and council, with bars of applicants."""

    def rows(counts: dict[str, dict[str, int]], label: Any) -> list[dict[str, Any]]:
        largest = max((c.get("applicants", 0) for c in counts.values()), default=0)
        return [
            {
                "name": label(name),
                "applicants": c.get("applicants", 0),
                "selected": c.get("selected", 0),
                "hired": c.get("hired", 0),
                "bar": share(c.get("applicants", 0), largest),
            }
            for name, c in counts.items()
        ]

    outside = data["share_outside_london_and_south_east"]
    return {
        "regions": rows(data["per_region"], region_label),
        "councils": rows(data["per_council"], str),
        "outside_share": None if outside is None else round(outside * 100),
        "pilot_share": round(data["pilot_share_for_comparison"] * 100),
        "councils_signed_up": [
            {"name": region_label(region), "councils": n}
            for region, n in data["councils_signed_up_per_region"].items()
        ],
        "unreachable_vacancies": len(data["vacancies_with_no_candidate_within_travel_distance"]),
    }


def fairness_tables(data: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each question's pass rates by group and step; groups under the small-number threshold keep
    the report's suppression (no count, no rate, no bar)."""
    tables = []
    for question, rows in data.items():
        if not rows:
            continue
        tables.append(
            {
                "question": QUESTIONS.get(question, question),
                "key": question,
                "rows": [
                    {
                        "step": STEPS.get(row["step"], row["step"]),
                        "group": answer_label(row["group"]),
                        "suppressed": row["pass_rate"] is None and not isinstance(row["people"], int),
                        "people": row["people"],
                        "rate": None if row["pass_rate"] is None else round(row["pass_rate"] * 100),
                        "ratio": row["ratio_to_highest"],
                        "flag": bool(row["below_four_fifths"]),
                    }
                    for row in rows
                ],
            }
        )
    return tables


def pounds(pence: int | float) -> str:
    """An amount of money in whole pounds, e.g. £24,000."""
    return f"£{round(pence / 100):,}"


def savings_tables(data: dict[str, Any]) -> dict[str, Any]:
    """Estimated savings, total and per council, programme and cohort, with bars of the high
    estimate."""
    assumptions = data["assumptions"]
    groups = []
    for kind, title in (("council", "Council"), ("programme", "Programme"), ("cohort", "Cohort")):
        values = data[f"per_{kind}"]
        largest = max((v["high_pence"] for v in values.values()), default=0)
        groups.append(
            {
                "title": title,
                "rows": [
                    {
                        "name": PROGRAMMES.get(name, name) if kind == "programme" else name,
                        "hires": v["hires"],
                        "low": pounds(v["low_pence"]),
                        "high": pounds(v["high_pence"]),
                        "bar": share(v["high_pence"], largest),
                    }
                    for name, v in values.items()
                ],
            }
        )
    return {
        "total": {
            "hires": data["total"]["hires"],
            "low": pounds(data["total"]["low_pence"]),
            "high": pounds(data["total"]["high_pence"]),
        },
        "groups": groups,
        "assumptions": {
            "agency": f"{pounds(assumptions['agency_hourly_low_pence'])} to "
            f"{pounds(assumptions['agency_hourly_high_pence'])}",
            "employed": f"£{assumptions['employed_hourly_pence'] / 100:.2f}",
            "weeks": f"{assumptions['weeks_per_year']:g}",
            "recruitment": pounds(assumptions["recruitment_cost_pence"]),
        },
    }
