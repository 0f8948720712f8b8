"""The cohort configuration form: the application window, capacity, waiting list, shortlisting
rule, second-stage time, when assessors are said to disagree and the hours in which a confirmed
selection can be reopened. The rest of the configuration (rules, weights, the rubric's criteria and
anchors) is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from rtw_platform.web import FormErrors, whole_number
from starlette.datastructures import FormData

from ..domain import CohortConfig

DATES = ("window_opens_on", "window_closes_on")
PARTS = ("day", "month", "year")
#: field: (how the error messages name it, smallest, largest)
WHOLE_NUMBERS = {
    "capacity": ("the number of places", 1, 10_000),
    "waitlist_size": ("the size of the waiting list", 0, 10_000),
    "shortlist_size": ("how many to shortlist", 1, 10_000),
    "second_stage_days": ("the days for the second stage", 1, 90),
    "recommendation_spread": ("the steps between recommendations that count as disagreeing", 1, 3),
    "score_gap": ("the points between scorecards that count as disagreeing", 0, 100),
    "reopen_hours": ("the hours in which selection can be reopened", 0, 168),
}
CALIBRATION = ("recommendation_spread", "score_gap")


@dataclass
class ConfigForm:
    """The form as typed (for showing it again), its problems, and the new configuration."""

    values: dict[str, str]
    errors: FormErrors
    config: CohortConfig | None


def values_of(config: CohortConfig) -> dict[str, str]:
    """The form filled in from the configuration in force."""
    values = {
        "capacity": str(config.capacity),
        "waitlist_size": str(config.waitlist_size),
        "shortlist_rule": "size" if config.shortlist_size is not None else "threshold",
        "shortlist_size": "" if config.shortlist_size is None else str(config.shortlist_size),
        "shortlist_threshold": ""
        if config.shortlist_threshold is None
        else f"{config.shortlist_threshold:g}",
        "second_stage_days": str(config.second_stage_days),
        "recommendation_spread": str(config.rubric.recommendation_spread),
        "score_gap": f"{config.rubric.score_gap:g}",
        "reopen_hours": str(config.reopen_hours),
    }
    for name in DATES:
        moment: date | None = getattr(config, name)
        values[f"{name}-day"] = "" if moment is None else str(moment.day)
        values[f"{name}-month"] = "" if moment is None else str(moment.month)
        values[f"{name}-year"] = "" if moment is None else str(moment.year)
    return values


def read_config(form: FormData, current: CohortConfig) -> ConfigForm:
    """The new configuration, or what is wrong with the form (in the order of the page)."""
    names = [f"{d}-{p}" for d in DATES for p in PARTS] + [
        "capacity",
        "waitlist_size",
        "shortlist_rule",
        "shortlist_size",
        "shortlist_threshold",
        "second_stage_days",
        *CALIBRATION,
        "reopen_hours",
    ]
    values = {name: _text(form, name) for name in names}
    kept = values_of(current)
    for name in CALIBRATION:  # a form without these fields (an older page) keeps them as they are
        if name not in form:
            values[name] = kept[name]
    errors = FormErrors()
    changes: dict[str, Any] = {}
    for name in DATES:
        changes[name] = _date(values, name, errors)
    opens, closes = changes["window_opens_on"], changes["window_closes_on"]
    if opens and closes and closes < opens:
        errors.add("window_closes_on-day", "The window must close on or after the day it opens.")
    for name in ("capacity", "waitlist_size"):
        changes[name] = _whole(values, name, errors)
    rule = values["shortlist_rule"]
    changes["shortlist_size"] = changes["shortlist_threshold"] = None
    if rule == "size":
        changes["shortlist_size"] = _whole(values, "shortlist_size", errors)
    elif rule == "threshold":
        changes["shortlist_threshold"] = _score(values, "shortlist_threshold", errors)
    else:
        errors.add("shortlist_rule", "Choose how candidates are shortlisted.")
    changes["second_stage_days"] = _whole(values, "second_stage_days", errors)
    changes["rubric"] = {
        **current.rubric.model_dump(),
        **{name: _whole(values, name, errors) for name in CALIBRATION},
    }
    if "reopen_hours" in form:  # a form from before the field existed keeps the hours in force
        changes["reopen_hours"] = _whole(values, "reopen_hours", errors)
    if errors:
        return ConfigForm(values, errors, None)
    try:
        config = CohortConfig.model_validate({**current.model_dump(), **changes})
    except ValidationError as invalid:
        for problem in invalid.errors():
            where = str(problem["loc"][0]) if problem["loc"] else "shortlist_rule"
            errors.add(where if where in values else "shortlist_rule", str(problem["msg"]))
        return ConfigForm(values, errors, None)
    return ConfigForm(values, errors, config)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _whole(values: dict[str, str], name: str, errors: FormErrors) -> int | None:
    what, low, high = WHOLE_NUMBERS[name]
    raw = values[name].replace(",", "")
    if not raw:
        errors.add(name, f"Enter {what}.")
        return None
    number = whole_number(raw, low, high)
    if number is None:
        errors.add(name, f"Enter {what} as a whole number from {low:,} to {high:,}.")
    return number


def _score(values: dict[str, str], name: str, errors: FormErrors) -> float | None:
    raw = values[name]
    if not raw:
        errors.add(name, "Enter the lowest score to shortlist.")
        return None
    try:
        score = float(raw)
    except ValueError:
        score = -1.0
    if not 0 <= score <= 100:
        errors.add(name, "Enter the lowest score to shortlist as a number from 0 to 100.")
        return None
    return score


def _date(values: dict[str, str], name: str, errors: FormErrors) -> date | None:
    day, month, year = (values[f"{name}-{part}"] for part in PARTS)
    what = "opens" if name == "window_opens_on" else "closes"
    if not (day or month or year):
        return None
    if not (day and month and year):
        errors.add(f"{name}-day", f"Enter the full date the window {what} (day, month and year), or none.")
        return None
    try:
        if len(year) != 4:
            raise ValueError(year)
        return date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        errors.add(f"{name}-day", f"Enter a real date the window {what}, like 27 3 2027.")
        return None
