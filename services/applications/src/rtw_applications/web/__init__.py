"""The pages candidates (and, for signing in, staff) use; see docs/pages.md."""

from fastapi import APIRouter
from rtw_platform.web import footer_pages

from . import (
    account,
    adjustments_pages,
    apply,
    equality,
    home,
    intake_windows,
    my_data,
    preferences_form,
    second_stage_form,
    skills_pages,
)
from . import reports as admin_reports

router = APIRouter(include_in_schema=False)
router.include_router(account.router)
# The candidate's pages: applying, their home, the second stage, their preferences, their data.
for candidate_pages in (
    apply.router,
    skills_pages.router,
    equality.router,
    home.router,
    second_stage_form.router,
    preferences_form.router,
    my_data.router,
    adjustments_pages.router,
):
    router.include_router(candidate_pages)
router.include_router(admin_reports.router)
router.include_router(intake_windows.router)
# The pages every page's footer links to (help, accessibility, cookies, privacy): the platform's.
router.include_router(footer_pages.router)

__all__ = ["router"]
