"""What the assessment service's pages share."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from rtw_contracts import IctSpecialism, IneligibilityReason, Programme
from rtw_contracts.labels import label_for_code, labels_for
from rtw_platform.web import Pages
from rtw_platform.web.i18n import long_date

PAGES = Pages("assessment", Path(__file__).parent / "templates")

PROGRAMMES = labels_for(Programme)


def programme_name(value: str) -> str:
    """A programme as people call it."""
    return label_for_code(value, Programme)


def specialism_names(values: list[str]) -> str:
    """ICT specialisms as people call them, e.g. 'Software developer, Data analyst'."""
    return ", ".join(label_for_code(v, IctSpecialism) for v in values)


def when(moment: datetime | None) -> str:
    """A date and time as people read it, e.g. '3 May 2026, 14:05'."""
    return "" if moment is None else moment.strftime("%-d %B %Y, %H:%M")


PAGES.environment.filters["programme"] = programme_name


def day(value: date | str | None) -> str:
    """A date as people read it, e.g. '27 March 2027' ('27 Mawrth 2027' on a Welsh page), also
    from an ISO date string."""
    if not value:
        return ""
    moment = date.fromisoformat(value) if isinstance(value, str) else value
    return long_date(moment)  # in the page's language


def month(value: str | None) -> str:
    """A month from an ISO date string as people read it, e.g. 'April 2016'."""
    return date.fromisoformat(value).strftime("%B %Y") if value else ""


PAGES.environment.filters["when"] = when
PAGES.environment.filters["month"] = month
PAGES.environment.filters["day"] = day
PAGES.environment.filters["specialisms"] = specialism_names


def reason_name(code: str) -> str:
    """A reason code (why a candidate was not eligible) as people read it."""
    return label_for_code(code, IneligibilityReason)


PAGES.environment.filters["reason"] = reason_name
