"""The progress grid: a cohort's learners by modules on one page, where the provider records many
outcomes in one submit (blank cells change nothing; nothing is saved while any cell is wrong)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Principal, Role
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import (
    CSRF_FIELD,
    FormErrors,
    form_state,
    form_text,
    read_form,
    redirect,
    redirect_with_problems,
    signed_in,
)

from .. import domain
from ..curricula import Module
from ..store import TrainingWork, work_of
from ..use_cases import outcomes, progress, views
from .common import PAGES, signer_of

router = APIRouter(include_in_schema=False)


@router.get("/provider/cohorts/{cohort_id}")
async def grid(
    request: Request,
    cohort_id: str,
    uow: UnitOfWorkDep,
    recorded: str | None = None,
    certified: str | None = None,
) -> Response:
    """The cohort's grid, with nothing chosen (after a submit, how many outcomes it recorded; after
    a refused one, its problems and what was chosen)."""
    principal = signed_in(request, Role.TRAINER)
    state = form_state(request)
    if state is not None:
        values = {str(name): str(value) for name, value in state.values.items()}
        return await _grid_page(
            request, work_of(uow), principal, cohort_id, values=values, errors=state.errors
        )
    return await _grid_page(
        request,
        work_of(uow),
        principal,
        cohort_id,
        recorded=_count(recorded),
        certified=_count(certified) or 0,
    )


def _count(text: str | None) -> int | None:
    """A count from the address after a submit (anything else is ignored, not an error)."""
    return int(text) if text and text.isdecimal() and len(text) < 6 else None


@router.post("/provider/cohorts/{cohort_id}")
async def record_grid(request: Request, cohort_id: str, uow: UnitOfWorkDep) -> Response:
    """Record every filled cell at once, or show every problem at once and save nothing."""
    principal = signed_in(request, Role.TRAINER)
    form = await read_form(request)
    fields = {name: form_text(form, name) for name in form if name != CSRF_FIELD}
    work = work_of(uow)
    rows = await outcomes.cohort_grid(work, cohort_id, principal, to_record=True)
    changes, problems = outcomes.read_grid(rows, fields)
    errors = FormErrors()
    for name, message in problems.items():
        errors.add(name, message)
    if not errors and not changes:
        errors.add("form", "Choose an outcome for at least one learner and module")
    if errors:
        return redirect_with_problems(request, f"/provider/cohorts/{cohort_id}", errors, fields)
    done = await outcomes.record_grid(work, rows, changes, signer_of(request))
    return redirect(
        request, f"/provider/cohorts/{cohort_id}?recorded={done.recorded}&certified={len(done.certified)}"
    )


async def _grid_page(
    request: Request,
    work: TrainingWork,
    principal: Principal,
    cohort_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    recorded: int | None = None,
    certified: int = 0,
) -> Response:
    rows = await outcomes.cohort_grid(work, cohort_id, principal)
    modules: dict[str, Module] = {}
    learners = []
    for row in rows:
        curriculum_ = progress.curriculum_of(row.enrolment)
        for module in curriculum_.modules:
            modules.setdefault(module.id, module)
        learners.append(
            {
                "row": row,
                "name": await views.name_of(work, row.enrolment) or "Name not known",
                "module_ids": {m.id for m in curriculum_.modules},
            }
        )
    context: dict[str, Any] = {
        "cohort_id": cohort_id,
        "modules": list(modules.values()),
        "learners": learners,
        "values": values or {},
        "outcomes": domain.OUTCOMES,
        "results": domain.RESULTS,
        "cell": outcomes.cell_name,
        "recorded": recorded,
        "certified": certified,
    }
    return PAGES.render(request, "provider_grid.html", context, errors=errors)
