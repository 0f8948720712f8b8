"""Reading the fields of the application's pages: months, dates, numbers, choices, and the
validation messages of the answers' model turned into messages beside the fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError
from rtw_platform.web import FormErrors, form_text, whole_number
from rtw_platform.web.i18n import N_
from rtw_platform.web.i18n import gettext as _
from starlette.datastructures import FormData


def choices(form: FormData, name: str) -> list[str]:
    """The ticked values of a set of checkboxes."""
    return [value for value in form.getlist(name) if isinstance(value, str) and value]


def month_of(
    form: FormData, prefix: str, what: str, errors: FormErrors, *, required: bool, today: date
) -> str | None:
    """A month and year (`<prefix>-month`, `<prefix>-year`) as 'YYYY-MM'; `what` completes
    'Enter the month and year …'."""
    month, year = form_text(form, f"{prefix}-month"), form_text(form, f"{prefix}-year")
    key = f"{prefix}-month"
    if not month and not year:
        if required:
            errors.add(key, _("Enter the month and year %(what)s") % {"what": _(what)})
        return None
    if whole_number(month, 1, 12) is None:
        errors.add(key, _("The month %(what)s must be a number from 1 to 12") % {"what": _(what)})
        return None
    if not year.isdecimal() or len(year) != 4 or int(year) < 1950:
        errors.add(key, _("The year %(what)s must be 4 digits, like 2021") % {"what": _(what)})
        return None
    if date(int(year), int(month), 1) > today:
        errors.add(key, _("The month %(what)s must be this month or in the past") % {"what": _(what)})
        return None
    return f"{int(year):04d}-{int(month):02d}"


def day_of(form: FormData, prefix: str, what: str, errors: FormErrors) -> str | None:
    """An optional day, month and year (`<prefix>-day`, …) as an ISO date."""
    parts = [form_text(form, f"{prefix}-{part}") for part in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        day, month, year = (int(part) for part in parts)
        return date(year, month, day).isoformat()
    except (ValueError, OverflowError):
        errors.add(f"{prefix}-day", _("%(what)s must be a real date, like 4 1 2027") % {"what": _(what)})
        return None


def number_of(text: str) -> float | None:
    """A number as people type it ('8', '2.5', '10 years' is not one)."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def month_parts(value: Any, prefix: str) -> dict[str, str]:
    """A saved month ('2021-03-01') as the values of its two fields."""
    if not isinstance(value, str) or len(value) < 7:
        return {}
    return {f"{prefix}-month": str(int(value[5:7])), f"{prefix}-year": value[:4]}


def day_parts(value: Any, prefix: str) -> dict[str, str]:
    """A saved date ('2027-01-04') as the values of its three fields."""
    if not isinstance(value, str) or len(value) != 10:
        return {}
    return {
        f"{prefix}-day": str(int(value[8:])),
        f"{prefix}-month": str(int(value[5:7])),
        f"{prefix}-year": value[:4],
    }


#: The answers' model's own messages a candidate may meet on a page, as `add_validation_errors`
#: shows them (capitalised), marked so that the page's language has them.
MODEL_MESSAGES = (
    N_("Enter a UK postcode, for example WS1 1AA, or its first part, for example WS1"),
    N_("We do not know that postcode district: check the postcode, for example WS1 1AA or WS1"),
    N_("Enter a telephone number, like 01632 960 001 or +44 7700 900 982"),
)


def add_validation_errors(
    errors: FormErrors, exc: ValidationError, ids: Mapping[str, str], default: str
) -> None:
    """The model's own messages (postcode district, phone …) beside the field they are about."""
    for problem in exc.errors():
        location = [str(part) for part in problem.get("loc", ())]
        field = location[0] if location else ""
        message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
        errors.add(ids.get(field, default), message[:1].upper() + message[1:])
