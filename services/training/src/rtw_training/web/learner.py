"""Candidates' pages: their training, module by module, and their certificate."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import signed_in

from ..store import work_of
from ..use_cases import views
from .common import PAGES

router = APIRouter(include_in_schema=False)


@router.get("/my")
async def my_training(request: Request, uow: UnitOfWorkDep, cpd: str | None = None) -> Response:
    """The signed-in candidate's training: modules done and to do, hours, CPD, certificate."""
    principal = signed_in(request, Role.CANDIDATE)
    try:
        candidate_id = UUID(principal.subject)
    except ValueError:
        return PAGES.render(request, "my_training.html", {"views": [], "recommendations": []})
    shown, suggested = await views.my_training(work_of(uow), candidate_id)
    context = {"views": shown, "recommendations": suggested, "cpd_added": cpd == "added"}
    return PAGES.render(request, "my_training.html", context)
