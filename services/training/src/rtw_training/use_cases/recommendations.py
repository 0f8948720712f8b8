"""The skills-gap loop: matching says which skills a candidate lacks for vacancies they nearly
fit; training recommends the modules that close them (completed modules flow back to matching
as TrainingModuleCompleted, so the scores rise)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_contracts import Programme, SkillGapIdentified

from .. import domain
from ..curricula import curriculum_for
from ..models import Recommendation
from ..store import TrainingWork
from .progress import curriculum_of


async def recommend_for_gap(work: TrainingWork, event: SkillGapIdentified) -> None:
    """Recommend the modules that close the gaps (latest signal per vacancy wins)."""
    store = work.store
    learner = await store.learner(event.application_id)
    if learner is not None and learner.erased_at is not None:
        return
    enrolment = await store.enrolment_of_application(event.application_id)
    if enrolment is not None:
        curriculum = curriculum_of(enrolment)
        done = await store.completed_module_ids(enrolment.id)
    else:
        programme = Programme(learner.programme) if learner else Programme.ICT
        curriculum, done = curriculum_for(programme), []
    picks = domain.recommend_modules(curriculum, event.gaps, done)
    await store.put_recommendation(
        Recommendation(
            candidate_id=event.candidate_id,
            application_id=event.application_id,
            vacancy_id=event.vacancy_id,
            gaps=[g.model_dump(mode="json") for g in event.gaps],
            modules=[
                {"module_id": m.id, "title": m.title, "closes": closes, "hours": m.hours}
                for m, closes in picks
            ],
            created_at=datetime.now(UTC),
        )
    )


async def recommendations_for(work: TrainingWork, candidate_id: UUID) -> list[dict[str, Any]]:
    """A candidate's recommendations, newest first, without modules completed since."""
    result = []
    for row in await work.store.recommendations_of(candidate_id):
        enrolment = await work.store.enrolment_of_application(row.application_id)
        done = set(await work.store.completed_module_ids(enrolment.id)) if enrolment else set()
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
