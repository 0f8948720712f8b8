"""An approved council's recruiters, and inviting a colleague (as POST /councils/{id}/recruiters)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.rate_limits import limit_link_request
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, form_state, read_form, redirect, redirect_with_problems

from .. import councils, domain
from ..models import RateLimitWindow
from .common import PAGES, council_of, link_options, recruiter
from .forms import email_address_problem, text

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request,
    uow: UnitOfWork,
    answers: dict[str, str],
    *,
    invited: bool = False,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    council = await council_of(uow, recruiter(request))
    return PAGES.render(
        request,
        "recruiters.html",
        {
            "council": council,
            "recruiters": await councils.recruiters_of(uow, council),
            "answers": answers,
            "invited": invited,
        },
        errors=errors,
    )


@router.get("/council/recruiters")
async def recruiters_page(request: Request, uow: UnitOfWorkDep, invited: str | None = None) -> HTMLResponse:
    """Who recruits for the council, and the form to invite a colleague (with the problems and what
    was typed when an invitation was refused)."""
    state = form_state(request)
    if state is not None:
        answers = {name: str(state.values.get(name, "")) for name in ("name", "email")}
        return await _page(request, uow, answers, errors=state.errors)
    return await _page(request, uow, {"name": "", "email": ""}, invited=invited == "1")


@router.post("/council/recruiters")
async def invite(request: Request, uow: UnitOfWorkDep) -> Response:
    """Invite a colleague: they are e-mailed a link to sign in for the council (RecruiterInvited)."""
    principal = recruiter(request)
    form = await read_form(request)
    council = await council_of(uow, principal)
    answers = {"name": text(form, "name"), "email": text(form, "email")}
    errors = FormErrors()
    if not answers["name"]:
        errors.add("name", "Enter your colleague's full name")
    else:
        problem = domain.person_name_problem(answers["name"])
        if problem:
            errors.add("name", problem)
    problem = email_address_problem(answers["email"], "your colleague's work")
    if problem:
        errors.add("email", problem)
    if errors:
        return redirect_with_problems(request, "/council/recruiters", errors, answers)
    await limit_link_request(request, uow, RateLimitWindow, answers["email"])
    colleague = councils.RecruiterIn.model_validate(answers)
    await councils.invite_recruiter(uow, council.id, colleague, principal, **link_options(request))
    return redirect(request, "/council/recruiters?invited=1")
