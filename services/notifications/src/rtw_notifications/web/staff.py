"""Staff sign-in: the programme admin's staff directory (send a member of staff their sign-in link
at the address the admin gives; the assessors and providers pages link here), and the page where
any member of staff asks for a new link for their address. Links are made here, where the e-mail
is written (use_cases/staff.py); both ways are limited like every request that e-mails a link."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.rate_limits import Limit, count_request, limit_link_request
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import (
    FormErrors,
    form_state,
    form_text,
    read_form,
    redirect,
    redirect_with_problems,
    signed_in,
)

from ..models import RateLimitWindow
from ..settings import NotificationsSettings
from ..store import work_of
from ..use_cases import staff
from .dead_letters import PAGES

router = APIRouter(include_in_schema=False)

ROLES = {"assessor": Role.ASSESSOR, "trainer": Role.TRAINER, "admin": Role.ADMIN}
BACK = {
    Role.ASSESSOR: ("/assessment/admin/assessors", "Back to assessors"),
    Role.TRAINER: ("/training/admin/providers", "Back to training providers"),
    Role.ADMIN: ("/notifications/admin/staff", "Back to staff sign-in"),
}
ShortText = Annotated[str | None, Query(max_length=100)]


def _settings(request: Request) -> NotificationsSettings:
    settings: NotificationsSettings = request.app.state.settings
    return settings


def email_problem(value: str) -> tuple[str, str | None]:
    """The address normalised, and what is wrong with it (None: nothing)."""
    if not value:
        return value, "Enter an e-mail address"
    try:
        return validate_email(value, check_deliverability=False).normalized.lower(), None
    except EmailNotValidError:
        return value, "Enter an e-mail address in the correct format, like name@example.com"


def _role(value: str | None) -> Role:
    role = ROLES.get(value or "")
    if role is None:
        raise NotFound(
            "Choose whom to send a link to from the assessors, training providers or staff sign-in page."
        )
    return role


# ---------------------------------------------------------------------- admins


@router.get("/admin/staff")
async def directory_page(request: Request, uow: UnitOfWorkDep, done: str | None = None) -> Response:
    """Every staff address and whether a link may be sent to it; send an admin a link."""
    signed_in(request, Role.ADMIN)
    notices = {
        "sent": "The sign-in link is on its way. It works once, for an hour.",
        "removed": "The address is removed.",
    }
    return PAGES.render(
        request,
        "staff.html",
        {
            "listed": await staff.directory(work_of(uow)),
            "notice": notices.get(done or ""),
            "role_names": {r.value: n for r, n in staff.ROLE_NAMES.items()},
        },
    )


async def _send_page(
    request: Request,
    uow: UnitOfWork,
    role: Role,
    staff_id: str | None,
    provider_id: str | None,
    answers: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    record = await staff.record_of(work_of(uow), role, staff_id, provider_id)
    if role is not Role.ADMIN:
        what = f"assessor {staff_id}" if role is Role.ASSESSOR else f"training provider {provider_id}"
        if not (staff_id if role is Role.ASSESSOR else provider_id):
            raise NotFound("Choose whom to send a link to from the assessors or training providers page.")
        if record is None:
            raise NotFound(
                f"Notifications has not heard of {what} yet. If you registered them a moment ago, "
                "wait a few seconds and reload this page."
            )
    if answers is None:
        existing = None
        if role is Role.ASSESSOR:
            listed = [
                entry for entry in await staff.directory(work_of(uow)) if entry.address.role == role.value
            ]
            existing = next((e.address for e in listed if e.address.staff_id == staff_id), None)
        answers = {
            "email": existing.email if existing else "",
            "name": record.name if role is Role.ASSESSOR and record else "",
            "staff_id": "",
        }
    return PAGES.render(
        request,
        "staff_send.html",
        {
            "role": role,
            "role_value": role.value,
            "staff_id": staff_id or "",
            "provider_id": provider_id or "",
            "record": record,
            "answers": answers,
            "back": BACK[role],
        },
        errors=errors,
    )


def _send_path(role: Role, staff_id: str | None, provider_id: str | None) -> str:
    """The form's own address, with whom it is for (where a refused form goes back to)."""
    whom = {Role.ASSESSOR: ("staff_id", staff_id), Role.TRAINER: ("provider_id", provider_id)}.get(role)
    query = {"role": role.value}
    if whom and whom[1]:
        query[whom[0]] = whom[1][:100]
    return "/admin/staff/send?" + urlencode(query)


@router.get("/admin/staff/send")
async def send_page(
    request: Request,
    uow: UnitOfWorkDep,
    role: ShortText = None,
    staff_id: ShortText = None,
    provider_id: ShortText = None,
) -> Response:
    """The form: the address (and name) to e-mail this member of staff's sign-in link to (without
    a role: a programme admin's)."""
    signed_in(request, Role.ADMIN)
    state = form_state(request)
    answers = {k: str(state.values.get(k, "")) for k in ("email", "name", "staff_id")} if state else None
    return await _send_page(
        request,
        uow,
        _role(role or "admin"),
        staff_id,
        provider_id,
        answers,
        state.errors if state else None,
    )


@router.post("/admin/staff/send")
async def send(request: Request, uow: UnitOfWorkDep) -> Response:
    """Record the address in the staff directory and e-mail the link to it."""
    admin = signed_in(request, Role.ADMIN)
    form = await read_form(request)
    role = _role(form_text(form, "role"))
    staff_id = form_text(form, "staff_id") or None
    provider_id = form_text(form, "provider_id") or None
    answers = {"email": form_text(form, "email"), "name": form_text(form, "name"), "staff_id": staff_id or ""}
    errors = FormErrors()
    email, problem = email_problem(answers["email"])
    if problem:
        errors.add("email", problem)
    if not answers["name"]:
        errors.add("name", "Enter their name, as the e-mail greets them")
    elif len(answers["name"]) > 200:
        errors.add("name", "The name must be 200 characters or fewer")
    if role is Role.ADMIN and not staff_id:
        errors.add("staff_id", "Enter the admin's staff id, like sam.admin")
    elif role is Role.ADMIN and staff_id and not _valid_staff_id(staff_id):
        errors.add(
            "staff_id",
            "A staff id is 2 to 100 letters, digits, dots, hyphens, underscores or @, with no spaces",
        )
    if errors:
        return redirect_with_problems(request, _send_path(role, staff_id, provider_id), errors, answers)
    await _limit_per_address(request, uow, email)
    try:
        entry = await staff.give_address(
            work_of(uow),
            role,
            email=email,
            name=answers["name"],
            staff_id=staff_id,
            provider_id=provider_id,
            admin=admin,
        )
    except Conflict as refusal:
        problems = FormErrors({"email": refusal.message})
        return redirect_with_problems(request, _send_path(role, staff_id, provider_id), problems, answers)
    await staff.send_link(work_of(uow), _settings(request), entry)
    return redirect(request, "/admin/staff?done=sent")


async def _limit_per_address(request: Request, uow: UnitOfWork, email: str) -> None:
    """An admin's sends count against the address's limit (no address is mailed more often than
    anyone may ask for it), not the client's: one admin may set up a whole team in a sitting."""
    settings = _settings(request)
    window = timedelta(seconds=settings.link_limit_address_window_s)
    limit = Limit("link-address", settings.link_limit_per_address, window)
    await count_request(
        uow, RateLimitWindow, [(limit, email)], secret=settings.token_secret.get_secret_value()
    )


def _valid_staff_id(value: str) -> bool:
    return 2 <= len(value) <= 100 and all(c.isascii() and (c.isalnum() or c in "._@-") for c in value)


@router.post("/admin/staff/{address_id}/remove")
async def remove(address_id: UUID, request: Request, uow: UnitOfWorkDep) -> Response:
    """Take an address out of the directory."""
    signed_in(request, Role.ADMIN)
    await read_form(request)
    await staff.remove_address(work_of(uow), address_id)
    return redirect(request, "/admin/staff?done=removed")


# ---------------------------------------------------------------------- any member of staff


@router.get("/staff/sign-in")
async def sign_in_form(request: Request) -> Response:
    """Ask for a new sign-in link (assessors, trainers, programme admins)."""
    state = form_state(request)
    email = str(state.values.get("email", "")) if state else ""
    return PAGES.render(
        request, "staff_sign_in.html", {"email": email}, errors=state.errors if state else None
    )


@router.post("/staff/sign-in")
async def sign_in_requested(request: Request, uow: UnitOfWorkDep) -> Response:
    """E-mail a link if the address is an active member of staff's; say the same either way."""
    form = await read_form(request)
    email, problem = email_problem(form_text(form, "email"))
    if problem:
        return redirect_with_problems(
            request, "/staff/sign-in", FormErrors({"email": problem}), {"email": email}
        )
    await limit_link_request(request, uow, RateLimitWindow, email)
    await staff.request_link(work_of(uow), _settings(request), email)
    return redirect(request, "/staff/sign-in/check-your-email")


@router.get("/staff/sign-in/check-your-email")
async def check_your_email(request: Request) -> Response:
    """What happens next (the same whether the address is known or not)."""
    return PAGES.render(
        request, "staff_check_email.html", {"minutes": int(staff.LINK_LIFETIME.total_seconds() // 60)}
    )


__all__ = ["router"]
