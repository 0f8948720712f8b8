"""HTTP API of the notifications service: the delivery log for admins, people's preferences."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict
from rtw_platform.auth import AdminOnly, CurrentPrincipal
from rtw_platform.errors import Unauthorised
from rtw_platform.http import UnitOfWorkDep

from .domain import BadReceipt, read_receipt
from .links import person_of_unsubscribe_token
from .settings import notifications_settings
from .store import DeliveryLogQuery, ResendFilter, work_of
from .use_cases import delivery_repair, people

router = APIRouter()


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    non_essential: bool


@router.get("/deliveries", tags=["admin"])
async def delivery_log(
    uow: UnitOfWorkDep,
    _: AdminOnly,
    recipient_id: UUID | None = None,
    event_id: UUID | None = None,
    status: str | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Every message and its status, newest first; filter by person, event or status."""
    query = DeliveryLogQuery(recipient_id, event_id, status, page, page_size)
    total, rows = await delivery_repair.delivery_log(work_of(uow), query)
    return {
        "total": total,
        "items": [
            {
                "delivery_id": str(d.id),
                "event_id": str(d.event_id),
                "recipient_id": str(d.recipient_id),
                "template": d.template,
                "language": d.language,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "created_at": d.created_at.isoformat(),
                "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            }
            for d in rows
        ],
    }


class ResendIn(BaseModel):
    """Which failed deliveries to send again (every failed one when nothing is given)."""

    model_config = ConfigDict(extra="forbid")

    template: str | None = None
    since: datetime | None = None
    recipient_id: UUID | None = None
    delivery_ids: list[UUID] = []
    dry_run: bool = False


@router.post("/deliveries/resend", tags=["admin"])
async def resend_failed(uow: UnitOfWorkDep, _: AdminOnly, body: ResendIn) -> dict[str, Any]:
    """Send failed deliveries again (given up on after their tries, or failed at Notify): they
    go back to the dispatcher, due now. A bounced address is not resent."""
    which = ResendFilter(body.template, body.since, body.recipient_id, tuple(body.delivery_ids))
    count = await delivery_repair.resend(work_of(uow), which, dry_run=body.dry_run)
    return {"would_resend" if body.dry_run else "resent": count}


@router.post("/notify/receipts", tags=["providers"], status_code=200)
async def notify_receipt(request: Request, uow: UnitOfWorkDep) -> dict[str, Any]:
    """GOV.UK Notify's delivery receipt (its callback, with the bearer token set in Notify's
    callback settings and in RTW_NOTIFY_CALLBACK_TOKEN): delivered, or bounced, recorded on the
    delivery."""
    expected = notifications_settings(request.app.state.settings).notify_callback_token
    given = request.headers.get("authorization", "")
    if expected is None or not hmac.compare_digest(
        given.encode(), f"Bearer {expected.get_secret_value()}".encode()
    ):
        raise Unauthorised("A delivery receipt needs the callback's bearer token.")
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        raise BadReceipt("A delivery receipt is a JSON object.") from None
    recorded = await delivery_repair.record_receipt(work_of(uow), read_receipt(body))
    return {"recorded": recorded}


@router.put("/people/{person_id}/preferences", tags=["people"])
async def preferences(
    person_id: UUID, body: PreferencesIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Turn non-essential messages (alerts, reminders) on or off; decisions are always sent."""
    await people.set_preferences(work_of(uow), principal, person_id, non_essential=body.non_essential)
    return {"person_id": str(person_id), "non_essential": body.non_essential}


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, tags=["people"])
async def unsubscribe(token: str, request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """The link in non-essential messages: no more alerts or reminders for this person."""
    person_id = person_of_unsubscribe_token(notifications_settings(request.app.state.settings), token)
    if not await people.unsubscribe(work_of(uow), person_id):  # an erased person's link was never made
        return HTMLResponse("<p>This link is not valid.</p>", status_code=404)
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribed</title></head>'
        "<body><main><h1>You will get no more alerts or reminders</h1>"
        "<p>We will still write to you about decisions on your application.</p></main></body></html>"
    )
