"""Reading the answers of the pages' forms: lists of choices, dates, numbers and money, with the
messages a person sees beside a field."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError
from rtw_platform.web import FormErrors
from starlette.datastructures import FormData, QueryParams

Answers = FormData | QueryParams


def text(answers: Answers, name: str) -> str:
    """A text answer, trimmed ('' when absent)."""
    value = answers.get(name)
    return value.strip() if isinstance(value, str) else ""


def chosen(answers: Answers, name: str, allowed: Collection[str]) -> list[str]:
    """The ticked boxes of a checkbox group that are among `allowed`, in order, once each."""
    picked: list[str] = []
    for value in answers.getlist(name):
        if isinstance(value, str) and value in allowed and value not in picked:
            picked.append(value)
    return picked


def date_answer(answers: Answers, name: str) -> dict[str, str]:
    """A date input's three boxes, as typed."""
    return {part: text(answers, f"{name}-{part}") for part in ("day", "month", "year")}


def read_date(answers: Answers, name: str, what: str, errors: FormErrors, *, required: bool) -> date | None:
    """A date from a date input (`<name>-day`, `-month`, `-year`); the error goes on its day box."""
    typed = date_answer(answers, name)
    key = f"{name}-day"
    if not any(typed.values()):
        if required:
            errors.add(key, f"Enter {what}")
        return None
    missing = [part for part, value in typed.items() if not value]
    if missing:
        errors.add(key, f"{what[0].upper()}{what[1:]} must include a {' and '.join(missing)}")
        return None
    try:
        return date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except (ValueError, OverflowError):
        errors.add(key, f"{what[0].upper()}{what[1:]} must be a real date")
        return None


def read_number(
    answers: Answers,
    name: str,
    what: str,
    errors: FormErrors,
    *,
    required: bool,
    low: float | None = None,
    high: float | None = None,
) -> float | None:
    """A number typed into a box, within bounds."""
    typed = text(answers, name)
    if not typed:
        if required:
            errors.add(name, f"Enter {what}")
        return None
    try:
        value = float(typed)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):  # "nan" and "inf" parse as floats but are no number a person means
        errors.add(name, f"{what[0].upper()}{what[1:]} must be a number")
        return None
    if low is not None and value <= low:
        errors.add(name, f"{what[0].upper()}{what[1:]} must be more than {low:g}")
        return None
    if high is not None and value > high:
        errors.add(name, f"{what[0].upper()}{what[1:]} must be {high:g} or less")
        return None
    return value


def read_pence(
    answers: Answers, name: str, what: str, errors: FormErrors, *, most: int = 1_000_000
) -> int | None:
    """An amount in pounds (like 32000 or £32,000.50), as pence, from £0 to `most` pounds."""
    typed = text(answers, name).replace(",", "").removeprefix("£")
    if not typed:
        errors.add(name, f"Enter {what}")
        return None
    try:
        amount = Decimal(typed)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():  # "NaN", "sNaN" and "Infinity" are Decimals, not amounts
        errors.add(name, f"{what[0].upper()}{what[1:]} must be an amount in pounds, like 32000")
        return None
    if amount < 0 or amount > most:
        errors.add(name, f"{what[0].upper()}{what[1:]} must be between £0 and £{most:,}")
        return None
    return int((amount * 100).quantize(Decimal(1)))


def email_address_problem(typed: str, whose: str) -> str | None:
    """What is wrong with a typed e-mail address, said to a person (None when it will do);
    `whose` as in "Enter the contact's e-mail address"."""
    if not typed:
        return f"Enter {whose} e-mail address"
    try:
        validate_email(typed, check_deliverability=False)
    except EmailNotValidError:
        return "Enter an e-mail address in the correct format, like name@council.gov.uk"
    return None


def from_validation(problem: ValidationError, fields: Mapping[str, str], default: str) -> FormErrors:
    """What pydantic found wrong, beside the form's fields (`fields`: model field → form field;
    problems with no field go beside `default`)."""
    errors = FormErrors()
    for error in problem.errors():
        location: tuple[Any, ...] = tuple(error.get("loc", ()))
        name = fields.get(str(location[0]), default) if location else default
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        errors.add(name, message[0].upper() + message[1:])
    return errors
