"""HTTP API of the notifications service: the delivery log for admins, people's preferences."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict
from rtw_platform.auth import AdminOnly, CurrentPrincipal, Role
from rtw_platform.errors import NotFound, Unauthorised
from rtw_platform.http import UnitOfWorkDep
from sqlalchemy import func
from sqlmodel import col, select

from .delivery_repair import BadReceipt, ResendFilter, read_receipt, record_receipt, resend
from .models import Delivery, Person
from .notices import person_of_unsubscribe_token
from .settings import NotificationsSettings

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
    statement: Any = select(Delivery)
    counting: Any = select(func.count()).select_from(Delivery)
    for column, value in (
        (Delivery.recipient_id, recipient_id),
        (Delivery.event_id, event_id),
        (Delivery.status, status),
    ):
        if value is not None:
            statement = statement.where(column == value)
            counting = counting.where(column == value)
    total = (await uow.session.exec(counting)).one()
    rows = (
        await uow.session.exec(
            statement.order_by(col(Delivery.created_at).desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    return {
        "total": int(total),
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
    count = await resend(uow, which, dry_run=body.dry_run)
    return {"would_resend" if body.dry_run else "resent": count}


@router.post("/notify/receipts", tags=["providers"], status_code=200)
async def notify_receipt(request: Request, uow: UnitOfWorkDep) -> dict[str, Any]:
    """GOV.UK Notify's delivery receipt (its callback, with the bearer token set in Notify's
    callback settings and in RTW_NOTIFY_CALLBACK_TOKEN): delivered, or bounced, recorded on the
    delivery."""
    settings = request.app.state.settings
    assert isinstance(settings, NotificationsSettings)
    expected = settings.notify_callback_token
    given = request.headers.get("authorization", "")
    if expected is None or not hmac.compare_digest(
        given.encode(), f"Bearer {expected.get_secret_value()}".encode()
    ):
        raise Unauthorised("A delivery receipt needs the callback's bearer token.")
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        raise BadReceipt("A delivery receipt is a JSON object.") from None
    recorded = await record_receipt(uow, read_receipt(body))
    return {"recorded": recorded}


@router.put("/people/{person_id}/preferences", tags=["people"])
async def preferences(
    person_id: UUID, body: PreferencesIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Turn non-essential messages (alerts, reminders) on or off; decisions are always sent."""
    person = await uow.session.get(Person, person_id)
    # Someone else's preferences answer as an unknown person's would (an id reveals nothing).
    mine = principal.role is Role.ADMIN or principal.subject == str(person_id)
    if person is None or person.erased_at is not None or not mine:
        raise NotFound("We hold no contact details for that person.")
    person.non_essential_opt_out = not body.non_essential
    uow.session.add(person)
    await uow.commit()
    return {"person_id": str(person_id), "non_essential": body.non_essential}


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, tags=["people"])
async def unsubscribe(token: str, request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """The link in non-essential messages: no more alerts or reminders for this person."""
    settings: NotificationsSettings = request.app.state.settings
    person_id = person_of_unsubscribe_token(settings, token)
    person = await uow.session.get(Person, person_id) if person_id else None
    if person is None or person.erased_at is not None:  # an erased person's link was never made
        return HTMLResponse("<p>This link is not valid.</p>", status_code=404)
    person.non_essential_opt_out = True
    uow.session.add(person)
    await uow.commit()
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribed</title></head>'
        "<body><main><h1>You will get no more alerts or reminders</h1>"
        "<p>We will still write to you about decisions on your application.</p></main></body></html>"
    )
