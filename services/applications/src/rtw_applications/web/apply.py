"""Applying: start at a cohort, the task list, one question a page, check your answers, send."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from rtw_contracts import Programme
from rtw_platform import clock
from rtw_platform.auth import Role
from rtw_platform.errors import Invalid, NotFound
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.names import person_name
from rtw_platform.rate_limits import limit_link_request
from rtw_platform.web import (
    FormErrors,
    current_principal,
    form_state,
    form_text,
    read_form,
    redirect,
    redirect_with_problems,
    url,
)
from rtw_platform.web.i18n import N_

from .. import cohorts, domain, intake
from ..api_models import ApplicationAnswers, NewDraft
from ..models import Application, EqualityMonitoringAnswers, RateLimitWindow
from .candidate import own_application
from .common import PAGES, issuer_of
from .form_fields import add_validation_errors
from .questions import (
    BY_SLUG,
    PRIVACY_NOTICE_VERSION,
    Context,
    Parsed,
    Question,
    SkillGroup,
    question_for_field,
    questions_for,
    skill_groups,
)
from .task_list import LinkedErrors, choices_for, sections, summary_sections

router = APIRouter(include_in_schema=False)


@router.get("/apply/{cohort_id}")
async def apply_start(request: Request, cohort_id: str, uow: UnitOfWorkDep) -> HTMLResponse:
    """Start an application: who you are (or, signed in, a button to start)."""
    cohort = await cohorts.open_cohort_or_refuse(uow, cohort_id, clock.today())
    state = form_state(request)
    context = {"cohort": cohort, "values": state.values if state else {}, "as_candidate": _signed_in(request)}
    return PAGES.render(request, "apply_start.html", context, errors=state.errors if state else None)


@router.post("/apply/{cohort_id}")
async def apply_started(request: Request, cohort_id: str, uow: UnitOfWorkDep) -> Response:
    """A signed-in candidate starts (or resumes) their application here. Anyone else gives an
    address, which is e-mailed a link to continue (the same use case as POST
    /applications/drafts): nobody is signed in by typing an address, and the page says the same
    whether the address is known or not."""
    form = await read_form(request)
    principal = current_principal(request)
    if principal is not None and principal.role is Role.CANDIDATE:
        application = await intake.start_draft_as(principal, cohort_id, uow, clock.today())
        return redirect(request, f"/application/{application.id}")
    cohort = await cohorts.open_cohort_or_refuse(uow, cohort_id, clock.today())
    values = {name: form_text(form, name) for name in ("email", "given_name", "family_name")}
    errors = _start_errors(values)
    if errors:
        return redirect_with_problems(request, f"/apply/{cohort.id}", errors, values)
    command = NewDraft(
        cohort_id=cohort.id,
        email=values["email"],
        given_name=values["given_name"],
        family_name=values["family_name"],
    )
    await limit_link_request(request, uow, RateLimitWindow, values["email"])
    await intake.start_draft(command, uow, issuer_of(request), clock.today())
    return redirect(request, f"/apply/{cohort.id}/check-your-email")


def _signed_in(request: Request) -> bool:
    principal = current_principal(request)
    return principal is not None and principal.role is Role.CANDIDATE


def _start_errors(values: dict[str, str]) -> FormErrors:
    errors = FormErrors()
    if not values["email"]:
        errors.add("email", N_("Enter your e-mail address"))
    else:
        try:
            values["email"] = validate_email(values["email"], check_deliverability=False).normalized
        except EmailNotValidError:
            errors.add("email", N_("Enter an e-mail address in the correct format, like name@example.com"))
    for name, message in (
        ("given_name", N_("Enter your first name")),
        ("family_name", N_("Enter your last name")),
    ):
        if not values[name]:
            errors.add(name, message)
        elif len(values[name]) > 200:
            errors.add(name, "Names must be 200 characters or fewer")
        else:
            try:
                values[name] = person_name(values[name])
            except ValueError as problem:
                errors.add(name, str(problem))
    return errors


@router.get("/apply/{cohort_id}/check-your-email")
async def apply_check_email(request: Request, cohort_id: str, uow: UnitOfWorkDep) -> HTMLResponse:
    """A link was e-mailed to the address given (whether or not it had applied before)."""
    cohort = await cohorts.cohort_or_refuse(uow, cohort_id)
    minutes = issuer_of(request).link_minutes
    return PAGES.render(request, "apply_check_email.html", {"cohort": cohort, "minutes": minutes})


@router.get("/application/{application_id}")
async def task_list(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """The application's tasks and how far each has got."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is not None:
        return redirect(request, f"/my/applications/{application.id}")
    programme = Programme(application.programme)
    missing = intake.missing_answers(programme, ApplicationAnswers.model_validate(application.answers))
    context = {
        "application": application,
        "cohort": await cohorts.cohort_or_refuse(uow, application.cohort_id),
        "sections": await sections(request, uow, application, missing),
        "finished": not missing,
    }
    return PAGES.render(request, "task_list.html", context)


@router.get("/application/{application_id}/questions/{slug}")
async def question_page(
    request: Request, application_id: str, slug: str, uow: UnitOfWorkDep, change: str = ""
) -> Response:
    """One question, with the saved answer filled in."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is not None:
        return redirect(request, f"/my/applications/{application.id}")
    question = _question(application, slug)
    ctx = Context(Programme(application.programme), application.answers, clock.today())
    state = form_state(request)
    if state is not None:
        return await render_question(
            request, uow, application, question, state.values, state.errors, change == "yes"
        )
    return await render_question(
        request, uow, application, question, question.read(ctx), FormErrors(), change == "yes"
    )


@router.post("/application/{application_id}/questions/{slug}")
async def question_answered(request: Request, application_id: str, slug: str, uow: UnitOfWorkDep) -> Response:
    """Save the answer (PATCH /applications/{id}'s use case) and go on."""
    principal, application = await own_application(request, uow, application_id)
    form = await read_form(request)
    changing = form_text(form, "change") == "yes"
    question = _question(application, slug)
    ctx = Context(Programme(application.programme), application.answers, clock.today())
    parsed = question.parse(form, ctx)
    answers = validated(question, parsed)
    if parsed.errors:
        page = f"/application/{application.id}/questions/{question.slug}" + (
            "?change=yes" if changing else ""
        )
        return redirect_with_problems(request, page, parsed.errors, parsed.values)
    await intake.save_answers(application.id, answers, principal, uow)
    if changing:
        return redirect(request, f"/application/{application.id}/check-answers")
    return redirect(request, next_page(application, question))


def validated(question: Question, parsed: Parsed) -> ApplicationAnswers:
    """The answers to save, with the model's own problems (postcode, phone …) added to the page's
    so that every problem on the page is shown at once: each answer is checked unless the page
    already found a problem with its field (or, on a page asking one answer, with any part of it)."""
    flagged = set(parsed.errors.problems)
    one_answer = len(question.ids) == 1
    checked = {
        name: value
        for name, value in parsed.changes.items()
        if question.ids.get(name) not in flagged and not (one_answer and flagged)
    }
    try:
        answers = ApplicationAnswers.model_validate(checked)
    except ValidationError as exc:
        add_validation_errors(parsed.errors, exc, question.ids, question.first_id)
        return ApplicationAnswers()
    return answers


def _question(application: Application, slug: str) -> Question:
    question = BY_SLUG.get(slug)
    if question is None or not question.applies(Programme(application.programme)):
        raise NotFound("This application has no such question.")
    return question


def next_page(application: Application, question: Question) -> str:
    """The next question, then the optional equality questions."""
    pages = questions_for(Programme(application.programme))
    following = pages[pages.index(question) + 1 :]
    if following:
        return f"/application/{application.id}/questions/{following[0].slug}"
    return f"/application/{application.id}/equality"


async def render_question(
    request: Request,
    uow: UnitOfWorkDep,
    application: Application,
    question: Question,
    values: dict[str, Any],
    errors: FormErrors,
    changing: bool,
    status_code: int = 200,
    *,
    group: SkillGroup | None = None,
) -> HTMLResponse:
    """A question's page (or, with a group, one screen of the skills self-assessment)."""
    cohort = await cohorts.cohort_or_refuse(uow, application.cohort_id)
    context = {
        "application": application,
        "cohort": cohort,
        "question": question,
        "values": values,
        "change": changing,
        "choices": choices_for(Programme(application.programme), application.answers),
        "privacy_version": PRIVACY_NOTICE_VERSION,
        "next_url": next_page(application, question),
        "skill_groups": skill_groups(application.answers) if question.slug == "skills" else [],
        "group": group,
    }
    template = "questions/skill_group.html" if group else question.template
    return PAGES.render(request, template, context, status_code=status_code, errors=errors)


@router.get("/application/{application_id}/check-answers")
async def check_answers(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Every answer, with a link to change it, and the button to send the application."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is not None:
        return redirect(request, f"/my/applications/{application.id}")
    state = form_state(request)
    errors = _unfinished(request, application, state.problems) if state else FormErrors()
    return await _render_check(request, uow, application, errors)


@router.post("/application/{application_id}/check-answers")
async def send(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Submit the draft (POST /applications/{id}/submit's use case)."""
    principal, application = await own_application(request, uow, application_id)
    await read_form(request)
    try:
        await intake.submit(application.id, principal, uow, today=clock.today())
    except Invalid as refusal:
        missing = FormErrors()
        for api_field, message in refusal.problems:
            missing.add(api_field, message)  # by the answer's name: the page links to where it is asked
        return redirect_with_problems(request, f"/application/{application.id}/check-answers", missing, {})
    return redirect(request, f"/application/{application.id}/submitted")


def _unfinished(request: Request, application: Application, problems: dict[str, str]) -> LinkedErrors:
    """What is missing, each linking to the page that asks it."""
    errors = LinkedErrors()
    programme = Programme(application.programme)
    for api_field, message in problems.items():
        question = question_for_field(programme, api_field)
        slug = question.slug if question else "name"
        errors.add(api_field, message)
        errors.links[api_field] = url(request, f"/application/{application.id}/questions/{slug}")
    return errors


async def _render_check(
    request: Request, uow: UnitOfWorkDep, application: Application, errors: FormErrors
) -> HTMLResponse:
    ctx = Context(Programme(application.programme), application.answers, clock.today())
    context = {
        "application": application,
        "cohort": await cohorts.cohort_or_refuse(uow, application.cohort_id),
        "sections": summary_sections(ctx),
        "equality": await _equality_answered(uow, application),
    }
    return PAGES.render(request, "check_answers.html", context, errors=errors)


async def _equality_answered(uow: UnitOfWorkDep, application: Application) -> bool:
    return await uow.session.get(EqualityMonitoringAnswers, application.id) is not None


@router.get("/application/{application_id}/submitted")
async def submitted(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """The confirmation: the application's reference and what happens next."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is None:
        return redirect(request, f"/application/{application.id}")
    cohort = await cohorts.cohort_or_refuse(uow, application.cohort_id)
    label = domain.CANDIDATE_LABELS[domain.Stage(application.status)]
    return PAGES.render(
        request, "submitted.html", {"application": application, "cohort": cohort, "label": label}
    )
