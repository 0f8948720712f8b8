"""Interviews and offers as the API and the pages show them (plain dicts), and what waits for a
candidate: shared by the outreach and interview use cases."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from rtw_platform.uow import UnitOfWork

from . import store
from .models import Interview, Offer


def _slot_view(slot: dict[str, Any], index: int) -> dict[str, Any]:
    return {"index": index, "starts_at": slot["starts_at"], "place": slot["place"]}


def interview_view(interview: Interview) -> dict[str, Any]:
    """An interview as the API and pages show it."""
    return {
        "interview_id": str(interview.id),
        "stage": interview.stage,
        "minutes": interview.minutes,
        "status": interview.status,
        "slots": [_slot_view(s, i) for i, s in enumerate(interview.slots)],
        "starts_at": interview.starts_at.isoformat() if interview.starts_at else None,
        "place": interview.place,
        "feedback": interview.feedback,
    }


def offer_view(offer: Offer) -> dict[str, Any]:
    return {
        "offer_id": str(offer.id),
        "salary_pence": offer.salary_pence,
        "start_date": offer.start_date.isoformat(),
        "hours_per_week": offer.hours_per_week,
        "contract": offer.contract,
        "status": offer.status,
    }


async def of_candidate(uow: UnitOfWork, candidate_id: UUID) -> dict[UUID, dict[str, Any]]:
    """Per match of the candidate: the interview proposal waiting for them (if any) and the
    latest offer."""
    interviews = await store.proposals_to(uow, candidate_id)
    offers = await store.offers_to(uow, candidate_id)
    found: dict[UUID, dict[str, Any]] = {}
    for interview in interviews:
        found.setdefault(interview.match_id, {})["proposal"] = interview_view(interview)
    for offer in offers:
        found.setdefault(offer.match_id, {})["offer"] = offer_view(offer)
    return found
