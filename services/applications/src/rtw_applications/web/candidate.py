"""What the candidate's pages share: the signed-in candidate, their applications and cohorts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import NotFound
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import signed_in
from sqlmodel import select

from .. import intake
from ..models import Application, Cohort


def candidate(request: Request) -> Principal:
    """The signed-in candidate (others are sent to sign in)."""
    return signed_in(request, Role.CANDIDATE)


def parse_id(application_id: str) -> UUID:
    """An application id from the address (a mistyped one is simply not found)."""
    try:
        return UUID(application_id)
    except ValueError:
        raise NotFound(intake.NO_SUCH_APPLICATION) from None


async def own_application(
    request: Request, uow: UnitOfWork, application_id: str
) -> tuple[Principal, Application]:
    """The signed-in candidate and one of their applications."""
    principal = candidate(request)
    application = await intake.application_or_refuse(uow, parse_id(application_id), principal)
    return principal, application


async def applications_of(uow: UnitOfWork, candidate_id: UUID) -> list[Application]:
    """The candidate's applications (not anonymised), newest first."""
    statement: Any = (
        select(Application)
        .where(Application.candidate_id == candidate_id, Application.anonymised_at.is_(None))  # type: ignore[union-attr]
        .order_by(Application.created_at.desc())  # type: ignore[attr-defined]
    )
    return list((await uow.session.exec(statement)).all())


async def cohort_titles(uow: UnitOfWork) -> dict[str, str]:
    """Each cohort's title by id."""
    return {cohort.id: cohort.title for cohort in (await uow.session.exec(select(Cohort))).all()}
