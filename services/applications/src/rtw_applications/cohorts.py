"""Cohorts as applications knows them: programme, title and application window."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rtw_contracts import Programme
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.uow import UnitOfWork
from sqlmodel import select

from . import domain
from .api_models import CohortIn, CohortView
from .models import Cohort


def window_of(cohort: Cohort) -> domain.Window:
    """The cohort's application window."""
    return domain.Window(cohort.opens_on, cohort.closes_on)


async def cohort_or_refuse(uow: UnitOfWork, cohort_id: str) -> Cohort:
    """The cohort, or a refusal naming what exists."""
    cohort = await uow.session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(f"There is no cohort {cohort_id!r}; see GET /cohorts for those open now.")
    return cohort


async def open_cohort_or_refuse(uow: UnitOfWork, cohort_id: str, today: date) -> Cohort:
    """The cohort if its window is open today; otherwise a refusal naming the window."""
    cohort = await cohort_or_refuse(uow, cohort_id)
    refusal = domain.window_refusal(window_of(cohort), today)
    if refusal is not None:
        raise Conflict(refusal)
    return cohort


async def list_cohorts(uow: UnitOfWork, *, open_on: date | None = None) -> list[Cohort]:
    """Every cohort (or those open on a day), by programme and opening date."""
    cohorts = (await uow.session.exec(select(Cohort))).all()
    chosen = [c for c in cohorts if open_on is None or window_of(c).is_open(open_on)]
    return sorted(chosen, key=lambda c: (c.programme, c.opens_on, c.id))


async def save_cohort(uow: UnitOfWork, cohort_in: CohortIn) -> Cohort:
    """Create or change a cohort."""
    now = datetime.now(UTC)
    cohort = await uow.session.get(Cohort, cohort_in.id)
    if cohort is None:
        cohort = Cohort(**cohort_in.model_dump(), created_at=now, updated_at=now)
        cohort.programme = cohort_in.programme.value
    else:
        if cohort.programme != cohort_in.programme.value:
            raise Conflict("A cohort's programme cannot change; create a new cohort instead.")
        for field in ("title", "opens_on", "closes_on", "video_required"):
            setattr(cohort, field, getattr(cohort_in, field))
        cohort.updated_at = now
    uow.session.add(cohort)
    await uow.commit()
    return cohort


def view(cohort: Cohort, today: date) -> CohortView:
    """The cohort as the API shows it."""
    programme = Programme(cohort.programme)
    window = window_of(cohort)
    return CohortView(
        id=cohort.id,
        programme=programme,
        title=cohort.title,
        opens_on=cohort.opens_on,
        closes_on=cohort.closes_on,
        video_required=cohort.video_required,
        is_open=window.is_open(today),
        window=window.describe(),
        questions=[
            {"id": q.id, "text": q.text, "max_words": q.max_words}
            for q in domain.SECOND_STAGE_QUESTIONS[programme]
        ],
    )
