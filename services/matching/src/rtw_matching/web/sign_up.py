"""A council is claimed by signing it up (a programme admin approves the claim); its recruiters
sign in with the link in their invitation e-mail, and ask for a new link when it has expired."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from rtw_contracts import FlexibleWorking, IctSpecialism
from rtw_platform.auth import verify_token
from rtw_platform.errors import Conflict, Invalid
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.rate_limits import limit_link_request
from rtw_platform.web import (
    FormErrors,
    form_state,
    read_form,
    redirect,
    redirect_with_problems,
    sign_in_and_go,
)

from .. import councils, domain
from ..council_names import MOST_SHOWN, council_choice, find_councils
from ..models import RateLimitWindow
from .common import LABELS, PAGES, link_options, settings_of
from .forms import chosen, email_address_problem, from_validation, text

router = APIRouter(include_in_schema=False)

FIELDS = {
    "gss_code": "gss_code",
    "contact_name": "contact_name",
    "contact_email": "contact_email",
    "specialisms_needed": "specialisms_needed",
    "flexible_working_offered": "flexible_working_offered",
}


SIGN_UP = "/councils/sign-up"
SIGN_IN = "/recruiters/sign-in"


def _sign_up_page(
    request: Request, answers: dict[str, object], errors: FormErrors | None = None
) -> HTMLResponse:
    """The form, with the councils found for what was typed in the picker as choices (and the
    one already chosen, if it is not among them)."""
    typed = str(answers.get("council_query") or "")
    found = find_councils(typed)
    choices = list(found.choices)
    chosen_council = council_choice(str(answers.get("gss_code") or ""))
    if chosen_council is not None and chosen_council not in choices:
        choices.insert(0, chosen_council)
    return PAGES.render(
        request,
        "sign_up.html",
        {
            "typed": typed,
            "choices": choices,
            "found": found.total,
            "most_shown": MOST_SHOWN,
            "answers": answers,
            "labels": LABELS,
        },
        errors=errors,
    )


@router.get("/councils/sign-up")
async def sign_up_form(request: Request, council: str = "") -> HTMLResponse:
    """Sign a council up to the programme; `council` is what was typed in the council picker
    (its councils are listed to choose from, without JavaScript)."""
    state = form_state(request)
    if state is not None:  # a refused sign-up: its problems and what was typed
        return _sign_up_page(request, state.values, state.errors)
    typed = council.strip()[:100]
    empty: dict[str, object] = {
        "council_query": typed,
        "specialisms_needed": [],
        "flexible_working_offered": [],
    }
    found = find_councils(typed)
    if found.total == 1:
        empty["gss_code"] = found.choices[0].gss_code  # the one council typed: chosen already
    return _sign_up_page(request, empty)


@router.post("/councils/sign-up")
async def sign_up_sent(request: Request, uow: UnitOfWorkDep) -> Response:
    """The council is claimed for its contact (as POST /councils); the claim waits for approval."""
    form = await read_form(request)
    answers: dict[str, object] = {
        "council_query": text(form, "council_query")[:100],
        "gss_code": text(form, "gss_code"),
        "contact_name": text(form, "contact_name"),
        "contact_email": text(form, "contact_email"),
        "specialisms_needed": chosen(form, "specialisms_needed", {s.value for s in IctSpecialism}),
        "flexible_working_offered": chosen(
            form, "flexible_working_offered", {f.value for f in FlexibleWorking}
        ),
    }
    errors = FormErrors()
    if council_choice(str(answers["gss_code"])) is None:
        if find_councils(str(answers["council_query"])).total:
            errors.add("gss_code", "Select your council")
        else:
            errors.add("council", "Find your council: type part of its name and press Find")
    name_problem = domain.person_name_problem(str(answers["contact_name"]))
    if not answers["contact_name"]:
        errors.add("contact_name", "Enter the name of the council's contact")
    elif name_problem:
        errors.add("contact_name", name_problem)
    email_problem = email_address_problem(str(answers["contact_email"]), "the contact's")
    if email_problem:
        errors.add("contact_email", email_problem)
    if errors:
        return redirect_with_problems(request, SIGN_UP, errors, answers)
    await limit_link_request(request, uow, RateLimitWindow, str(answers["contact_email"]))
    try:
        signing_up = councils.CouncilSignUp.model_validate(
            {k: v for k, v in answers.items() if k != "council_query"}
        )
        await councils.sign_up(uow, signing_up)
    except ValidationError as problem:
        return redirect_with_problems(request, SIGN_UP, from_validation(problem, FIELDS, "gss_code"), answers)
    except Invalid as refusal:
        return redirect_with_problems(request, SIGN_UP, FormErrors.from_refusal(refusal), answers)
    except Conflict as refusal:
        errors.add("gss_code", refusal.message)
        return redirect_with_problems(request, SIGN_UP, errors, answers)
    return redirect(request, "/councils/check-your-email")


@router.get("/councils/check-your-email")
async def check_your_email(request: Request) -> HTMLResponse:
    """The claim was sent: the programme team checks it before anyone signs in."""
    hours = settings_of(request).recruiter_link_minutes // 60
    return PAGES.render(request, "check_email.html", {"hours": hours})


def _sign_in_page(
    request: Request, answers: dict[str, str], errors: FormErrors | None = None
) -> HTMLResponse:
    return PAGES.render(request, "recruiter_sign_in.html", {"answers": answers}, errors=errors)


@router.get("/recruiters/sign-in")
async def how_recruiters_sign_in(request: Request) -> HTMLResponse:
    """Recruiters sign in with the link in their invitation e-mail, or ask for a new one (with the
    problem and the address typed when asking was refused)."""
    state = form_state(request)
    if state is not None:
        return _sign_in_page(request, {"email": str(state.values.get("email", ""))}, state.errors)
    return _sign_in_page(request, {"email": ""})


@router.post("/recruiters/new-link")
async def new_link_asked(request: Request, uow: UnitOfWorkDep) -> Response:
    """E-mail a new sign-in link to a recruiter of an approved council. The answer is the same
    whether or not the address is known, so it tells nobody who recruits where."""
    form = await read_form(request)
    email = text(form, "email")
    problem = email_address_problem(email, "your work")
    if problem:
        errors = FormErrors()
        errors.add("email", problem)
        return redirect_with_problems(request, SIGN_IN, errors, {"email": email})
    await limit_link_request(request, uow, RateLimitWindow, email)
    await councils.send_sign_in_link(uow, email, **link_options(request))
    return redirect(request, "/recruiters/link-sent")


@router.get("/recruiters/link-sent")
async def link_sent(request: Request) -> HTMLResponse:
    """The same answer for every address."""
    hours = settings_of(request).recruiter_link_minutes // 60
    return PAGES.render(request, "link_sent.html", {"hours": hours})


@router.get("/recruiters/sign-in/{token}")
async def link_landing(request: Request, token: str, uow: UnitOfWorkDep) -> HTMLResponse:
    """The invitation link opens this page, naming the council it signs in for; pressing Continue
    uses it (a mail scanner following the link does not). The token goes on in the form's body,
    not in a path the JSON API also uses."""
    secret = settings_of(request).token_secret.get_secret_value()
    council = await councils.council_of_link(uow, token, secret=secret)
    return PAGES.render(request, "recruiter_link.html", {"token": token, "council": council})


@router.post("/recruiters/sign-in")
async def link_used(request: Request, uow: UnitOfWorkDep) -> RedirectResponse:
    """Use the link once (as POST /recruiters/sign-in/token) and start a session."""
    form = await read_form(request)
    secret = settings_of(request).token_secret.get_secret_value()
    access = await councils.recruiter_sign_in(uow, text(form, "token"), secret=secret)
    return sign_in_and_go(request, verify_token(secret, access), text(form, "next"))
