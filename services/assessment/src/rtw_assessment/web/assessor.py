"""The assessor's pages: my queue, the blind submission (its answers under their questions, its
video) with my scorecard on the same page (sent once, then changed until the cohort's scoring
closes), and the conflict-of-interest declaration. A refused form goes back to its page with its
problems and what was typed (post/redirect/get, rtw_platform.web.form_state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, Invalid, NotFound
from rtw_platform.filestore import FileNotStored, FileStore
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import (
    FormErrors,
    form_state,
    form_text,
    read_form,
    redirect,
    redirect_with_problems,
    signed_in,
)

from .. import second_stage
from ..domain import Rubric
from .common import PAGES, when
from .scorecard_form import (
    RECOMMENDATIONS,
    SCALE,
    ScorecardForm,
    read_scorecard,
    recommendation_name,
    score_field,
    values_of,
)

router = APIRouter(include_in_schema=False)

NOTICES = {
    "scored": "Your scorecard has been sent.",
    "changed": "Your scorecard has been changed.",
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
    """The submission, blind (exactly what the assessor API shows), and my scorecard beside it (as
    typed, with its problems, when it was refused)."""
    assessor = signed_in(request, Role.ASSESSOR)
    blind, rubric = await _blind(uow, assignment_id, assessor)
    state = form_state(request)
    if state is not None:
        values = {str(name): str(value) for name, value in state.values.items()}
        return _submission_page(request, blind, rubric, ScorecardForm(values, state.errors, None))
    return _submission_page(request, blind, rubric)


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


def _submission_page(
    request: Request, blind: dict[str, Any], rubric: Rubric, form: ScorecardForm | None = None
) -> Response:
    mine = blind["my_scorecard"]
    return PAGES.render(
        request,
        "submission.html",
        {
            "submission": blind,
            "rubric": rubric,
            "mine": mine,
            "sent_at": when(datetime.fromisoformat(mine["changed_at"] or mine["submitted_at"]))
            if mine
            else "",
            "values": form.values if form else values_of(rubric, mine),
            "scale": SCALE,
            "recommendations": RECOMMENDATIONS,
            "recommendation_name": recommendation_name,
            "score_field": score_field,
        },
        errors=form.errors if form else None,
    )


@router.get("/queue/{assignment_id}/scorecard")
async def scorecard_form(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """The scorecard is on the submission's page (this address is kept for old links)."""
    assessor = signed_in(request, Role.ASSESSOR)
    blind, _ = await _blind(uow, assignment_id, assessor)
    return redirect(request, f"/queue/{blind['assignment_id']}#scorecard")


@router.post("/queue/{assignment_id}/scorecard")
async def scorecard_sent(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Send my scorecard, or change the one I sent; back to the queue when it is in."""
    assessor = signed_in(request, Role.ASSESSOR)
    form = await read_form(request)
    blind, rubric = await _blind(uow, assignment_id, assessor)
    answers = read_scorecard(form, rubric)
    page = f"/queue/{blind['assignment_id']}"
    if blind["scoring_closed"]:
        closed = FormErrors({"form": blind["scoring_closed"]})
        return redirect_with_problems(request, page, closed, answers.values)
    if answers.card is None:
        return redirect_with_problems(request, page, answers.errors, answers.values)
    change = blind["my_scorecard"] is not None
    use_case = second_stage.change_scorecard if change else second_stage.submit_scorecard
    try:
        await use_case(uow, UUID(blind["assignment_id"]), answers.card, assessor)
    except (Invalid, Conflict) as refusal:
        return redirect_with_problems(request, page, FormErrors.from_refusal(refusal), answers.values)
    return redirect(request, f"/queue?done={'changed' if change else 'scored'}")


@router.get("/queue/{assignment_id}/conflict")
async def conflict_form(assignment_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Say that I know the candidate, so that someone else assesses them."""
    assessor = signed_in(request, Role.ASSESSOR)
    blind, _ = await _blind(uow, assignment_id, assessor)
    state = form_state(request)
    reason = str(state.values.get("reason", "")) if state else ""
    errors = state.errors if state else None
    return PAGES.render(request, "conflict.html", {"submission": blind, "reason": reason}, errors=errors)


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
        page = f"/queue/{blind['assignment_id']}/conflict"
        return redirect_with_problems(request, page, errors, {"reason": reason})
    await second_stage.declare_conflict(uow, UUID(blind["assignment_id"]), reason, assessor)
    return redirect(request, "/queue?done=declared")
