"""The public eligibility checker page (no account, works without JavaScript, nothing kept): a
GET form, so that checking changes nothing and a result can be bookmarked or shared."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from rtw_contracts import ASKED_CAREER_BREAK_REASONS, CareerBreakReason
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, whole_number
from rtw_platform.web.i18n import N_
from rtw_platform.web.i18n import gettext as _
from rtw_platform.web.reasons import reason_texts

from ..domain import EligibilityRules
from ..eligibility_check import CheckAnswers, CheckedCohort, check, open_cohorts
from .common import PAGES

router = APIRouter(include_in_schema=False)

NOT_REGISTERED = "none"
FIELDS = (
    "cohort",
    "right_to_work",
    "start-month",
    "start-year",
    "end-month",
    "end-year",
    "reason",
    "years",
    "body",
    "practised-month",
    "practised-year",
)


def asks_registration(rules: EligibilityRules) -> bool:
    """Whether the rules look at a professional registration (or at time out of practice)."""
    return bool(
        rules.registration_required
        or rules.registration_bodies
        or rules.min_years_out_of_practice is not None
        or rules.max_years_out_of_practice is not None
    )


def _month(
    values: Mapping[str, str], prefix: str, what: str, errors: FormErrors, today: date, *, required: bool
) -> date | None:
    """A month and year; `what` (marked with N_) completes 'Enter the month and year …'. The
    messages are the application's own, so the page's language has them."""
    month, year = values.get(f"{prefix}-month", "").strip(), values.get(f"{prefix}-year", "").strip()
    key, words = f"{prefix}-month", {"what": _(what)}
    if not month and not year:
        if required:
            errors.add(key, _("Enter the month and year %(what)s") % words)
        return None
    if whole_number(month, 1, 12) is None:
        errors.add(key, _("The month %(what)s must be a number from 1 to 12") % words)
        return None
    if not (year.isdecimal() and len(year) == 4 and int(year) >= 1950):
        errors.add(key, _("The year %(what)s must be 4 digits, like 2021") % words)
        return None
    found = date(int(year), int(month), 1)
    if found > today:
        errors.add(key, _("The month %(what)s must be this month or in the past") % words)
        return None
    return found


def parse_answers(
    values: Mapping[str, str], rules: EligibilityRules, today: date
) -> tuple[CheckAnswers | None, FormErrors]:
    """The checker's answers from its form, with every problem at once."""
    errors = FormErrors()
    right_to_work = values.get("right_to_work", "")
    if right_to_work not in ("yes", "no"):
        errors.add("right_to_work", N_("Select yes if you have the right to work in the UK"))
    start = _month(values, "start", N_("your career break started"), errors, today, required=True)
    end = _month(values, "end", N_("your career break ended"), errors, today, required=False)
    if start and end and end < start:
        errors.add("end-month", N_("The month your career break ended must be after it started"))
    reason = values.get("reason", "")
    if reason not in {r.value for r in CareerBreakReason}:
        errors.add("reason", N_("Select why you are out of work"))
    years_text = values.get("years", "").strip()
    try:
        years = float(years_text)
    except ValueError:
        years = -1.0
    if not years_text:
        errors.add("years", N_("Enter your years of experience in the profession"))
    elif not 0 <= years <= 70 or years != years:
        errors.add("years", N_("Years of experience must be a number from 0 to 70, like 8 or 2.5"))
    body: str | None = None
    practised: date | None = None
    if asks_registration(rules):
        body = values.get("body", "")
        allowed = set(rules.registration_bodies) | {NOT_REGISTERED}
        if body not in allowed:
            errors.add(
                "body", N_("Select the professional body you were registered with, or that you were not")
            )
        elif body == NOT_REGISTERED:
            body = None
        practised = _month(values, "practised", N_("you last practised"), errors, today, required=False)
    if errors or start is None:
        return None, errors
    answers = CheckAnswers(
        right_to_work=right_to_work == "yes",
        break_start=start,
        break_end=end,
        reason=CareerBreakReason(reason),
        years_experience=years,
        registration_body=body,
        last_practised=practised,
    )
    return answers, errors


def _choices(cohort: CheckedCohort | None) -> dict[str, Any]:
    bodies = list(cohort.config.eligibility.registration_bodies) if cohort else []
    return {
        "reasons": [(r.value, r.label) for r in ASKED_CAREER_BREAK_REASONS],
        "bodies": bodies,
        "registration": bool(cohort and asks_registration(cohort.config.eligibility)),
    }


@router.get("/eligibility")
async def eligibility_checker(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """Check whether you could apply: the programme's rules in force, your answers, the reasons."""
    now = datetime.now(UTC)
    cohorts = await open_cohorts(uow, now.date())
    values = {name: request.query_params.get(name, "") for name in FIELDS}
    cohort = next((c for c in cohorts if c.cohort_id == values["cohort"]), None)
    errors = FormErrors()
    if cohort is None and values["cohort"]:
        errors.add("cohort", N_("That programme is not taking applications now: choose one that is"))
    elif cohort is None and len(cohorts) == 1:
        cohort = cohorts[0]
    context: dict[str, Any] = {
        "cohorts": cohorts,
        "cohort": cohort,
        "values": values,
        "choices": _choices(cohort),
        "checked": False,
        "reasons": [],
    }
    if request.query_params.get("check") == "yes":
        if cohort is None and cohorts:
            errors.add("cohort", N_("Select the programme you would like to apply to"))
        elif cohort is not None:
            answers, errors = parse_answers(values, cohort.config.eligibility, now.date())
            if answers is not None:
                context["checked"] = True
                context["reasons"] = reason_texts(check(answers, cohort.config, now))
    status = 400 if errors else 200
    return PAGES.render(request, "eligibility.html", context, status_code=status, errors=errors)
