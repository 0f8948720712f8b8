"""What the matching service's pages share: templates, the recruiter's council, names for codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import Request
from rtw_contracts import FlexibleWorking, IctSpecialism, Programme, SkillLevel, WorkMode
from rtw_contracts.labels import labels_for
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Forbidden
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import Pages, signed_in
from rtw_platform.web.i18n import N_

from ..councils import council_for
from ..models import Council
from ..request_settings import link_options as link_options  # the pages' and the API's
from ..request_settings import settings_of as settings_of

PAGES = Pages("matching", Path(__file__).parent / "templates")

PROGRAMMES = labels_for(Programme)
SPECIALISMS = labels_for(IctSpecialism)
FLEXIBLE_WORKING = labels_for(FlexibleWorking)
WORK_MODES = labels_for(WorkMode)
LEVELS = labels_for(SkillLevel)
TRAINING = {"none": "Not in training yet", "enrolled": "In training", "completed": "Training completed"}
FACTORS = {
    "role_fit": "Role fit",
    "skills": "Skills",
    "experience": "Experience",
    "distance": "Distance",
    "flexible_working": "Flexible working",
    "training": "Training",
    "availability": "Availability",
}
#: A match's status as people read it, and the colour of its tag.
STATUSES = {
    "proposed": (N_("Proposed"), "govuk-tag--blue"),
    "displaced": (N_("Proposed earlier"), "govuk-tag--grey"),
    "shortlisted": (N_("Shortlisted"), "govuk-tag--light-blue"),
    "reached_out": (N_("Waiting for the candidate"), "govuk-tag--yellow"),
    "accepted": (N_("Accepted"), "govuk-tag--green"),
    "declined": (N_("Declined"), "govuk-tag--grey"),
    "interviewing": (N_("Interviewing"), "govuk-tag--purple"),
    "hired": (N_("Hired"), "govuk-tag--green"),
    "not_hired": (N_("Not hired"), "govuk-tag--grey"),
    "withdrawn": (N_("Withdrawn"), "govuk-tag--grey"),
}
VACANCY_STATUSES = {
    "open": ("Open", "govuk-tag--green"),
    "closed": ("Closed", "govuk-tag--grey"),
    "filled": ("Filled", "govuk-tag--blue"),
}


def page_labels() -> dict[str, Any]:
    """Names the templates use for codes, in the language of the page being answered (the
    contracts' labels follow it)."""
    return {
        "programmes": labels_for(Programme),
        "specialisms": labels_for(IctSpecialism),
        "flexible_working": labels_for(FlexibleWorking),
        "work_modes": labels_for(WorkMode),
        "levels": labels_for(SkillLevel),
        "training": TRAINING,
        "factors": FACTORS,
        "statuses": STATUSES,
        "vacancy_statuses": VACANCY_STATUSES,
    }


#: The names as they were when the module was loaded (English), for code outside a page.
LABELS = page_labels()


def recruiter(request: Request) -> Principal:
    """The signed-in recruiter (or off to sign in)."""
    return signed_in(request, Role.RECRUITER)


async def council_of(uow: UnitOfWork, principal: Principal, *, approved: bool = True) -> Council:
    """The council the recruiter acts for; unless `approved` is False, only once its claim is
    approved (403 saying it awaits approval otherwise)."""
    if not principal.council_id:
        raise Forbidden("Your sign-in does not name a council.")
    return await council_for(
        uow,
        principal,
        UUID(principal.council_id),
        missing="Your council is not signed up any more.",
        approved=approved,
    )


def pounds(pence: int) -> str:
    """£32,000 (or £32,000.50)."""
    whole, part = divmod(pence, 100)
    return f"£{whole:,}" + (f".{part:02d}" if part else "")
