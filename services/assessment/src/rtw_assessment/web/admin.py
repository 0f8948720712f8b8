"""The programme admin's pages: cohorts, a cohort's configuration (a new version on every
change), its ranked list with confirming and reopening selection, and the funnel of every
cohort."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform import clock
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict, Invalid, NotFound
from rtw_platform.http import UnitOfWorkDep
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

from .. import calibration, configuration, funnel, lifecycle, reopening, screening, selection
from ..configuration import ConfigInForce
from .cohort_records import closures_of, cohort_summaries, config_history
from .common import PAGES
from .config_form import ConfigForm, read_config, values_of
from .funnel_view import funnel_stages, other_counts
from .selection_records import selection_state

router = APIRouter(include_in_schema=False)

NOTICES = {
    "saved": "The new configuration is saved and in force.",
    "shortlisted": "Shortlisting is closed: the shortlisted are being invited to the second stage.",
    "closed": "Selection is confirmed: candidates are being told whether they were selected.",
    "reopened": "Selection is reopened: the decisions are taken back and the candidates are being "
    "told their decision is being looked at again.",
}


def _here(cohort_id: str) -> str:
    return f"/admin/cohorts/{quote(cohort_id, safe='')}"


@router.get("/admin")
async def cohorts(request: Request, uow: UnitOfWorkDep) -> Response:
    """Every cohort: its configuration version, places, applications and state."""
    signed_in(request, Role.ADMIN)
    summaries = await cohort_summaries(uow)
    today = clock.today()
    lives = {s.cohort_id: await lifecycle.cohort_view(uow, s.cohort_id, today) for s in summaries}
    return PAGES.render(request, "cohorts.html", {"cohorts": summaries, "lives": lives})


async def _in_force(uow: UnitOfWork, cohort_id: str) -> ConfigInForce:
    found = await configuration.config_in_force(uow, cohort_id)
    if found is None:
        raise NotFound(
            f"There is no cohort {cohort_id}: open its application window on "
            "/applications/admin/cohorts first (the cohort then gets its programme's defaults)."
        )
    return found


async def _cohort_page(
    request: Request,
    uow: UnitOfWork,
    cohort_id: str,
    *,
    notice: str | None = None,
    errors: FormErrors | None = None,
) -> Response:
    in_force = await _in_force(uow, cohort_id)
    counts = await funnel.cohort_funnel(uow, cohort_id)
    return PAGES.render(
        request,
        "cohort.html",
        {
            "cohort_id": cohort_id,
            "in_force": in_force,
            "config": in_force.config,
            "history": await config_history(uow, cohort_id),
            "closures": await closures_of(uow, cohort_id),
            "counts": counts,
            "open_disagreements": await calibration.open_disagreements(uow, cohort_id),
            "notice": notice,
            "life": await lifecycle.cohort_view(uow, cohort_id, clock.today()),
            "today": clock.today(),
        },
        errors=errors,
    )


@router.get("/admin/cohorts/{cohort_id}")
async def cohort(cohort_id: str, request: Request, uow: UnitOfWorkDep, done: str | None = None) -> Response:
    """A cohort: the configuration in force, its versions, and closing (with why closing
    shortlisting was refused, when it was)."""
    signed_in(request, Role.ADMIN)
    state = form_state(request)
    return await _cohort_page(
        request, uow, cohort_id, notice=NOTICES.get(done or ""), errors=state.errors if state else None
    )


def _config_page(request: Request, in_force: ConfigInForce, form: ConfigForm | None = None) -> Response:
    return PAGES.render(
        request,
        "configuration.html",
        {
            "cohort_id": in_force.cohort_id,
            "in_force": in_force,
            "values": form.values if form else values_of(in_force.config),
        },
        errors=form.errors if form else None,
    )


@router.get("/admin/cohorts/{cohort_id}/configuration")
async def configuration_form(cohort_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Change the window, places, waiting list, shortlisting or second-stage time (as typed, with
    its problems, when a change was refused)."""
    signed_in(request, Role.ADMIN)
    in_force = await _in_force(uow, cohort_id)
    state = form_state(request)
    if state is not None:
        values = {str(name): str(value) for name, value in state.values.items()}
        return _config_page(request, in_force, ConfigForm(values, state.errors, None))
    return _config_page(request, in_force)


@router.post("/admin/cohorts/{cohort_id}/configuration")
async def configuration_saved(cohort_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Save the change as a new version (the admin API's use case)."""
    admin = signed_in(request, Role.ADMIN)
    form = await read_form(request)
    in_force = await _in_force(uow, cohort_id)
    answers = read_config(form, in_force.config)
    if answers.config is None:
        page = f"/admin/cohorts/{quote(cohort_id, safe='')}/configuration"
        return redirect_with_problems(request, page, answers.errors, answers.values)
    await configuration.save_config(uow, cohort_id, answers.config, admin.subject)
    return redirect(request, f"/admin/cohorts/{quote(cohort_id, safe='')}?done=saved")


@router.post("/admin/cohorts/{cohort_id}/shortlist")
async def shortlist_closed(cohort_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Shortlist the best N eligible (cohorts configured with a shortlist size)."""
    admin = signed_in(request, Role.ADMIN)
    await read_form(request)
    try:
        await screening.close_shortlisting(uow, cohort_id, admin.subject)
    except Conflict as refusal:  # already closed, or not configured to shortlist: said on the page
        await uow.session.rollback()
        return redirect_with_problems(request, _here(cohort_id), FormErrors.from_refusal(refusal), {})
    return redirect(request, f"/admin/cohorts/{quote(cohort_id, safe='')}?done=shortlisted")


def _on_the_page(errors: FormErrors, fields: set[str]) -> FormErrors:
    """The problems, a problem with a form no longer on the page (another admin confirmed or
    reopened selection meanwhile) shown as one with the whole page."""
    shown = FormErrors()
    for name, message in errors.problems.items():
        shown.add(name if name in fields else "form", message)
    return shown


async def _selection_page(
    request: Request, uow: UnitOfWork, cohort_id: str, *, notice: str | None = None
) -> Response:
    in_force = await _in_force(uow, cohort_id)
    state = await selection_state(uow, in_force)
    refused = form_state(request)  # a refused confirmation or reopening: why, and the reason typed
    errors = None
    if refused is not None:
        errors = _on_the_page(refused.errors, {"reason"} if state.closure else {"force"})
    return PAGES.render(
        request,
        "selection.html",
        {
            "cohort_id": cohort_id,
            "config": in_force.config,
            "state": state,
            "notice": notice,
            "reason": str(refused.values.get("reason", "")) if refused else "",
        },
        errors=errors,
    )


@router.get("/admin/cohorts/{cohort_id}/selection")
async def selection_page(
    cohort_id: str, request: Request, uow: UnitOfWorkDep, done: str | None = None
) -> Response:
    """The ranked list with scores, flags and places: before confirming, what confirming would
    decide; after, what was decided and until when it can be reopened."""
    signed_in(request, Role.ADMIN)
    return await _selection_page(request, uow, cohort_id, notice=NOTICES.get(done or ""))


@router.post("/admin/cohorts/{cohort_id}/close")
async def cohort_closed(cohort_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Confirm selection: select up to capacity, waitlist the next, reject the rest."""
    admin = signed_in(request, Role.ADMIN)
    form = await read_form(request)
    force = form.get("force") == "yes"
    try:
        await selection.close_cohort(uow, cohort_id, admin.subject, force=force)
    except Conflict as refusal:  # a disagreement open, scorecards missing, or closed already
        await uow.session.rollback()
        errors = FormErrors()
        errors.add("force", refusal.message)
        return redirect_with_problems(request, f"{_here(cohort_id)}/selection", errors, {})
    return redirect(request, f"/admin/cohorts/{quote(cohort_id, safe='')}/selection?done=closed")


@router.post("/admin/cohorts/{cohort_id}/reopen")
async def selection_reopened(cohort_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Reopen a confirmed selection within its window, with a reason."""
    admin = signed_in(request, Role.ADMIN)
    form = await read_form(request)
    reason = form_text(form, "reason")
    try:
        await reopening.reopen_selection(uow, cohort_id, admin.subject, reason)
    except (Conflict, Invalid) as refusal:  # too short a reason, too late, or reopened already
        await uow.session.rollback()
        errors = FormErrors()
        errors.add("reason", refusal.message)
        return redirect_with_problems(request, f"{_here(cohort_id)}/selection", errors, {"reason": reason})
    return redirect(request, f"/admin/cohorts/{quote(cohort_id, safe='')}/selection?done=reopened")


@router.get("/admin/funnel")
async def funnel_page(request: Request, uow: UnitOfWorkDep) -> Response:
    """Each cohort's funnel, as a table and a bar chart, with the reasons people were ineligible."""
    signed_in(request, Role.ADMIN)
    funnels = []
    for summary in await cohort_summaries(uow):
        counts = await funnel.cohort_funnel(uow, summary.cohort_id)
        funnels.append(
            {
                "summary": summary,
                "stages": funnel_stages(counts),
                "others": other_counts(counts),
                "reasons": counts["ineligibility_reasons"],
            }
        )
    return PAGES.render(request, "funnel.html", {"funnels": funnels})
