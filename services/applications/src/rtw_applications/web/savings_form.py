"""The savings assumptions as an admin changes them on the reports page: money in pounds (and
pence), the working weeks, each checked with a message beside its box. Nothing is stored: as with
`GET /reports/savings?…`, the assumptions are the page's query, so the page can be shared."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from rtw_platform.web import FormErrors
from starlette.datastructures import QueryParams

from ..reports import MAX_HOURLY_PENCE, MAX_RECRUITMENT_PENCE, SavingsAssumptions

#: The form's boxes: (query name, the assumption, what it is, the most it may be in pence).
MONEY = (
    ("agency_low", "agency_hourly_low_pence", "the agency's low hourly cost", MAX_HOURLY_PENCE),
    ("agency_high", "agency_hourly_high_pence", "the agency's high hourly cost", MAX_HOURLY_PENCE),
    ("employed", "employed_hourly_pence", "the returner's hourly cost", MAX_HOURLY_PENCE),
    ("recruitment", "recruitment_cost_pence", "the recruitment cost avoided", MAX_RECRUITMENT_PENCE),
)
NAMES = ("agency_low", "agency_high", "employed", "weeks", "recruitment")


@dataclass
class SavingsForm:
    """The assumptions to use (the defaults where the form is wrong), the boxes as typed, and what
    needs correcting."""

    assumptions: SavingsAssumptions
    values: dict[str, str]
    errors: FormErrors = field(default_factory=FormErrors)
    changed: bool = False


def pounds_text(pence: int) -> str:
    """Pence as a box shows them: 30, 15.71, 24000."""
    whole, part = divmod(pence, 100)
    return f"{whole}.{part:02d}" if part else str(whole)


def _pence(typed: str) -> int | None:
    """'£1,234.50' → 123450 (None when it is not an amount of money)."""
    cleaned = re.sub(r"[£,\s]", "", typed)
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        return None
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return None


def read_savings(query: QueryParams) -> SavingsForm:
    """The assumptions asked for in the page's query (the defaults when none is)."""
    defaults = SavingsAssumptions()
    values = {name: (query.get(name) or "").strip() for name in NAMES}
    if not any(values.values()):
        shown = {name: pounds_text(getattr(defaults, key)) for name, key, _, _ in MONEY}
        shown["weeks"] = f"{defaults.weeks_per_year:g}"
        return SavingsForm(defaults, shown)
    errors = FormErrors()
    chosen: dict[str, Any] = {}
    for name, key, what, most in MONEY:
        typed = values[name]
        if not typed:
            errors.add(name, f"Enter {what}, in pounds")
            continue
        pence = _pence(typed)
        if pence is None:
            errors.add(name, f"Enter {what} as an amount of money, like 30 or 15.71")
        elif pence > most:
            errors.add(name, f"{what[0].upper()}{what[1:]} must be £{most // 100:,} or less")
        else:
            chosen[key] = pence
    try:
        weeks = float(values["weeks"]) if values["weeks"] else None
    except ValueError:
        weeks = None
    if weeks is None or not 0 < weeks <= 52:
        errors.add("weeks", "Enter the working weeks a year, a number more than 0 and at most 52")
    else:
        chosen["weeks_per_year"] = weeks
    low, high = chosen.get("agency_hourly_low_pence"), chosen.get("agency_hourly_high_pence")
    if low is not None and high is not None and high < low:
        errors.add("agency_high", "The agency's high hourly cost must not be less than its low one")
    if errors:
        return SavingsForm(defaults, values, errors)
    try:
        return SavingsForm(SavingsAssumptions(**chosen), values, changed=True)
    except ValidationError:  # the checks above are the model's: this is not expected
        errors.add("agency_low", "Check the assumptions")
        return SavingsForm(defaults, values, errors)
