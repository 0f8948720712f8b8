"""The skills self-assessment on a phone: one screen per group of the framework's skills (its
role families), each saved on its own, with the groups' progress on the skills page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_contracts import Programme
from rtw_platform import clock
from rtw_platform.errors import NotFound
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, form_text, read_form, redirect

from .. import intake
from ..models import Application
from .apply import render_question, validated
from .candidate import own_application
from .questions import BY_SLUG, Context, SkillGroup, parse_skill_group, read_skill_group, skill_groups

router = APIRouter(include_in_schema=False)
SKILLS = BY_SLUG["skills"]


def _group(application: Application, slug: str) -> SkillGroup:
    if not SKILLS.applies(Programme(application.programme)):
        raise NotFound("This application has no such question.")
    found = next((g for g in skill_groups(application.answers) if g.slug == slug), None)
    if found is None:
        raise NotFound("There is no such group of skills for the specialisms you chose.")
    return found


def _after(application: Application, group: SkillGroup, changing: bool) -> str:
    """The next group, then back to the skills page (which shows every group's progress)."""
    slugs = [g.slug for g in skill_groups(application.answers)]
    following = slugs[slugs.index(group.slug) + 1 :]
    base = f"/application/{application.id}/questions/skills"
    if following and not changing:
        return f"{base}/{following[0]}"
    return base + ("?change=yes" if changing else "")


@router.get("/application/{application_id}/questions/skills/{group_slug}")
async def skill_group_page(
    request: Request, application_id: str, group_slug: str, uow: UnitOfWorkDep, change: str = ""
) -> Response:
    """One group of skills to rate, with the saved levels filled in."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is not None:
        return redirect(request, f"/my/applications/{application.id}")
    group = _group(application, group_slug)
    ctx = Context(Programme(application.programme), application.answers, clock.today())
    values = read_skill_group(ctx, group)
    return await render_question(
        request, uow, application, SKILLS, values, FormErrors(), change == "yes", group=group
    )


@router.post("/application/{application_id}/questions/skills/{group_slug}")
async def skill_group_answered(
    request: Request, application_id: str, group_slug: str, uow: UnitOfWorkDep
) -> Response:
    """Save this group's ratings (the other groups' stay as saved) and go on to the next group."""
    principal, application = await own_application(request, uow, application_id)
    form = await read_form(request)
    changing = form_text(form, "change") == "yes"
    group = _group(application, group_slug)
    ctx = Context(Programme(application.programme), application.answers, clock.today())
    parsed = parse_skill_group(form, ctx, group)
    answers = validated(SKILLS, parsed)
    if parsed.errors:
        return await render_question(
            request, uow, application, SKILLS, parsed.values, parsed.errors, changing, 400, group=group
        )
    await intake.save_answers(application.id, answers, principal, uow)
    return redirect(request, _after(application, group, changing))
