"""The task list and the check-your-answers page: how far each question has got, the answers as
rows, and the options each question offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from rtw_contracts import (
    ASKED_CAREER_BREAK_REASONS,
    FlexibleWorking,
    IctSpecialism,
    Language,
    Programme,
    Region,
    SkillLevel,
)
from rtw_platform import reference
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, url
from rtw_platform.web.i18n import N_
from rtw_platform.web.i18n import gettext as _

from .. import adjustments, domain
from ..api_models import AgeBand, Answer, Ethnicity, Sex
from ..models import Application, EqualityMonitoringAnswers
from .questions import (
    NOT_REGISTERED,
    Context,
    Question,
    questions_for,
    relevant_skills,
)


@dataclass
class LinkedErrors(FormErrors):
    """Problems whose summary links go to another page (the page that asks the question)."""

    links: dict[str, str] = field(default_factory=dict)

    def summary(self) -> list[dict[str, str]]:
        return [
            {"text": text, "href": self.links.get(name, f"#{name}")} for name, text in self.problems.items()
        ]


def status_of(question: Question, answers: dict[str, Any], missing: list[tuple[str, str]]) -> str:
    """Not yet started, Cannot start yet, Incomplete or Completed."""
    if question.slug == "skills" and not answers.get("specialisms"):
        return "Cannot start yet"
    if not any(name in answers for name in question.fields):
        return "Not yet started"
    if any(api_field.split(".", 1)[0] in question.fields for api_field, _ in missing):
        return "Incomplete"
    return "Completed"


#: The task list's statuses (kept in English, shown in the page's language).
STATUSES = (N_("Completed"), N_("Cannot start yet"), N_("Not yet started"), N_("Incomplete"))


def _item(title: str, href: str | None, status: str) -> dict[str, Any]:
    item: dict[str, Any] = {"title": {"text": _(title)}}
    if status == "Completed":
        item["status"] = {"text": _("Completed")}
    elif status == "Cannot start yet":
        item["status"] = {"text": _(status), "classes": "govuk-task-list__status--cannot-start-yet"}
        return item
    else:
        colour = "govuk-tag--blue" if status == "Not yet started" else "govuk-tag--light-blue"
        item["status"] = {"tag": {"text": _(status), "classes": colour}}
    item["href"] = href
    return item


async def sections(
    request: Request, uow: UnitOfWork, application: Application, missing: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The task list's sections: a heading and the items of the govuk task list."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    base = f"/application/{application.id}"
    for question in questions_for(Programme(application.programme)):
        href = url(request, f"{base}/questions/{question.slug}")
        status = status_of(question, application.answers, missing)
        grouped.setdefault(question.section, []).append(_item(question.title, href, status))
    equality = await uow.session.get(EqualityMonitoringAnswers, application.id) is not None
    grouped.setdefault(N_("Privacy"), []).append(
        _item(
            N_("Equality monitoring (optional)"),
            url(request, f"{base}/equality"),
            "Completed" if equality else "Not yet started",
        )
    )
    grouped.setdefault(N_("Adjustments"), []).extend(
        [
            _item(
                N_("Ask for an adjustment (optional)"),
                url(request, f"/my/applications/{application.id}/adjustments"),
                "Completed" if await adjustments.requests_of(uow, application.id) else "Not yet started",
            ),
            _item(
                N_("Guaranteed second stage for disabled candidates (optional)"),
                url(request, f"{base}/guaranteed-second-stage"),
                "Completed" if application.guaranteed_second_stage else "Not yet started",
            ),
        ]
    )
    send_status = "Not yet started" if not missing else "Cannot start yet"
    grouped[N_("Send your application")] = [
        _item(N_("Check your answers and send"), url(request, f"{base}/check-answers"), send_status)
    ]
    return [{"heading": heading, "items": items} for heading, items in grouped.items()]


def summary_sections(ctx: Context) -> list[dict[str, Any]]:
    """Check your answers: per section, (question, key, value) rows."""
    grouped: dict[str, list[dict[str, str]]] = {}
    for question in questions_for(ctx.programme):
        for key, value in question.show(ctx):
            grouped.setdefault(question.section, []).append(
                {"slug": question.slug, "key": key, "value": value}
            )
    return [{"heading": heading, "rows": rows} for heading, rows in grouped.items()]


def choices_for(programme: Programme, answers: dict[str, Any]) -> dict[str, Any]:
    """The options of every question, as (value, label) pairs."""
    profile = domain.PROGRAMMES[programme]
    bodies = [(body, body) for body in profile.professional_bodies]
    if not profile.registration_required:
        bodies.append((NOT_REGISTERED, _("I was not registered with a professional body")))
    descriptions = reference.framework_skills()
    return {
        "languages": [(lang.value, lang.label) for lang in Language],
        "reasons": [(reason.value, reason.label) for reason in ASKED_CAREER_BREAK_REASONS],
        "bodies": bodies,
        "registration_required": profile.registration_required,
        "specialisms": [(s.value, s.label) for s in IctSpecialism],
        "skills": [
            {"name": name, "description": descriptions.get(name, "")} for name in relevant_skills(answers)
        ],
        "levels": [(str(level.value), level.label) for level in SkillLevel],
        "flexible": [(value.value, value.label) for value in FlexibleWorking],
        "regions": sorted(((r.value, r.label) for r in Region), key=lambda pair: pair[1]),
    }


EQUALITY_QUESTIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "sex",
        N_("What is your sex?"),
        [(Sex.FEMALE, N_("Female")), (Sex.MALE, N_("Male")), (Sex.OTHER, N_("Other"))],
    ),
    (
        "age_band",
        N_("How old are you?"),
        [(band, band.value) for band in AgeBand if band is not AgeBand.PREFER_NOT_TO_SAY],
    ),
    (
        "ethnicity",
        N_("What is your ethnic group?"),
        [
            (Ethnicity.ASIAN, N_("Asian or Asian British")),
            (Ethnicity.BLACK, N_("Black, Black British, Caribbean or African")),
            (Ethnicity.MIXED, N_("Mixed or multiple ethnic groups")),
            (Ethnicity.WHITE, N_("White")),
            (Ethnicity.OTHER, N_("Another ethnic group")),
        ],
    ),
    (
        "disability",
        N_("Do you consider yourself to have a disability or a long-term health condition?"),
        [(Answer.YES, N_("Yes")), (Answer.NO, N_("No"))],
    ),
    (
        "caring",
        N_(
            "Do you look after, or give help or support to, anyone because of their age, illness or "
            "disability?"
        ),
        [(Answer.YES, N_("Yes")), (Answer.NO, N_("No"))],
    ),
]
