"""Putting e-mail right: failed deliveries listed and sent again, and GOV.UK Notify's delivery
receipts recorded (a bounce shows as bounced, not as sent)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_platform.errors import Refusal
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func, or_, update
from sqlmodel import col, select

from .dispatch import EMAILS
from .domain import RECEIPT_STATUSES, RESENDABLE
from .models import Delivery


@dataclass(frozen=True)
class ResendFilter:
    """Which failed deliveries to send again (every one when nothing is set)."""

    template: str | None = None
    since: datetime | None = None
    recipient_id: UUID | None = None
    delivery_ids: tuple[UUID, ...] = ()

    def where(self) -> list[Any]:
        clauses: list[Any] = [col(Delivery.status).in_(RESENDABLE), col(Delivery.to_address).is_not(None)]
        if self.template is not None:
            clauses.append(col(Delivery.template) == self.template)
        if self.since is not None:
            clauses.append(col(Delivery.created_at) >= self.since)
        if self.recipient_id is not None:
            clauses.append(col(Delivery.recipient_id) == self.recipient_id)
        if self.delivery_ids:
            clauses.append(col(Delivery.id).in_(self.delivery_ids))
        return clauses


async def failed_deliveries(uow: UnitOfWork, which: ResendFilter, *, limit: int = 200) -> list[Delivery]:
    """Deliveries given up on, newest first (an erased person's are gone already)."""
    statement = select(Delivery).where(*which.where()).order_by(col(Delivery.created_at).desc()).limit(limit)
    return list((await uow.session.exec(statement)).all())


async def resend(uow: UnitOfWork, which: ResendFilter, *, dry_run: bool = False) -> int:
    """Put the chosen failed deliveries back in the dispatcher's queue, due now, with their tries
    counted from zero; how many. Commits unless `dry_run`."""
    if dry_run:
        counted = await uow.session.exec(select(func.count()).select_from(Delivery).where(*which.where()))
        return int(counted.one())
    result = await uow.session.execute(
        update(Delivery)
        .where(*which.where())
        .values(status="pending", attempts=0, next_attempt_at=datetime.now(UTC))
    )
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Receipt:
    """What GOV.UK Notify's callback says about one e-mail."""

    notify_id: str
    reference: str | None
    status: str


class BadReceipt(Refusal):
    """A receipt that is not one of Notify's."""

    status = 422


def read_receipt(body: Any) -> Receipt:
    """Notify's callback body, or a refusal naming what is wrong."""
    if not isinstance(body, dict):
        raise BadReceipt("A delivery receipt is a JSON object.")
    notify_id, status, reference = body.get("id"), body.get("status"), body.get("reference")
    if not isinstance(notify_id, str) or not notify_id:
        raise BadReceipt("The receipt has no notification id ('id').")
    if not isinstance(status, str) or status not in RECEIPT_STATUSES:
        shown = status if isinstance(status, str) else type(status).__name__
        raise BadReceipt(f"Unknown receipt status {shown!r}; expected one of {', '.join(RECEIPT_STATUSES)}.")
    if reference is not None and not isinstance(reference, str):
        raise BadReceipt("The receipt's 'reference' must be a string.")
    return Receipt(notify_id=notify_id, reference=reference, status=status)


async def record_receipt(uow: UnitOfWork, receipt: Receipt) -> bool:
    """Record the receipt on its delivery (found by Notify's id or by the reference we gave);
    False when no delivery matches (an erased person's, or another system's). Commits."""
    matches: list[Any] = [col(Delivery.provider_reference) == receipt.notify_id]
    if receipt.reference:
        with contextlib.suppress(ValueError):
            matches.append(col(Delivery.id) == UUID(receipt.reference))
    delivery = (await uow.session.exec(select(Delivery).where(or_(*matches)))).first()
    if delivery is None:
        return False
    status = RECEIPT_STATUSES[receipt.status]
    if delivery.status != status:
        delivery.status = status
        if status != "delivered":
            delivery.last_error = f"GOV.UK Notify: {receipt.status}"
            EMAILS.labels("bounced" if status == "bounced" else "failed").inc()
        uow.session.add(delivery)
    await uow.commit()
    return True
