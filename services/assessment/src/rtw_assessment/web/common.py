"""What the assessment service's pages share."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from rtw_contracts import IctSpecialism
from rtw_platform.web import Pages

PAGES = Pages("assessment", Path(__file__).parent / "templates")

PROGRAMMES = {
    "ict": "ICT",
    "social_work": "Social work",
    "planning": "Planning",
    "legal": "Legal",
}


def programme_name(value: str) -> str:
    """A programme as people call it."""
    return PROGRAMMES.get(value, value.replace("_", " ").capitalize())


def specialism_names(values: list[str]) -> str:
    """ICT specialisms as people call them, e.g. 'Software developer, Data analyst'."""
    known = {s.value: s.label for s in IctSpecialism}
    return ", ".join(known.get(v, v.replace("_", " ")) for v in values)


def when(moment: datetime | None) -> str:
    """A date and time as people read it, e.g. '3 May 2026, 14:05'."""
    return "" if moment is None else moment.strftime("%-d %B %Y, %H:%M")


PAGES.environment.filters["programme"] = programme_name


def day(value: date | str | None) -> str:
    """A date as people read it, e.g. '27 March 2027' (also from an ISO date string)."""
    if not value:
        return ""
    moment = date.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%-d %B %Y")


def month(value: str | None) -> str:
    """A month from an ISO date string as people read it, e.g. 'April 2016'."""
    return date.fromisoformat(value).strftime("%B %Y") if value else ""


PAGES.environment.filters["when"] = when
PAGES.environment.filters["month"] = month
PAGES.environment.filters["day"] = day
PAGES.environment.filters["specialisms"] = specialism_names
