"""HTTP API of the applications service: thin, parse → use case → answer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import (
    APIRouter,
    Body,
    File,
    Form,
    Header,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from rtw_contracts import Programme
from rtw_platform.auth import AdminOnly, CurrentPrincipal, Role
from rtw_platform.body_limit import accepts_body_up_to
from rtw_platform.errors import Forbidden, Invalid
from rtw_platform.filestore import FileStore
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.rate_limits import limit_link_request

from . import cohorts, domain, intake, privacy, second_stage
from .access import TokenIssuer, ensure_candidate_self, issuer_for
from .api_models import (
    AccessToken,
    ApplicationAnswers,
    ApplicationPage,
    ApplicationReceipt,
    ApplicationSummary,
    ApplicationView,
    CohortIn,
    CohortView,
    DraftCreated,
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


def _today() -> date:
    return datetime.now(UTC).date()


# --------------------------------------------------------------------------- cohorts


@router.get("/cohorts", tags=["cohorts"])
async def list_cohorts(
    uow: UnitOfWorkDep,
    open_now: Annotated[bool, Query(description="Only those open today.")] = False,
) -> list[CohortView]:
    """The programme's cohorts and their application windows (public)."""
    today = _today()
    found = await cohorts.list_cohorts(uow, open_on=today if open_now else None)
    return [cohorts.view(c, today) for c in found]


@router.put("/cohorts/{cohort_id}", tags=["cohorts"])
async def save_cohort(cohort_id: str, cohort: CohortIn, uow: UnitOfWorkDep, _: AdminOnly) -> CohortView:
    """Create or change a cohort (admins)."""
    if cohort.id != cohort_id:
        raise Invalid([("id", f"must match the address ({cohort_id})")])
    saved = await cohorts.save_cohort(uow, cohort)
    return cohorts.view(saved, _today())


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


@router.post(
    "/applications/drafts",
    status_code=status.HTTP_201_CREATED,
    tags=["applications"],
    responses={202: {"model": SignInRequested, "description": "Known e-mail: a link was sent."}},
)
async def start_draft(
    body: NewDraft, request: Request, response: Response, uow: UnitOfWorkDep
) -> DraftCreated | SignInRequested:
    """Start an application to a cohort; save it and come back to it at any time."""
    await limit_link_request(request, uow, RateLimitWindow, str(body.email))
    result = await intake.start_draft(body, uow, _issuer(request), _today())
    if isinstance(result, intake.SignInSent):
        response.status_code = status.HTTP_202_ACCEPTED
        return SignInRequested(
            message="You have applied with us before: we have e-mailed you a link to sign in and continue."
        )
    programme = Programme(result.application.programme)
    return DraftCreated(
        application_id=str(result.application.id),
        access_token=result.access_token,
        missing=[f for f, _ in intake.missing_answers(programme, ApplicationAnswers())],
    )


@router.post("/candidates/me/applications", status_code=status.HTTP_201_CREATED, tags=["applications"])
async def start_another(
    cohort_id: Annotated[str, Body(embed=True)], principal: CurrentPrincipal, uow: UnitOfWorkDep
) -> ApplicationView:
    """A signed-in candidate starts (or resumes) an application to a cohort."""
    if principal.role is not Role.CANDIDATE:
        raise Forbidden("Only candidates apply.")
    application = await intake.start_draft_as(principal, cohort_id, uow, _today())
    return await _view(uow, application)


@router.post("/applications", status_code=status.HTTP_201_CREATED, tags=["applications"])
async def submit_whole(
    body: NewApplication,
    request: Request,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationReceipt:
    """Send a whole application at once (for services and imports; people use drafts)."""
    application, token = await intake.submit_whole(
        body, uow, _issuer(request), client_request_id=idempotency_key, today=_today()
    )
    assert application.reference is not None
    return ApplicationReceipt(
        application_id=str(application.id),
        reference=application.reference,
        status=application.status,
        access_token=token,
    )


@router.get("/applications", tags=["admin"])
async def list_applications(
    uow: UnitOfWorkDep,
    _: AdminOnly,
    cohort_id: str | None = None,
    status_: Annotated[str | None, Query(alias="status")] = None,
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
    """Save some answers of a draft (the others stay as they were)."""
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
        application_id, principal, uow, client_request_id=idempotency_key, today=_today()
    )
    assert application.reference is not None
    return ApplicationReceipt(
        application_id=str(application.id),
        reference=application.reference,
        status=application.status,
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


@router.post(
    "/applications/{application_id}/second-stage",
    status_code=status.HTTP_201_CREATED,
    tags=["applications"],
)
@accepts_body_up_to(second_stage.upload_limit)
async def submit_second_stage(
    application_id: UUID,
    request: Request,
    principal: CurrentPrincipal,
    uow: UnitOfWorkDep,
    answers: Annotated[str, Form(description='JSON object: {"question id": "answer", …}')],
    video: Annotated[UploadFile | None, File(description="MP4, WebM or MOV video.")] = None,
) -> dict[str, str]:
    """Send the second stage: answers to the programme's questions and the video assessment."""
    settings = _settings(request)
    parsed = _parse_answers(answers)
    uploaded = None
    if video is not None:
        data = await second_stage.read_video(video, settings.video_max_bytes)
        uploaded = second_stage.UploadedVideo(data=data, filename=video.filename)
    submission = await second_stage.submit_second_stage(
        application_id,
        parsed,
        uploaded,
        principal,
        uow,
        _store(request),
        max_video_bytes=settings.video_max_bytes,
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
    is_self = principal.role is Role.CANDIDATE and principal.subject == str(candidate_id)
    if not (is_self or principal.role is Role.ADMIN):
        raise Forbidden("You can only download your own data.")
    return await privacy.export_candidate(candidate_id, uow, include_equality_monitoring=is_self)


@router.post("/candidates/{candidate_id}/erasure", tags=["privacy"])
async def erase(
    candidate_id: UUID, request: Request, principal: CurrentPrincipal, uow: UnitOfWorkDep
) -> dict[str, Any]:
    """Erase a candidate's personal data here and in every other service."""
    if principal.role is not Role.ADMIN:
        ensure_candidate_self(principal, candidate_id)
    affected = await privacy.erase_candidate(candidate_id, uow, _store(request))
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
    cohort_id: str | None = None,
    programme: str | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    agency_hourly_low_pence: int = 3000,
    agency_hourly_high_pence: int = 3500,
    employed_hourly_pence: int = 1571,
    recruitment_cost_pence: int = 2_400_000,
) -> Any:
    """The funnel, reach, fairness or savings of a cohort or programme (admins), as JSON or CSV."""
    import csv
    import io

    from fastapi.responses import Response

    from . import reports

    if report not in ("funnel", "reach", "fairness", "savings"):
        raise Invalid([("report", "one of: funnel, reach, fairness, savings")])
    people = await reports.load_people(uow, cohort_id, programme)
    data: dict[str, Any]
    if report == "funnel":
        data = reports.funnel(people)
    elif report == "reach":
        data = await reports.reach(uow, people)
    elif report == "fairness":
        data = await reports.fairness(uow, people)
    else:
        assumptions = reports.SavingsAssumptions(
            agency_hourly_low_pence=agency_hourly_low_pence,
            agency_hourly_high_pence=agency_hourly_high_pence,
            employed_hourly_pence=employed_hourly_pence,
            recruitment_cost_pence=recruitment_cost_pence,
        )
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
