"""The pages of assessors (queue, blind submission, scorecard) and programme admins (cohorts,
configuration, closing, calibration, funnel, appeals) and candidates (their appeal); see docs/pages.md."""

from fastapi import APIRouter

from .admin import router as admin_pages
from .appeals_pages import router as appeal_pages
from .assessor import router as assessor_pages
from .assessors import router as assessors_pages
from .calibration_pages import router as calibration_pages
from .eligibility_page import router as eligibility_pages

router = APIRouter(include_in_schema=False)
router.include_router(assessor_pages)
router.include_router(admin_pages)
router.include_router(calibration_pages)
router.include_router(assessors_pages)
router.include_router(appeal_pages)
router.include_router(eligibility_pages)

__all__ = ["router"]
