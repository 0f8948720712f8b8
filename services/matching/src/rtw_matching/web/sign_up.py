"""A council is claimed by signing it up (a programme admin approves the claim); its recruiters
sign in with the link in their invitation e-mail, and ask for a new link when it has expired."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from rtw_contracts import FlexibleWorking, IctSpecialism
from rtw_platform import reference
from rtw_platform.auth import verify_token
from rtw_platform.errors import Conflict, Invalid
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.rate_limits import limit_link_request
from rtw_platform.web import FormErrors, read_form, redirect, sign_in_and_go

from .. import councils, domain
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


def _council_choices() -> list[dict[str, str]]:
    """Every UK council, by name (with its region, as two councils may share a name)."""
    known = sorted(reference.councils().values(), key=lambda c: (c.name, c.region.label))
    return [{"value": c.gss_code, "text": f"{c.name} ({c.region.label})"} for c in known]


def _sign_up_page(
    request: Request, answers: dict[str, object], errors: FormErrors | None = None, status_code: int = 200
) -> HTMLResponse:
    return PAGES.render(
        request,
        "sign_up.html",
        {"councils": _council_choices(), "answers": answers, "labels": LABELS},
        errors=errors,
        status_code=status_code,
    )


@router.get("/councils/sign-up")
async def sign_up_form(request: Request) -> HTMLResponse:
    """Sign a council up to the programme."""
    empty: dict[str, object] = {"specialisms_needed": [], "flexible_working_offered": []}
    return _sign_up_page(request, empty)


@router.post("/councils/sign-up")
async def sign_up_sent(request: Request, uow: UnitOfWorkDep) -> Response:
    """The council is claimed for its contact (as POST /councils); the claim waits for approval."""
    form = await read_form(request)
    answers: dict[str, object] = {
        "gss_code": text(form, "gss_code"),
        "contact_name": text(form, "contact_name"),
        "contact_email": text(form, "contact_email"),
        "specialisms_needed": chosen(form, "specialisms_needed", {s.value for s in IctSpecialism}),
        "flexible_working_offered": chosen(
            form, "flexible_working_offered", {f.value for f in FlexibleWorking}
        ),
    }
    errors = FormErrors()
    if answers["gss_code"] not in reference.councils():
        errors.add("gss_code", "Select your council")
    name_problem = domain.person_name_problem(str(answers["contact_name"]))
    if not answers["contact_name"]:
        errors.add("contact_name", "Enter the name of the council's contact")
    elif name_problem:
        errors.add("contact_name", name_problem)
    email_problem = email_address_problem(str(answers["contact_email"]), "the contact's")
    if email_problem:
        errors.add("contact_email", email_problem)
    if errors:
        return _sign_up_page(request, answers, errors, 400)
    await limit_link_request(request, uow, RateLimitWindow, str(answers["contact_email"]))
    try:
        signing_up = councils.CouncilSignUp.model_validate(answers)
        await councils.sign_up(uow, signing_up)
    except ValidationError as problem:
        return _sign_up_page(request, answers, from_validation(problem, FIELDS, "gss_code"), 400)
    except Invalid as refusal:
        return _sign_up_page(request, answers, FormErrors.from_refusal(refusal), 400)
    except Conflict as refusal:
        errors.add("gss_code", refusal.message)
        return _sign_up_page(request, answers, errors, 409)
    return redirect(request, "/councils/check-your-email")


@router.get("/councils/check-your-email")
async def check_your_email(request: Request) -> HTMLResponse:
    """The claim was sent: the programme team checks it before anyone signs in."""
    hours = settings_of(request).recruiter_link_minutes // 60
    return PAGES.render(request, "check_email.html", {"hours": hours})


def _sign_in_page(
    request: Request, answers: dict[str, str], errors: FormErrors | None = None, status_code: int = 200
) -> HTMLResponse:
    return PAGES.render(
        request, "recruiter_sign_in.html", {"answers": answers}, errors=errors, status_code=status_code
    )


@router.get("/recruiters/sign-in")
async def how_recruiters_sign_in(request: Request) -> HTMLResponse:
    """Recruiters sign in with the link in their invitation e-mail, or ask for a new one."""
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
        return _sign_in_page(request, {"email": email}, errors, 400)
    await limit_link_request(request, uow, RateLimitWindow, email)
    await councils.send_sign_in_link(uow, email, **link_options(request))
    return redirect(request, "/recruiters/link-sent")


@router.get("/recruiters/link-sent")
async def link_sent(request: Request) -> HTMLResponse:
    """The same answer for every address."""
    hours = settings_of(request).recruiter_link_minutes // 60
    return PAGES.render(request, "link_sent.html", {"hours": hours})


@router.get("/recruiters/sign-in/{token}")
async def link_landing(request: Request, token: str) -> HTMLResponse:
    """The invitation link opens this page; pressing Continue uses it (a mail scanner following the
    link does not). The token goes on in the form's body, not in a path the JSON API also uses."""
    return PAGES.render(request, "recruiter_link.html", {"token": token})


@router.post("/recruiters/sign-in")
async def link_used(request: Request, uow: UnitOfWorkDep) -> RedirectResponse:
    """Use the link once (as POST /recruiters/sign-in/token) and start a session."""
    form = await read_form(request)
    secret = settings_of(request).token_secret.get_secret_value()
    access = await councils.recruiter_sign_in(uow, text(form, "token"), secret=secret)
    return sign_in_and_go(request, verify_token(secret, access), text(form, "next"))
