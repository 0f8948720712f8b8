"""The skills-gap loop: matching says which skills a candidate lacks for vacancies they nearly
fit; training recommends the modules that close them (completed modules flow back to matching
as TrainingModuleCompleted, so the scores rise)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_contracts import Programme, SkillGapIdentified
from rtw_platform.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from . import domain
from .curricula import curriculum_for
from .models import Enrolment, Learner, Recommendation
from .progress import completed_module_ids, curriculum_of


async def recommend_for_gap(event: SkillGapIdentified, uow: UnitOfWork) -> None:
    """Recommend the modules that close the gaps (latest signal per vacancy wins)."""
    learner = await uow.session.get(Learner, event.application_id)
    if learner is not None and learner.erased_at is not None:
        return
    enrolment = (
        await uow.session.exec(select(Enrolment).where(Enrolment.application_id == event.application_id))
    ).first()
    if enrolment is not None:
        curriculum = curriculum_of(enrolment)
        done = await completed_module_ids(uow, enrolment.id)
    else:
        programme = Programme(learner.programme) if learner else Programme.ICT
        curriculum, done = curriculum_for(programme), []
    picks = domain.recommend_modules(curriculum, event.gaps, done)
    modules = [
        {"module_id": m.id, "title": m.title, "closes": closes, "hours": m.hours} for m, closes in picks
    ]
    values: dict[str, Any] = {
        "candidate_id": event.candidate_id,
        "application_id": event.application_id,
        "vacancy_id": event.vacancy_id,
        "gaps": [g.model_dump(mode="json") for g in event.gaps],
        "modules": modules,
        "created_at": datetime.now(UTC),
    }
    statement = insert(Recommendation).values(**values)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["candidate_id", "vacancy_id"],
            set_={k: statement.excluded[k] for k in ("gaps", "modules", "created_at")},
        )
    )


async def recommendations_for(uow: UnitOfWork, candidate_id: UUID) -> list[dict[str, Any]]:
    """A candidate's recommendations, newest first, without modules completed since."""
    rows = (
        await uow.session.exec(
            select(Recommendation)
            .where(Recommendation.candidate_id == candidate_id)
            .order_by(col(Recommendation.created_at).desc())
        )
    ).all()
    result = []
    for row in rows:
        enrolment = (
            await uow.session.exec(select(Enrolment).where(Enrolment.application_id == row.application_id))
        ).first()
        done = set(await completed_module_ids(uow, enrolment.id)) if enrolment else set()
        modules = [m for m in row.modules if m["module_id"] not in done]
        result.append(
            {
                "vacancy_id": str(row.vacancy_id),
                "gaps": row.gaps,
                "modules": modules,
                "all_closed": not modules,
                "created_at": row.created_at.isoformat(),
            }
        )
    return result
