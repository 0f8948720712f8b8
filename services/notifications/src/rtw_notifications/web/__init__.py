"""The notifications service's pages: the programme admins' view of dead letters and of failed
e-mails, staff sign-in (the staff directory, and asking for a new link); see docs/pages.md."""

from fastapi import APIRouter

from . import dead_letters, failed_deliveries, staff

router = APIRouter(include_in_schema=False)
router.include_router(dead_letters.router)
router.include_router(failed_deliveries.router)
router.include_router(staff.router)

__all__ = ["router"]
