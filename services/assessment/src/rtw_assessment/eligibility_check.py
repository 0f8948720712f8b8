"""The public eligibility checker: a few answers, no account, nothing kept. It asks the facts
screening looks at and runs the same rules (`domain.eligibility_reasons`) with the cohort's
configuration in force, so the checker and screening cannot give different answers or reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rtw_contracts import CareerBreakReason, Programme, ReasonCode
from rtw_contracts.types import CareerBreak, ProfessionalRegistration
from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from .configuration import config_in_force
from .domain import ApplicationFacts, CohortConfig, default_config, eligibility_reasons
from .models import ScheduledCohort


@dataclass(frozen=True)
class CheckAnswers:
    """What the checker asks: the eligibility facts of an application, and nothing else."""

    right_to_work: bool
    break_start: date
    break_end: date | None
    reason: CareerBreakReason
    years_experience: float
    registration_body: str | None = None
    last_practised: date | None = None


def facts_of_answers(answers: CheckAnswers, programme: Programme, now: datetime) -> ApplicationFacts:
    """The answers as the facts screening sees (as if the application were sent now)."""
    registration = (
        ProfessionalRegistration(body=answers.registration_body, last_practised=answers.last_practised)
        if answers.registration_body
        else None
    )
    return ApplicationFacts(
        programme=programme,
        submitted_at=now,
        right_to_work=answers.right_to_work,
        career_break=CareerBreak(start=answers.break_start, end=answers.break_end, reason=answers.reason),
        years_experience=answers.years_experience,
        professional_registration=registration,
        specialisms=(),
        skills=(),
    )


def check(answers: CheckAnswers, config: CohortConfig, now: datetime) -> list[ReasonCode]:
    """Every reason the application would not be eligible (empty: it would be)."""
    facts = facts_of_answers(answers, config.programme, now)
    return eligibility_reasons(facts, config.eligibility, config, now.date())


@dataclass(frozen=True)
class CheckedCohort:
    """An open cohort with the configuration (and its version) the checker uses."""

    cohort_id: str
    title: str
    closes_on: date
    config: CohortConfig
    version: int | None  # None: the programme's defaults, which screening would save as version 1


async def open_cohorts(uow: UnitOfWork, today: date) -> list[CheckedCohort]:
    """Cohorts taking applications today, each with the configuration in force (read only)."""
    statement = (
        select(ScheduledCohort)
        .where(ScheduledCohort.opens_on <= today, ScheduledCohort.closes_on >= today)
        .order_by(col(ScheduledCohort.closes_on), col(ScheduledCohort.cohort_id))
    )
    found = []
    for cohort in (await uow.session.exec(statement)).all():
        in_force = await config_in_force(uow, cohort.cohort_id)
        config = in_force.config if in_force else default_config(Programme(cohort.programme))
        version = in_force.version if in_force else None
        found.append(CheckedCohort(cohort.cohort_id, cohort.title, cohort.closes_on, config, version))
    return found
