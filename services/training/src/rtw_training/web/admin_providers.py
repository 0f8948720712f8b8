"""The programme admin's training providers: the list (cohorts, learners, state), register one,
change its name and cohorts, retire or reactivate it, and the way to e-mail one of its trainers a
sign-in link (made by notifications, which holds staff addresses: docs/pages.md, "Signing in")."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import (
    FormErrors,
    form_state,
    form_text,
    read_form,
    redirect,
    redirect_with_problems,
    signed_in,
)
from starlette.datastructures import FormData

from ..store import TrainingWork, work_of
from ..use_cases import providers
from .common import PAGES

router = APIRouter(include_in_schema=False)

PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")
COHORT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
NOTICES = {
    "registered": "is registered. Send one of its trainers a sign-in link.",
    "changed": "is changed.",
    "retired": "is retired: its trainers can no longer sign in or see learners.",
    "activated": "is active again.",
}


def _answers(form: FormData) -> dict[str, str]:
    return {
        "id": form_text(form, "id"),
        "name": form_text(form, "name"),
        "cohorts": form_text(form, "cohorts"),
    }


def _check(answers: dict[str, str], errors: FormErrors) -> list[str]:
    """The cohorts named (problems noted in `errors`)."""
    if not answers["name"]:
        errors.add("name", "Enter the training provider's name")
    elif len(answers["name"]) > 200:
        errors.add("name", "The name must be 200 characters or fewer")
    cohorts = [c for c in re.split(r"[\s,]+", answers["cohorts"].lower()) if c]
    wrong = [c for c in cohorts if not COHORT_ID.match(c)]
    if not cohorts:
        errors.add("cohorts", "Enter the cohorts the provider trains, like ict-2027")
    elif wrong:
        errors.add(
            "cohorts",
            f"{wrong[0]} is not a cohort id: a cohort id is 3 to 64 lowercase letters, digits or "
            "hyphens, like ict-2027",
        )
    return cohorts


def _typed(values: dict[str, object]) -> dict[str, str]:
    """What was typed in a refused form, as its page shows it again."""
    return {name: str(values.get(name, "")) for name in ("id", "name", "cohorts")}


async def _list_page(
    request: Request,
    work: TrainingWork,
    answers: dict[str, str],
    *,
    notice: str | None = None,
    errors: FormErrors | None = None,
) -> Response:
    return PAGES.render(
        request,
        "admin_providers.html",
        {"providers": await providers.list_providers(work), "answers": answers, "notice": notice},
        errors=errors,
    )


@router.get("/admin/providers")
async def providers_page(
    request: Request, uow: UnitOfWorkDep, done: str | None = None, id: str | None = None
) -> Response:
    """Every training provider, and the form to register one (as typed, with its problems, when
    registering was refused)."""
    signed_in(request, Role.ADMIN)
    state = form_state(request)
    if state is not None:
        return await _list_page(request, work_of(uow), _typed(state.values), errors=state.errors)
    notice = f"Training provider {id} {NOTICES[done]}" if done in NOTICES and id else None
    return await _list_page(request, work_of(uow), {"id": "", "name": "", "cohorts": ""}, notice=notice)


@router.post("/admin/providers")
async def register(request: Request, uow: UnitOfWorkDep) -> Response:
    """Register a provider (TrainingProviderChanged tells notifications its trainers may get links)."""
    signed_in(request, Role.ADMIN)
    answers = _answers(await read_form(request))
    errors = FormErrors()
    if not answers["id"]:
        errors.add("id", "Enter an id for the provider, like digital-skills-college")
    elif not PROVIDER_ID.match(answers["id"]):
        errors.add(
            "id", "An id is 2 to 100 lowercase letters, digits or hyphens, starting with a letter or digit"
        )
    cohorts = _check(answers, errors)
    if errors:
        return redirect_with_problems(request, "/admin/providers", errors, answers)
    try:
        await providers.save_provider(work_of(uow), answers["id"], answers["name"], cohorts, new=True)
    except Conflict as refusal:
        return redirect_with_problems(
            request, "/admin/providers", FormErrors({"id": refusal.message}), answers
        )
    return redirect(request, f"/admin/providers?done=registered&id={quote(answers['id'])}")


async def _provider_page(
    request: Request,
    work: TrainingWork,
    provider_id: str,
    answers: dict[str, str] | None,
    errors: FormErrors | None,
) -> Response:
    provider = await providers.get_provider(work, provider_id)
    shown = answers or {"id": provider.id, "name": provider.name, "cohorts": ", ".join(provider.cohorts)}
    return PAGES.render(
        request,
        "admin_provider.html",
        {"provider": provider, "answers": shown},
        errors=errors,
    )


@router.get("/admin/providers/{provider_id}")
async def provider_page(provider_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """A provider: change its name and cohorts, retire or reactivate it (as typed, with its
    problems, when a change was refused)."""
    signed_in(request, Role.ADMIN)
    state = form_state(request)
    if state is not None:
        answers = {**_typed(state.values), "id": provider_id}
        return await _provider_page(request, work_of(uow), provider_id, answers, state.errors)
    return await _provider_page(request, work_of(uow), provider_id, None, None)


@router.post("/admin/providers/{provider_id}")
async def change(provider_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Change a provider's name and cohorts."""
    signed_in(request, Role.ADMIN)
    form = await read_form(request)
    work = work_of(uow)
    provider = await providers.get_provider(work, provider_id)
    answers = {**_answers(form), "id": provider.id}
    errors = FormErrors()
    cohorts = _check(answers, errors)
    if errors:
        return redirect_with_problems(request, f"/admin/providers/{quote(provider_id)}", errors, answers)
    await providers.save_provider(work_of(uow), provider_id, answers["name"], cohorts)
    return redirect(request, f"/admin/providers?done=changed&id={quote(provider_id)}")


@router.post("/admin/providers/{provider_id}/active")
async def activate_or_retire(provider_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Retire a provider or make it active again."""
    signed_in(request, Role.ADMIN)
    form = await read_form(request)
    active = form_text(form, "active") == "yes"
    await providers.set_active(work_of(uow), provider_id, active)
    return redirect(
        request, f"/admin/providers?done={'activated' if active else 'retired'}&id={quote(provider_id)}"
    )
