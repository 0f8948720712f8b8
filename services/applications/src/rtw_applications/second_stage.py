"""The second stage: a shortlisted candidate's answers and video assessment."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from rtw_contracts import Programme, SecondStageAnswer, SecondStageSubmitted, VideoFile
from rtw_platform.auth import Principal
from rtw_platform.body_limit import FORM_OVERHEAD_BYTES
from rtw_platform.counters import take_next
from rtw_platform.errors import Conflict, Forbidden, Invalid, TooLarge, UnsupportedMedia
from rtw_platform.filestore import FileStore
from rtw_platform.uow import UnitOfWork
from sqlalchemy import delete
from sqlmodel import col
from starlette.datastructures import UploadFile

from . import adjustments, domain
from .access import ensure_candidate_self
from .cohorts import cohort_or_refuse
from .intake import application_or_refuse
from .journey import add_step
from .models import Application, SecondStageDraft, SecondStageSubmission
from .settings import ApplicationsSettings
from .uploads import too_large

#: The draft's key (and the form's field) for written answers given instead of the video.
WRITTEN_ALTERNATIVE = "written_alternative"


@dataclass(frozen=True)
class UploadedVideo:
    """A video as received: its bytes and what the sender called it."""

    data: bytes
    filename: str | None


def check_video(video: UploadedVideo, max_bytes: int) -> str:
    """The video's real type, sniffed from its bytes; refuses what is too big or not a video."""
    if len(video.data) > max_bytes:
        raise TooLarge(
            f"The video is {len(video.data) // (1024 * 1024)} MB; the largest accepted is "
            f"{max_bytes // (1024 * 1024)} MB. Record a shorter one or lower its resolution."
        )
    content_type = domain.sniff_video(video.data[:64])
    if content_type is None:
        raise UnsupportedMedia(
            "The file is not an MP4, WebM or MOV video (we check the file itself, not its name)."
        )
    return content_type


async def may_send(application_id: UUID, principal: Principal, uow: UnitOfWork) -> Application:
    """The application, if the caller is its candidate: checked from the address and the token
    alone, before anything of an upload is read (someone else's is answered as unknown)."""
    application = await application_or_refuse(uow, application_id, principal)
    ensure_candidate_self(principal, application.candidate_id)
    return application


async def submit_second_stage(
    application_id: UUID,
    answers: dict[str, str],
    video: UploadedVideo | None,
    principal: Principal,
    uow: UnitOfWork,
    store: FileStore,
    *,
    max_video_bytes: int,
    now: datetime | None = None,
    written_alternative: str = "",
) -> SecondStageSubmission:
    """Accept a shortlisted candidate's second stage, once, before the deadline (later by any
    extra time agreed). An agreed adjustment may replace the video: written answers in its place,
    or a live call with an assessor (booked apart); assessors are told which."""
    now = now or datetime.now(UTC)
    application = await _open_to(application_id, principal, uow, now)
    programme = Programme(application.programme)
    problems = domain.second_stage_problems(domain.SECOND_STAGE_QUESTIONS[programme], answers)
    cohort = await cohort_or_refuse(uow, application.cohort_id)
    agreed, _ = await adjustments.agreed_for(uow, application.id)
    problems += domain.second_stage_evidence_problems(
        video_required=cohort.video_required,
        has_video=video is not None,
        written_alternative=written_alternative,
        agreed=agreed,
    )
    if problems:
        raise Invalid(problems, "Your second stage needs correcting.")

    video_file: VideoFile | None = None
    submission = SecondStageSubmission(
        application_id=application.id,
        answers=answers,
        written_alternative=written_alternative.strip() or None,
        submitted_at=now,
    )
    if video is not None:
        content_type = check_video(video, max_video_bytes)
        extension = domain.VIDEO_EXTENSIONS[content_type]
        key = f"second-stage/{application.cohort_id}/{uuid4().hex}.{extension}"
        digest = hashlib.sha256(video.data).hexdigest()
        # The file goes first: if the commit then fails, an orphan file is harmless; the
        # reverse would leave a submission pointing at nothing.
        await store.put(key, video.data, content_type)
        video_file = VideoFile(
            storage_key=key,
            content_type=content_type,
            size_bytes=len(video.data),
            sha256=digest,
        )
        submission.video_key = key
        submission.video_content_type = content_type
        submission.video_size_bytes = len(video.data)
        submission.video_sha256 = digest
    uow.session.add(submission)
    await uow.session.execute(
        delete(SecondStageDraft).where(col(SecondStageDraft.application_id) == application.id)
    )
    await take_next(uow.session, application, "event_sequence")
    event = SecondStageSubmitted(
        correlation_id=application.id,
        sequence=application.event_sequence,
        application_id=application.id,
        candidate_id=application.candidate_id,
        cohort_id=application.cohort_id,
        programme=programme,
        submitted_at=now,
        answers=[SecondStageAnswer(question_id=q, answer=a) for q, a in answers.items()],
        video=video_file,
        adjustments=sorted(agreed),
        written_alternative=submission.written_alternative,
    )
    await add_step(uow, application, event.event_id, domain.Stage.SECOND_STAGE_SUBMITTED, now)
    uow.publish(event)
    await uow.commit()
    return submission


async def _open_to(application_id: UUID, principal: Principal, uow: UnitOfWork, now: datetime) -> Application:
    """The application, if its candidate may still send (or save) its second stage: shortlisted,
    not withdrawn, not sent yet, before the deadline."""
    application = await may_send(application_id, principal, uow)
    if application.shortlisted_at is None:
        raise Forbidden("Only shortlisted candidates are invited to the second stage.")
    if application.status == domain.Stage.WITHDRAWN.value:
        raise Conflict("This application was withdrawn.")
    if await uow.session.get(SecondStageSubmission, application.id) is not None:
        raise Conflict("You have already sent your second stage; it cannot be sent twice.")
    _, extra_minutes = await adjustments.agreed_for(uow, application.id)
    deadline = domain.deadline_with_more_time(application.second_stage_deadline, extra_minutes)
    if deadline is not None and now > deadline:
        raise Conflict(f"The second stage closed on {deadline:%d %B %Y} at {deadline:%H:%M} UTC.")
    return application


async def save_draft(
    application_id: UUID,
    answers: dict[str, str],
    principal: Principal,
    uow: UnitOfWork,
    *,
    now: datetime | None = None,
) -> SecondStageDraft:
    """Keep the candidate's second-stage answers so far (any time before sending; what was saved
    before is replaced). Only the programme's questions are kept; word limits are checked when
    sending, so a long first draft can be saved and cut later."""
    now = now or datetime.now(UTC)
    application = await _open_to(application_id, principal, uow, now)
    asked = {q.id for q in domain.SECOND_STAGE_QUESTIONS[Programme(application.programme)]}
    asked.add(WRITTEN_ALTERNATIVE)  # kept with the draft too, when an adjustment allows it
    kept = {question: text for question, text in answers.items() if question in asked and text}
    draft = await uow.session.get(SecondStageDraft, application.id)
    if draft is None:
        draft = SecondStageDraft(application_id=application.id, answers=kept, saved_at=now)
    draft.answers = kept
    draft.saved_at = now
    uow.session.add(draft)
    await uow.commit()
    return draft


async def saved_draft(uow: UnitOfWork, application_id: UUID) -> SecondStageDraft | None:
    """The answers saved so far, if any."""
    return await uow.session.get(SecondStageDraft, application_id)


def upload_limit(settings: ApplicationsSettings) -> int:
    """The most the second-stage form or API takes in one request: the largest video, and room for
    the answers beside it (larger requests are refused 413 unread)."""
    return settings.video_max_bytes + FORM_OVERHEAD_BYTES


async def read_video(upload: UploadFile, limit: int) -> bytes:
    """Read an upload, refusing it as soon as it passes the limit."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
