"""The second-stage form: answers to the programme's questions and the video assessment, sent as
one multipart form to the same use case as POST /applications/{id}/second-stage (the video is
checked by its bytes and its size there)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from rtw_contracts import Programme
from rtw_platform.body_limit import accepts_body_up_to
from rtw_platform.errors import Invalid, TooLarge, UnsupportedMedia
from rtw_platform.filestore import FileStore
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, form_text, read_form, redirect
from starlette.datastructures import UploadFile

from .. import cohorts, domain, second_stage, uploads
from ..models import Application
from .candidate import own_application
from .common import PAGES, settings_of
from .home import second_stage_state

router = APIRouter(include_in_schema=False)


def _field(question_id: str) -> str:
    return f"answer-{question_id}"


@router.get("/my/applications/{application_id}/second-stage")
async def second_stage_page(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """The questions and the video upload."""
    _, application = await own_application(request, uow, application_id)
    if await second_stage_state(uow, application) != "open":
        return redirect(request, f"/my/applications/{application.id}")
    return await _render(request, uow, application, {}, FormErrors())


@router.post("/my/applications/{application_id}/second-stage")
@accepts_body_up_to(second_stage.upload_limit)
async def second_stage_sent(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Send the second stage; problems with the answers or the video are shown beside them."""
    principal, application = await own_application(request, uow, application_id)
    settings = settings_of(request)
    # Only the application's candidate gets this far; their upload is read up to the limit.
    form = await read_form(uploads.bounded(request, settings.video_max_bytes))
    questions = domain.SECOND_STAGE_QUESTIONS[Programme(application.programme)]
    answers = {q.id: form_text(form, _field(q.id)) for q in questions}
    values = {_field(q): text for q, text in answers.items()}
    errors = FormErrors()
    upload = form.get("video")
    video = None
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            data = await second_stage.read_video(upload, settings.video_max_bytes)
            video = second_stage.UploadedVideo(data=data, filename=upload.filename)
        store: FileStore = request.app.state.runtime.state["file_store"]
        await second_stage.submit_second_stage(
            application.id,
            {question_id: text for question_id, text in answers.items() if text},
            video,
            principal,
            uow,
            store,
            max_video_bytes=settings.video_max_bytes,
        )
    except Invalid as refusal:
        fields = {f"answers.{q.id}": _field(q.id) for q in questions}
        errors = FormErrors.from_refusal(refusal, fields)
    except (TooLarge, UnsupportedMedia) as refusal:
        errors.add("video", refusal.message)
    if errors:
        return await _render(request, uow, application, values, errors, 400)
    return redirect(request, f"/my/applications/{application.id}?sent=second-stage")


async def _render(
    request: Request,
    uow: UnitOfWorkDep,
    application: Application,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
) -> HTMLResponse:
    cohort = await cohorts.cohort_or_refuse(uow, application.cohort_id)
    questions = domain.SECOND_STAGE_QUESTIONS[Programme(application.programme)]
    context = {
        "application": application,
        "cohort": cohort,
        "questions": [{"id": _field(q.id), "text": q.text, "max_words": q.max_words} for q in questions],
        "values": values,
        "max_mb": settings_of(request).video_max_bytes // (1024 * 1024),
    }
    return PAGES.render(request, "second_stage.html", context, status_code=status_code, errors=errors)
