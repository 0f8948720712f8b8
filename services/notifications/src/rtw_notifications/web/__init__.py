"""The notifications service's pages: the programme admins' view of dead letters; see
docs/pages.md."""

from fastapi import APIRouter

from . import dead_letters

router = APIRouter(include_in_schema=False)
router.include_router(dead_letters.router)

__all__ = ["router"]
