"""Cohorts as applications knows them: programme, title and application window."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rtw_contracts import CohortScheduled, CohortSelectionClosed, Programme, SelectionReopened, cohort_journey
from rtw_platform.counters import take_next
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


def refusal_of(cohort: Cohort, today: date) -> str | None:
    """Why nobody may apply to the cohort today (its selection closed, or its window is not
    open); None if they may."""
    if cohort.selection_closed_at is not None:
        return domain.selection_closed_refusal(cohort.selection_closed_at.date())
    return domain.window_refusal(window_of(cohort), today)


async def open_cohort_or_refuse(uow: UnitOfWork, cohort_id: str, today: date) -> Cohort:
    """The cohort if it takes applications today; otherwise a refusal naming why."""
    cohort = await cohort_or_refuse(uow, cohort_id)
    refusal = refusal_of(cohort, today)
    if refusal is not None:
        raise Conflict(refusal)
    return cohort


async def list_cohorts(uow: UnitOfWork, *, open_on: date | None = None) -> list[Cohort]:
    """Every cohort (or those taking applications on a day), by programme and opening date."""
    cohorts = (await uow.session.exec(select(Cohort))).all()
    chosen = [c for c in cohorts if open_on is None or refusal_of(c, open_on) is None]
    return sorted(chosen, key=lambda c: (c.programme, c.opens_on, c.id))


async def save_cohort(uow: UnitOfWork, cohort_in: CohortIn) -> Cohort:
    """Create or change a cohort. Saves of one cohort run one after the other: saved twice at once,
    it is created once and each change is told with its own revision."""
    await uow.lock(f"applications.cohort:{cohort_in.id}")
    now = datetime.now(UTC)
    cohort = await uow.session.get(Cohort, cohort_in.id, populate_existing=True)
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
    # In the database, not in Python: an announcement of every cohort (announce_all) takes no
    # cohort's lock, and each must tell its own revision.
    await take_next(uow.session, cohort, "revision")
    uow.publish(scheduled(cohort, now))
    await uow.commit()
    return cohort


async def announce_all(uow: UnitOfWork) -> list[str]:
    """Tell the other services every cohort's window again (each one's next revision): for cohorts
    created before CohortScheduled existed, or a consumer whose copy was lost."""
    now = datetime.now(UTC)
    every = await list_cohorts(uow)
    for cohort in every:
        # Its own revision, and the window as it is once this transaction holds the row (a save
        # committed meanwhile is told, not the window read before it).
        await take_next(uow.session, cohort, "revision")
        await uow.session.refresh(cohort)
        uow.publish(scheduled(cohort, now))
    await uow.commit()
    return [cohort.id for cohort in every]


def scheduled(cohort: Cohort, now: datetime) -> CohortScheduled:
    """The event telling other services the cohort's window as it now is."""
    return CohortScheduled(
        correlation_id=cohort_journey(cohort.id),
        sequence=cohort.revision,
        cohort_id=cohort.id,
        programme=Programme(cohort.programme),
        title=cohort.title,
        opens_on=cohort.opens_on,
        closes_on=cohort.closes_on,
        video_required=cohort.video_required,
        changed_at=now,
    )


async def record_selection_closed(event: CohortSelectionClosed, uow: UnitOfWork) -> None:
    """Assessment closed the cohort's selection: from now on nobody starts an application to it."""
    cohort = await uow.session.get(Cohort, event.cohort_id)
    if cohort is None or cohort.selection_closed_at is not None:
        return
    cohort.selection_closed_at = event.closed_at
    uow.session.add(cohort)


async def record_selection_reopened(event: SelectionReopened, uow: UnitOfWork) -> None:
    """Assessment reopened the cohort's selection (within its window): the closure it took back
    no longer stands, so the cohort is as it was before selection (offered again while its
    window is open) until selection closes again (a later CohortSelectionClosed)."""
    cohort = await uow.session.get(Cohort, event.cohort_id)
    if cohort is None or cohort.selection_closed_at is None:
        return
    if cohort.selection_closed_at <= event.selection_closed_at:
        cohort.selection_closed_at = None
        uow.session.add(cohort)


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
        is_open=refusal_of(cohort, today) is None,
        status=domain.cohort_status(window, today, cohort.selection_closed_at),
        window=window.describe(),
        questions=[
            {"id": q.id, "text": q.text, "max_words": q.max_words}
            for q in domain.SECOND_STAGE_QUESTIONS[programme]
        ],
    )
