"""Signing in by e-mailed link, and out: the start of every person's visit."""

from __future__ import annotations

import re
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from rtw_contracts.events.applications import NEXT_PAGE_PATTERN
from rtw_platform import clock
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.rate_limits import limit_link_request
from rtw_platform.web import (
    FormErrors,
    current_principal,
    form_state,
    form_text,
    read_form,
    redirect,
    redirect_with_problems,
    safe_next,
    sign_in_and_go,
)
from rtw_platform.web.i18n import N_

from .. import cohorts, intake
from ..models import RateLimitWindow
from .common import PAGES, issuer_of, settings_of

router = APIRouter(include_in_schema=False)


@router.get("/")
async def start(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """The start page: what the programmes are, which cohorts are open, how to apply."""
    open_now = await cohorts.list_cohorts(uow, open_on=clock.today())
    return PAGES.render(request, "start.html", {"cohorts": open_now})


_NEXT_PAGE = re.compile(NEXT_PAGE_PATTERN)


def destination(location: str | None) -> str | None:
    """Where a sign-in link may lead: a path on this platform only (`/applications/my/…`), never
    another site (`//evil.example`, `https://evil.example`, `/\\evil.example`), nor a query or an
    encoded character; anything else leads to the person's home page."""
    if not location or len(location) > 300:
        return None
    then = safe_next(location, "")
    return then if then and _NEXT_PAGE.fullmatch(then) else None


@router.get("/account/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> HTMLResponse:
    """Ask for a sign-in link (for the page the person was asked to sign in for, if any)."""
    state = form_state(request)
    email = str(state.values.get("email", "")) if state else ""
    context = {"email": email, "next": destination(next) or ""}
    return PAGES.render(request, "sign_in.html", context, errors=state.errors if state else None)


@router.post("/account/sign-in")
async def sign_in_requested(request: Request, uow: UnitOfWorkDep) -> Response:
    """Send the link if we know the address; say the same either way. The link leads to the page
    the person was asked to sign in for (when it is one of this platform's)."""
    form = await read_form(request)
    email = form_text(form, "email")
    then = destination(form_text(form, "next"))
    errors = FormErrors()
    if not email:
        errors.add("email", N_("Enter your e-mail address"))
    else:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.add("email", N_("Enter an e-mail address in the correct format, like name@example.com"))
    if errors:
        page = "/account/sign-in" + (f"?next={quote(then, safe='/')}" if then else "")
        return redirect_with_problems(request, page, errors, {"email": email})
    await limit_link_request(request, uow, RateLimitWindow, email)
    await intake.request_sign_in(email, uow, issuer_of(request), then)
    return redirect(request, "/account/check-your-email")


@router.get("/account/check-your-email")
async def check_your_email(request: Request) -> HTMLResponse:
    """Where the link went."""
    return PAGES.render(request, "check_email.html", {"minutes": settings_of(request).sign_in_link_minutes})


@router.get("/account/staff-sign-in")
async def staff_sign_in(request: Request) -> HTMLResponse:
    """How assessors, training providers and programme admins sign in."""
    return PAGES.render(request, "staff_sign_in.html")


@router.get("/sign-in/{token}")
async def link_landing(request: Request, token: str, next: str | None = None) -> HTMLResponse:
    """The e-mailed link opens this page; signing in takes a press of the button, so a mail
    scanner that follows links does not use the link up. The link may say where to go next (a
    new draft); only a path on this platform is followed."""
    return PAGES.render(
        request, "sign_in_link.html", {"token": token, "request_next": destination(next) or ""}
    )


@router.post("/sign-in/{token}")
async def link_used(request: Request, token: str, uow: UnitOfWorkDep) -> RedirectResponse:
    """Use the link once and start a session."""
    form = await read_form(request)
    secret = settings_of(request).token_secret.get_secret_value()
    principal = await intake.redeem_sign_in_link(token, uow, secret)
    return sign_in_and_go(request, principal, destination(form_text(form, "next")))


@router.get("/account/signed-out")
async def signed_out(request: Request) -> HTMLResponse:
    """After signing out."""
    return PAGES.render(
        request, "signed_out.html", {"still_signed_in": current_principal(request) is not None}
    )
