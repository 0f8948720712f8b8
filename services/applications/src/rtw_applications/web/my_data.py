"""The candidate's data: download everything held (subject access) or erase it (the same use
cases as GET /candidates/{id}/export and POST /candidates/{id}/erasure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from rtw_platform.filestore import FileStore
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import end_session, read_form, redirect

from .. import privacy
from .candidate import candidate
from .common import PAGES

router = APIRouter(include_in_schema=False)


@router.get("/my/data")
async def my_data(request: Request) -> HTMLResponse:
    """What we hold, and the two things the candidate can do with it."""
    candidate(request)
    return PAGES.render(request, "my_data.html")


@router.get("/my/data/download")
async def download(request: Request, uow: UnitOfWorkDep) -> Response:
    """Everything held about the candidate, as a JSON file (equality answers included: it is theirs)."""
    principal = candidate(request)
    exported = await privacy.export_candidate(UUID(principal.subject), uow, include_equality_monitoring=True)
    day = datetime.now(UTC).date().isoformat()
    return Response(
        json.dumps(exported, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="return-to-work-my-data-{day}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/my/data/erase")
async def erase_form(request: Request) -> HTMLResponse:
    """Are you sure: what erasing means."""
    candidate(request)
    return PAGES.render(request, "erase.html")


@router.post("/my/data/erase")
async def erased(request: Request, uow: UnitOfWorkDep) -> RedirectResponse:
    """Erase the candidate here and (by CandidateErased) everywhere; the session ends."""
    principal = candidate(request)
    await read_form(request)
    store: FileStore = request.app.state.runtime.state["file_store"]
    candidate_id = UUID(principal.subject)
    affected = await privacy.erase_candidate(candidate_id, uow, store)
    await privacy.erase_dead_letters(request.app.state.runtime.dead_letter_eraser, candidate_id, affected)
    response = redirect(request, "/my/data/erased")
    await end_session(request, response)
    return response


@router.get("/my/data/erased")
async def erased_page(request: Request) -> HTMLResponse:
    """Confirmation that the data was erased."""
    return PAGES.render(request, "erased.html")
