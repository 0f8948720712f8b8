"""A candidate's work preferences after applying: how and when they can work, how far they can
travel and which councils may see them, changed at any time until they withdraw. Matching hears
of each change (CandidatePreferencesChanged, through the outbox) and updates the talent pool."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from rtw_contracts import CandidatePreferencesChanged, WorkPreferences
from rtw_platform.auth import Principal
from rtw_platform.counters import take_next
from rtw_platform.errors import Conflict
from rtw_platform.uow import UnitOfWork

from . import domain
from .access import ensure_candidate_self
from .api_models import ApplicationAnswers
from .intake import application_or_refuse, save_answers
from .models import Application


async def change_preferences(
    application_id: UUID,
    preferences: WorkPreferences,
    principal: Principal,
    uow: UnitOfWork,
    *,
    now: datetime | None = None,
) -> Application:
    """Keep the candidate's new preferences. A draft's are saved like any answer; a sent
    application's are kept and announced to matching in one transaction. Only the candidate may
    change them, and not once the application is withdrawn."""
    application = await application_or_refuse(uow, application_id, principal)
    ensure_candidate_self(principal, application.candidate_id)
    if application.reference is None:
        draft = ApplicationAnswers(work_preferences=preferences)
        return await save_answers(application_id, draft, principal, uow)
    if withdrawn(application):
        raise Conflict(
            "This application was withdrawn: councils no longer see it, so there is nothing to change."
        )
    now = now or datetime.now(UTC)
    application.answers = {**application.answers, "work_preferences": preferences.model_dump(mode="json")}
    application.updated_at = now
    await take_next(uow.session, application, "event_sequence")
    uow.publish(
        CandidatePreferencesChanged(
            correlation_id=application.id,
            sequence=application.event_sequence,
            application_id=application.id,
            candidate_id=application.candidate_id,
            work_preferences=preferences,
            changed_at=now,
        )
    )
    uow.session.add(application)
    await uow.commit()
    return application


def withdrawn(application: Application) -> bool:
    """Withdrawn: its preferences no longer change anything."""
    return application.withdrawn_at is not None or application.status == domain.Stage.WITHDRAWN.value
