"""The pages of council recruiters (sign-up to hire), candidates' "councils interested in me" and
programme admins' councils' claims; see docs/pages.md."""

from fastapi import APIRouter

from .admin_councils import router as admin_pages
from .interest import router as interest_pages
from .outreach_pages import router as outreach_pages
from .recruiters import router as recruiter_pages
from .saved_searches import router as saved_search_pages
from .sign_up import router as sign_up_pages
from .talent import router as talent_pages
from .vacancies import router as vacancy_pages

router = APIRouter(include_in_schema=False)
for pages in (
    sign_up_pages,
    vacancy_pages,
    talent_pages,
    saved_search_pages,
    outreach_pages,
    recruiter_pages,
    interest_pages,
    admin_pages,
):
    router.include_router(pages)

__all__ = ["router"]
