"""Putting e-mail right: failed deliveries listed and sent again, and GOV.UK Notify's delivery
receipts recorded (a bounce shows as bounced, not as sent)."""

from __future__ import annotations

from datetime import UTC, datetime

from ..domain import Receipt, receipt_status
from ..metrics import EMAILS
from ..models import Delivery
from ..store import DeliveryLogQuery, ResendFilter
from .owing import NotificationsWork


async def delivery_log(work: NotificationsWork, query: DeliveryLogQuery) -> tuple[int, list[Delivery]]:
    """Every message and its status, newest first, a page at a time: how many, and the page."""
    return await work.store.delivery_log(query)


async def failed_deliveries(
    work: NotificationsWork, which: ResendFilter, *, limit: int = 200
) -> list[Delivery]:
    """Deliveries given up on, newest first (an erased person's are gone already)."""
    return await work.store.failed_deliveries(which, limit)


async def resend(work: NotificationsWork, which: ResendFilter, *, dry_run: bool = False) -> int:
    """Put the chosen failed deliveries back in the dispatcher's queue, due now, with their tries
    counted from zero; how many. Commits unless `dry_run`."""
    if dry_run:
        return await work.store.count_resendable(which)
    count = await work.store.mark_for_resending(which, datetime.now(UTC))
    await work.commit()
    return count


async def record_receipt(work: NotificationsWork, receipt: Receipt) -> bool:
    """Record the receipt on its delivery (found by Notify's id or by the reference we gave);
    False when no delivery matches (an erased person's, or another system's). Commits."""
    delivery = await work.store.delivery_for_receipt(receipt.notify_id, receipt.reference)
    if delivery is None:
        return False
    status = receipt_status(receipt.status)
    if delivery.status != status:
        delivery.status = status
        if status != "delivered":
            delivery.last_error = f"GOV.UK Notify: {receipt.status}"
            EMAILS.labels("bounced" if status == "bounced" else "failed").inc()
        await work.store.save_delivery(delivery)
    await work.commit()
    return True
