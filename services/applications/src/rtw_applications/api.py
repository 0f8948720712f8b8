"""HTTP API of the applications service: thin, parse → use case → answer."""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from fastapi import (
    APIRouter,
    Body,
    Depends,
    Header,
    Query,
    Request,
    Response,
    status,
)
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from rtw_contracts import Programme
from rtw_platform import clock
from rtw_platform.auth import AdminOnly, CurrentPrincipal, Principal, Role, authenticated
from rtw_platform.body_limit import accepts_body_up_to
from rtw_platform.errors import Forbidden, Invalid, NotFound
from rtw_platform.filestore import FileStore
from rtw_platform.http import UnitOfWorkDep, describe_validation_errors
from rtw_platform.rate_limits import limit_link_request
from starlette.datastructures import UploadFile as StarletteUpload

from . import cohorts, domain, intake, preferences, privacy, second_stage, uploads
from .access import TokenIssuer, issuer_for, reaches
from .api_models import (
    AccessToken,
    ApplicationAnswers,
    ApplicationPage,
    ApplicationReceipt,
    ApplicationSummary,
    ApplicationView,
    CohortIn,
    CohortView,
    EqualityMonitoring,
    JourneyStepView,
    NewApplication,
    NewDraft,
    SignIn,
    SignInExchange,
    SignInRequested,
    Withdrawal,
)
from .journey import steps_of
from .models import Application, RateLimitWindow, SecondStageSubmission
from .settings import ApplicationsSettings

router = APIRouter()

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=100,
        description="Any unique string; repeating a request with the same key has no second effect.",
    ),
]


def _settings(request: Request) -> ApplicationsSettings:
    settings: ApplicationsSettings = request.app.state.settings
    return settings


def _issuer(request: Request) -> TokenIssuer:
    return issuer_for(_settings(request))


def _store(request: Request) -> FileStore:
    store: FileStore = request.app.state.runtime.state["file_store"]
    return store


# --------------------------------------------------------------------------- cohorts


@router.get("/cohorts", tags=["cohorts"])
async def list_cohorts(
    uow: UnitOfWorkDep,
    open_now: Annotated[bool, Query(description="Only those open today.")] = False,
) -> list[CohortView]:
    """The programme's cohorts and their application windows (public)."""
    today = clock.today()
    found = await cohorts.list_cohorts(uow, open_on=today if open_now else None)
    return [cohorts.view(c, today) for c in found]


@router.put("/cohorts/{cohort_id}", tags=["cohorts"])
async def save_cohort(cohort_id: str, cohort: CohortIn, uow: UnitOfWorkDep, _: AdminOnly) -> CohortView:
    """Create or change a cohort (admins)."""
    if cohort.id != cohort_id:
        raise Invalid([("id", f"must match the address ({cohort_id})")])
    saved = await cohorts.save_cohort(uow, cohort)
    return cohorts.view(saved, clock.today())


# --------------------------------------------------------------------------- signing in


@router.post("/sign-in", status_code=status.HTTP_202_ACCEPTED, tags=["sign-in"])
async def request_sign_in(body: SignIn, request: Request, uow: UnitOfWorkDep) -> SignInRequested:
    """E-mail a sign-in link to a known address (the answer is the same either way)."""
    await limit_link_request(request, uow, RateLimitWindow, str(body.email))
    await intake.request_sign_in(str(body.email), uow, _issuer(request))
    return SignInRequested(
        message=(
            "If that address has applied, we have e-mailed it a link to sign in. "
            "It works once, for a short time."
        )
    )


@router.post("/sign-in/token", tags=["sign-in"])
async def exchange_sign_in(body: SignInExchange, request: Request, uow: UnitOfWorkDep) -> AccessToken:
    """Trade the token of an e-mailed link for an access token (each link works once)."""
    candidate_id, token = await intake.exchange_sign_in(body.token, uow, _issuer(request))
    return AccessToken(access_token=token, candidate_id=str(candidate_id))


# --------------------------------------------------------------------------- applying


LINK_SENT = (
    "We have e-mailed a link to that address. Follow it to continue: it works once, for a short "
    "time. (If the address has applied with us before, the link signs you in to your applications.)"
)


@router.post(
    "/applications/drafts",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["applications"],
)
async def start_draft(body: NewDraft, request: Request, uow: UnitOfWorkDep) -> SignInRequested:
    """Start an application to a cohort. The address is e-mailed a link to continue (nobody is
    signed in by typing an address); the answer is the same whether the address is known or not."""
    await limit_link_request(request, uow, RateLimitWindow, str(body.email))
    await intake.start_draft(body, uow, _issuer(request), clock.today())
    return SignInRequested(message=LINK_SENT)


@router.post("/candidates/me/applications", status_code=status.HTTP_201_CREATED, tags=["applications"])
async def start_another(
    cohort_id: Annotated[str, Body(embed=True)], principal: CurrentPrincipal, uow: UnitOfWorkDep
) -> ApplicationView:
    """A signed-in candidate starts (or resumes) an application to a cohort."""
    if principal.role is not Role.CANDIDATE:
        raise Forbidden("Only candidates apply.")
    application = await intake.start_draft_as(principal, cohort_id, uow, clock.today())
    return await _view(uow, application)


_optional_bearer = HTTPBearer(auto_error=False, description="Optional: a candidate's or an admin's token.")


async def _optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Principal | None:
    """The caller if a token was sent (401 if it is not valid), else None (anonymous)."""
    if credentials is None:
        return None
    return await authenticated(request, credentials)


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    tags=["applications"],
    responses={202: {"model": SignInRequested, "description": "Anonymous: a link was e-mailed."}},
)
async def submit_whole(
    body: NewApplication,
    request: Request,
    response: Response,
    uow: UnitOfWorkDep,
    caller: Annotated[Principal | None, Depends(_optional_principal)],
    idempotency_key: IdempotencyKey = None,
) -> ApplicationReceipt | SignInRequested:
    """Send a whole application at once. Anonymous: 202 and a link e-mailed to the address,
    nothing else. A signed-in candidate (as themself) or an admin (services, imports): 201 and
    the receipt."""
    if caller is None:  # an anonymous submission e-mails a link: limited as every link is
        await limit_link_request(request, uow, RateLimitWindow, str(body.email))
    result = await intake.submit_whole(
        body, uow, _issuer(request), caller=caller, client_request_id=idempotency_key, today=clock.today()
    )
    if isinstance(result, intake.LinkSent):
        response.status_code = status.HTTP_202_ACCEPTED
        return SignInRequested(message=LINK_SENT)
    assert result.reference is not None
    return ApplicationReceipt(
        application_id=str(result.id),
        reference=result.reference,
        status=result.status,
        candidate_id=str(result.candidate_id),
    )


@router.get("/applications", tags=["admin"])
async def list_applications(
    uow: UnitOfWorkDep,
    _: AdminOnly,
    cohort_id: Annotated[str | None, Query(max_length=64)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ApplicationPage:
    """Applications, newest first (admins)."""
    if status_ is not None and status_ not in {s.value for s in domain.Stage}:
        raise Invalid([("status", f"one of: {', '.join(s.value for s in domain.Stage)}")])
    found, total = await intake.list_applications(
        uow, cohort_id=cohort_id, status=status_, page=page, page_size=page_size
    )
    return ApplicationPage(
        items=[
            ApplicationSummary(
                application_id=str(a.id),
                reference=a.reference,
                cohort_id=a.cohort_id,
                programme=Programme(a.programme),
                status=a.status,
                region=a.region,
                submitted_at=a.submitted_at,
            )
            for a in found
        ],
        total=total,
        page=page,
        page_size=page_size,
    )


@router.get("/applications/{application_id}", tags=["applications"])
async def get_application(
    application_id: UUID, principal: CurrentPrincipal, uow: UnitOfWorkDep
) -> ApplicationView:
    """The application, what it still needs, and its dated journey."""
    application = await intake.application_or_refuse(uow, application_id, principal)
    return await _view(uow, application)


@router.patch("/applications/{application_id}", tags=["applications"])
async def save_answers(
    application_id: UUID,
    answers: ApplicationAnswers,
    principal: CurrentPrincipal,
    uow: UnitOfWorkDep,
) -> ApplicationView:
    """Save some answers of a draft (the others stay as they were). After applying, the work
    preferences alone may still be changed (sent on their own): availability, travel and which
    councils may see the candidate; matching hears of it."""
    if answers.model_fields_set == {"work_preferences"} and answers.work_preferences is not None:
        preferred = answers.work_preferences
        changed = await preferences.change_preferences(application_id, preferred, principal, uow)
        return await _view(uow, changed)
    application = await intake.save_answers(application_id, answers, principal, uow)
    return await _view(uow, application)


@router.post("/applications/{application_id}/submit", tags=["applications"])
async def submit(
    application_id: UUID,
    principal: CurrentPrincipal,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationReceipt:
    """Submit a finished draft."""
    application = await intake.submit(
        application_id, principal, uow, client_request_id=idempotency_key, today=clock.today()
    )
    assert application.reference is not None
    return ApplicationReceipt(
        application_id=str(application.id),
        reference=application.reference,
        status=application.status,
        candidate_id=str(application.candidate_id),
    )


@router.put(
    "/applications/{application_id}/equality-monitoring",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["applications"],
)
async def equality_monitoring(
    application_id: UUID,
    answers: EqualityMonitoring,
    principal: CurrentPrincipal,
    uow: UnitOfWorkDep,
) -> None:
    """Optional equality-monitoring answers: kept apart, used only in aggregate."""
    await intake.record_equality_monitoring(application_id, answers, principal, uow)


_SECOND_STAGE_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["answers"],
                    "properties": {
                        "answers": {
                            "type": "string",
                            "description": 'JSON object: {"question id": "answer", …}',
                        },
                        "video": {
                            "type": "string",
                            "format": "binary",
                            "description": "MP4, WebM or MOV video.",
                        },
                        "written_alternative": {
                            "type": "string",
                            "description": "Written answers instead of the video (up to 500 words), "
                            "only when that reasonable adjustment was agreed.",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/applications/{application_id}/second-stage",
    status_code=status.HTTP_201_CREATED,
    tags=["applications"],
    openapi_extra=_SECOND_STAGE_FORM,
)
@accepts_body_up_to(second_stage.upload_limit)
async def submit_second_stage(
    application_id: UUID, request: Request, principal: CurrentPrincipal, uow: UnitOfWorkDep
) -> dict[str, str]:
    """Send the second stage: answers to the programme's questions and the video assessment."""
    settings = _settings(request)
    # Whose application it is comes from the address and the token: nothing of the body is read
    # for anyone but its candidate, and then only up to the video limit.
    await second_stage.may_send(application_id, principal, uow)
    form = await uploads.bounded(request, settings.video_max_bytes).form(max_files=1, max_fields=10)
    raw_answers = form.get("answers")
    parsed = _parse_answers(raw_answers if isinstance(raw_answers, str) else "")
    video = form.get("video")
    uploaded = None
    if isinstance(video, StarletteUpload):
        data = await second_stage.read_video(video, settings.video_max_bytes)
        uploaded = second_stage.UploadedVideo(data=data, filename=video.filename)
    elif video:
        raise Invalid([("video", "Send the video as a file (multipart/form-data).")])
    submission = await second_stage.submit_second_stage(
        application_id,
        parsed,
        uploaded,
        principal,
        uow,
        _store(request),
        max_video_bytes=settings.video_max_bytes,
        written_alternative=written if isinstance(written := form.get("written_alternative"), str) else "",
    )
    return {"status": "received", "submitted_at": submission.submitted_at.isoformat()}


def _parse_answers(raw: str) -> dict[str, str]:
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        raise Invalid([("answers", 'send a JSON object like {"question-id": "your answer"}')]) from None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise Invalid([("answers", "each answer must be text, keyed by its question id")])
    return parsed


@router.post("/applications/{application_id}/withdraw", tags=["applications"])
async def withdraw(
    application_id: UUID, body: Withdrawal, principal: CurrentPrincipal, uow: UnitOfWorkDep
) -> dict[str, str]:
    """Withdraw an application."""
    application = await privacy.withdraw(application_id, body.reason, principal, uow)
    return {"status": domain.Stage.WITHDRAWN.value, "application_id": str(application.id)}


# --------------------------------------------------------------------------- the candidate's data


@router.get("/candidates/{candidate_id}/export", tags=["privacy"])
async def export(candidate_id: UUID, principal: CurrentPrincipal, uow: UnitOfWorkDep) -> dict[str, Any]:
    """Everything held here about a candidate (subject access): the candidate or an admin."""
    if not reaches(principal, candidate_id):
        raise NotFound(privacy.NO_SUCH_CANDIDATE)  # someone else's: answered as an unknown id
    is_self = principal.role is Role.CANDIDATE
    return await privacy.export_candidate(candidate_id, uow, include_equality_monitoring=is_self)


@router.post("/candidates/{candidate_id}/erasure", tags=["privacy"])
async def erase(
    candidate_id: UUID, request: Request, principal: CurrentPrincipal, uow: UnitOfWorkDep
) -> dict[str, Any]:
    """Erase a candidate's personal data here and in every other service."""
    if not reaches(principal, candidate_id):
        raise NotFound(privacy.NO_SUCH_CANDIDATE)  # someone else's: answered as an unknown id
    affected = await privacy.erase_candidate(candidate_id, uow, _store(request))
    await privacy.erase_dead_letters(request.app.state.runtime.dead_letter_eraser, candidate_id, affected)
    return {"status": "erased", "applications": [str(a) for a in affected]}


async def _view(uow: Any, application: Application) -> ApplicationView:
    programme = Programme(application.programme)
    answers = ApplicationAnswers.model_validate(application.answers)
    entries = await steps_of(uow, application.id)
    stage = domain.Stage(application.status)
    submitted_second = await uow.session.get(SecondStageSubmission, application.id) is not None
    return ApplicationView(
        application_id=str(application.id),
        reference=application.reference,
        programme=programme,
        cohort_id=application.cohort_id,
        status=stage.value,
        label=domain.CANDIDATE_LABELS[stage],
        answers=answers,
        missing=[f for f, _ in intake.missing_answers(programme, answers)]
        if application.reference is None
        else [],
        journey=[
            JourneyStepView(
                stage=e.stage,
                label=domain.CANDIDATE_LABELS[domain.Stage(e.stage)] + (f": {e.detail}" if e.detail else ""),
                occurred_at=e.occurred_at,
            )
            for e in entries
        ],
        second_stage_deadline=application.second_stage_deadline,
        second_stage_submitted=submitted_second,
    )


# --------------------------------------------------------------------------- programme insight


@router.get("/reports/{report}", tags=["reports"])
async def report(
    report: str,
    uow: UnitOfWorkDep,
    _: AdminOnly,
    cohort_id: Annotated[str | None, Query(max_length=64)] = None,
    programme: Programme | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    agency_hourly_low_pence: int = 3000,
    agency_hourly_high_pence: int = 3500,
    employed_hourly_pence: int = 1571,
    recruitment_cost_pence: int = 2_400_000,
) -> Any:
    """The funnel, reach, fairness or savings of a cohort or programme (admins), as JSON or CSV.
    The savings assumptions are whole pence: hourly rates up to £1,000, recruitment up to
    £1,000,000, the agency's low estimate no more than its high one."""
    import csv
    import io

    from fastapi.responses import Response

    from . import reports

    if report not in ("funnel", "reach", "fairness", "savings"):
        raise Invalid([("report", "one of: funnel, reach, fairness, savings")])
    try:
        assumptions = reports.SavingsAssumptions(
            agency_hourly_low_pence=agency_hourly_low_pence,
            agency_hourly_high_pence=agency_hourly_high_pence,
            employed_hourly_pence=employed_hourly_pence,
            recruitment_cost_pence=recruitment_cost_pence,
        )
    except ValidationError as exc:
        problems = describe_validation_errors(exc.errors())
        raise Invalid(
            [(p["field"], p["message"].removeprefix("Value error, ")) for p in problems],
            "The savings assumptions need correcting.",
        ) from None
    people = await reports.load_people(uow, cohort_id, programme.value if programme else None)
    data: dict[str, Any]
    if report == "funnel":
        data = reports.funnel(people)
    elif report == "reach":
        data = await reports.reach(uow, people)
    elif report == "fairness":
        data = await reports.fairness(uow, people)
    else:
        data = await reports.savings(uow, people, assumptions)
    if format == "csv":
        columns, rows = reports.rows_for_csv(report, data)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows(rows)
        return Response(
            buffer.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f"attachment; filename={report}.csv"},
        )
    return {"report": report, "cohort_id": cohort_id, "programme": programme, **data}
