"""The training service's pages: providers record progress, candidates follow theirs; see
docs/pages.md."""

from fastapi import APIRouter

from . import admin_providers, certificates, corrections, cpd, grid, learner, provider

router = APIRouter(include_in_schema=False)
router.include_router(provider.router)
router.include_router(grid.router)
router.include_router(corrections.router)
router.include_router(learner.router)
router.include_router(cpd.router)
router.include_router(admin_providers.router)
router.include_router(certificates.router)

__all__ = ["router"]
