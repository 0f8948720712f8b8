"""The assessor's pages: my queue, the blind submission (with its video), the scorecard and the
conflict-of-interest declaration."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Invalid, NotFound
from rtw_platform.filestore import FileNotStored, FileStore
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, form_text, read_form, redirect, signed_in

from .. import second_stage
from ..domain import Rubric
from .common import PAGES
from .scorecard_form import RECOMMENDATIONS, SCALE, ScorecardForm, read_scorecard, score_field

router = APIRouter(include_in_schema=False)

NOTICES = {
    "scored": "Your scorecard has been sent.",
    "declared": "Your conflict of interest is recorded: the submission has gone to another assessor.",
}


def assignment_id_of(value: str) -> UUID:
    """The assignment in the address (a malformed one is simply not in the queue)."""
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("There is no such assignment in your queue.") from None


@router.get("/queue")
async def queue(request: Request, uow: UnitOfWorkDep, done: str | None = None) -> Response:
    """My assignments: the ones to score first."""
    assessor = signed_in(request, Role.ASSESSOR)
    items = await second_stage.queue_of(uow, assessor)
    return PAGES.render(
        request,
        "queue.html",
        {
            "items": items,
            "to_score": sum(1 for i in items if i.status == "pending"),
            "notice": NOTICES.get(done or ""),
        },
    )


@router.get("/queue/{assignment_id}")
async def submission(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """The submission, blind: exactly what the assessor API shows."""
    assessor = signed_in(request, Role.ASSESSOR)
    blind = await second_stage.blind_submission(uow, assignment_id_of(assignment_id), assessor)
    return PAGES.render(request, "submission.html", {"submission": blind})


@router.get("/queue/{assignment_id}/video")
async def video(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """The submission's video."""
    assessor = signed_in(request, Role.ASSESSOR)
    key, content_type = await second_stage.video_of(uow, assignment_id_of(assignment_id), assessor)
    store: FileStore = request.app.state.runtime.state["file_store"]
    try:
        data = await store.get(key)
    except FileNotStored:
        raise NotFound("The video is not in the file store (it may have been erased).") from None
    return Response(content=data, media_type=content_type, headers={"cache-control": "no-store"})


async def _blind(uow: UnitOfWork, assignment_id: str, assessor: Principal) -> tuple[dict[str, Any], Rubric]:
    blind = await second_stage.blind_submission(uow, assignment_id_of(assignment_id), assessor)
    return blind, Rubric.model_validate(blind["rubric"])


def _scorecard_page(
    request: Request, blind: dict[str, Any], rubric: Rubric, form: ScorecardForm | None = None
) -> Response:
    return PAGES.render(
        request,
        "scorecard.html",
        {
            "submission": blind,
            "rubric": rubric,
            "values": form.values if form else {},
            "scale": SCALE,
            "recommendations": RECOMMENDATIONS,
            "score_field": score_field,
        },
        status_code=400 if form and form.errors else 200,
        errors=form.errors if form else None,
    )


@router.get("/queue/{assignment_id}/scorecard")
async def scorecard_form(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """The scorecard: each criterion on the 1-4 scale, a recommendation and notes."""
    assessor = signed_in(request, Role.ASSESSOR)
    blind, rubric = await _blind(uow, assignment_id, assessor)
    if blind["status"] != "pending":
        return redirect(request, f"/queue/{blind['assignment_id']}")
    return _scorecard_page(request, blind, rubric)


@router.post("/queue/{assignment_id}/scorecard")
async def scorecard_sent(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Send the scorecard; back to the queue when it is in."""
    assessor = signed_in(request, Role.ASSESSOR)
    form = await read_form(request)
    blind, rubric = await _blind(uow, assignment_id, assessor)
    answers = read_scorecard(form, rubric)
    if answers.card is None:
        return _scorecard_page(request, blind, rubric, answers)
    try:
        await second_stage.submit_scorecard(uow, UUID(blind["assignment_id"]), answers.card, assessor)
    except Invalid as refusal:
        answers.errors = FormErrors.from_refusal(refusal)
        return _scorecard_page(request, blind, rubric, answers)
    return redirect(request, "/queue?done=scored")


@router.get("/queue/{assignment_id}/conflict")
async def conflict_form(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Say that I know the candidate, so that someone else assesses them."""
    assessor = signed_in(request, Role.ASSESSOR)
    blind, _ = await _blind(uow, assignment_id, assessor)
    return PAGES.render(request, "conflict.html", {"submission": blind, "reason": ""})


@router.post("/queue/{assignment_id}/conflict")
async def conflict_declared(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Record the conflict; the submission goes to another assessor."""
    assessor = signed_in(request, Role.ASSESSOR)
    form = await read_form(request)
    blind, _ = await _blind(uow, assignment_id, assessor)
    reason = form_text(form, "reason")
    errors = FormErrors()
    if not reason:
        errors.add("reason", "Say how you know the candidate.")
    elif len(reason) < 5:
        errors.add("reason", "Say how you know the candidate in at least 5 characters.")
    elif len(reason) > 500:
        errors.add("reason", "Keep it to 500 characters or fewer.")
    if errors:
        return PAGES.render(
            request, "conflict.html", {"submission": blind, "reason": reason}, status_code=400, errors=errors
        )
    await second_stage.declare_conflict(uow, UUID(blind["assignment_id"]), reason, assessor)
    return redirect(request, "/queue?done=declared")
