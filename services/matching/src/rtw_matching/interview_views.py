"""Interviews and offers as the API and the pages show them (plain dicts), and what waits for a
candidate: shared by the outreach and interview use cases."""

from __future__ import annotations

from datetime import datetime
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
        "made_at": offer.made_at.isoformat(),
        "answered_at": offer.answered_at.isoformat() if offer.answered_at else None,
    }


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def interview_held(interview: Interview) -> dict[str, Any]:
    """An interview as its candidate's subject-access request gives it: the times proposed, the
    one booked and its place, when each happened, and the council's feedback (ratings,
    recommendation, notes) without who in the council wrote it (as assessment gives decisions
    without the assessors' identities)."""
    feedback = interview.feedback
    return {
        **interview_view(interview),
        "proposed_at": interview.proposed_at.isoformat(),
        "booked_at": _when(interview.booked_at),
        "feedback": (
            {key: feedback.get(key) for key in ("ratings", "recommendation", "notes")}
            | {"recorded_at": _when(interview.feedback_at)}
            if feedback is not None
            else None
        ),
    }


async def of_candidate(uow: UnitOfWork, candidate_id: UUID) -> dict[UUID, dict[str, Any]]:
    """Per match of the candidate: the interview proposal waiting for them (if any), the latest
    offer, and everything held (`interviews`: every stage, replaced proposals too; `offers`: every
    offer, oldest first)."""
    interviews = await store.interviews_of_candidate(uow, candidate_id)
    offers = await store.offers_to(uow, candidate_id)
    found: dict[UUID, dict[str, Any]] = {}

    def of(match_id: UUID) -> dict[str, Any]:
        return found.setdefault(match_id, {"proposal": None, "offer": None, "interviews": [], "offers": []})

    for interview in interviews:
        steps = of(interview.match_id)
        steps["interviews"].append(interview_held(interview))
        if interview.status == "proposed":
            steps["proposal"] = interview_view(interview)
    for offer in offers:
        steps = of(offer.match_id)
        steps["offer"] = offer_view(offer)
        steps["offers"].append(offer_view(offer))
    return found
