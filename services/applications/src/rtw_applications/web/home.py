"""The candidate's home: their applications, where each has got, and withdrawing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from rtw_contracts import AssessmentStage, DecisionKind, IneligibilityReason, MatchResponse, WithdrawalReason
from rtw_contracts.labels import label_for_code
from rtw_platform import clock
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, form_state, form_text, read_form, redirect, redirect_with_problems
from rtw_platform.web.i18n import ENGLISH, N_, current_language, gettext, long_date
from rtw_platform.web.reasons import reason_texts
from sqlmodel import col, select

from .. import adjustments, cohorts, domain, privacy
from ..journey import steps_of
from ..models import Application, AssessmentDecision, SecondStageSubmission
from .candidate import applications_of, candidate, cohort_titles, own_application
from .common import PAGES
from .preferences_form import may_change as may_change_preferences

router = APIRouter(include_in_schema=False)
APPEAL_STEPS = {stage.value for stage in domain.APPEAL_STAGES}

#: The codes a journey step may carry (why it was withdrawn, not eligible, answered).
STEP_CODES = (WithdrawalReason, IneligibilityReason, MatchResponse)


_INELIGIBILITY_CODES = {reason.value for reason in IneligibilityReason}


#: The words of the steps whose stored detail is English around a fact (journey.py writes them).
_CERTIFICATE = N_("Certificate %(number)s")
_STARTING = N_("Starting %(day)s")


def _fact_detail(stage: domain.Stage, detail: str) -> str:
    """A training or hiring step's stored English ("Certificate …", "Starting 05 January 2027")
    in the page's language, its fact kept."""
    if stage is domain.Stage.TRAINED and detail.startswith("Certificate "):
        return gettext(_CERTIFICATE) % {"number": detail.removeprefix("Certificate ")}
    if stage is domain.Stage.HIRED and detail.startswith("Starting "):
        try:
            day = datetime.strptime(detail.removeprefix("Starting "), "%d %B %Y").date()  # noqa: DTZ007 (a date only)
        except ValueError:
            return detail
        return gettext(_STARTING) % {"day": long_date(day)}
    return detail


def step_detail(detail: str | None, codes: list[str] | None, stage: domain.Stage | None = None) -> str | None:
    """A step's detail as people read it, in the page's language: a detail that is only a code
    (a withdrawal's reason) becomes that code's label (rtw_contracts.labels); the stored English
    reasons of a decision no longer kept are worded from their codes (rtw_platform.web.reasons:
    the English as stored, another language from the code)."""
    if detail is not None and codes and detail in codes:
        return "; ".join(label_for_code(code, *STEP_CODES) for code in codes)
    if codes and set(codes) <= _INELIGIBILITY_CODES:
        messages = (detail or "").split("; ")
        if len(messages) != len(codes):  # a message with "; " in it: its English only as a whole
            if current_language() == ENGLISH:
                return detail
            messages = codes  # another language words each reason from its code alone
        reasons = [
            {"code": c, "message": m or c, "params": None} for c, m in zip(codes, messages, strict=True)
        ]
        return "; ".join(reason_texts(reasons))
    if detail is not None and stage is not None:
        return _fact_detail(stage, detail)
    return detail


async def decision_reasons(uow: UnitOfWork, application_id: UUID) -> dict[UUID, list[dict[str, Any]]]:
    """The reasons of each decision on the application, by the event (and step) that made it, to
    word them in the page's language rather than show the step's English."""
    rows = await uow.session.exec(
        select(AssessmentDecision.event_id, AssessmentDecision.reasons).where(
            AssessmentDecision.application_id == application_id
        )
    )
    return {event_id: list(found or []) for event_id, found in rows.all()}


#: Tag colours of the stages a candidate sees.
_COLOURS = {
    domain.Stage.DRAFT: "govuk-tag--grey",
    domain.Stage.WITHDRAWN: "govuk-tag--grey",
    domain.Stage.INELIGIBLE: "govuk-tag--red",
    domain.Stage.NOT_SHORTLISTED: "govuk-tag--red",
    domain.Stage.REJECTED: "govuk-tag--red",
    domain.Stage.SHORTLISTED: "govuk-tag--green",
    domain.Stage.SELECTED: "govuk-tag--green",
    domain.Stage.HIRED: "govuk-tag--green",
    domain.Stage.APPEAL_UPHELD: "govuk-tag--green",
    domain.Stage.APPEAL_DISMISSED: "govuk-tag--red",
}


def tag(stage: domain.Stage) -> dict[str, str]:
    """The govuk tag of a stage."""
    colour = _COLOURS.get(stage, "govuk-tag--blue")
    return {"text": gettext(domain.CANDIDATE_LABELS[stage]), "classes": colour}


@router.get("/my")
async def my_home(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """The candidate's applications, and the cohorts they could still apply to."""
    principal = candidate(request)
    mine = await applications_of(uow, UUID(principal.subject))
    titles = await cohort_titles(uow)
    applied = {a.cohort_id for a in mine}
    open_now = [c for c in await cohorts.list_cohorts(uow, open_on=clock.today()) if c.id not in applied]
    rows = [
        {
            "application": application,
            "title": titles.get(application.cohort_id, application.cohort_id),
            "tag": tag(domain.Stage(application.status)),
            "draft": application.reference is None,
        }
        for application in mine
    ]
    return PAGES.render(request, "my.html", {"rows": rows, "open_now": open_now})


def can_withdraw(application: Application) -> bool:
    """Still in progress: not withdrawn and no final outcome yet."""
    return domain.may_withdraw(domain.Stage(application.status))


async def second_stage_state(uow: UnitOfWorkDep, application: Application) -> str:
    """'open' when the candidate can send their second stage now, 'sent' when they did, else ''."""
    if await uow.session.get(SecondStageSubmission, application.id) is not None:
        return "sent"
    _, extra_minutes = await adjustments.agreed_for(uow, application.id)
    deadline = domain.deadline_with_more_time(application.second_stage_deadline, extra_minutes)
    in_time = deadline is None or datetime.now(UTC) <= deadline
    invited = application.shortlisted_at is not None and application.status == domain.Stage.SHORTLISTED.value
    return "open" if invited and in_time else ""


async def appeal_context(uow: UnitOfWorkDep, application: Application, stages: set[str]) -> dict[str, Any]:
    """Whether the candidate can appeal (and until when), could have, or did."""
    latest = (
        await uow.session.exec(
            select(AssessmentDecision)
            .where(
                AssessmentDecision.application_id == application.id,
                AssessmentDecision.stage == AssessmentStage.SCREENING.value,
            )
            .order_by(col(AssessmentDecision.decided_at).desc())
        )
    ).first()
    deadline = latest.next_step_deadline if latest and latest.outcome == "ineligible" else None
    offer = domain.appeal_offer(
        domain.Stage(application.status),
        appealed=domain.Stage.APPEALED.value in stages,
        decided_by_appeal=latest is not None and latest.decision_kind == DecisionKind.APPEAL.value,
        deadline=deadline,
        today=clock.today(),
    )
    return {
        "offer": offer,
        "deadline": deadline,
        "url": f"/assessment/my/applications/{application.id}/appeal",
    }


@router.get("/my/applications/{application_id}")
async def application_status(
    request: Request, application_id: str, uow: UnitOfWorkDep, sent: str = ""
) -> Response:
    """Where the application has got: its status and its dated journey."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is None:
        return redirect(request, f"/application/{application.id}")
    entries = await steps_of(uow, application.id)
    reasons = await decision_reasons(uow, application.id)
    journey = [
        {
            "label": domain.CANDIDATE_LABELS[domain.Stage(entry.stage)],
            "detail": "; ".join(reason_texts(reasons[entry.event_id]))
            if reasons.get(entry.event_id)
            else step_detail(entry.detail, entry.codes, domain.Stage(entry.stage)),
            "when": entry.occurred_at,
        }
        # At the same moment, an appeal's answer reads before the decision it leads to.
        for entry in sorted(entries, key=lambda e: (e.occurred_at, e.stage not in APPEAL_STEPS))
    ]
    context: dict[str, Any] = {
        "application": application,
        "title": (await cohort_titles(uow)).get(application.cohort_id, application.cohort_id),
        "tag": tag(domain.Stage(application.status)),
        "journey": journey,
        "second_stage": await second_stage_state(uow, application),
        "can_withdraw": can_withdraw(application),
        "can_change_preferences": may_change_preferences(application),
        "just_sent": sent == "second-stage",
        "appeal": await appeal_context(uow, application, {e.stage for e in entries}),
    }
    return PAGES.render(request, "application_status.html", context)


@router.get("/my/applications/{application_id}/withdraw")
async def withdraw_form(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Are you sure, and why (an application already over has nothing to withdraw: its page)."""
    _, application = await own_application(request, uow, application_id)
    if not can_withdraw(application):
        return redirect(request, f"/my/applications/{application.id}")
    state = form_state(request)
    if state is not None:
        return await _render_withdraw(
            request, uow, application, str(state.values.get("reason", "")), state.errors
        )
    return await _render_withdraw(request, uow, application, "", FormErrors())


@router.post("/my/applications/{application_id}/withdraw")
async def withdrawn(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Withdraw (POST /applications/{id}/withdraw's use case); a draft is simply discarded."""
    principal, application = await own_application(request, uow, application_id)
    form = await read_form(request)
    if not can_withdraw(application):  # already over (an outcome, or withdrawn): nothing changes
        return redirect(request, f"/my/applications/{application.id}")
    reason = form_text(form, "reason")
    if reason not in {r.value for r in WithdrawalReason}:
        errors = FormErrors()
        errors.add("reason", N_("Select why you are withdrawing"))
        return redirect_with_problems(
            request, f"/my/applications/{application.id}/withdraw", errors, {"reason": reason}
        )
    was_draft = application.reference is None
    await privacy.withdraw(application.id, WithdrawalReason(reason), principal, uow)
    return redirect(request, "/my" if was_draft else f"/my/applications/{application.id}")


async def _render_withdraw(
    request: Request,
    uow: UnitOfWorkDep,
    application: Application,
    reason: str,
    errors: FormErrors,
) -> HTMLResponse:
    context = {
        "application": application,
        "title": (await cohort_titles(uow)).get(application.cohort_id, application.cohort_id),
        "reasons": [(reason.value, reason.label) for reason in WithdrawalReason],
        "reason": reason,
    }
    return PAGES.render(request, "withdraw.html", context, errors=errors)
