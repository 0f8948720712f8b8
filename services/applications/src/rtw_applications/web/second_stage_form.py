"""The second-stage form: answers to the programme's questions and the video assessment, sent as
one multipart form to the same use case as POST /applications/{id}/second-stage (the video is
checked by its bytes and its size there). The answers can be saved as a draft at any time before
sending, and are shown again when the candidate comes back; answers that need correcting are
saved too, and the form is shown again after a redirect (post/redirect/get)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from rtw_contracts import AdjustmentKind, Programme
from rtw_platform.body_limit import accepts_body_up_to
from rtw_platform.errors import Invalid, TooLarge, UnsupportedMedia
from rtw_platform.filestore import FileStore
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, form_state, form_text, read_form, redirect, redirect_with_problems
from starlette.datastructures import UploadFile

from .. import adjustments, cohorts, domain, second_stage, uploads
from ..models import Application
from .candidate import own_application
from .common import PAGES, settings_of
from .home import second_stage_state

router = APIRouter(include_in_schema=False)


def _field(question_id: str) -> str:
    return f"answer-{question_id}"


@router.get("/my/applications/{application_id}/second-stage")
async def second_stage_page(
    request: Request, application_id: str, uow: UnitOfWorkDep, saved: str = ""
) -> Response:
    """The questions (with the answers saved so far) and the video upload."""
    _, application = await own_application(request, uow, application_id)
    if await second_stage_state(uow, application) != "open":
        return redirect(request, f"/my/applications/{application.id}")
    draft = await second_stage.saved_draft(uow, application.id)
    values = {
        (q if q == second_stage.WRITTEN_ALTERNATIVE else _field(q)): text
        for q, text in (draft.answers if draft else {}).items()
    }
    state = form_state(request)
    errors = state.errors if state else FormErrors()
    return await _render(
        request, uow, application, values, errors, just_saved=saved == "yes" and draft is not None
    )


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
    written = form_text(form, second_stage.WRITTEN_ALTERNATIVE)
    draft = {**answers, second_stage.WRITTEN_ALTERNATIVE: written}
    page = f"/my/applications/{application.id}/second-stage"
    if form_text(form, "action") == "save":
        await second_stage.save_draft(application.id, draft, principal, uow)
        return redirect(request, f"{page}?saved=yes")
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
            written_alternative=written,
        )
    except Invalid as refusal:
        fields = {f"answers.{q.id}": _field(q.id) for q in questions}
        errors = FormErrors.from_refusal(refusal, fields)
    except (TooLarge, UnsupportedMedia) as refusal:
        errors.add("video", refusal.message)
    if errors:
        # Nothing typed is lost: the answers are saved as the draft the form shows again.
        await second_stage.save_draft(application.id, draft, principal, uow)
        return redirect_with_problems(request, page, errors, {})
    return redirect(request, f"/my/applications/{application.id}?sent=second-stage")


async def _render(
    request: Request,
    uow: UnitOfWorkDep,
    application: Application,
    values: dict[str, Any],
    errors: FormErrors,
    *,
    just_saved: bool = False,
) -> HTMLResponse:
    cohort = await cohorts.cohort_or_refuse(uow, application.cohort_id)
    questions = domain.SECOND_STAGE_QUESTIONS[Programme(application.programme)]
    agreed, extra_minutes = await adjustments.agreed_for(uow, application.id)
    context = {
        "written_alternative": AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO in agreed,
        "live_call": AdjustmentKind.LIVE_CALL_WITH_ASSESSOR in agreed,
        "video_replaced": domain.video_replaced(agreed),
        "written_max_words": domain.WRITTEN_ALTERNATIVE_MAX_WORDS,
        "deadline": domain.deadline_with_more_time(application.second_stage_deadline, extra_minutes),
        "application": application,
        "cohort": cohort,
        "questions": [{"id": _field(q.id), "text": q.text, "max_words": q.max_words} for q in questions],
        "values": values,
        "max_mb": settings_of(request).video_max_bytes // (1024 * 1024),
        "just_saved": just_saved,
    }
    return PAGES.render(request, "second_stage.html", context, errors=errors)
